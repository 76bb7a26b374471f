"""Retention: dry run vs real purge, crypto-shredding, case data and whole-case removal."""

from __future__ import annotations

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
    assert store.verify_audit().ok
    assert store.outbox.stats().pending == 1  # old's message; ancient's went with its case


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
