"""Saving and reading cases, reviews, the outbox, locking and record validation."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.store import (
    AuditAction,
    CaseDecision,
    CaseRecord,
    EvidenceItem,
    EvidenceKind,
    Passphrase,
    Store,
    new_case_id,
)
from kiosk.store.errors import (
    CaseExists,
    CaseNotFound,
    InvalidRecord,
    OutboxItemNotFound,
    StoreBusy,
    StoreClosed,
    StoreExists,
    StoreNotInitialized,
)
from tests.kiosk.store.helpers import KNOWN_SURNAME, PASSPHRASE, make_record


def test_a_saved_case_reads_back_identically(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    saved = store.save_case(record, outbox_payload=b"decision-message", actor="kiosk")
    assert saved.case_id == record.case_id
    assert len(saved.blob_ids) == len(record.evidence)

    case = store.get_case(record.case_id)
    assert case.decision is CaseDecision.APPROVED
    assert case.reasons == record.reasons
    assert case.policy_hash == record.policy_hash
    assert case.model_hashes == record.model_hashes
    assert case.timings == record.timings
    assert case.case_json == record.case_json
    assert case.created_at == record.created_at.astimezone(UTC)
    assert [e.kind for e in case.evidence] == [e.kind for e in record.evidence]
    assert store.load_evidence(record.case_id) == record.evidence
    blob = saved.blob_ids[1]
    assert store.read_evidence(record.case_id, blob) == record.evidence[1]


def test_the_store_survives_close_and_reopen(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    store.close()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.load_evidence(record.case_id) == record.evidence
        assert reopened.verify_audit().ok


def test_save_writes_case_audit_and_outbox_together(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    saved = store.save_case(record, outbox_payload=b"payload", actor="kiosk")
    entries = store.audit_entries()
    entry = entries[-1]
    assert entry.seq == saved.audit_seq
    assert entry.action == AuditAction.CASE_SAVED.value
    assert entry.case_id == record.case_id
    assert entry.decision == "approved"
    assert entry.policy_hash == record.policy_hash
    assert entry.model_hashes == record.model_hashes
    due = store.outbox.due()
    assert [(item.outbox_id, item.case_id, item.payload) for item in due] == [
        (saved.outbox_id, record.case_id, b"payload")
    ]


def test_a_case_id_is_stored_once(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    with pytest.raises(CaseExists):
        store.save_case(record, actor="kiosk")
    assert len(store.list_cases()) == 1
    assert store.load_evidence(record.case_id) == record.evidence


def test_a_failed_transaction_leaves_no_blob_files(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    # A payload of the wrong type fails inside the transaction, after the blobs were written.
    with pytest.raises(Exception):  # noqa: B017 - sqlite's own type error
        store._call(store._save_case, record, object(), "kiosk")  # type: ignore[arg-type]
    assert not store.paths.blobs.joinpath(record.case_id).exists()
    with pytest.raises(CaseNotFound):
        store.get_case(record.case_id)
    assert store.verify_audit().ok


def test_list_filters_and_orders_newest_first(store: Store, rng: random.Random) -> None:
    old = make_record(rng, created_at=datetime.now(UTC) - timedelta(days=2))
    new = make_record(rng, decision=CaseDecision.REJECTED)
    store.save_case(old, actor="kiosk")
    store.save_case(new, actor="kiosk")
    assert [c.case_id for c in store.list_cases()] == [new.case_id, old.case_id]
    rejected = store.list_cases(decision=CaseDecision.REJECTED)
    assert [c.case_id for c in rejected] == [new.case_id]
    assert store.list_cases(limit=1, offset=1)[0].case_id == old.case_id
    assert rejected[0].evidence_count == 3


def test_review_needs_a_note_and_is_audited_without_it(store: Store, rng: random.Random) -> None:
    record = make_record(rng, decision=CaseDecision.MANUAL_REVIEW)
    store.save_case(record, actor="kiosk")
    with pytest.raises(InvalidRecord):
        store.set_review(record.case_id, CaseDecision.APPROVED, "   ", "staff-1")
    note = f"Checked the passport of {KNOWN_SURNAME} by hand"
    review = store.set_review(record.case_id, CaseDecision.APPROVED, note, "staff-1")
    case = store.get_case(record.case_id)
    assert case.final_decision is CaseDecision.APPROVED
    assert case.decision is CaseDecision.MANUAL_REVIEW
    assert [r.note for r in case.reviews] == [note]
    entry = store.audit_entries()[-1]
    assert entry.seq == review.audit_seq
    assert entry.action == AuditAction.CASE_REVIEWED.value
    assert entry.actor == "staff-1" and entry.decision == "approved"
    assert KNOWN_SURNAME not in repr(entry)
    assert KNOWN_SURNAME not in repr(review)  # the note is kept out of repr (and so of logs)
    with pytest.raises(CaseNotFound):
        store.set_review(new_case_id(), CaseDecision.APPROVED, "x", "staff-1")


def test_outbox_retries_and_delivery(store: Store, rng: random.Random) -> None:
    first = store.save_case(make_record(rng), outbox_payload=b"one", actor="kiosk")
    second = store.save_case(make_record(rng), outbox_payload=b"two", actor="kiosk")
    assert first.outbox_id is not None and second.outbox_id is not None
    store.save_case(make_record(rng), actor="kiosk")  # no payload, no row
    now = datetime.now(UTC)
    retry_at = now + timedelta(minutes=5)
    store.outbox.mark_failed(first.outbox_id, "connection refused", retry_at)
    assert [i.outbox_id for i in store.outbox.due(now)] == [second.outbox_id]
    later = store.outbox.due(retry_at)
    assert [i.outbox_id for i in later] == [first.outbox_id, second.outbox_id]
    assert later[0].attempts == 1 and later[0].last_error == "connection refused"
    store.outbox.mark_delivered(second.outbox_id)
    store.outbox.mark_delivered(second.outbox_id)  # idempotent
    stats = store.outbox.stats()
    assert (stats.pending, stats.delivered) == (1, 1)
    assert stats.last_error == "connection refused"
    assert stats.last_success_at is not None and stats.last_error_at is not None
    with pytest.raises(OutboxItemNotFound):
        store.outbox.mark_delivered(9999)
    with pytest.raises(OutboxItemNotFound):
        store.outbox.mark_failed(second.outbox_id, "late", retry_at)  # already delivered
    assert store.outbox.due(retry_at, limit=1)[0].outbox_id == first.outbox_id


def test_bring_forward_only_moves_waiting_rows_earlier(store: Store, rng: random.Random) -> None:
    rows = [store.save_case(make_record(rng), outbox_payload=b"m", actor="kiosk") for _ in range(3)]
    ids = [r.outbox_id for r in rows]
    assert None not in ids
    now = datetime.now(UTC)
    far, near = now + timedelta(hours=20), now + timedelta(seconds=1)
    store.outbox.mark_failed(ids[0], "timeout", far)  # backed off for hours
    store.outbox.mark_failed(ids[1], "timeout", now)  # due already
    store.outbox.mark_delivered(ids[2])
    assert store.outbox.bring_forward([i for i in ids if i is not None], near) == 1
    due = {i.outbox_id: i for i in store.outbox.due(near)}
    assert set(due) == {ids[0], ids[1]}
    assert due[ids[0]].next_attempt_at == near and due[ids[0]].attempts == 1
    assert due[ids[0]].last_error == "timeout"
    assert due[ids[1]].next_attempt_at == now  # never later
    assert store.outbox.stats().delivered == 1
    assert store.outbox.bring_forward([], near) == 0


def test_one_process_one_store(data_dir: Path, store: Store) -> None:
    with pytest.raises(StoreBusy):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    with pytest.raises(StoreExists):
        Store.create(data_dir, PASSPHRASE)


def test_closed_store_refuses_calls(store: Store) -> None:
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosed):
        store.list_cases()


def test_opening_nothing_says_so(data_dir: Path) -> None:
    with pytest.raises(StoreNotInitialized):
        Store.open(data_dir, Passphrase(PASSPHRASE))


def test_unfinished_init_is_refused_not_reused(data_dir: Path) -> None:
    root = data_dir / "store"
    root.mkdir(parents=True)
    (root / "kiosk.db").write_bytes(b"leftover")
    with pytest.raises(StoreExists) as excinfo:
        Store.create(data_dir, PASSPHRASE)
    assert "did not finish" in excinfo.value.message


def test_concurrent_callers_are_serialised(store: Store) -> None:
    records = [make_record(random.Random(i), evidence_sizes=(5_000,)) for i in range(12)]
    errors: list[BaseException] = []

    def worker(chunk: list[CaseRecord]) -> None:
        try:
            for record in chunk:
                store.save_case(record, outbox_payload=b"m", actor="kiosk")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(records[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    futures = [
        store.submit_save_case(make_record(random.Random(100 + i)), actor="kiosk") for i in range(3)
    ]
    for t in threads:
        t.join()
    assert not errors
    assert all(f.result().audit_seq > 1 for f in futures)
    assert len(store.list_cases(limit=100)) == 15
    report = store.verify_audit()
    assert report.ok and report.entries == 16
    assert store.status().outbox.pending == 12
    assert store.integrity_check() == "ok"


@pytest.mark.parametrize(
    "change",
    [
        {"case_id": "../../etc"},
        {"case_id": "short"},
        {"created_at": datetime(2026, 1, 1)},  # naive
        {"reasons": ("Has Spaces",)},
        {"policy_hash": "abc"},
        {"model_hashes": (("sface", "nothex"),)},
        {"case_json": b"not json"},
        {"decision": "approved"},
    ],
)
def test_records_that_break_the_contract_are_refused(change: dict[str, object]) -> None:
    base = make_record(random.Random(1), evidence_sizes=(10,))
    with pytest.raises(InvalidRecord):
        replace(base, **change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(b"", "image/jpeg"), (b"x", "jpeg"), (b"x", "image/JPEG; q=1")],
)
def test_evidence_that_breaks_the_contract_is_refused(data: bytes, media_type: str) -> None:
    with pytest.raises(InvalidRecord):
        EvidenceItem(EvidenceKind.SELFIE_FRAME, data, media_type)


@pytest.mark.parametrize("actor", ["", "Jane Doe", "x" * 65, "staff\n1"])
def test_actors_are_identifiers_not_names(store: Store, actor: str) -> None:
    record = make_record(random.Random(2), evidence_sizes=(10,))
    with pytest.raises(InvalidRecord):
        store.save_case(record, actor=actor)


def test_status_counts(store: Store, rng: random.Random) -> None:
    store.save_case(make_record(rng), outbox_payload=b"p", actor="kiosk")
    status = store.status()
    assert (status.cases, status.evidence_blobs, status.audit_entries) == (1, 3, 2)
    assert status.schema_version == 2
    assert status.outbox.pending == 1
    assert not status.keyring_remembered
    assert json.loads(json.dumps(status.retention.to_json()))["evidence"] == 30.0


def test_a_damaged_or_foreign_keyfile_is_a_typed_error(data_dir: Path, store: Store) -> None:
    import base64
    import json as jsonlib

    from kiosk.errors import StoreLocked
    from kiosk.store.errors import KeyfileCorrupt, KeyMismatch

    store.close()
    keyfile = data_dir / "store" / "keyfile.json"
    original = keyfile.read_bytes()
    body = jsonlib.loads(original)
    body["device_public_key"] = base64.b64encode(b"\x02" * 32).decode()
    keyfile.write_text(jsonlib.dumps(body))
    with pytest.raises(KeyMismatch):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    keyfile.write_bytes(b"{not json")
    with pytest.raises(KeyfileCorrupt):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    body["version"] = 9
    keyfile.write_text(jsonlib.dumps(body))
    with pytest.raises(KeyfileCorrupt):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    body = jsonlib.loads(original)
    body["kek_generation"] = 7  # would fake a "passphrase changed" audit entry
    keyfile.write_text(jsonlib.dumps(body))
    with pytest.raises(StoreLocked):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    keyfile.write_bytes(original)
    Store.open(data_dir, Passphrase(PASSPHRASE)).close()


def test_outbox_batch_delivery_is_all_or_nothing(store: Store, rng: random.Random) -> None:
    ids = [
        store.save_case(
            make_record(rng, evidence_sizes=(100,)), outbox_payload=b"m", actor="k"
        ).outbox_id
        for _ in range(3)
    ]
    assert all(i is not None for i in ids)
    first, second, third = (int(i) for i in ids if i is not None)
    with pytest.raises(OutboxItemNotFound):
        store.outbox.mark_delivered_many([first, 9999])
    assert store.outbox.stats().pending == 3  # the unknown id rolled the batch back
    assert store.outbox.mark_delivered_many([first, second]) == 2
    assert store.outbox.mark_delivered_many([second, third]) == 1  # second already delivered
    assert store.outbox.mark_delivered_many([]) == 0
    stats = store.outbox.stats()
    assert (stats.pending, stats.delivered) == (0, 3) and stats.last_success_at is not None


def test_calls_racing_close_get_store_closed(store: Store, rng: random.Random) -> None:
    """A call from another thread while close() waits behind running work: typed error,
    never an AttributeError from a connection already gone; work queued earlier finishes."""
    running, release = threading.Event(), threading.Event()

    def busy() -> None:
        running.set()
        release.wait(10)

    first = store._executor.submit(busy)  # work the worker is doing when close() comes
    assert running.wait(10)
    queued = store.submit_save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    closer = threading.Thread(target=store.close)
    closer.start()
    deadline = time.monotonic() + 10
    while store._executor._work_queue.qsize() < 2 and time.monotonic() < deadline:
        time.sleep(0.001)  # close() has handed its job to the worker
    outcomes: list[BaseException | object] = []

    def late_call() -> None:
        try:
            outcomes.append(store.status())
        except BaseException as exc:
            outcomes.append(exc)

    caller = threading.Thread(target=late_call)
    caller.start()
    time.sleep(0.05)
    release.set()
    for thread in (caller, closer):
        thread.join(10)
    first.result(timeout=1)
    assert queued.result(timeout=1).audit_seq == 2  # submitted before close: it ran
    assert len(outcomes) == 1 and isinstance(outcomes[0], StoreClosed), outcomes
    with pytest.raises(StoreClosed):
        store.submit_save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    with pytest.raises(StoreClosed):
        store.remember_in_keyring()


def test_reads_by_staff_are_audited_without_personal_data(store: Store, rng: random.Random) -> None:
    record = make_record(rng, evidence_sizes=(500, 400))
    saved = store.save_case(record, actor="kiosk")
    before = len(store.audit_entries())
    store.get_case(record.case_id)  # the kiosk's own machinery: no person read it
    store.load_evidence(record.case_id)
    assert len(store.audit_entries()) == before
    store.get_case(record.case_id, actor="staff-3")
    store.load_evidence(record.case_id, actor="staff-3", purpose="review")
    store.read_evidence(record.case_id, saved.blob_ids[1], actor="staff-4")
    views = store.audit_entries(after_seq=before)
    assert [(e.action, e.actor, e.case_id, dict(e.details)) for e in views] == [
        ("case.viewed", "staff-3", record.case_id, {"data": "case", "purpose": "view"}),
        ("case.viewed", "staff-3", record.case_id, {"data": "evidence", "purpose": "review"}),
        ("case.viewed", "staff-4", record.case_id, {"data": "evidence", "purpose": "view"}),
    ]
    with pytest.raises(CaseNotFound):
        store.get_case("no-such-case-0", actor="staff-3")
    assert len(store.audit_entries()) == before + 3  # nothing read, nothing recorded
    with pytest.raises(InvalidRecord):
        store.get_case(record.case_id, actor="Jane Doe")
    with pytest.raises(InvalidRecord):
        store.get_case(record.case_id, actor="staff-3", purpose="because I want to")
    assert store.verify_audit().ok
