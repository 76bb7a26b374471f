"""The reference receiver over real loopback HTTP: what it accepts, what it rejects and how.

Requests here are made with plain http.client (not the sender), so tampered and
malformed ones can be sent; each rejection is checked for its status, its JSON
error code and the absence of a stack trace, and the database is read with
plain sqlite3 to count rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
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


def test_a_signed_body_outside_the_schema_is_refused_without_an_echo(
    receiver: RunningReceiver, body: bytes
) -> None:
    raw = json.loads(body)
    raw["portrait_jpeg"] = "/9j/4AAQSkZJRgABAQ"
    bad = json.dumps(raw).encode()
    status, _, answer = post(receiver.url, bad, signed(bad))
    assert_error((status, {"content-type": "application/json"}, answer), 422, "schema_invalid")
    assert "outside the schema" in answer["error"]["message"]
    assert "portrait_jpeg" not in answer["error"]["message"]
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
        assert response.status == 400
        assert json.loads(response.read())["error"]["code"] == "bad_framing"
        assert response.getheader("Connection") == "close"
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


# ---- review findings: slow clients, framing, backlog, file modes, echo, device keys ----


def _exchange(port: int, data: bytes, *, timeout_s: float = 3.0) -> bytes:
    """Send raw bytes and read until the server closes (or the time-out)."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(data)
        try:
            while chunk := sock.recv(4096):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return out


def test_a_trickling_client_is_cut_off_at_the_request_deadline(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    # each byte comes well inside the per-read time-out; only a total deadline ends it
    options = ServerOptions(max_connections=2, read_timeout_s=1.0, request_deadline_s=1.5)
    with RunningReceiver(tmp_path / "r.db", secret_file, server_options=options) as running:
        slow = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(2)]
        head = b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for sock in slow:
            sock.sendall(head)
        started = time.monotonic()
        cut_off: dict[int, float] = {}
        while len(cut_off) < len(slow) and time.monotonic() - started < 6:
            for i, sock in enumerate(slow):
                if i in cut_off:
                    continue
                try:
                    sock.sendall(b"X-Pad: 1\r\n")  # a header line every 0.25 s
                except OSError:
                    cut_off[i] = time.monotonic() - started
            time.sleep(0.25)
        for sock in slow:
            sock.close()
        assert len(cut_off) == 2, "a trickling client kept its connection past the deadline"
        assert max(cut_off.values()) < 4.0
        time.sleep(0.2)
        assert post(running.url, body, signed(body))[0] == 200  # the slots are free again


def test_a_trickled_body_is_cut_off_at_the_deadline_with_a_400(
    tmp_path: Path, secret_file: Path
) -> None:
    options = ServerOptions(read_timeout_s=1.0, request_deadline_s=1.0)
    with (
        RunningReceiver(tmp_path / "r.db", secret_file, server_options=options) as running,
        socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock,
    ):
        sock.sendall(
            b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.3)
        with contextlib.suppress(ConnectionError):
            while time.monotonic() - started < 5 and not answer:
                sock.sendall(b" ")  # a body byte every 0.3 s
                with contextlib.suppress(TimeoutError):
                    answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:40]
        assert time.monotonic() - started < 3


def test_connections_per_client_address_are_capped(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    options = ServerOptions(max_connections=8, max_connections_per_client=2, read_timeout_s=3)
    with RunningReceiver(tmp_path / "r.db", secret_file, server_options=options) as running:
        port = running.port
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
        time.sleep(0.2)
        assert _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == b""
        # another address (any 127/8 address is loopback on Linux) is still served
        with socket.create_connection(
            ("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0)
        ) as other:
            other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert other.recv(4096).startswith(b"HTTP/1.1 200")
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert post(running.url, body, signed(body))[0] == 200


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 2\r\nContent-Length: 40\r\n",
        b"Content-Length: 2\r\nContent-Length: 2\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: identity\r\nContent-Length: 2\r\n",
    ],
)
def test_ambiguous_framing_is_refused_and_the_connection_closed(
    receiver: RunningReceiver, framing: bytes
) -> None:
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    data = _exchange(
        receiver.port,
        b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + framing
        + b"\r\n{}"
        + smuggled,
    )
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data[:80]
    assert b"Connection: close" in head
    assert b'"bad_framing"' in rest
    assert data.count(b"HTTP/1.1 ") == 1  # the request behind it was never answered


@pytest.mark.parametrize("length", [b"+2", b"2a", b"\xd9\xa2", b"\xc2\xb2", b"0x2", b"-2"])
def test_a_malformed_content_length_is_a_400(receiver: RunningReceiver, length: bytes) -> None:
    data = _exchange(
        receiver.port,
        b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + length + b"\r\n\r\n{}",
    )
    assert data.startswith(b"HTTP/1.1 400"), data[:80]
    assert b'"bad_length"' in data


def test_the_listen_backlog_takes_a_burst_of_connections(tmp_path: Path, secret_file: Path) -> None:
    from kiosk.sync.receiver import build_receiver
    from kiosk.sync.server import ReceiverServer

    # not serving: every connection waits in the kernel's accept queue
    server = ReceiverServer(build_receiver(secret_file=secret_file, db=tmp_path / "r.db"))
    try:
        socks: list[socket.socket] = []
        try:
            for _ in range(40):
                sock = socket.socket()
                sock.settimeout(0.5)
                try:
                    sock.connect(("127.0.0.1", server.port))
                except OSError:
                    sock.close()
                    continue
                socks.append(sock)
            assert len(socks) == 40
        finally:
            for sock in socks:
                sock.close()
    finally:
        server.close()


