"""Key hierarchy of the encrypted store, the keyfile that anchors it, and unlock back-off.

::

    operator passphrase (NFC, UTF-8)
      │ Argon2id(salt 16 B, time_cost, memory_kib, parallelism) -> 32 B      [keyfile: salt, params]
      ▼
    KEK, key-encryption key (never stored)
      │ AES-256-GCM, AAD = "kiosk/master/v1" | install id | key id | kek generation
      ▼
    master key M, 32 random bytes                                          [keyfile: wrapped M]
      ├─ HKDF-SHA256(salt = install id, info "kiosk/sqlcipher/v1") -> SQLCipher raw key
      │     PRAGMA key = "x'<64 hex>'"  (raw key: SQLCipher skips its own PBKDF2)
      ├─ HKDF-SHA256(info "kiosk/key-id/v1") -> key id, 8 B hex: a public fingerprint of M
      └─ HKDF-SHA256(info "kiosk/wrap/v1") -> wrapping key W
            │ AES-256-GCM, AAD = purpose | owner                           [rows inside SQLCipher]
            ├─ per-case data key DEK, 32 random bytes, AAD = "dek" | case id
            │     └─ AES-256-GCM per evidence blob, AAD = case id | kind | blob id | media type
            ├─ audit MAC key, 32 random bytes: HMAC-SHA256 over every audit entry hash
            │     and over the chain head anchored in the keyfile    [keyfile: audit anchor]
            └─ device signing key, Ed25519: signs audit export bundles

Why the audit and device keys are random and wrapped rather than derived from
M by HKDF: they must outlive a master-key rotation, or every audit MAC written
before the rotation would stop verifying and the device would change identity.
Rotation re-wraps them (and every DEK) under the new W instead.

Master-key rotation (``kiosk store rekey``) is crash-safe by rolling forward:

1. a new M' is generated and the keyfile is atomically replaced by one that
   holds M as ``master`` and M' as ``pending`` (both wrapped by the same KEK);
2. one transaction re-wraps every DEK, the audit key and the device key under
   W' and appends the audit entry (rows record which key id wraps them);
3. ``PRAGMA rekey`` re-encrypts the database under M' (a single transaction
   in WAL mode: a crash leaves all pages under the old or all under the new key);
4. the WAL is checkpointed and truncated;
5. the keyfile is atomically replaced by one with M' as ``master`` and no ``pending``.

Opening a store whose keyfile has ``pending`` unwraps both keys, opens the
database with whichever matches, and finishes steps 2-5. Blob files are never
touched: their DEKs are unchanged, only re-wrapped.

New passphrases need Argon2id parameters of at least OWASP's minimum
(:func:`check_kdf_strength`); test suites use :meth:`KdfParams.insecure_for_tests`.

A passphrase change re-wraps M under a new KEK (new salt, possibly new
parameters) in one atomic keyfile replacement and bumps ``kek_generation``;
the audit entry for it is appended at the next open if a crash came first.

Limits, stated plainly: Python cannot reliably erase secrets from memory
(``bytes`` are immutable and may be copied), so keys live in process memory
while the store is open; SQLCipher's ``cipher_memory_security`` wipes its own
buffers. The back-off counter is not secret and can be reset by someone with
write access to the data directory; against offline guessing the defence is
the Argon2id cost, not the counter.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.store.errors import InvalidRecord, KdfTooWeak, KeyfileCorrupt
from kiosk.store.fsutil import atomic_write

KEYFILE_FORMAT = "kiosk-store-keyfile"
KEYFILE_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
MIN_NEW_PASSPHRASE_CHARS = 10

# Argon2id defaults: RFC 9106's second recommended setting (64 MiB, 3 passes),
# with 2 lanes for the kiosk's 2 cores; about 4x OWASP's minimum (19 MiB, t=2).
# On the 2-vCPU AMD EPYC development VM: ~0.13 s with the CPU to itself,
# 0.3-0.86 s while other jobs loaded both cores (load average 5-7), where
# 128 MiB, t=3 took 1.1-2.4 s and missed the 1 s open budget. Raise them per site with
# ``kiosk store passwd --kdf-memory-mib/--kdf-time`` (see tests/bench/bench_store.py).
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_KIB = 64 * 1024
DEFAULT_PARALLELISM = 2
# The floor a new passphrase's parameters must reach: OWASP's minimum for Argon2id.
MIN_TIME_COST = 2
MIN_MEMORY_KIB = 19 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise KeyfileCorrupt()
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyfileCorrupt() from None


def passphrase_bytes(passphrase: str) -> bytes:
    """The passphrase as Argon2 input: Unicode NFC, UTF-8 (so composed and
    decomposed accents type the same key)."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse passphrases too short to resist guessing.

    Raises:
        InvalidRecord: fewer than ``MIN_NEW_PASSPHRASE_CHARS`` characters.
    """
    if len(unicodedata.normalize("NFC", passphrase)) < MIN_NEW_PASSPHRASE_CHARS:
        raise InvalidRecord(
            f"A store passphrase needs at least {MIN_NEW_PASSPHRASE_CHARS} characters."
        )


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id parameters (RFC 9106), stored in the keyfile beside the salt.

    Attributes:
        time_cost: passes over memory.
        memory_kib: memory in KiB.
        parallelism: lanes (threads).
        salt: 16 random bytes, new for every passphrase.
    """

    time_cost: int = DEFAULT_TIME_COST
    memory_kib: int = DEFAULT_MEMORY_KIB
    parallelism: int = DEFAULT_PARALLELISM
    salt: bytes = field(default_factory=lambda: os.urandom(SALT_BYTES), repr=False)
    # Set only by insecure_for_tests(); never written to the keyfile.
    weak_for_tests: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.time_cost <= 64:
            raise InvalidRecord("Argon2id time_cost must be 1..64.")
        if not 1 <= self.parallelism <= 16:
            raise InvalidRecord("Argon2id parallelism must be 1..16.")
        if not 8 * self.parallelism <= self.memory_kib <= 4 * 1024 * 1024:
            raise InvalidRecord("Argon2id memory must be 8*parallelism KiB .. 4 GiB.")
        if len(self.salt) != SALT_BYTES:
            raise InvalidRecord("Argon2id salt must be 16 bytes.")

    @classmethod
    def insecure_for_tests(cls, *, time_cost: int, memory_kib: int, parallelism: int) -> KdfParams:
        """Parameters below the floor that :func:`check_kdf_strength` lets through.

        For test suites only, where a real Argon2id cost would dominate the run
        time; the CLI never builds these.
        """
        return cls(time_cost, memory_kib, parallelism, weak_for_tests=True)

    @property
    def below_floor(self) -> bool:
        """Whether these parameters are weaker than OWASP's Argon2id minimum."""
        return self.time_cost < MIN_TIME_COST or self.memory_kib < MIN_MEMORY_KIB

    def fresh_salt(self) -> KdfParams:
        return replace(self, salt=os.urandom(SALT_BYTES))

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": "argon2id",
            "version": 19,
            "time_cost": self.time_cost,
            "memory_kib": self.memory_kib,
            "parallelism": self.parallelism,
            "hash_len": KEY_BYTES,
            "salt": _b64(self.salt),
        }

    @classmethod
    def from_dict(cls, data: Any) -> KdfParams:
        if (
            not isinstance(data, dict)
            or data.get("algorithm") != "argon2id"
            or data.get("version") != 19
            or data.get("hash_len") != KEY_BYTES
        ):
            raise KeyfileCorrupt()
        try:
            return cls(
                time_cost=int(data["time_cost"]),
                memory_kib=int(data["memory_kib"]),
                parallelism=int(data["parallelism"]),
                salt=_unb64(data["salt"]),
            )
        except (KeyError, TypeError, ValueError, InvalidRecord):
            raise KeyfileCorrupt() from None


