"""HMAC and Ed25519 request signatures, receipts, secret files."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from kiosk.errors import ConfigError
from kiosk.sync.errors import SignatureInvalid
from kiosk.sync.signing import (
    ed25519_header,
    load_ed25519_private_key,
    load_secret,
    parse_ed25519_public_key,
    parse_signature_header,
    receipt,
    receipt_matches,
    signature_header,
    verify_ed25519,
    verify_signature,
)

SECRET = b"s" * 40
BODY = b'{"case_id":"x"}'
T = 1_767_000_000


def test_header_is_hmac_over_timestamp_dot_body() -> None:
    header = signature_header(SECRET, T, BODY)
    expected = hmac.new(SECRET, f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T}, v1={expected}"
    assert verify_signature(BODY, header, [SECRET], now=T).digest == expected


def test_any_listed_secret_and_any_v1_is_accepted_for_rotation() -> None:
    old = signature_header(b"o" * 40, T, BODY).split("v1=")[1]
    new = signature_header(SECRET, T, BODY)
    header = f"{new}, v1={old}, v0=ignored"
    assert verify_signature(BODY, header, [b"x" * 40, b"o" * 40], now=T).secret == b"o" * 40


@pytest.mark.parametrize(
    ("body", "header", "secret", "now", "reason"),
    [
        (BODY + b" ", signature_header(SECRET, T, BODY), SECRET, T, "mismatch"),
        (BODY, signature_header(b"w" * 40, T, BODY), SECRET, T, "mismatch"),
        (
            BODY,
            signature_header(SECRET, T, BODY).replace(f"t={T}", f"t={T + 1}"),
            SECRET,
            T,
            "mismatch",
        ),
        (BODY, signature_header(SECRET, T, BODY), SECRET, T + 301, "stale"),
        (BODY, signature_header(SECRET, T, BODY), SECRET, T - 301, "stale"),
        (BODY, None, SECRET, T, "missing"),
        (BODY, "v1=abc", SECRET, T, "malformed"),
        (BODY, f"t={T}", SECRET, T, "malformed"),
        (BODY, f"t=-5, v1={'a' * 64}", SECRET, T, "malformed"),
        (BODY, f"t={T}, t={T}, v1={'a' * 64}", SECRET, T, "malformed"),
        (BODY, "garbage", SECRET, T, "malformed"),
        (BODY, "t=1, v1=" + "a" * 2000, SECRET, T, "malformed"),
    ],
)
def test_bad_signatures_are_refused_with_a_reason(
    body: bytes, header: str | None, secret: bytes, now: int, reason: str
) -> None:
    with pytest.raises(SignatureInvalid) as err:
        verify_signature(body, header, [secret], now=now, window_s=300)
    assert err.value.reason == reason


def test_a_tampered_stale_request_is_reported_as_a_bad_signature_first() -> None:
    header = signature_header(SECRET, T, BODY)
    with pytest.raises(SignatureInvalid) as err:
        verify_signature(BODY + b"x", header, [SECRET], now=T + 10_000)
    assert err.value.reason == "mismatch"


def test_window_edges() -> None:
    header = signature_header(SECRET, T, BODY)
    verify_signature(BODY, header, [SECRET], now=T + 300, window_s=300)
    verify_signature(BODY, header, [SECRET], now=T - 300, window_s=300)


def test_parse_keeps_every_v1() -> None:
    parsed = parse_signature_header(f"t={T}, v1={'a' * 64}, v1={'b' * 64}")
    assert parsed.timestamp == T and parsed.v1 == ("a" * 64, "b" * 64)


def test_ed25519_signature_over_the_same_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    header = ed25519_header(key, T, BODY)
    key.public_key().verify(base64.b64decode(header), f"{T}.".encode() + BODY)
    verify_ed25519(BODY, T, header, [key.public_key()])
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(SignatureInvalid) as err:
        verify_ed25519(BODY, T, header, [other])
    assert err.value.reason == "ed25519_mismatch"
    with pytest.raises(SignatureInvalid) as err:
        verify_ed25519(BODY + b"x", T, header, [key.public_key()])
    assert err.value.reason == "ed25519_mismatch"
    with pytest.raises(SignatureInvalid) as err:
        verify_ed25519(BODY, T, None, [key.public_key()])
    assert err.value.reason == "ed25519_missing"
    with pytest.raises(SignatureInvalid):
        verify_ed25519(BODY, T, "not base64!", [key.public_key()])


def test_receipts_bind_case_and_exact_body() -> None:
    digest = hashlib.sha256(BODY).hexdigest()
    ack = receipt(SECRET, "case1234", digest)
    assert receipt_matches(SECRET, "case1234", BODY, ack)
    assert not receipt_matches(SECRET, "case1234", BODY + b" ", ack)
    assert not receipt_matches(SECRET, "case9999", BODY, ack)
    assert not receipt_matches(b"w" * 40, "case1234", BODY, ack)
    assert not receipt_matches(SECRET, "case1234", BODY, None)


def _private(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_secret_files_must_be_private_and_long(tmp_path: Path) -> None:
    good = _private(tmp_path / "s", b"  " + SECRET + b"\n")
    secret = load_secret(good)
    assert secret.value == SECRET
    assert "s" * 40 not in repr(secret)
    good.chmod(0o644)
    with pytest.raises(ConfigError, match="accessible by other users") as err:
        load_secret(good)
    assert "chmod 600" in err.value.hint
    with pytest.raises(ConfigError, match="32-1024"):
        load_secret(_private(tmp_path / "short", b"tooshort"))
    with pytest.raises(ConfigError, match="32-1024"):
        load_secret(_private(tmp_path / "spaces", b"a" * 20 + b" " + b"b" * 20))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_secret(tmp_path / "missing")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_secret(tmp_path)


def test_secret_errors_never_show_the_secret(tmp_path: Path) -> None:
    leaked = b"secret-value-that-is-much-too-long-" * 40
    with pytest.raises(ConfigError) as err:
        load_secret(_private(tmp_path / "long", leaked))
    assert "secret-value" not in str(err.value)


def test_ed25519_key_files_pem_and_raw(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    loaded = load_ed25519_private_key(_private(tmp_path / "k.pem", pem))
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    from_hex = load_ed25519_private_key(_private(tmp_path / "k.hex", raw.hex().encode()))
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for candidate in (loaded, from_hex):
        assert candidate.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == public
    with pytest.raises(ConfigError):
        load_ed25519_private_key(_private(tmp_path / "bad", b"nonsense"))
    pub_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    parsed = parse_ed25519_public_key(pub_pem.decode())
    assert parsed is not None
    assert parse_ed25519_public_key(base64.b64encode(public).decode()) is not None
    assert parse_ed25519_public_key("zz") is None
