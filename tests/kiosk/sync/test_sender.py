"""The sender against the real receiver over loopback: order, back-off, halting,
rejections, receipts and resuming after a restart."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import random
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from kiosk.store import Passphrase, Store
from kiosk.sync.receiver import ReceiverOptions
from kiosk.sync.sender import (
    PARKED_AT,
    BackoffPolicy,
    Sender,
    SenderOptions,
    SenderThread,
    classify_response,
    sync_status,
)
from kiosk.sync.signing import receipt
from kiosk.sync.transport import HttpTransport, WireResponse
from tests.kiosk.store.helpers import PASSPHRASE
from tests.kiosk.sync.helpers import (
    DEVICE_SECRET,
    OTHER_SECRET,
    RunningReceiver,
    SimClock,
    make_settings,
    outbox_payloads,
    policy,
    queue_cases,
    receiver_rows,
    write_policy,
)

SECRET = DEVICE_SECRET.encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- back-off ----------------------------------------------------------------------


def test_backoff_is_exponential_with_full_jitter_capped_at_a_day() -> None:
    policy = BackoffPolicy()
    ceilings = [policy.ceiling_s(n) for n in range(20)]
    assert ceilings[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert max(ceilings) == 86_400.0 and ceilings[16:] == [86_400.0] * 4
    first = [BackoffPolicy().delay_s(n, random.Random(7)) for n in range(40)]
    again = [BackoffPolicy().delay_s(n, random.Random(7)) for n in range(40)]
    assert first == again  # deterministic for a seeded jitter source
    rng = random.Random(11)
    for attempts in (0, 3, 10, 30):
        draws = [policy.delay_s(attempts, rng) for _ in range(4000)]
        ceiling = policy.ceiling_s(attempts)
        assert all(policy.floor_s <= d <= ceiling for d in draws)
        if ceiling > 100:  # full jitter: uniform over [0, ceiling]
            mean = sum(draws) / len(draws)
            assert abs(mean - ceiling / 2) < 0.03 * ceiling
            assert min(draws) < 0.02 * ceiling and max(draws) > 0.98 * ceiling


def test_failed_attempts_are_rescheduled_on_the_seeded_schedule(
    store: Store, rng: random.Random
) -> None:
    clock = SimClock()
    settings = make_settings(f"http://127.0.0.1:{free_port()}", concurrency=1)
    queue_cases(store, 3, settings, rng)
    jitter = random.Random(99)
    expected_rng = random.Random(99)
    options = SenderOptions(halt_after=100)
    with Sender(store, settings, options=options, clock=clock, rng=jitter) as sender:
        for round_number in range(6):
            before = {i.outbox_id: i.attempts for i in store.outbox.due(now=PARKED_AT)}
            report = sender.drain(ignore_backoff=True)
            assert report.retried == 3 and report.halted is None
            for item in store.outbox.due(now=PARKED_AT):
                assert item.attempts == round_number + 1
                assert "network" in (item.last_error or "")
            expected = {
                oid: clock() + dt.timedelta(seconds=options.backoff.delay_s(n, expected_rng))
                for oid, n in sorted(before.items())
            }
            for item in store.outbox.due(now=PARKED_AT):
                assert abs((item.next_attempt_at - expected[item.outbox_id]).total_seconds()) < 1e-5
            clock.advance(3600)


# ---- delivery ------------------------------------------------------------------------


def test_drain_delivers_everything_in_creation_order(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 30, settings, rng)
    sent = dict(outbox_payloads(store))
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.attempted, report.delivered, report.retried, report.halted) == (30, 30, 0, None)
    rows = receiver_rows(receiver.db)
    assert [k for k, _, _ in rows] == ids
    assert all(body == sent[k] and n == 1 for k, body, n in rows)
    stats = store.outbox.stats()
    assert (stats.pending, stats.delivered) == (0, 30)
    assert stats.last_success_at is not None
    with Sender(store, settings) as sender:
        assert sender.drain().attempted == 0


def test_concurrent_drain_delivers_each_case_once(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=4)
    ids = queue_cases(store, 150, settings, rng)
    with Sender(store, settings, options=SenderOptions(batch_size=32)) as sender:
        report = sender.drain(limit=100)
        assert report.attempted == 100
        report = sender.drain()
    assert report.attempted == 50
    rows = receiver_rows(receiver.db)
    assert sorted(k for k, _, _ in rows) == sorted(ids)
    assert {n for _, _, n in rows} == {1}


def test_an_unreachable_upstream_stops_the_pass_after_three_failures(
    store: Store, rng: random.Random
) -> None:
    settings = make_settings(f"http://127.0.0.1:{free_port()}", concurrency=1)
    queue_cases(store, 10, settings, rng)
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.attempted, report.retried, report.halted) == (3, 3, "network")
    items = store.outbox.due(now=PARKED_AT)
    assert [i.attempts for i in items] == [1, 1, 1] + [0] * 7
    status = sync_status(store, settings)
    assert status.queue_length == 10 and status.rejected == 0
    assert status.last_error is not None and status.last_error.startswith("network:")


def test_a_quiet_kiosk_notices_the_upstream_is_back_without_waiting_out_back_off(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    """After an outage every message has backed off for hours and nothing is due; no
    new case comes to poke the sender. A probe every interval finds the upstream back."""
    clock = SimClock()
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 6, settings, rng)
    receiver.stop()
    options = SenderOptions(halt_after=100, probe_interval_s=60.0)
    with Sender(store, settings, options=options, clock=clock, rng=rng) as sender:
        for _ in range(8):  # a long outage: each message fails eight times
            assert sender.drain(ignore_backoff=True).retried == 6
        for item in store.outbox.due(now=PARKED_AT):  # and has backed off for hours
            later = clock() + dt.timedelta(hours=6)
            store.outbox.mark_failed(item.outbox_id, item.last_error or "network", later)
        assert not store.outbox.due(now=clock() + dt.timedelta(hours=5))
        assert sender.drain().attempted == 1  # nothing due: one probe, which fails
        clock.advance(30)
        assert sender.drain().attempted == 0  # the next probe waits its interval
        receiver.start()
        clock.advance(31)
        report = sender.drain()  # the probe gets through: the rest follows at once
    assert (report.delivered, report.halted) == (6, None)
    assert sorted(k for k, _, _ in receiver_rows(receiver.db)) == sorted(ids)


class _FailsOnce:
    """The real transport, except that the first request for each named case gets a 500."""

    def __init__(self, url: str, case_ids: set[str]) -> None:
        self._inner = HttpTransport(url, timeout_s=5.0)
        self._left = set(case_ids)

    def post(self, body: bytes, headers: Sequence[tuple[str, str]]) -> WireResponse:
        case_id = json.loads(body)["case_id"]
        if case_id in self._left:
            self._left.discard(case_id)
            return WireResponse(500, b'{"error":{"code":"internal"}}')
        return self._inner.post(body, headers)

    def close(self) -> None:
        self._inner.close()


def test_after_an_outage_a_message_that_fails_on_its_own_retries_in_seconds(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    """Sixteen failures in an outage would put the next retry up to 18 hours away.
    Once the upstream answers, a single 500 (before or after the first delivery of
    the pass) costs seconds, not the back-off the outage piled up (CI: 8.4 hours)."""
    clock = SimClock()
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 5, settings, rng)
    receiver.stop()
    options = SenderOptions(halt_after=100)
    with Sender(store, settings, options=options, clock=clock, rng=rng) as sender:
        for _ in range(16):
            assert sender.drain(ignore_backoff=True).retried == 5
    for item in store.outbox.due(now=PARKED_AT):  # due now, with the outage's attempts
        store.outbox.mark_failed(item.outbox_id, "network", clock())
    receiver.start()
    # the first message fails before anything got through, the fourth after
    transport = _FailsOnce(settings.endpoint, {ids[0], ids[3]})
    with Sender(
        store, settings, options=options, clock=clock, rng=rng, transport=transport
    ) as sender:
        report = sender.drain()
        assert (report.delivered, report.retried, report.halted) == (3, 2, None)
        waiting = store.outbox.due(now=PARKED_AT)
        assert {item.case_id for item in waiting} == {ids[0], ids[3]}
        assert all(item.attempts == 18 for item in waiting)
        assert all(item.next_attempt_at <= clock() + dt.timedelta(seconds=2) for item in waiting)
        clock.advance(2)
        assert sender.drain().delivered == 2
    assert sorted(k for k, _, _ in receiver_rows(receiver.db)) == sorted(ids)


def test_a_wrong_secret_stops_the_pass_and_keeps_the_messages(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    queue_cases(store, 5, settings, rng)
    wrong = dataclasses.replace(
        settings, secret=dataclasses.replace(settings.secret, value=OTHER_SECRET.encode())
    )
    with Sender(store, wrong) as sender:
        report = sender.drain()
    assert (report.attempted, report.halted) == (1, "signature")
    assert sync_status(store, settings).queue_length == 5  # not set aside: fix and retry
    with Sender(store, settings) as sender:
        assert sender.drain(ignore_backoff=True).delivered == 5


def test_a_wrong_clock_is_reported_as_such(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    queue_cases(store, 2, settings, rng)
    with Sender(store, settings, wall=lambda: time.time() - 3600) as sender:
        report = sender.drain()
    assert report.halted == "clock"
    assert (sync_status(store, settings).last_error or "").startswith("clock:")


def test_a_refused_message_is_set_aside_and_the_rest_flows(
    store: Store, tmp_path: Path, secret_file: Path, rng: random.Random
) -> None:
    settings = make_settings("http://127.0.0.1:1", concurrency=1)
    ids = queue_cases(store, 4, settings, rng)
    # a receiver whose size limit one message exceeds: 413, for that message only
    store.save_case(
        dataclasses.replace(_record(store, ids[0]), case_id="big" + "0" * 29),
        outbox_payload=_oversized(store, ids[0]),
        actor="kiosk",
    )
    options = ReceiverOptions(max_body_bytes=1024 + 512)
    with RunningReceiver(tmp_path / "r.db", secret_file, options=options) as running:
        settings = dataclasses.replace(settings, url=running.url)
        with Sender(store, settings) as sender:
            report = sender.drain()
            assert (report.delivered, report.rejected, report.halted) == (4, 1, None)
            assert sender.drain(ignore_backoff=True).attempted == 0  # never retried
    status = sync_status(store, settings)
    assert (status.queue_length, status.rejected) == (0, 1)
    assert status.rejected_items[0].case_id == "big" + "0" * 29
    assert (status.rejected_items[0].error or "").startswith("rejected_too_large")


def test_a_payload_outside_the_schema_is_never_sent(
    store: Store, receiver: RunningReceiver, rng: random.Random, wire_log: object
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 1, settings, rng)
    bad = json.loads(dict(outbox_payloads(store))[ids[0]])
    bad["selfie_jpeg"] = "/9j/4AAQ"
    store.save_case(
        dataclasses.replace(_record(store, ids[0]), case_id="bad" + "0" * 29),
        outbox_payload=json.dumps(bad).encode(),
        actor="kiosk",
    )
    before = len(wire_log.requests())  # type: ignore[attr-defined]
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.rejected) == (1, 1)
    assert len(wire_log.requests()) - before == 1  # type: ignore[attr-defined]
    assert (sync_status(store, settings).rejected_items[0].error or "").startswith("schema_local")


def test_a_200_without_a_valid_receipt_is_not_a_delivery(store: Store, rng: random.Random) -> None:
    with _canned_server(200, b'{"status":"accepted"}') as url:
        settings = make_settings(url, concurrency=1)
        queue_cases(store, 3, settings, rng)
        with Sender(store, settings) as sender:
            report = sender.drain()
    assert (report.delivered, report.halted) == (0, "bad_response")
    assert store.outbox.stats().pending == 3


def test_classification_table() -> None:
    body = b'{"x":1}'
    digest = __import__("hashlib").sha256(body).hexdigest()
    good = {"case_id": "c" * 16, "receipt": receipt(SECRET, "c" * 16, digest)}

    def verdict(status: int, answer: object, **kw: object) -> tuple[str, str, bool]:
        response = WireResponse(status, json.dumps(answer).encode(), **kw)  # type: ignore[arg-type]
        a = classify_response(1, "c" * 16, body, response, SECRET)
        return a.verdict.value, a.kind, a.halt

    assert verdict(200, good) == ("delivered", "", False)
    assert verdict(200, good, idempotent_replayed=True) == ("duplicate", "", False)
    assert verdict(200, {**good, "receipt": "0" * 64}) == ("retry", "bad_response", True)
    replayed = {"error": {"code": "replayed"}, **good}
    assert verdict(409, replayed) == ("duplicate", "", False)
    assert verdict(409, {"error": {"code": "replayed"}}) == ("retry", "http_409", True)
    assert verdict(409, {"error": {"code": "idempotency_conflict"}})[:2] == (
        "rejected",
        "conflict",
    )
    for status, code in ((400, "bad_request"), (413, "too_large"), (422, "schema_invalid")):
        assert verdict(status, {"error": {"code": code}})[:2] == ("rejected", f"rejected_{code}")
    assert verdict(401, {"error": {"code": "bad_signature"}}) == ("retry", "signature", True)
    assert verdict(401, {"error": {"code": "stale_timestamp"}}) == ("retry", "clock", True)
    assert verdict(404, {}) == ("retry", "config", True)
    assert verdict(503, {}, retry_after_s=5.0) == ("retry", "http_503", True)
    assert verdict(500, {}) == ("retry", "http_500", False)
    assert verdict(502, "<html>") == ("retry", "http_502", False)
    assert verdict(418, {}) == ("retry", "http_418", True)
    # an error code that is not a plain identifier is not echoed
    assert (
        "DROP"
        not in classify_response(
            1, "c" * 16, body, WireResponse(400, b'{"error":{"code":"DROP TABLE"}}'), SECRET
        ).kind
    )


def test_the_sender_adds_an_ed25519_signature_the_receiver_requires(
    store: Store, tmp_path: Path, secret_file: Path, rng: random.Random
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate()
    public = tmp_path / "kiosk.pub"
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    public.write_text(f"kiosk-07 {raw.hex()}\n")
    with RunningReceiver(tmp_path / "ed.db", secret_file, ed25519_public_key_file=public) as rx:
        settings = make_settings(rx.url, ed25519_key=key)
        ids = queue_cases(store, 4, settings, rng)
        unsigned = dataclasses.replace(settings, ed25519_key=None)
        with Sender(store, unsigned) as sender:
            assert sender.drain().halted == "signature"
        with Sender(store, settings) as sender:
            assert sender.drain(ignore_backoff=True).delivered == 4
        assert sorted(k for k, _, _ in receiver_rows(rx.db)) == sorted(ids)


# ---- restart -------------------------------------------------------------------------


def test_a_restart_resumes_where_the_last_run_stopped(
    data_dir: Path, store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=2)
    ids = queue_cases(store, 60, settings, rng)
    with Sender(store, settings) as sender:
        assert sender.drain(limit=25).delivered == 25
    store.close()
    receiver.restart()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.outbox.stats().pending == 35
        with Sender(reopened, settings) as sender:
            assert sender.drain().delivered == 35
        assert reopened.outbox.stats().pending == 0
    rows = receiver_rows(receiver.db)
    assert sorted(k for k, _, _ in rows) == sorted(ids)
    assert {n for _, _, n in rows} == {1}


def test_a_crash_before_recording_deliveries_resends_and_the_receiver_deduplicates(
    data_dir: Path,
    store: Store,
    receiver: RunningReceiver,
    rng: random.Random,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 20, settings, rng)
    outbox_type = type(store.outbox)

    def crash(self: object, ids: object, *, at: object = None) -> int:
        raise SystemExit("simulated power cut after sending, before recording")

    monkeypatch.setattr(outbox_type, "mark_delivered_many", crash)
    with pytest.raises(SystemExit), Sender(store, settings) as sender:
        sender.drain()
    monkeypatch.undo()
    assert store.outbox.stats().pending == 20  # nothing was recorded as delivered
    later = time.time() + 10  # the restarted sender signs afresh, as it would after a reboot
    with Sender(store, settings, wall=lambda: later) as sender:
        report = sender.drain()
    assert (report.delivered, report.duplicates) == (0, 20)  # the receiver had them all
    rows = receiver_rows(receiver.db)
    assert sorted(k for k, _, _ in rows) == sorted(ids)
    assert {n for _, _, n in rows} == {2}  # each sent twice, stored once
    assert store.outbox.stats().pending == 0


def test_a_resent_identical_request_is_a_replay_and_counts_as_delivered(
    store: Store, receiver: RunningReceiver, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 3, settings, rng)
    frozen = time.time()  # same second, same body: the very same signature
    monkeypatch.setattr(type(store.outbox), "mark_delivered_many", lambda self, ids, *, at=None: 0)
    with Sender(store, settings, wall=lambda: frozen) as sender:
        assert sender.drain().delivered == 3  # sent, but not recorded
    monkeypatch.undo()
    with Sender(store, settings, wall=lambda: frozen) as sender:
        report = sender.drain()
    assert (report.delivered, report.duplicates) == (0, 3)  # 409 replayed, with a receipt
    assert store.outbox.stats().pending == 0
    assert sorted(k for k, _, n in receiver_rows(receiver.db) if n == 1) == sorted(ids)


def test_the_sender_thread_drains_when_poked(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url)
    thread = SenderThread(Sender(store, settings), poll_interval_s=30)
    thread.start()
    try:
        queue_cases(store, 5, settings, rng)
        thread.poke()
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while store.outbox.stats().pending and dt.datetime.now() < deadline:
            threading.Event().wait(0.05)
    finally:
        thread.stop()
    assert store.outbox.stats().pending == 0
    assert len(receiver_rows(receiver.db)) == 5


# ---- helpers -------------------------------------------------------------------------


def _record(store: Store, case_id: str) -> object:
    from kiosk.store import CaseDecision, CaseRecord

    stored = store.get_case(case_id)
    return CaseRecord(
        case_id=case_id,
        created_at=stored.created_at,
        decision=CaseDecision.APPROVED,
        reasons=(),
        policy_hash="3" * 64,
        model_hashes=(),
        case_json=b"{}",
    )


def _oversized(store: Store, case_id: str) -> bytes:
    raw = json.loads(dict(outbox_payloads(store))[case_id])
    raw["case_id"] = "big" + "0" * 29
    raw["reason_codes"] = [f"reason_{i:02d}_padding_padding_padding" for i in range(60)]
    return json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()


class _canned_server:  # noqa: N801 (used as a context manager)
    def __init__(self, status: int, body: bytes) -> None:
        answer = (status, body)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(answer[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer[1])))
                self.end_headers()
                self.wfile.write(answer[1])

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def __enter__(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- the current site policy, unreadable rows -------------------------------------------

SENSITIVE = ("surname", "document_number", "date_of_birth", "risk_score")


def _extras(db: Path | None) -> list[dict[str, object]]:
    return [json.loads(body)["extra"] for _, body, _ in receiver_rows(db)]


def test_queued_messages_lose_fields_the_current_policy_no_longer_names(
    store: Store, receiver: RunningReceiver, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIOSK_POLICY_FILE", raising=False)  # the bundled policy: no fields
    settings = make_settings(receiver.url, concurrency=2)
    queue_cases(store, 3, settings, rng, site_policy=policy(SENSITIVE), with_evidence=False)
    assert all(b'"surname"' in body for _, body in outbox_payloads(store))
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.stripped, report.rejected) == (3, 3, 0)
    assert _extras(receiver.db) == [{}, {}, {}]


def test_only_the_fields_the_policy_still_names_are_sent(
    store: Store, receiver: RunningReceiver, rng: random.Random, tmp_path: Path
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    queue_cases(store, 2, settings, rng, site_policy=policy(SENSITIVE), with_evidence=False)
    site = write_policy(tmp_path / "site.toml", ("risk_score", "mrz_valid"))
    with Sender(store, settings, policy_path=site) as sender:
        report = sender.drain()
    assert (report.delivered, report.stripped) == (2, 2)
    assert [set(e) for e in _extras(receiver.db)] == [{"risk_score"}, {"risk_score"}]
    # a message the policy allows in full goes out as the very bytes queued
    ids = queue_cases(store, 1, settings, rng, site_policy=policy(("risk_score",)))
    queued = dict(outbox_payloads(store))[ids[0]]
    with Sender(store, settings, fields=("risk_score", "surname")) as sender:
        assert sender.drain().stripped == 0
    assert receiver_rows(receiver.db)[-1][1] == queued


def test_an_unreadable_policy_sends_nothing(
    store: Store, receiver: RunningReceiver, rng: random.Random, tmp_path: Path, wire_log: object
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    queue_cases(store, 2, settings, rng, with_evidence=False)
    before = len(wire_log.requests())  # type: ignore[attr-defined]
    with Sender(store, settings, policy_path=tmp_path / "missing.toml") as sender:
        report = sender.drain()
    assert (report.attempted, report.delivered, report.halted) == (1, 0, "policy")
    assert len(wire_log.requests()) == before  # type: ignore[attr-defined]
    assert store.outbox.stats().pending == 2
    assert (sync_status(store, settings).last_error or "").startswith("policy:")


def test_personal_fields_are_announced_and_shown_in_the_status(
    store: Store, rng: random.Random, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    # nothing listens: the privacy test holds that no personal field reaches the wire
    settings = make_settings(f"http://127.0.0.1:{free_port()}")
    queue_cases(store, 1, settings, rng, with_evidence=False)
    caplog.set_level(logging.WARNING, logger="kiosk.sync")
    with Sender(store, settings, fields=SENSITIVE) as sender:
        sender.drain(ignore_backoff=True)
        sender.drain(ignore_backoff=True)
    warnings = [r.getMessage() for r in caplog.records if "personal fields" in r.getMessage()]
    assert warnings == [  # once, not every pass
        "sync: the site policy sends personal fields upstream: "
        "surname, document_number, date_of_birth"
    ]
    status = sync_status(store, settings, fields=SENSITIVE)
    assert status.personal_fields == ("surname", "document_number", "date_of_birth")
    assert status.policy_fields == SENSITIVE


def test_a_row_with_a_huge_number_is_set_aside_and_the_pass_goes_on(
    store: Store, receiver: RunningReceiver, rng: random.Random
) -> None:
    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 3, settings, rng, with_evidence=False)
    bad = json.loads(dict(outbox_payloads(store))[ids[0]])
    bad["case_id"] = "huge" + "0" * 28
    bad["timings_ms"]["document_read"] = 10**400
    store.save_case(
        dataclasses.replace(_record(store, ids[0]), case_id="huge" + "0" * 28),
        outbox_payload=json.dumps(bad).encode(),
        actor="kiosk",
    )
    queue_cases(store, 2, settings, rng, with_evidence=False)
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.rejected, report.halted) == (5, 1, None)
    status = sync_status(store, settings)
    assert status.rejected_items[0].case_id == "huge" + "0" * 28
    assert (status.rejected_items[0].error or "").startswith("schema_local")


def test_an_unexpected_local_error_rejects_only_that_row(
    store: Store, receiver: RunningReceiver, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.sync import sender as sender_module

    settings = make_settings(receiver.url, concurrency=1)
    ids = queue_cases(store, 4, settings, rng, with_evidence=False)
    poisoned = dict(outbox_payloads(store))[ids[1]]
    real = sender_module.parse_payload

    def flaky(body: bytes) -> object:
        if body == poisoned:
            raise RuntimeError("a bug in the reader")
        return real(body)

    monkeypatch.setattr(sender_module, "parse_payload", flaky)
    with Sender(store, settings) as sender:
        report = sender.drain()
    assert (report.delivered, report.rejected, report.halted) == (3, 1, None)
    error = sync_status(store, settings).rejected_items[0].error or ""
    assert error.startswith("schema_local") and "bug" not in error
