"""Retention: dry run vs real purge, crypto-shredding, case data and whole-case removal."""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.errors import KioskError
from kiosk.store import (
    AuditAction,
    CaseDecision,
    Passphrase,
    PurgeReport,
    PurgeSchedule,
    RetentionPolicy,
    Store,
)
from kiosk.store.blobs import decrypt_blob
from kiosk.store.errors import CaseNotFound, EvidencePurged, InvalidRecord
from kiosk.store.keys import aad, open_sealed
from tests.kiosk.store.helpers import (
    KNOWN_SURNAME,
    PASSPHRASE,
    ago,
    decrypted_pages,
    file_hashes,
    make_record,
    master_key,
    raw_connection,
)


def test_dry_run_reports_and_changes_nothing(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    old = make_record(rng, created_at=ago(40))
    fresh = make_record(rng, created_at=ago(1))
    store.save_case(old, actor="kiosk")
    store.save_case(fresh, actor="kiosk")
    entries = len(store.audit_entries())
    store.close()
    before = file_hashes(data_dir)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        report = reopened.purge(dry_run=True)
        assert report.dry_run
        assert report.evidence_purged == (old.case_id,)
        assert report.blob_files == 3
        assert report.blob_bytes == sum(len(e.data) for e in old.evidence)
        assert report.case_data_purged == () and report.cases_deleted == ()
        assert reopened.load_evidence(old.case_id) == old.evidence
        assert len(reopened.audit_entries()) == entries
    assert file_hashes(data_dir) == before


def test_purge_shreds_evidence_past_its_period(store: Store, rng: random.Random) -> None:
    old = make_record(rng, created_at=ago(31))
    fresh = make_record(rng, created_at=ago(29))
    store.save_case(old, actor="kiosk")
    store.save_case(fresh, actor="kiosk")
    report = store.purge()
    assert not report.dry_run
    assert report.evidence_purged == (old.case_id,)
    assert not (store.paths.blobs / old.case_id).exists()
    with pytest.raises(EvidencePurged):
        store.load_evidence(old.case_id)
    case = store.get_case(old.case_id)
    assert case.evidence == () and case.evidence_purged_at is not None
    assert case.case_json == old.case_json  # the case data has its own, longer period
    assert store.load_evidence(fresh.case_id) == fresh.evidence
    assert store.list_cases()[-1].evidence_purged
    last = store.audit_entries()[-1]
    assert (last.action, last.case_id) == (AuditAction.EVIDENCE_PURGED.value, old.case_id)
    assert store.verify_audit().ok
    assert store.purge().evidence_purged == ()  # idempotent


def test_a_kept_copy_of_a_shredded_blob_stays_unreadable(
    data_dir: Path, store: Store, rng: random.Random, tmp_path: Path
) -> None:
    """Crypto-shredding: after the purge no page of the database (free pages and WAL
    included) holds the wrapped data key, so a backup of the blob file is noise."""
    record = make_record(rng, created_at=ago(31))
    store.save_case(record, actor="kiosk")
    ref = store.get_case(record.case_id).evidence[0]
    backup = tmp_path / "backup.kev"
    shutil.copyfile(store.paths.blobs / record.case_id / f"{ref.blob_id}.kev", backup)

    key = master_key(data_dir)
    conn = raw_connection(data_dir, key)
    sealed_dek = bytes(
        conn.execute(
            "SELECT sealed FROM case_keys WHERE case_id = ?", (record.case_id,)
        ).fetchone()[0]
    )
    conn.close()
    dek = open_sealed(key.wrap_key, sealed_dek, aad("kiosk/dek/v1", record.case_id))
    assert dek is not None
    # Control: the scanner sees the wrapped key while it exists, and the key opens the backup.
    assert any(sealed_dek in page for _, _, page in decrypted_pages(data_dir, key))
    opened = decrypt_blob(
        dek,
        backup.read_bytes(),
        case_id=record.case_id,
        kind=ref.kind.value,
        blob_id=ref.blob_id,
        media_type=ref.media_type,
    )
    assert opened == record.evidence[0].data

    store.purge()
    pages = list(decrypted_pages(data_dir, key))
    assert pages, "the scanner read no pages"
    assert not any(sealed_dek in page for _, _, page in pages)
    assert not any(dek in page for _, _, page in pages)
    with pytest.raises(EvidencePurged):
        store.read_evidence(record.case_id, ref.blob_id)
    store.close()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened, pytest.raises(EvidencePurged):
        reopened.load_evidence(record.case_id)


def test_case_data_and_whole_cases_follow_their_periods(store: Store, rng: random.Random) -> None:
    policy = RetentionPolicy(
        evidence=timedelta(days=30),
        case_data=timedelta(days=365),
        decision=timedelta(days=1826),
        delivered_outbox=timedelta(days=30),
    )
    store.retention = policy
    ancient = make_record(rng, created_at=ago(1900))
    old = make_record(rng, created_at=ago(400))
    recent = make_record(rng, created_at=ago(2))
    saved = {
        r.case_id: store.save_case(r, outbox_payload=b"m", actor="kiosk")
        for r in (ancient, old, recent)
    }
    store.set_review(old.case_id, old.decision, f"note naming {KNOWN_SURNAME}", "staff-2")
    delivered = saved[recent.case_id].outbox_id
    assert delivered is not None
    store.outbox.mark_delivered(delivered, at=datetime.now(UTC) - timedelta(days=31))

    report = store.purge()
    assert set(report.evidence_purged) == {ancient.case_id, old.case_id}
    assert report.case_data_purged == (ancient.case_id, old.case_id)
    assert report.cases_deleted == (ancient.case_id,)
    assert report.outbox_deleted == 1
    assert report.outbox_dropped == 2  # ancient's and old's undelivered messages

    with pytest.raises(CaseNotFound):
        store.get_case(ancient.case_id)
    kept = store.get_case(old.case_id)
    assert kept.case_json is None and kept.case_data() is None
    assert kept.case_data_purged_at is not None
    assert [r.note for r in kept.reviews] == [""]  # the note may name the customer
    assert kept.decision is old.decision and kept.reasons == old.reasons
    assert store.get_case(recent.case_id).case_json == recent.case_json
    actions = [(e.action, e.case_id) for e in store.audit_entries()]
    assert (AuditAction.CASE_PURGED.value, ancient.case_id) in actions
    assert (AuditAction.CASE_DATA_PURGED.value, old.case_id) in actions
    assert (AuditAction.OUTBOX_DROPPED.value, old.case_id) in actions
    assert (AuditAction.OUTBOX_DROPPED.value, ancient.case_id) in actions
    assert store.verify_audit().ok
    assert store.outbox.stats().pending == 0  # no message outlives its case data


def test_retention_periods_must_nest() -> None:
    with pytest.raises(InvalidRecord):
        RetentionPolicy(evidence=timedelta(days=400), case_data=timedelta(days=365))
    with pytest.raises(InvalidRecord):
        RetentionPolicy(delivered_outbox=timedelta(days=-1))


def test_interrupted_purge_leaves_orphans_that_open_removes(
    data_dir: Path, store: Store, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = make_record(rng, created_at=ago(31))
    store.save_case(record, actor="kiosk")

    def crash(case_id: str) -> int:
        raise OSError("simulated crash before the files were deleted")

    monkeypatch.setattr(store._blobs, "delete_case", crash)
    with pytest.raises(OSError):
        store.purge()
    assert (store.paths.blobs / record.case_id).is_dir()  # the key is gone, the files remain
    store.close()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert not (reopened.paths.blobs / record.case_id).exists()
        assert reopened.get_case(record.case_id).evidence_purged_at is not None


def test_the_schedule_runs_purges(store: Store, rng: random.Random) -> None:
    store.save_case(make_record(rng, created_at=ago(31)), actor="kiosk")
    reports: list[PurgeReport] = []
    schedule = PurgeSchedule(store, interval=timedelta(hours=1), on_report=reports.append)
    schedule.start()
    schedule.stop()
    assert len(reports) == 1 and len(reports[0].evidence_purged) == 1
    assert schedule.run_once() is not None
    store.close()
    errors: list[KioskError] = []
    failing = PurgeSchedule(store, on_error=errors.append)
    assert failing.run_once() is None
    assert errors[0].code == "store_closed"


def test_evidence_waits_for_a_pending_review(store: Store, rng: random.Random) -> None:
    """A case in manual review keeps its evidence past the evidence period until a
    reviewer has decided (or the longer case-data period ends)."""
    pending = make_record(rng, created_at=ago(31), decision=CaseDecision.MANUAL_REVIEW)
    reviewed = make_record(rng, created_at=ago(31), decision=CaseDecision.MANUAL_REVIEW)
    stale = make_record(rng, created_at=ago(1900), decision=CaseDecision.MANUAL_REVIEW)
    for record in (pending, reviewed, stale):
        store.save_case(record, actor="kiosk")
    store.set_review(reviewed.case_id, CaseDecision.APPROVED, "documents match", "staff-7")
    report = store.purge()
    assert pending.case_id not in report.evidence_purged
    assert store.load_evidence(pending.case_id) == pending.evidence
    assert reviewed.case_id in report.evidence_purged
    assert stale.case_id not in [c.case_id for c in store.list_cases()], "past every period"


def test_unreviewed_evidence_is_held_for_the_review_hold_only(
    store: Store, rng: random.Random
) -> None:
    store.retention = RetentionPolicy(review_hold=timedelta(days=90))
    waiting = make_record(rng, created_at=ago(45), decision=CaseDecision.MANUAL_REVIEW)
    forgotten = make_record(rng, created_at=ago(91), decision=CaseDecision.MANUAL_REVIEW)
    for record in (waiting, forgotten):
        store.save_case(record, actor="kiosk")
    dry = store.purge(dry_run=True)
    assert dry.evidence_purged == dry.review_hold_expired == (forgotten.case_id,)
    report = store.purge()
    assert report.evidence_purged == report.review_hold_expired == (forgotten.case_id,)
    assert store.load_evidence(waiting.case_id) == waiting.evidence
    with pytest.raises(EvidencePurged):
        store.load_evidence(forgotten.case_id)
    entry = store.audit_entries()[-1]
    assert (entry.action, entry.case_id) == (AuditAction.EVIDENCE_PURGED.value, forgotten.case_id)
    assert dict(entry.details) == {"reason": "review_hold_expired"}
    assert store.get_case(forgotten.case_id).case_json == forgotten.case_json  # data stays
    assert store.verify_audit().ok


def test_undelivered_messages_do_not_outlive_the_case_data(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    """A queued message may carry names or birth dates the site policy allowed: it goes
    at the case-data cutoff, counted and audited, and leaves no page behind."""
    store.retention = RetentionPolicy(case_data=timedelta(days=60), decision=timedelta(days=400))
    old = make_record(rng, created_at=ago(61), evidence_sizes=(1000,))
    fresh = make_record(rng, created_at=ago(10), evidence_sizes=(1000,))
    marker = b'{"surname":"' + KNOWN_SURNAME.encode() + b'","dob":"1984-03-07","id":"q7"}'
    saved = store.save_case(old, outbox_payload=marker, actor="kiosk")
    store.save_case(fresh, outbox_payload=b'{"id":"fresh"}', actor="kiosk")
    assert store.purge(dry_run=True).outbox_dropped == 1
    report = store.purge()
    assert report.case_data_purged == (old.case_id,) and report.outbox_dropped == 1
    assert report.wal_truncated is True
    assert [item.case_id for item in store.outbox.due()] == [fresh.case_id]
    dropped = [e for e in store.audit_entries() if e.action == AuditAction.OUTBOX_DROPPED.value]
    assert [(e.case_id, dict(e.details)["outbox_id"]) for e in dropped] == [
        (old.case_id, saved.outbox_id)
    ]
    assert KNOWN_SURNAME not in json.dumps([e.details for e in dropped])
    assert not any(marker in page for _, _, page in decrypted_pages(data_dir, master_key(data_dir)))
    assert store.verify_audit().ok


def test_deleting_a_case_never_loses_outbox_rows_silently(store: Store, rng: random.Random) -> None:
    """ON DELETE CASCADE would take a case's outbox rows with it: every row is counted."""
    store.retention = RetentionPolicy(case_data=timedelta(days=400), decision=timedelta(days=400))
    queued = make_record(rng, created_at=ago(401))
    delivered = make_record(rng, created_at=ago(401))
    store.save_case(queued, outbox_payload=b"q", actor="kiosk")
    sent = store.save_case(delivered, outbox_payload=b"d", actor="kiosk")
    assert sent.outbox_id is not None
    store.outbox.mark_delivered(sent.outbox_id, at=datetime.now(UTC) - timedelta(days=2))
    report = store.purge()
    assert set(report.cases_deleted) == {queued.case_id, delivered.case_id}
    assert report.outbox_dropped == 1  # the undelivered one, audited
    assert report.outbox_deleted == 1  # the delivered one, inside its 30 days but caseless
    stats = store.outbox.stats()
    assert (stats.pending, stats.delivered) == (0, 0)
    actions = [(e.action, e.case_id) for e in store.audit_entries()]
    assert (AuditAction.OUTBOX_DROPPED.value, queued.case_id) in actions
    assert (AuditAction.OUTBOX_DROPPED.value, delivered.case_id) not in actions
    assert store.verify_audit().ok


def test_a_reader_blocking_the_wal_truncation_is_reported(
    data_dir: Path, store: Store, rng: random.Random, caplog: pytest.LogCaptureFixture
) -> None:
    store.save_case(make_record(rng, created_at=ago(31), evidence_sizes=(500,)), actor="kiosk")
    reader = raw_connection(data_dir)  # e.g. a backup tool holding an old snapshot
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchone()
    try:
        report = store.purge()
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert len(report.evidence_purged) == 1 and report.wal_truncated is False
    assert "could not be truncated" in caplog.text
    store.save_case(make_record(rng, created_at=ago(31), evidence_sizes=(500,)), actor="kiosk")
    assert store.purge().wal_truncated is True
    wal = store.paths.database.with_name("kiosk.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_review_hold_is_configured_with_the_other_periods(tmp_path: Path) -> None:
    from kiosk.config import load_config
    from kiosk.errors import ConfigError

    assert load_config(tmp_path / "absent.toml").review_hold_days == 90
    config = tmp_path / "kiosk.toml"
    config.write_text("[retention]\nreview_hold_days = 45\n")
    assert load_config(config).review_hold_days == 45
    config.write_text("[retention]\nreview_hold_days = 0\n")
    with pytest.raises(ConfigError, match="review_hold_days"):
        load_config(config)
    assert RetentionPolicy().review_hold == timedelta(days=90)
    with pytest.raises(InvalidRecord):
        RetentionPolicy(review_hold=timedelta(days=-1))
