"""Errors of the encrypted store, refining :mod:`kiosk.errors`.

Every class keeps a stable ``code``; messages never contain personal data
(case ids are random identifiers, not personal data).
"""

from __future__ import annotations

from kiosk.errors import ConfigError, EvidenceTampered, StoreError, StoreLocked


class StoreNotInitialized(StoreError):
    """No keyfile in the data directory: ``kiosk store init`` has not run."""

    code = "store_not_initialized"
    default_message = "The local store has not been initialised."


class StoreExists(StoreError):
    """``init`` on a data directory that already holds a store (or the remains of one)."""

    code = "store_exists"
    default_message = "A local store already exists in this data directory."


class StoreBusy(StoreError):
    """Another process (or another Store object) holds the store open."""

    code = "store_busy"
    default_message = "The local store is in use by another process."


class StoreClosed(StoreError):
    """A call on a Store after ``close()``."""

    code = "store_closed"
    default_message = "The local store is closed."


class KeyfileCorrupt(StoreError):
    """The keyfile is unreadable, malformed or of an unknown version."""

    code = "store_keyfile_corrupt"
    default_message = "The store's keyfile is damaged or of an unknown format."


class KeyMismatch(StoreError):
    """The unwrapped master key does not open the database (keyfile and database disagree)."""

    code = "store_key_mismatch"
    default_message = "The keyfile does not match the database."


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the kiosk."""

    code = "store_schema_too_new"
    default_message = "The store was written by a newer kiosk version."


class WrongPassphrase(StoreLocked):
    """The passphrase did not unwrap the master key; the failure was counted."""

    code = "store_wrong_passphrase"
    default_message = "Wrong passphrase; the store stays locked."


class UnlockThrottled(StoreLocked):
    """Too many failed attempts: refused without trying, until ``retry_after_s`` has passed."""

    code = "store_unlock_throttled"
    default_message = "Too many failed unlock attempts."

    def __init__(self, message: str | None = None, *, retry_after_s: float, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class NoCredential(StoreLocked):
    """No passphrase file, no remembered key and no terminal to ask on."""

    code = "store_no_credential"
    default_message = "No passphrase is available to unlock the store."


class CaseNotFound(StoreError):
    code = "case_not_found"
    default_message = "No such case in the local store."


class CaseExists(StoreError):
    code = "case_exists"
    default_message = "A case with this id is already stored."


class InvalidRecord(StoreError):
    """A record handed to the store breaks its contract (ids, kinds, times, sizes)."""

    code = "store_invalid_record"
    default_message = "The record cannot be stored."


class EvidenceMissing(EvidenceTampered):
    """A blob file the database references is gone or truncated."""

    code = "evidence_missing"
    default_message = "A stored evidence file is missing."


class EvidencePurged(StoreError):
    """The evidence was removed by retention; its key was destroyed."""

    code = "evidence_purged"
    default_message = "The evidence of this case was purged under the retention policy."


class OutboxItemNotFound(StoreError):
    code = "outbox_item_not_found"
    default_message = "No such outbox item."


class BundleInvalid(StoreError):
    """An audit bundle that cannot be parsed at all (a bad signature is a report, not this)."""

    code = "audit_bundle_invalid"
    default_message = "The file is not an audit bundle."


class BundleUntrusted(StoreError):
    """An audit bundle offered as an anchor whose signature or chain does not check out
    against the expected device key."""

    code = "audit_bundle_untrusted"
    default_message = "The audit bundle is not signed by this store's device key."


class KdfTooWeak(InvalidRecord):
    """Argon2id parameters below the minimum for a new passphrase."""

    code = "store_kdf_too_weak"
    default_message = "The Argon2id parameters are too weak for a store passphrase."


class PassphraseFileExposed(ConfigError):
    """A passphrase file that other users can read."""

    code = "store_passphrase_file_exposed"
    default_message = "The passphrase file is readable by other users."


class OutputExists(StoreError):
    """A file the command would write (with personal data) is already there."""

    code = "output_exists"
    default_message = "The output file already exists; it is not overwritten."


class KeyringUnavailable(StoreError):
    """No usable OS keyring backend on this machine."""

    code = "keyring_unavailable"
    default_message = "No OS keyring is available on this machine."


__all__ = [
    "BundleInvalid",
    "BundleUntrusted",
    "CaseExists",
    "CaseNotFound",
    "EvidenceMissing",
    "EvidencePurged",
    "EvidenceTampered",
    "InvalidRecord",
    "KdfTooWeak",
    "KeyMismatch",
    "KeyfileCorrupt",
    "KeyringUnavailable",
    "NoCredential",
    "OutboxItemNotFound",
    "OutputExists",
    "PassphraseFileExposed",
    "SchemaTooNew",
    "StoreBusy",
    "StoreClosed",
    "StoreError",
    "StoreExists",
    "StoreLocked",
    "StoreNotInitialized",
    "UnlockThrottled",
    "WrongPassphrase",
]