def check_kdf_strength(params: KdfParams) -> None:
    """Refuse Argon2id parameters below OWASP's minimum for a new passphrase.

    Raises:
        KdfTooWeak: ``time_cost < 2`` or ``memory_kib < 19 MiB``, unless the
            parameters came from :meth:`KdfParams.insecure_for_tests`.
    """
    if params.below_floor and not params.weak_for_tests:
        raise KdfTooWeak(
            f"Argon2id t={params.time_cost} m={params.memory_kib // 1024} MiB is below the "
            f"minimum (t={MIN_TIME_COST}, m={MIN_MEMORY_KIB // 1024} MiB).",
            hint=f"use --kdf-time {MIN_TIME_COST} or more and "
            f"--kdf-memory-mib {MIN_MEMORY_KIB // 1024} or more (default 3 and 64)",
        )


def derive_kek(passphrase: str, params: KdfParams) -> bytes:
    """The key-encryption key: Argon2id(passphrase, salt, params), 32 bytes."""
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        passphrase_bytes(passphrase),
        params.salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _hkdf(key: bytes, info: bytes, salt: bytes | None, length: int = KEY_BYTES) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM: a fresh random 96-bit nonce followed by ciphertext and tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    """The plaintext of :func:`seal`, or None if the key, the AAD or a byte is wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(sealed) < NONCE_BYTES + 16:
        return None
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        return None


def aad(*parts: str) -> bytes:
    """Associated data: NUL-joined UTF-8 parts (no part may contain NUL)."""
    if any("\x00" in p for p in parts):
        raise InvalidRecord("associated data parts may not contain NUL")
    return "\x00".join(parts).encode("utf-8")


class MasterKey:
    """The installation's master key and the keys derived from it.

    ``repr`` shows only the public key id, so a stray log line leaks nothing.
    """

    __slots__ = ("_raw", "_salt", "key_id", "sqlcipher_key", "wrap_key")

    def __init__(self, raw: bytes, install_id: str) -> None:
        if len(raw) != KEY_BYTES:
            raise InvalidRecord("a master key is 32 bytes")
        self._raw = raw
        self._salt = install_id.encode("ascii")
        self.key_id: str = _hkdf(raw, b"kiosk/key-id/v1", self._salt, 8).hex()
        self.sqlcipher_key: bytes = _hkdf(raw, b"kiosk/sqlcipher/v1", self._salt)
        self.wrap_key: bytes = _hkdf(raw, b"kiosk/wrap/v1", self._salt)

    @classmethod
    def generate(cls, install_id: str) -> MasterKey:
        return cls(os.urandom(KEY_BYTES), install_id)

    @property
    def raw(self) -> bytes:
        return self._raw

    def sqlcipher_pragma_value(self) -> str:
        """The value for ``PRAGMA key``/``rekey``: a raw 256-bit key literal."""
        return f"\"x'{self.sqlcipher_key.hex()}'\""

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id})"


@dataclass(frozen=True, slots=True)
class WrappedMaster:
    """A master key sealed under a KEK, with its public key id."""

    key_id: str
    sealed: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "sealed": _b64(self.sealed)}

    @classmethod
    def from_dict(cls, data: Any) -> WrappedMaster:
        if not isinstance(data, dict) or not isinstance(data.get("key_id"), str):
            raise KeyfileCorrupt()
        return cls(key_id=data["key_id"], sealed=_unb64(data.get("sealed")))


def _master_aad(install_id: str, key_id: str, generation: int) -> bytes:
    return aad("kiosk/master/v1", install_id, key_id, str(generation))


def wrap_master(master: MasterKey, kek: bytes, install_id: str, generation: int) -> WrappedMaster:
    """Seal ``master`` under ``kek``; the AAD binds the install id, the key id and the
    keyfile's passphrase generation (so none of them can be edited in the keyfile)."""
    associated = _master_aad(install_id, master.key_id, generation)
    return WrappedMaster(master.key_id, seal(kek, master.raw, associated))


