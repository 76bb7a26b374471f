"""The reference receiver over real loopback HTTP: what it accepts, what it rejects and how.

Requests here are made with plain http.client (not the sender), so tampered and
malformed ones can be sent; each rejection is checked for its status, its JSON
error code and the absence of a stack trace, and the database is read with
plain sqlite3 to count rows.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.sync.payload import payload_for_case
from kiosk.sync.receiver import ReceiverOptions
from kiosk.sync.server import ServerOptions
from kiosk.sync.signing import ed25519_header, receipt, signature_header
from tests.kiosk.sync.helpers import (
    DEVICE_ID,
    DEVICE_SECRET,
    IDENTITIES,
    OTHER_SECRET,
    RunningReceiver,
    case_result,
    make_settings,
    policy,
    receiver_rows,
)

SECRET = DEVICE_SECRET.encode()


@pytest.fixture
def body(rng: random.Random) -> bytes:
    result = case_result(IDENTITIES[0], rng)
    return payload_for_case(result, policy(), make_settings("http://127.0.0.1:1")).to_json_bytes()


def case_id_of(body: bytes) -> str:
    value: str = json.loads(body)["case_id"]
    return value


def signed(
    body: bytes,
    *,
    secret: bytes = SECRET,
    t: int | None = None,
    device: str = DEVICE_ID,
    key: str | None = None,
    **extra: str,
) -> dict[str, str]:
    stamp = int(time.time()) if t is None else t
    headers = {
        "Content-Type": "application/json",
        "X-Kiosk-Signature": signature_header(secret, stamp, body),
        "X-Kiosk-Device": device,
        "Idempotency-Key": key if key is not None else case_id_of(body),
    }
    headers.update(extra)
    return headers


def post(
    url: str, body: bytes, headers: dict[str, str], *, path: str = "/v1/decisions"
) -> tuple[int, dict[str, str], Any]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data)
    finally:
        conn.close()


def assert_error(reply: tuple[int, dict[str, str], Any], status: int, code: str) -> None:
    got_status, headers, answer = reply
    assert (got_status, answer["error"]["code"]) == (status, code), answer
    assert headers["content-type"] == "application/json"
    assert set(answer["error"]) == {"code", "message"}
    text = json.dumps(answer)
    assert "Traceback" not in text and 'File "' not in text


def test_first_delivery_is_stored_and_acknowledged_with_a_receipt(
    receiver: RunningReceiver, body: bytes
) -> None:
    status, headers, answer = post(receiver.url, body, signed(body))
    assert status == 200
    assert "idempotent-replayed" not in headers
    digest = hashlib.sha256(body).hexdigest()
    assert answer["status"] == "accepted" and answer["case_id"] == case_id_of(body)
    assert answer["body_sha256"] == digest
    assert answer["receipt"] == receipt(SECRET, case_id_of(body), digest)
    assert receiver_rows(receiver.db) == [(case_id_of(body), body, 1)]
    assert headers["server"] == "kiosk-receiver"


def test_a_duplicate_delivery_gets_the_same_answer_and_leaves_one_row(
    receiver: RunningReceiver, body: bytes
) -> None:
    now = int(time.time())
    first = post(receiver.url, body, signed(body, t=now))
    second = post(receiver.url, body, signed(body, t=now + 1))  # a retry: fresh signature
    assert first[0] == second[0] == 200
    assert first[2] == second[2]
    assert second[1]["idempotent-replayed"] == "true"
    assert receiver_rows(receiver.db) == [(case_id_of(body), body, 2)]


def test_a_replayed_request_is_rejected_even_after_a_restart(
    receiver: RunningReceiver, body: bytes
) -> None:
    headers = signed(body)
    assert post(receiver.url, body, headers)[0] == 200
    replay = post(receiver.url, body, headers)
    assert replay[0] == 409 and replay[2]["error"]["code"] == "replayed"
    assert replay[2]["receipt"] == receipt(
        SECRET, case_id_of(body), hashlib.sha256(body).hexdigest()
    )
    receiver.restart()
    assert post(receiver.url, body, headers)[2]["error"]["code"] == "replayed"
    assert receiver_rows(receiver.db) == [(case_id_of(body), body, 1)]


def test_a_tampered_body_is_rejected(receiver: RunningReceiver, body: bytes) -> None:
    headers = signed(body)
    tampered = body.replace(b'"approved"', b'"rejected"')
    assert tampered != body
    assert_error(post(receiver.url, tampered, headers), 401, "bad_signature")
    flipped = bytearray(body)
    flipped[-5] ^= 0x01
    assert_error(post(receiver.url, bytes(flipped), headers), 401, "bad_signature")
    assert receiver_rows(receiver.db) == []


def test_a_wrong_secret_is_rejected(receiver: RunningReceiver, body: bytes) -> None:
    reply = post(receiver.url, body, signed(body, secret=OTHER_SECRET.encode()))
    assert_error(reply, 401, "bad_signature")
    assert receiver_rows(receiver.db) == []


@pytest.mark.parametrize("skew", [-301, 301, -86_400])
def test_stale_and_future_timestamps_are_rejected(
    receiver: RunningReceiver, body: bytes, skew: int
) -> None:
    reply = post(receiver.url, body, signed(body, t=int(time.time()) + skew))
    assert_error(reply, 401, "stale_timestamp")
    assert receiver_rows(receiver.db) == []


def test_timestamps_inside_the_window_are_accepted(receiver: RunningReceiver, body: bytes) -> None:
    assert post(receiver.url, body, signed(body, t=int(time.time()) - 250))[0] == 200


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"X-Kiosk-Signature": ""}, 401, "missing_signature"),
        ({"X-Kiosk-Signature": "t=1, v1=zz"}, 401, "malformed_signature"),
        ({"X-Kiosk-Device": ""}, 400, "missing_device"),
        ({"X-Kiosk-Device": "kiosk-99"}, 400, "device_mismatch"),  # the wildcard secret
        ({"X-Kiosk-Device": "bad device"}, 401, "unknown_device"),
        ({"Idempotency-Key": ""}, 400, "missing_idempotency_key"),
        ({"Idempotency-Key": "someothercaseid123"}, 400, "idempotency_key_mismatch"),
        ({"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ],
)
def test_header_problems(
    receiver: RunningReceiver, body: bytes, change: dict[str, str], status: int, code: str
) -> None:
    headers = {k: v for k, v in {**signed(body), **change}.items() if v}
    assert_error(post(receiver.url, body, headers), status, code)
    assert receiver_rows(receiver.db) == []


def test_a_payload_for_another_device_is_rejected(tmp_path: Path, body: bytes) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{DEVICE_ID} {DEVICE_SECRET}\nkiosk-08 {OTHER_SECRET}\n")
    keys.chmod(0o600)
    with RunningReceiver(tmp_path / "r.db", keys) as running:
        other = signed(body, secret=OTHER_SECRET.encode(), device="kiosk-08")
        assert_error(post(running.url, body, other), 400, "device_mismatch")
        # kiosk-08's secret does not sign for kiosk-07
        wrong = signed(body, secret=OTHER_SECRET.encode())
        assert_error(post(running.url, body, wrong), 401, "bad_signature")
        unknown = signed(body, device="kiosk-99")
        assert_error(post(running.url, body, unknown), 401, "unknown_device")
        assert post(running.url, body, signed(body))[0] == 200


def test_a_signed_body_outside_the_schema_is_refused_with_the_field(
    receiver: RunningReceiver, body: bytes
) -> None:
    raw = json.loads(body)
    raw["portrait_jpeg"] = "/9j/4AAQSkZJRgABAQ"
    bad = json.dumps(raw).encode()
    status, _, answer = post(receiver.url, bad, signed(bad))
    assert_error((status, {"content-type": "application/json"}, answer), 422, "schema_invalid")
    assert "portrait_jpeg" in answer["error"]["message"]
    assert "/9j/" not in answer["error"]["message"]
    not_json = b"{not json"
    headers = signed(body)
    headers["X-Kiosk-Signature"] = signature_header(SECRET, int(time.time()), not_json)
    assert_error(post(receiver.url, not_json, headers), 422, "schema_invalid")
    assert receiver_rows(receiver.db) == []


def test_another_body_for_a_stored_case_is_a_conflict(
    receiver: RunningReceiver, body: bytes
) -> None:
    assert post(receiver.url, body, signed(body))[0] == 200
    other = body.replace(b'"approved"', b'"rejected"')
    assert_error(post(receiver.url, other, signed(other)), 409, "idempotency_conflict")
    assert receiver_rows(receiver.db) == [(case_id_of(body), body, 1)]


def test_size_limits_and_framing(tmp_path: Path, secret_file: Path, body: bytes) -> None:
    options = ReceiverOptions(max_body_bytes=2048)
    with RunningReceiver(tmp_path / "r.db", secret_file, options=options) as running:
        host, port = running.url.removeprefix("http://").split(":")
        big = b"x" * 4096
        assert_error(post(running.url, big, signed(big, key="k" * 32)), 413, "too_large")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.putrequest("POST", "/v1/decisions")
        for name, value in signed(body).items():
            conn.putheader(name, value)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        assert response.status == 411
        assert json.loads(response.read())["error"]["code"] == "length_required"
        conn.close()
        assert receiver_rows(running.db) == []


def test_paths_and_methods(receiver: RunningReceiver, body: bytes) -> None:
    assert_error(post(receiver.url, body, signed(body), path="/v2/other"), 404, "not_found")
    host, port = receiver.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/v1/decisions")
    response = conn.getresponse()
    assert response.status == 405 and response.getheader("Allow") == "POST"
    assert json.loads(response.read())["error"]["code"] == "method_not_allowed"
    conn.close()
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/healthz")
    assert json.loads(conn.getresponse().read()) == {"status": "ok"}
    conn.close()


def test_protocol_garbage_gets_a_json_error(receiver: RunningReceiver) -> None:
    host, port = receiver.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):  # the server closes after answering
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(payload)["error"]["code"] == "bad_request"


def test_a_bug_answers_500_without_details(
    receiver: RunningReceiver, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert receiver.server is not None

    def broken(request: object) -> None:
        raise RuntimeError("internal detail /etc/secret line 42")

    monkeypatch.setattr(receiver.server.receiver, "handle", broken)
    status, _, answer = post(receiver.url, body, signed(body))
    assert_error((status, {"content-type": "application/json"}, answer), 500, "internal_error")
    assert "detail" not in json.dumps(answer)


def test_a_failed_database_answers_503_retry(receiver: RunningReceiver, body: bytes) -> None:
    assert receiver.server is not None
    receiver.server.receiver.store.close()
    reply = post(receiver.url, body, signed(body))
    assert_error(reply, 503, "storage_unavailable")
    assert reply[1]["retry-after"] == "5"


def test_ed25519_is_required_when_a_public_key_is_configured(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "device.pub"
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with RunningReceiver(tmp_path / "r.db", secret_file, ed25519_public_key_file=public) as running:
        now = int(time.time())
        assert_error(post(running.url, body, signed(body, t=now)), 401, "missing_ed25519")
        wrong = ed25519_header(Ed25519PrivateKey.generate(), now, body)
        reply = post(running.url, body, signed(body, t=now, **{"X-Kiosk-Ed25519": wrong}))
        assert_error(reply, 401, "bad_ed25519")
        right = ed25519_header(key, now, body)
        assert post(running.url, body, signed(body, t=now, **{"X-Kiosk-Ed25519": right}))[0] == 200
        assert len(receiver_rows(running.db)) == 1


def test_a_slow_client_is_cut_off_and_others_are_served(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    options = ServerOptions(read_timeout_s=0.5)
    with RunningReceiver(tmp_path / "r.db", secret_file, server_options=options) as running:
        host, port = running.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as slow:
            slow.sendall(b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            assert post(running.url, body, signed(body))[0] == 200
            started = time.monotonic()
            data = slow.recv(4096)
            assert time.monotonic() - started < 3
        assert data == b"" or b" 400 " in data.split(b"\r\n")[0]


def test_connections_beyond_the_cap_are_closed(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    options = ServerOptions(max_connections=2, read_timeout_s=2)
    with RunningReceiver(tmp_path / "r.db", secret_file, server_options=options) as running:
        host, port = running.url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(2)]
        time.sleep(0.2)
        with socket.create_connection((host, int(port)), timeout=5) as extra:
            try:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = extra.recv(4096)
            except ConnectionResetError:
                answer = b""
            assert answer == b""  # closed unanswered
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert post(running.url, body, signed(body))[0] == 200


def test_signatures_are_pruned_after_the_window(tmp_path: Path, secret_file: Path) -> None:
    from kiosk.sync.storage import DecisionStore, Delivery, Disposition, SqliteBackend

    now = [1_000_000.0]
    store = DecisionStore(
        SqliteBackend(tmp_path / "p.db"),
        keep_signatures_s=660,
        prune_every_s=0.05,
        clock=lambda: now[0],
    )
    try:
        import datetime as dt

        def delivery(key: str, sig: str, t: int) -> Delivery:
            return Delivery(
                key, "s", "d", "approved", "x", b"{}", "h", sig, t, dt.datetime.now(dt.UTC)
            )

        assert store.submit(delivery("k1", "sig1", 1_000_000)).disposition is Disposition.STORED
        assert store.submit(delivery("k1", "sig1", 1_000_000)).disposition is Disposition.REPLAYED
        now[0] += 1000
        time.sleep(0.3)
        store.counts()  # a round trip through the writer, after its prune
        import sqlite3

        conn = sqlite3.connect(str(tmp_path / "p.db"))
        assert conn.execute("SELECT count(*) FROM seen_signatures").fetchone()[0] == 0
        conn.close()
    finally:
        store.close()
