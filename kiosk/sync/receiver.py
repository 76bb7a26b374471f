"""The reference receiver's logic: verify, validate, deduplicate, store, answer.

HTTP-free (see :mod:`kiosk.sync.server` for the server). Every answer is JSON;
errors are ``{"error": {"code": ..., "message": ...}}`` with a stable code and
never a stack trace or an echo of the body.

==========  ===================================================================
status      code
==========  ===================================================================
200         first delivery (``status: accepted``); a duplicate gets the same
            body plus ``Idempotent-Replayed: true``
400         ``missing_device``, ``missing_idempotency_key``,
            ``idempotency_key_mismatch``, ``device_mismatch``, ``bad_length``,
            ``bad_framing`` (``Transfer-Encoding``, or ``Content-Length`` twice),
            ``bad_request``
401         ``missing_signature``, ``malformed_signature``, ``bad_signature``,
            ``stale_timestamp``, ``unknown_device``, ``missing_ed25519``,
            ``bad_ed25519``
409         ``replayed`` (this exact signed request was seen; with the receipt),
            ``idempotency_conflict`` (another body for this device's case id)
411/413/415 ``length_required``, ``too_large``, ``unsupported_media_type``
422         ``schema_invalid`` (the message names a schema field, never a key
            or value the request made up: unknown keys are counted)
503         ``storage_unavailable`` (retry)
==========  ===================================================================

Order of checks: signature (HMAC, then the timestamp window, then Ed25519)
before the body is parsed, so unauthenticated input never reaches the JSON
reader; then the schema; then the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import ConfigError
from kiosk.sync.errors import PayloadInvalid, ReceiverStorageError, SignatureInvalid
from kiosk.sync.payload import ID_RE, canonical_json, parse_payload
from kiosk.sync.signing import (
    DEFAULT_WINDOW_S,
    parse_ed25519_public_key,
    parse_secret,
    read_private_file,
    receipt,
    verify_ed25519,
    verify_signature,
)
from kiosk.sync.storage import (
    DecisionStore,
    Delivery,
    Disposition,
    ReceiverCounts,
    iso_utc,
    open_backend,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger("kiosk.sync.receiver")

ANY_DEVICE = "*"
DEFAULT_MAX_BODY = 64 * 1024
_SIGNATURE_CODES = {
    "missing": "missing_signature",
    "malformed": "malformed_signature",
    "mismatch": "bad_signature",
    "stale": "stale_timestamp",
    "unknown_device": "unknown_device",
    "ed25519_missing": "missing_ed25519",
    "ed25519_mismatch": "bad_ed25519",
}


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """The keys the receiver accepts, by device id (``*``: any device).

    Attributes:
        secrets: ``(device id, HMAC secret)`` pairs; several per device during rotation.
        ed25519: ``(device id, public key)`` pairs; when any is configured, every
            request must carry a valid Ed25519 signature.
    """

    secrets: tuple[tuple[str, bytes], ...] = field(repr=False)
    ed25519: tuple[tuple[str, Ed25519PublicKey], ...] = field(default=(), repr=False)

    def secrets_for(self, device_id: str) -> tuple[bytes, ...]:
        return tuple(s for d, s in self.secrets if d in (device_id, ANY_DEVICE))

    def ed25519_for(self, device_id: str) -> tuple[Ed25519PublicKey, ...]:
        return tuple(k for d, k in self.ed25519 if d in (device_id, ANY_DEVICE))


@dataclass(frozen=True, slots=True)
class ReceiverOptions:
    """Limits of the receiver.

    Attributes:
        window_s: largest accepted difference between the signature time and now.
        max_body_bytes: larger bodies are refused unread (413).
    """

    window_s: int = DEFAULT_WINDOW_S
    max_body_bytes: int = DEFAULT_MAX_BODY


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """The parts of ``POST /v1/decisions`` the receiver looks at."""

    body: bytes = field(repr=False)
    content_type: str | None
    signature: str | None
    ed25519: str | None
    device_id: str | None
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: status, JSON body, extra headers, and facts for the access log.

    Attributes:
        status: HTTP status.
        body: JSON bytes.
        headers: extra response headers.
        code: ``accepted``, ``duplicate`` or the error code.
        case_id, device_id: for the log line, when known and authenticated.
    """

    status: int
    body: bytes = field(repr=False)
    code: str
    headers: tuple[tuple[str, str], ...] = ()
    case_id: str | None = None
    device_id: str | None = None


