"""The audit head anchored in the keyfile and the tables cross-checked against the chain:
what someone holding only the database key can no longer hide, and crashes that must not
look like tampering."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import AuditAction, AuditProblem, CaseDecision, Passphrase, Store
from kiosk.store import audit as audit_mod
from kiosk.store.keys import aad, open_sealed, read_keyfile
from kiosk.store.store import StorePaths
from tests.kiosk.store.crashkit import payload_for, record_for, run_child
from tests.kiosk.store.helpers import (
    FAST_KDF,
    PASSPHRASE,
    make_record,
    master_key,
    raw_connection,
)


def _keyfile_path(data_dir: Path) -> Path:
    return StorePaths.for_data_dir(data_dir).keyfile


def _head_rows(data_dir: Path) -> dict[str, bytes]:
    """The meta head and its MAC, as an attacker with the database key reads them
    (older copies of these rows also sit in WAL frames while the kiosk runs)."""
    conn = raw_connection(data_dir)
    rows = {
        key: bytes(value)
        for key, value in conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('audit_head', 'audit_head_mac')"
        )
    }
    conn.close()
    assert len(rows) == 2
    return rows


def _cut_tail(data_dir: Path, keep: int, head: dict[str, bytes]) -> None:
    """Delete the entries after ``keep`` and put back an older, correctly MACed head."""
    conn = raw_connection(data_dir)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq > ?", (keep,))
    for key, value in head.items():
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.close()


def _edit(data_dir: Path, edit: Callable[[Any], None]) -> None:
    conn = raw_connection(data_dir)
    edit(conn)
    conn.close()


def _verify(data_dir: Path) -> audit_mod.AuditVerifyReport:
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        return store.verify_audit()


def _last_seq(data_dir: Path) -> int:
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        return store.audit_entries(limit=10**6)[-1].seq


def test_a_removed_tail_with_a_replayed_head_is_caught_by_the_keyfile_anchor(
    data_dir: Path, store: Store, rng: random.Random, tmp_path: Path
) -> None:
    store.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    store.close()
    old_head = _head_rows(data_dir)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        # entries no table row mirrors: only the anchor can vouch for them
        reopened.export_audit(tmp_path / "bundle.json", actor="auditor-1")
        reopened.get_case(reopened.list_cases()[0].case_id, actor="staff-4")
    assert _verify(data_dir).ok
    _cut_tail(data_dir, 2, old_head)
    report = _verify(data_dir)
    assert (report.ok, report.problem, report.first_bad_seq) == (
        False,
        AuditProblem.ROLLED_BACK,
        3,
    )
    assert report.head.seq == 2


def test_a_removed_review_entry_is_caught_even_with_an_older_keyfile(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    """The finding: drop a staff override's entry, put back the older head (and here even
    the older keyfile, from a backup): the review row is left without its entry."""
    record = make_record(rng, evidence_sizes=(500,), decision=CaseDecision.REJECTED)
    store.save_case(record, actor="kiosk")
    store.close()
    old_head, old_keyfile = _head_rows(data_dir), _keyfile_path(data_dir).read_bytes()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        review = reopened.set_review(record.case_id, CaseDecision.APPROVED, "override", "staff-7")
    _cut_tail(data_dir, review.audit_seq - 1, old_head)
    _keyfile_path(data_dir).write_bytes(old_keyfile)
    report = _verify(data_dir)
    assert (report.ok, report.problem) == (False, AuditProblem.UNAUDITED_CHANGE)
    assert report.first_bad_seq == review.audit_seq
    assert f"Review {review.review_id}" in report.detail


def test_a_case_without_its_saved_entry_is_caught(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    store.close()
    old_head, old_keyfile = _head_rows(data_dir), _keyfile_path(data_dir).read_bytes()
    record = make_record(rng, evidence_sizes=(500,))
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        reopened.save_case(record, actor="kiosk")
    _cut_tail(data_dir, 1, old_head)
    _keyfile_path(data_dir).write_bytes(old_keyfile)
    report = _verify(data_dir)
    assert (report.ok, report.problem) == (False, AuditProblem.UNAUDITED_CHANGE)
    assert record.case_id in report.detail and "case.saved" in report.detail


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ("UPDATE cases SET final_decision = 'approved'", "final decision"),
        ("UPDATE cases SET decision = 'approved'", "automated decision"),
        ("UPDATE reviews SET decision = 'approved'", "review"),
        ("UPDATE cases SET evidence_purged_at_us = 1", "evidence purge"),
    ],
    ids=["final-decision", "automated-decision", "review-decision", "unaudited-purge"],
)
def test_table_edits_the_chain_does_not_record_are_caught(
    data_dir: Path, store: Store, rng: random.Random, sql: str, what: str
) -> None:
    record = make_record(rng, evidence_sizes=(500,), decision=CaseDecision.MANUAL_REVIEW)
    store.save_case(record, actor="kiosk")
    store.set_review(record.case_id, CaseDecision.REJECTED, "mismatch", "staff-2")
    store.close()
    assert _verify(data_dir).ok
    _edit(data_dir, lambda conn: conn.execute(sql))
    report = _verify(data_dir)
    assert (report.ok, report.problem) == (False, AuditProblem.UNAUDITED_CHANGE), what


def test_a_removed_or_forged_keyfile_anchor_is_reported_and_not_healed(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    store.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    store.close()
    path = _keyfile_path(data_dir)
    body = json.loads(path.read_text())
    body["audit_anchor"]["seq"] = 1  # points at an earlier head: the MAC no longer fits
    path.write_text(json.dumps(body))
    assert _verify(data_dir).problem is AuditProblem.ANCHOR_INVALID

    body["audit_anchor"] = None
    path.write_text(json.dumps(body))
    assert _verify(data_dir).problem is AuditProblem.ANCHOR_INVALID
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        reopened.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
        report = reopened.verify_audit()
    assert (report.ok, report.problem) == (False, AuditProblem.ANCHOR_INVALID)
    assert read_keyfile(path).audit_anchor is None  # later commits do not paper over it


def test_the_anchor_follows_every_commit_and_survives_reopening(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    for _ in range(3):
        saved = store.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
        anchor = read_keyfile(_keyfile_path(data_dir)).audit_anchor
        assert anchor is not None and anchor.seq == saved.audit_seq
    store.close()
    report = _verify(data_dir)
    assert report.ok and report.head.seq == saved.audit_seq


def test_a_crash_between_commit_and_anchor_write_is_no_tamper(data_dir: Path) -> None:
    """SIGKILL right after the commit, as the anchor is being written: the anchor lags by
    that write, verification accepts it, and the next open moves it up."""
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    sizes = (2_000,)
    before = read_keyfile(_keyfile_path(data_dir)).audit_anchor
    result = run_child("anchor-kill", str(data_dir), "0", "7", "2000")
    assert result.returncode == -9, result.stderr[-2000:]
    lagging = read_keyfile(_keyfile_path(data_dir)).audit_anchor
    assert lagging == before and lagging is not None and lagging.seq == 1
    record = record_for(0, 7, sizes)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        assert store.get_case(record.case_id).case_json == record.case_json  # committed
        assert store.outbox.due()[0].payload == payload_for(0)
        report = store.verify_audit()
        assert report.ok and report.head.seq == 2
    caught_up = read_keyfile(_keyfile_path(data_dir)).audit_anchor
    assert caught_up is not None and caught_up.seq == 2


def test_a_failed_anchor_write_keeps_the_commit(
    data_dir: Path, store: Store, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kiosk.store.store as store_module

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    record = make_record(rng, evidence_sizes=(500,))
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "write_keyfile", disk_full)
        store.save_case(record, actor="kiosk")
    assert store.load_evidence(record.case_id) == record.evidence  # blobs not rolled back
    assert store.verify_audit().ok
    store.close()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.verify_audit().ok
    anchor = read_keyfile(_keyfile_path(data_dir)).audit_anchor
    assert anchor is not None and anchor.seq == 2


def test_a_store_from_before_anchoring_starts_anchoring_when_opened(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    """An older store: no anchor in the keyfile, no mention of one in the chain."""
    store.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    store.close()
    _rewrite_as_before_anchoring(data_dir)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.verify_audit().ok
        last = reopened.audit_entries()[-1]
        assert last.action == AuditAction.AUDIT_ANCHORED.value
    anchor = read_keyfile(_keyfile_path(data_dir)).audit_anchor
    assert anchor is not None and anchor.seq == last.seq == 3
    old_head = _head_rows(data_dir)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        reopened.get_case(reopened.list_cases()[0].case_id, actor="staff-1")
    _cut_tail(data_dir, 3, old_head)
    assert _verify(data_dir).problem is AuditProblem.ROLLED_BACK


def _rewrite_as_before_anchoring(data_dir: Path) -> None:
    """Rewrite the chain without the anchoring detail and drop the keyfile's anchor, with
    the audit key (as only the passphrase allows): what an older kiosk wrote."""
    master = master_key(data_dir)
    conn = raw_connection(data_dir, master)
    sealed = conn.execute("SELECT sealed FROM wrapped_keys WHERE purpose = 'audit_mac'").fetchone()
    audit_key = open_sealed(master.wrap_key, bytes(sealed[0]), aad("kiosk/wrapped/v1", "audit_mac"))
    assert audit_key is not None
    install_id = bytes(
        conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0]
    )
    conn.execute("DROP TRIGGER audit_log_no_update")
    prev = audit_mod.genesis_hash(install_id.decode())
    seq = 0
    for seq, body in conn.execute("SELECT seq, body FROM audit_log ORDER BY seq").fetchall():
        fields = json.loads(bytes(body))
        fields["details"].pop("audit_anchor", None)
        new_body = audit_mod.canonical_json(fields)
        entry_hash = audit_mod.chain_hash(prev, new_body)
        conn.execute(
            "UPDATE audit_log SET body = ?, entry_hash = ?, mac = ? WHERE seq = ?",
            (new_body, entry_hash, audit_mod.entry_mac(audit_key, entry_hash), seq),
        )
        prev = entry_hash
    head = audit_mod.ChainHead(seq, prev.hex())
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'audit_head'",
        (audit_mod.canonical_json([head.seq, head.entry_hash]),),
    )
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'audit_head_mac'",
        (audit_mod.head_mac(audit_key, head),),
    )
    conn.close()
    path = _keyfile_path(data_dir)
    body = json.loads(path.read_text())
    del body["audit_anchor"]
    path.write_text(json.dumps(body))


def test_a_lowered_anchor_is_not_moved_up_to_a_replayed_head(
    data_dir: Path, store: Store, rng: random.Random, tmp_path: Path
) -> None:
    """Lowering the anchor below a replayed head must not let the open 'catch up' to it."""
    store.save_case(make_record(rng, evidence_sizes=(500,)), actor="kiosk")
    store.close()
    old_head = _head_rows(data_dir)
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        reopened.export_audit(tmp_path / "bundle.json", actor="auditor-1")
    _cut_tail(data_dir, 2, old_head)
    path = _keyfile_path(data_dir)
    body = json.loads(path.read_text())
    body["audit_anchor"]["seq"] = 1
    path.write_text(json.dumps(body))
    assert _verify(data_dir).problem is AuditProblem.ANCHOR_INVALID
    assert read_keyfile(path).audit_anchor.seq == 1  # type: ignore[union-attr]
