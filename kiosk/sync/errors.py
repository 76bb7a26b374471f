"""Errors of upstream sync, refining :class:`kiosk.errors.SyncError` (stable codes)."""

from __future__ import annotations

from kiosk.errors import SyncError


class SyncNotConfigured(SyncError):
    """A sync command ran without an upstream URL."""

    code = "sync_not_configured"
    default_message = "Upstream sync is not configured."

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(
            message, kind="config", hint=hint or "set KIOSK_SYNC_URL or [sync] url in kiosk.toml"
        )


class PayloadInvalid(SyncError):
    """A decision payload that breaks the allow-listed schema (sender or receiver side).

    The message names the field, never its value.
    """

    code = "sync_payload_invalid"
    default_message = "The decision payload does not match the sync schema."

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(message, kind="schema", hint=hint)


class FieldNotAllowed(PayloadInvalid):
    """An extra payload field that the site policy does not name, or that is never sent."""

    code = "sync_field_not_allowed"
    default_message = "A payload field is not allowed upstream."


class SignatureInvalid(SyncError):
    """A request signature that does not verify.

    Attributes:
        reason: ``missing``, ``malformed``, ``mismatch``, ``stale``, ``unknown_device``,
            ``ed25519_missing`` or ``ed25519_mismatch``.
    """

    code = "sync_signature_invalid"
    default_message = "The request signature does not verify."

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message, kind="signature")
        self.reason = reason


class ReceiverStorageError(SyncError):
    """The receiver's database failed; the request may be retried."""

    code = "sync_receiver_storage"
    default_message = "The receiver could not store the decision."

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(message, kind="storage", hint=hint)