def unwrap_master(
    wrapped: WrappedMaster, kek: bytes, install_id: str, generation: int
) -> MasterKey | None:
    """The master key, or None when the KEK (i.e. the passphrase) or a bound field is wrong."""
    raw = open_sealed(kek, wrapped.sealed, _master_aad(install_id, wrapped.key_id, generation))
    if raw is None:
        return None
    master = MasterKey(raw, install_id)
    return master if master.key_id == wrapped.key_id else None


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    """The audit chain's head as last committed, kept in the keyfile (see kiosk.store.audit).

    Attributes:
        seq: the head entry's sequence number.
        entry_hash: its hash, hex.
        mac: HMAC-SHA256 under the audit key over install id, seq and hash.
    """

    seq: int
    entry_hash: str
    mac: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.entry_hash, "mac": _b64(self.mac)}

    @classmethod
    def from_dict(cls, data: Any) -> AuditAnchor:
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("seq"), int)
            or isinstance(data.get("seq"), bool)
            or data["seq"] < 1
            or not isinstance(data.get("hash"), str)
        ):
            raise KeyfileCorrupt()
        return cls(data["seq"], data["hash"], _unb64(data.get("mac")))


@dataclass(frozen=True, slots=True)
class Keyfile:
    """The store's anchor on disk: no secret in the clear, written atomically.

    Attributes:
        install_id: random id of this installation (HKDF salt, AAD, audit genesis).
        kdf: Argon2id parameters and salt of the current passphrase.
        kek_generation: bumped by every passphrase change.
        master: the current master key, wrapped by the KEK.
        pending: the next master key during an unfinished rotation, else None.
        device_public_key: the Ed25519 key that signs audit bundles (public).
        audit_anchor: the audit head after the last commit; None in a keyfile
            written before anchoring existed.
    """

    install_id: str
    kdf: KdfParams
    kek_generation: int
    master: WrappedMaster
    pending: WrappedMaster | None
    device_public_key: bytes
    created_at: str
    updated_at: str
    audit_anchor: AuditAnchor | None = None

    def to_bytes(self) -> bytes:
        body = {
            "format": KEYFILE_FORMAT,
            "version": KEYFILE_VERSION,
            "install_id": self.install_id,
            "kdf": self.kdf.to_dict(),
            "kek_generation": self.kek_generation,
            "master": self.master.to_dict(),
            "pending": None if self.pending is None else self.pending.to_dict(),
            "device_public_key": _b64(self.device_public_key),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "audit_anchor": None if self.audit_anchor is None else self.audit_anchor.to_dict(),
        }
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyfile:
        """Parse a keyfile.

        Raises:
            KeyfileCorrupt: not JSON, wrong format or version, bad fields.
        """
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise KeyfileCorrupt() from None
        if not isinstance(body, dict) or body.get("format") != KEYFILE_FORMAT:
            raise KeyfileCorrupt()
        if body.get("version") != KEYFILE_VERSION:
            raise KeyfileCorrupt(
                f"Keyfile version {body.get('version')!r} is not supported by this kiosk."
            )
        install_id = body.get("install_id")
        generation = body.get("kek_generation")
        if not isinstance(install_id, str) or not install_id.isalnum():
            raise KeyfileCorrupt()
        if not isinstance(generation, int) or generation < 1:
            raise KeyfileCorrupt()
        pending = body.get("pending")
        anchor = body.get("audit_anchor")
        return cls(
            install_id=install_id,
            kdf=KdfParams.from_dict(body.get("kdf")),
            kek_generation=generation,
            master=WrappedMaster.from_dict(body.get("master")),
            pending=None if pending is None else WrappedMaster.from_dict(pending),
            device_public_key=_unb64(body.get("device_public_key")),
            created_at=str(body.get("created_at", "")),
            updated_at=str(body.get("updated_at", "")),
            audit_anchor=None if anchor is None else AuditAnchor.from_dict(anchor),
        )