def test_the_receiver_database_is_private(tmp_path: Path, secret_file: Path, body: bytes) -> None:
    import stat

    old = os.umask(0o022)  # a usual umask: without care the files would be 0644
    try:
        db = tmp_path / "var" / "kyc" / "decisions.db"
        with RunningReceiver(db, secret_file) as running:
            assert post(running.url, body, signed(body))[0] == 200
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in db.parent.iterdir()
                if p.name.startswith("decisions.db")
            }
            assert set(modes) >= {"decisions.db", "decisions.db-wal", "decisions.db-shm"}
            assert set(modes.values()) == {0o600}, {k: oct(v) for k, v in modes.items()}
            assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_schema_errors_do_not_echo_the_request(receiver: RunningReceiver, body: bytes) -> None:
    raw = body.decode()
    cases = {
        "duplicate key": raw[:-1] + ',"site_id":"zq_dup_marker"}',
        "unknown key": raw[:-1] + ',"zq_unknown_marker":1}',
        "unknown extra": raw.replace('"extra":{}', '"extra":{"zq_extra_marker":1}'),
    }
    for what, text in cases.items():
        bad = text.encode()
        status, _, answer = post(receiver.url, bad, signed(bad))
        assert (status, answer["error"]["code"]) == (422, "schema_invalid"), what
        assert "zq_" not in json.dumps(answer), what
    assert receiver_rows(receiver.db) == []


def test_a_huge_number_is_a_schema_error_not_a_crash(
    receiver: RunningReceiver, body: bytes
) -> None:
    raw = json.loads(body)
    raw["timings_ms"]["document_read"] = 10**400
    bad = json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()
    assert_error(post(receiver.url, bad, signed(bad)), 422, "schema_invalid")


def test_a_case_id_is_scoped_to_its_device(tmp_path: Path, rng: random.Random) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{DEVICE_ID} {DEVICE_SECRET}\nkiosk-08 {OTHER_SECRET}\n")
    keys.chmod(0o600)
    result = case_result(IDENTITIES[0], rng)
    ours = payload_for_case(result, policy(), make_settings("http://127.0.0.1:1")).to_json_bytes()
    # another device that learnt the case id sends its own decision under it first
    theirs = payload_for_case(
        result, policy(), make_settings("http://127.0.0.1:1", device_id="kiosk-08")
    ).to_json_bytes()
    theirs = theirs.replace(b'"approved"', b'"rejected"')
    with RunningReceiver(tmp_path / "r.db", keys) as running:
        other = OTHER_SECRET.encode()
        assert post(running.url, theirs, signed(theirs, secret=other, device="kiosk-08"))[0] == 200
        now = int(time.time())
        first = post(running.url, ours, signed(ours, t=now))
        assert first[0] == 200, first[2]
        assert first[2]["receipt"] == receipt(
            SECRET, result.case_id, hashlib.sha256(ours).hexdigest()
        )
        again = post(running.url, ours, signed(ours, t=now + 1))  # exactly once per device
        assert again[0] == 200 and again[1]["idempotent-replayed"] == "true"
        changed = ours.replace(b'"approved"', b'"manual_review"')
        assert_error(post(running.url, changed, signed(changed)), 409, "idempotency_conflict")
        rows = sorted((body, n) for _, body, n in receiver_rows(running.db))
        assert rows == sorted([(ours, 2), (theirs, 1)])


_SCHEMA_V1 = """CREATE TABLE decisions (
    idempotency_key TEXT PRIMARY KEY, site_id TEXT NOT NULL, device_id TEXT NOT NULL,
    decision TEXT NOT NULL, created_at TEXT NOT NULL, received_at TEXT NOT NULL,
    body_sha256 TEXT NOT NULL, body BLOB NOT NULL, deliveries INTEGER NOT NULL DEFAULT 1);
CREATE TABLE seen_signatures (signature TEXT PRIMARY KEY, signed_at_s INTEGER NOT NULL);
PRAGMA user_version = 1;"""


def test_a_version_1_database_is_migrated_and_keeps_its_rows(
    tmp_path: Path, secret_file: Path, body: bytes
) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    conn = sqlite3.connect(str(db))
    conn.executescript(_SCHEMA_V1)
    older = [("k" * 32, b"{}", 3), (case_id_of(body), body, 1)]
    for key, stored, deliveries in older:
        conn.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                "branch-042",
                DEVICE_ID,
                "approved",
                "t",
                "t",
                hashlib.sha256(stored).hexdigest(),
                stored,
                deliveries,
            ),
        )
    conn.commit()
    conn.close()
    with RunningReceiver(db, secret_file) as running:
        again = post(running.url, body, signed(body))  # stored before the migration
        assert again[0] == 200 and again[1]["idempotent-replayed"] == "true"
        assert receiver_rows(db) == [("k" * 32, b"{}", 3), (case_id_of(body), body, 2)]
    check = sqlite3.connect(str(db))
    try:
        assert check.execute("PRAGMA user_version").fetchone()[0] == 2
        key = [
            c[1]
            for c in sorted(check.execute("PRAGMA table_info(decisions)"), key=lambda c: c[5])
            if c[5]
        ]
        assert key == ["device_id", "idempotency_key"]
    finally:
        check.close()
