"""Errors of the application core, on top of the pipeline's hierarchy.

Everything the kiosk raises on purpose is a :class:`KioskError`; import
them from here in ``kiosk`` and ``ui``.
"""

from __future__ import annotations

from pipeline.errors import *  # noqa: F403  (re-export the whole hierarchy)
from pipeline.errors import KioskError


class UsageError(KioskError):
    """Bad command-line arguments."""

    code = "usage"
    default_message = "Invalid command-line arguments."


class ConfigError(KioskError):
    """A configuration file or environment variable that fails validation."""

    code = "config_invalid"
    default_message = "The configuration is invalid."


class StoreError(KioskError):
    code = "store_error"
    default_message = "The local store failed."


class StoreLocked(StoreError):
    """Wrong passphrase, or too many failures in a row."""

    code = "store_locked"
    default_message = "The local store is locked."


class EvidenceTampered(StoreError):
    code = "evidence_tampered"
    default_message = "Stored evidence failed its integrity check."


class SyncError(KioskError):
    """Upstream delivery failed; ``kind`` says how (network, http_status, signature, ...)."""

    code = "sync_failed"
    default_message = "The decision could not be delivered upstream."

    def __init__(
        self, message: str | None = None, *, kind: str = "network", hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind


class CaptureError(KioskError):
    """A camera, scanner or folder source that cannot deliver."""

    code = "capture_failed"
    default_message = "The capture device is not available."


class InternalError(KioskError):
    """A bug: something raised that was not meant to. Details go to the log only."""

    code = "internal_error"
    default_message = "An internal error occurred; details were written to the log."