def read_keyfile(path: Path) -> Keyfile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise KeyfileCorrupt(f"The keyfile cannot be read ({exc.strerror}).") from None
    return Keyfile.from_bytes(data)


def write_keyfile(path: Path, keyfile: Keyfile) -> None:
    atomic_write(path, keyfile.to_bytes())


# --- credentials ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Passphrase:
    """An operator passphrase offered to unlock the store."""

    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RememberedKey:
    """A master key found in the OS keyring (``--remember``); skips Argon2id."""

    key_id: str
    raw: bytes = field(repr=False)


Credential = Passphrase | RememberedKey


# --- unlock back-off ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long to refuse unlock attempts after consecutive failures.

    After the n-th consecutive failure the next attempt waits
    ``0`` if ``n < free_failures`` else ``min(base_delay_s * 2**(n - free_failures),
    max_delay_s)`` seconds: with the defaults, failures 1-2 are free, then
    2 s, 4 s, 8 s ... up to 15 minutes.
    """

    free_failures: int = 3
    base_delay_s: float = 2.0
    max_delay_s: float = 900.0

    def delay_after(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        return float(
            min(self.base_delay_s * 2 ** (failures - self.free_failures), self.max_delay_s)
        )


@dataclass(frozen=True, slots=True)
class UnlockState:
    """Persisted, non-secret counter of consecutive failed unlocks.

    Attributes:
        failures: consecutive wrong passphrases since the last success.
        next_allowed_at: UNIX time before which attempts are refused.
    """

    failures: int = 0
    next_allowed_at: float = 0.0

    def wait_s(self, now: float, policy: BackoffPolicy) -> float:
        # A clock set backwards must not lock the operator out for longer than the cap.
        return max(0.0, min(self.next_allowed_at - now, policy.max_delay_s))


def read_unlock_state(path: Path) -> UnlockState:
    """The persisted state; a missing or unreadable file counts as no failures
    (the counter is a speed bump, not a secret)."""
    try:
        body = json.loads(path.read_bytes().decode("utf-8"))
        return UnlockState(int(body["failures"]), float(body["next_allowed_at"]))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return UnlockState()


def write_unlock_state(path: Path, state: UnlockState) -> None:
    body = {"failures": state.failures, "next_allowed_at": state.next_allowed_at}
    atomic_write(path, (json.dumps(body) + "\n").encode("utf-8"))


def wall_clock() -> float:
    return time.time()