def error_reply(
    status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """A JSON error answer."""
    body = canonical_json({"error": {"code": code, "message": message}})
    return Reply(status, body, code, headers)


class Receiver:
    """Verifies, deduplicates and stores decisions.

    Args:
        keys: accepted device secrets and public keys.
        store: the decision store (owns the database).
        options: window and size limits.
        clock: UNIX time for the replay window.
    """

    def __init__(
        self,
        keys: DeviceKeys,
        store: DecisionStore,
        *,
        options: ReceiverOptions | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.store = store
        self.options = options or ReceiverOptions()
        self._clock = clock

    def close(self) -> None:
        """Close the decision store."""
        self.store.close()

    def counts(self) -> ReceiverCounts:
        return self.store.counts()

    def handle(self, request: DecisionRequest) -> Reply:
        """Answer one ``POST /v1/decisions``."""
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media != "application/json":
            return error_reply(415, "unsupported_media_type", "The body must be application/json.")
        if len(request.body) > self.options.max_body_bytes:
            return error_reply(413, "too_large", "The body is too large.")
        device = request.device_id
        if not device:
            return error_reply(400, "missing_device", "The X-Kiosk-Device header is missing.")
        secrets = self.keys.secrets_for(device) if ID_RE.fullmatch(device) else ()
        if not secrets:
            return error_reply(401, "unknown_device", "The device is not known here.")
        try:
            verified = verify_signature(
                request.body,
                request.signature,
                secrets,
                now=self._clock(),
                window_s=self.options.window_s,
            )
            if self.keys.ed25519:
                verify_ed25519(
                    request.body, verified.timestamp, request.ed25519, self.keys.ed25519_for(device)
                )
        except SignatureInvalid as exc:
            return error_reply(401, _SIGNATURE_CODES.get(exc.reason, "bad_signature"), exc.message)
        key = request.idempotency_key
        if not key:
            return error_reply(
                400, "missing_idempotency_key", "The Idempotency-Key header is missing."
            )
        try:
            payload = parse_payload(request.body)
        except PayloadInvalid as exc:
            return error_reply(422, "schema_invalid", exc.message)
        if payload.case_id != key:
            return error_reply(
                400, "idempotency_key_mismatch", "Idempotency-Key differs from the case id."
            )
        if payload.device_id != device:
            return error_reply(
                400, "device_mismatch", "X-Kiosk-Device differs from the payload's device id."
            )
        body_sha256 = hashlib.sha256(request.body).hexdigest()
        try:
            outcome = self.store.submit(
                Delivery(
                    idempotency_key=key,
                    site_id=payload.site_id,
                    device_id=payload.device_id,
                    decision=payload.decision.value,
                    created_at=iso_utc(payload.created_at),
                    body=request.body,
                    body_sha256=body_sha256,
                    signature=verified.digest,
                    signed_at_s=verified.timestamp,
                    received_at=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
                )
            )
        except ReceiverStorageError:
            return error_reply(
                503,
                "storage_unavailable",
                "The decision could not be stored; retry later.",
                headers=(("Retry-After", "5"),),
            )
        ack = {
            "case_id": key,
            "receipt": receipt(verified.secret, key, outcome.body_sha256 or body_sha256),
        }
        if outcome.disposition is Disposition.CONFLICT:
            reply = error_reply(
                409,
                "idempotency_conflict",
                "A different payload is stored for this case id.",
            )
        elif outcome.disposition is Disposition.REPLAYED:
            extra = ack if outcome.body_sha256 == body_sha256 else {}
            reply = Reply(
                409,
                canonical_json(
                    {
                        "error": {"code": "replayed", "message": "This request was seen before."},
                        **extra,
                    }
                ),
                "replayed",
            )
        else:
            body = canonical_json(
                {
                    **ack,
                    "body_sha256": outcome.body_sha256,
                    "received_at": outcome.received_at,
                    "status": "accepted",
                }
            )
            duplicate = outcome.disposition is Disposition.DUPLICATE
            reply = Reply(
                200,
                body,
                "duplicate" if duplicate else "accepted",
                (("Idempotent-Replayed", "true"),) if duplicate else (),
            )
        return Reply(reply.status, reply.body, reply.code, reply.headers, key, device)


def build_receiver(
    *,
    secret_file: Path,
    db: Path | None = None,
    dsn: str | None = None,
    ed25519_public_key_file: Path | None = None,
    options: ReceiverOptions | None = None,
    clock: Callable[[], float] = time.time,
) -> Receiver:
    """A receiver with its keys loaded and its database open.

    Raises:
        ConfigError: unreadable or malformed key files, or a database that cannot be opened.
    """
    keys = DeviceKeys(
        secrets=load_device_secrets(secret_file),
        ed25519=load_device_public_keys(ed25519_public_key_file) if ed25519_public_key_file else (),
    )
    opts = options or ReceiverOptions()
    backend = open_backend(db=db, dsn=dsn)
    store = DecisionStore(backend, keep_signatures_s=2 * opts.window_s + 60, clock=clock)
    return Receiver(keys, store, options=opts, clock=clock)


def load_device_secrets(path: Path) -> tuple[tuple[str, bytes], ...]:
    """Secrets from a file of lines ``<secret>`` (any device) or ``<device id> <secret>``.

    Blank lines and ``#`` comments are ignored; a device may be listed more than
    once (key rotation). The file must be private to its owner (mode 0600).

    Raises:
        ConfigError: unreadable, too open, malformed, or without any secret.
    """
    text = _text(read_private_file(path, "receiver secret file"), path)
    out: list[tuple[str, bytes]] = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        if len(tokens) > 2 or (len(tokens) == 2 and not ID_RE.fullmatch(tokens[0])):
            raise ConfigError(f"{path}, line {number}: expected '<secret>' or '<device> <secret>'.")
        device, secret = (ANY_DEVICE, tokens[0]) if len(tokens) == 1 else tokens
        out.append((device, parse_secret(secret, f"secret on line {number} of {path}")))
    if not out:
        raise ConfigError(f"The receiver secret file {path} holds no secret.")
    return tuple(out)


def load_device_public_keys(path: Path) -> tuple[tuple[str, Ed25519PublicKey], ...]:
    """Ed25519 public keys: one PEM key (any device), or lines ``<key>`` / ``<device> <key>``
    with the 32-byte key as hex or base64.

    Raises:
        ConfigError: unreadable or not Ed25519 keys.
    """
    try:
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"The Ed25519 public key file {path} cannot be read.") from None
    if "-----BEGIN" in text:
        key = parse_ed25519_public_key(text)
        if key is None:
            raise ConfigError(f"{path} does not hold an Ed25519 public key.")
        return ((ANY_DEVICE, key),)
    out: list[tuple[str, Ed25519PublicKey]] = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        device, token = (ANY_DEVICE, tokens[0]) if len(tokens) == 1 else (tokens[0], tokens[-1])
        parsed = parse_ed25519_public_key(token) if len(tokens) <= 2 else None
        if parsed is None or not (device == ANY_DEVICE or ID_RE.fullmatch(device)):
            raise ConfigError(f"{path}, line {number}: expected '[<device>] <Ed25519 key>'.")
        out.append((device, parsed))
    if not out:
        raise ConfigError(f"The Ed25519 public key file {path} holds no key.")
    return tuple(out)


def _text(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not ASCII text.") from None
