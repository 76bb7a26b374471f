"""Request signatures, receipts and the key files they use.

``X-Kiosk-Signature: t=<unix seconds>, v1=<hex>``: HMAC-SHA256 under the
device's secret over ``f"{t}.".encode() + body``. The receiver accepts a
request when some ``v1`` matches some secret of the device (rotation: list the
new and the old secret) and ``t`` is within its replay window. Optionally
``X-Kiosk-Ed25519: <base64>``: an Ed25519 signature over the same bytes with
the device's private key, so a receiver that holds only public keys can verify
too. ``Idempotency-Key`` is the case id; ``X-Kiosk-Device`` names the device
whose keys apply.

A receipt is the receiver's HMAC (same secret) over the case id and the sha256
of the stored body; the sender marks a message delivered only when the
receipt checks out, so neither a stray proxy answering 200 nor a
man-in-the-middle can make the kiosk drop a decision it never delivered.

Comparisons are constant-time (:func:`hmac.compare_digest`). Secrets never
appear in messages, reprs or logs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import ConfigError
from kiosk.sync.errors import SignatureInvalid

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SIGNATURE_HEADER = "X-Kiosk-Signature"
ED25519_HEADER = "X-Kiosk-Ed25519"
DEVICE_HEADER = "X-Kiosk-Device"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_WINDOW_S = 300
MIN_SECRET_CHARS = 32
MIN_KEY_BITS = 128  # estimated; openssl rand -hex 32 gives about 240 by this estimate
MAX_SECRET_CHARS = 1024
MAX_HEADER_CHARS = 1024
_SECRET_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces
_V1_RE = re.compile(r"^[0-9a-f]{64}$")
_RECEIPT_DOMAIN = b"kiosk.receipt.v1"


@dataclass(frozen=True, slots=True)
class Secret:
    """Secret key bytes; the value never appears in ``repr``.

    Attributes:
        value: the key (the file's text, stripped, as ASCII bytes).
        source: where it came from (a file path), for messages.
    """

    value: bytes = field(repr=False)
    source: str = ""


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A parsed ``X-Kiosk-Signature`` header: timestamp and candidate ``v1`` digests."""

    timestamp: int
    v1: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature that verified.

    Attributes:
        timestamp: the signed UNIX time.
        digest: the ``v1`` hex that matched (the replay-cache key).
        secret: the secret that matched (used for the receipt).
    """

    timestamp: int
    digest: str
    secret: bytes = field(repr=False)


def signed_message(timestamp: int, body: bytes) -> bytes:
    """The bytes both signatures cover: ``f"{timestamp}.".encode() + body``."""
    return f"{int(timestamp)}.".encode("ascii") + body


def hmac_digest(secret: bytes, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of :func:`signed_message` under ``secret``."""
    return hmac.new(secret, signed_message(timestamp, body), hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Kiosk-Signature`` value: ``t=<unix>, v1=<hex>``."""
    return f"t={int(timestamp)}, v1={hmac_digest(secret, timestamp, body)}"


def ed25519_header(key: Ed25519PrivateKey, timestamp: int, body: bytes) -> str:
    """The ``X-Kiosk-Ed25519`` value: standard base64 of the 64-byte signature."""
    return base64.b64encode(key.sign(signed_message(timestamp, body))).decode("ascii")


def parse_signature_header(value: str | None) -> ParsedSignature:
    """Parse ``t=<unix>, v1=<hex>[, v1=<hex>...]``; unknown schemes are ignored.

    Raises:
        SignatureInvalid: ``missing`` or ``malformed``.
    """
    if not value:
        raise SignatureInvalid("missing", f"The request has no {SIGNATURE_HEADER} header.")
    if len(value) > MAX_HEADER_CHARS:
        raise SignatureInvalid("malformed", f"The {SIGNATURE_HEADER} header is too long.")
    timestamp: int | None = None
    digests: list[str] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            raise SignatureInvalid("malformed", f"The {SIGNATURE_HEADER} header is malformed.")
        if key == "t":
            if timestamp is not None or not item.isdigit() or len(item) > 12:
                raise SignatureInvalid("malformed", "The signature timestamp is malformed.")
            timestamp = int(item)
        elif key == "v1":
            if not _V1_RE.fullmatch(item):
                raise SignatureInvalid("malformed", "A v1 signature is not 64 hex digits.")
            digests.append(item)
    if timestamp is None or not digests:
        raise SignatureInvalid("malformed", "The signature needs t= and at least one v1=.")
    return ParsedSignature(timestamp, tuple(digests))


def verify_signature(
    body: bytes,
    header: str | None,
    secrets: Sequence[bytes],
    *,
    now: float,
    window_s: float = DEFAULT_WINDOW_S,
) -> VerifiedSignature:
    """Check the HMAC first, then the timestamp window.

    Args:
        body: the exact request body.
        header: the ``X-Kiosk-Signature`` value.
        secrets: the device's accepted secrets.
        now: the receiver's UNIX time.
        window_s: largest accepted ``|now - t|``.

    Raises:
        SignatureInvalid: ``missing``, ``malformed``, ``mismatch`` or ``stale``.
    """
    parsed = parse_signature_header(header)
    matched: VerifiedSignature | None = None
    for secret in secrets:
        expected = hmac_digest(secret, parsed.timestamp, body)
        for digest in parsed.v1:
            # every pair is compared, so timing does not tell which secret matched
            if hmac.compare_digest(expected, digest) and matched is None:
                matched = VerifiedSignature(parsed.timestamp, digest, secret)
    if matched is None:
        raise SignatureInvalid("mismatch", "The request signature does not match.")
    if abs(now - parsed.timestamp) > window_s:
        raise SignatureInvalid("stale", "The request timestamp is outside the replay window.")
    return matched


def verify_ed25519(
    body: bytes, timestamp: int, header: str | None, public_keys: Sequence[Ed25519PublicKey]
) -> None:
    """Check ``X-Kiosk-Ed25519`` against any of the device's public keys.

    Raises:
        SignatureInvalid: ``ed25519_missing`` or ``ed25519_mismatch``.
    """
    from cryptography.exceptions import InvalidSignature

    if not header:
        raise SignatureInvalid("ed25519_missing", f"The request has no {ED25519_HEADER} header.")
    try:
        signature = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("ed25519_mismatch", "The Ed25519 signature is not base64.") from None
    message = signed_message(timestamp, body)
    for key in public_keys:
        try:
            key.verify(signature, message)
            return
        except InvalidSignature:
            continue
    raise SignatureInvalid("ed25519_mismatch", "The Ed25519 signature does not verify.")


def receipt(secret: bytes, case_id: str, body_sha256: str) -> str:
    """The receiver's acknowledgement: hex HMAC over the case id and the body's sha256."""
    message = b"\x00".join((_RECEIPT_DOMAIN, case_id.encode(), body_sha256.encode()))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def receipt_matches(secret: bytes, case_id: str, body: bytes, claimed: object) -> bool:
    """Whether ``claimed`` is the receipt for exactly ``body`` (constant-time)."""
    if not isinstance(claimed, str):
        return False
    expected = receipt(secret, case_id, hashlib.sha256(body).hexdigest())
    return hmac.compare_digest(expected, claimed)


# ---- key files ----------------------------------------------------------------------


def read_private_file(path: Path, what: str) -> bytes:
    """The bytes of a secret file that only its owner may read.

    Raises:
        ConfigError: missing, not a regular file, readable or writable by group or
            others, or unreadable.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"The {what} {path} cannot be read ({exc.strerror}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"The {what} {path} is not a regular file.")
    if os.name == "posix" and info.st_mode & 0o077:
        raise ConfigError(
            f"The {what} {path} is accessible by other users.", hint=f"run: chmod 600 {path}"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"The {what} {path} cannot be read ({exc.strerror}).") from None


def parse_secret(text: str, what: str) -> bytes:
    """A secret token: 32-1024 printable ASCII characters without spaces.

    Raises:
        ConfigError: shorter, longer or with other characters (the value is not shown).
    """
    if not (MIN_SECRET_CHARS <= len(text) <= MAX_SECRET_CHARS) or not _SECRET_RE.fullmatch(text):
        raise ConfigError(
            f"The {what} must be {MIN_SECRET_CHARS}-{MAX_SECRET_CHARS} printable ASCII "
            "characters without spaces.",
            hint="generate one with: openssl rand -hex 32",
        )
    return text.encode("ascii")


def estimated_bits(value: bytes) -> float:
    """A rough entropy estimate: the Shannon entropy of the byte frequencies, times length.

    It only tells random-looking material from the obviously weak (repeated
    characters, a short pattern); it cannot prove a key random.
    """
    if not value:
        return 0.0
    n = len(value)
    return -sum(count * math.log2(count / n) for count in Counter(value).values())


def check_key_material(value: bytes, what: str) -> None:
    """Refuse key material that does not look random.

    Raises:
        ConfigError: fewer than 32 characters, a repeated pattern, or an estimated
            entropy below :data:`MIN_KEY_BITS` (the value is not shown).
    """
    n = len(value)
    # found again at an offset below n: the value is one block repeated ("abcd" * 8)
    repeated = n > 1 and (value + value).find(value, 1) < n
    if n < MIN_SECRET_CHARS or repeated or estimated_bits(value) < MIN_KEY_BITS:
        raise ConfigError(
            f"The {what} does not look random enough: it needs at least "
            f"{MIN_SECRET_CHARS} characters of random material.",
            hint="generate one with: openssl rand -hex 32",
        )


def load_secret(path: Path, what: str = "sync secret file") -> Secret:
    """The secret in ``path`` (one token; surrounding whitespace ignored).

    Raises:
        ConfigError: see :func:`read_private_file` and :func:`parse_secret`.
    """
    raw = read_private_file(path, what)
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"The {what} {path} is not ASCII text.") from None
    return Secret(parse_secret(text, what), str(path))


def load_ed25519_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key: unencrypted PEM (PKCS#8, as ``openssl genpkey
    -algorithm ed25519`` writes it) or the 32-byte seed as hex or base64.

    Raises:
        ConfigError: unreadable, not private to its owner, or not an Ed25519 key.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    raw = read_private_file(path, "Ed25519 key file")
    if b"-----BEGIN" in raw:
        try:
            key = load_pem_private_key(raw, password=None)
        except (ValueError, TypeError):
            raise ConfigError(
                f"The Ed25519 key file {path} is not an unencrypted PEM key."
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"The key in {path} is not an Ed25519 key.")
        return key
    seed = _raw_key_bytes(raw.decode("ascii", "replace").strip())
    if seed is None:
        raise ConfigError(f"The Ed25519 key file {path} holds neither PEM nor a 32-byte seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_ed25519_public_key(text: str) -> Ed25519PublicKey | None:
    """A public key from PEM or from 32 raw bytes as hex or base64; None if neither."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if "-----BEGIN" in text:
        try:
            key = load_pem_public_key(text.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError):
            return None
        return key if isinstance(key, Ed25519PublicKey) else None
    raw = _raw_key_bytes(text.strip())
    return None if raw is None else Ed25519PublicKey.from_public_bytes(raw)


def _raw_key_bytes(token: str) -> bytes | None:
    if re.fullmatch(r"[0-9a-fA-F]{64}", token):
        return bytes.fromhex(token)
    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == 32 else None
