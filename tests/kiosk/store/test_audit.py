"""The audit chain catches edits, removals, reorders and truncation made with the database
key (the attacker's view), and export bundles are signed and checkable offline."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import (
    AuditProblem,
    ChainHead,
    Passphrase,
    Store,
    read_bundle_head,
    verify_bundle,
)
from kiosk.store.audit import canonical_json, chain_hash
from kiosk.store.errors import BundleInvalid
from tests.kiosk.store.helpers import (
    KNOWN_DOCNUM,
    KNOWN_GIVEN,
    KNOWN_SURNAME,
    PASSPHRASE,
    make_record,
    raw_connection,
)

ENTRIES = 6  # init + 5 cases


@pytest.fixture
def filled(data_dir: Path, store: Store, rng: random.Random) -> Path:
    for _ in range(ENTRIES - 1):
        store.save_case(make_record(rng, evidence_sizes=(1_000,)), actor="kiosk")
    assert store.verify_audit().ok
    store.close()
    return data_dir


def _tamper(data_dir: Path, edit: Callable[[Any], None]) -> None:
    """Edit the database with its key only, as someone who stole the SQLCipher key would."""
    conn = raw_connection(data_dir)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    edit(conn)
    conn.close()


def _verify(data_dir: Path, **kwargs: Any) -> Any:
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        return store.verify_audit(**kwargs)


def _body(conn: Any, seq: int) -> dict[str, Any]:
    row = conn.execute("SELECT body FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return dict(json.loads(bytes(row[0])))


def test_the_code_itself_cannot_rewrite_the_log(filled: Path) -> None:
    import sqlcipher3

    conn = raw_connection(filled)
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("DELETE FROM audit_log WHERE seq = 2")
    with pytest.raises(sqlcipher3.IntegrityError):
        conn.execute("UPDATE audit_log SET body = x'00' WHERE seq = 2")
    conn.close()


def test_an_edited_entry_is_found(filled: Path) -> None:
    def edit(conn: Any) -> None:
        body = _body(conn, 3)
        body["decision"] = "rejected"
        conn.execute("UPDATE audit_log SET body = ? WHERE seq = 3", (canonical_json(body),))

    _tamper(filled, edit)
    report = _verify(filled)
    assert not report.ok
    assert (report.first_bad_seq, report.problem) == (3, AuditProblem.EDITED)
    assert report.head.seq == 2  # the last good entry


def test_an_edit_with_a_recomputed_chain_fails_the_mac(filled: Path) -> None:
    """Rehashing every later entry keeps the chain consistent; only the audit key can MAC it."""

    def edit(conn: Any) -> None:
        rows = conn.execute("SELECT seq, body, entry_hash FROM audit_log ORDER BY seq").fetchall()
        prev = bytes(rows[2][2])  # hash of entry 3
        for seq, body, _ in rows[3:]:
            fields = json.loads(bytes(body))
            if seq == 4:
                fields["decision"] = "rejected"
            new_body = canonical_json(fields)
            new_hash = chain_hash(prev, new_body)
            conn.execute(
                "UPDATE audit_log SET body = ?, entry_hash = ? WHERE seq = ?",
                (new_body, new_hash, seq),
            )
            prev = new_hash

    _tamper(filled, edit)
    report = _verify(filled)
    assert (report.first_bad_seq, report.problem) == (4, AuditProblem.MAC_MISMATCH)


def test_a_removed_entry_is_found(filled: Path) -> None:
    _tamper(filled, lambda conn: conn.execute("DELETE FROM audit_log WHERE seq = 4"))
    report = _verify(filled)
    assert (report.first_bad_seq, report.problem) == (4, AuditProblem.REMOVED)


def test_reordered_entries_are_found(filled: Path) -> None:
    def swap(conn: Any) -> None:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT seq, body, entry_hash, mac FROM audit_log WHERE seq IN (3, 5)"
            )
        }
        conn.execute("DELETE FROM audit_log WHERE seq IN (3, 5)")
        for seq, other in ((3, 5), (5, 3)):
            conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)", (seq, *rows[other]))

    _tamper(filled, swap)
    report = _verify(filled)
    assert (report.first_bad_seq, report.problem) == (3, AuditProblem.OUT_OF_ORDER)


def test_a_removed_tail_is_found(filled: Path) -> None:
    _tamper(filled, lambda conn: conn.execute(f"DELETE FROM audit_log WHERE seq = {ENTRIES}"))
    report = _verify(filled)
    assert (report.first_bad_seq, report.problem) == (ENTRIES, AuditProblem.TRUNCATED)


def test_a_forged_head_is_found(filled: Path) -> None:
    def edit(conn: Any) -> None:
        conn.execute(f"DELETE FROM audit_log WHERE seq = {ENTRIES}")
        last = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC").fetchone()
        head = canonical_json([last[0], bytes(last[1]).hex()])
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (head,))

    _tamper(filled, edit)
    report = _verify(filled)
    assert report.problem is AuditProblem.HEAD_MISMATCH


def test_audit_entries_hold_no_personal_data(filled: Path) -> None:
    conn = raw_connection(filled)
    bodies = b"".join(bytes(r[0]) for r in conn.execute("SELECT body FROM audit_log"))
    conn.close()
    assert len(bodies) > 500
    for needle in (KNOWN_SURNAME, KNOWN_GIVEN, KNOWN_DOCNUM, "1984-03-07"):
        assert needle.encode() not in bodies
        assert needle.lower().encode() not in bodies


def test_bundle_round_trip_and_pinning(filled: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "audit.json"
    with Store.open(filled, Passphrase(PASSPHRASE)) as store:
        export = store.export_audit(bundle, actor="auditor-1")
        device_key = store.device_public_key
    assert export.entries == ENTRIES + 1  # the export records itself
    report = verify_bundle(bundle.read_bytes(), expected_public_key=device_key)
    assert report.ok and report.signer_matches_expected
    assert report.entries == ENTRIES + 1 and report.head == export.head
    unpinned = verify_bundle(bundle.read_bytes())
    assert unpinned.self_consistent and unpinned.signer_matches_expected is None
    assert (unpinned.ok, unpinned.problem) == (False, AuditProblem.UNPINNED_SIGNER)
    other = verify_bundle(bundle.read_bytes(), expected_public_key=b"\x01" * 32)
    assert (other.ok, other.problem) == (False, AuditProblem.UNEXPECTED_SIGNER)


def test_an_edited_bundle_fails_its_signature(filled: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "audit.json"
    with Store.open(filled, Passphrase(PASSPHRASE)) as store:
        store.export_audit(bundle, actor="auditor-1")
    data = json.loads(bundle.read_text())
    data["entries"][2]["entry"]["decision"] = "rejected"
    report = verify_bundle(json.dumps(data).encode())
    assert (report.ok, report.problem) == (False, AuditProblem.BAD_SIGNATURE)


def test_a_resigned_bundle_with_a_broken_chain_is_caught(filled: Path, tmp_path: Path) -> None:
    """Someone with their own key can sign anything; the chain check still names the edit."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.store.audit import StoredEntry, build_bundle

    bundle = tmp_path / "audit.json"
    with Store.open(filled, Passphrase(PASSPHRASE)) as store:
        store.export_audit(bundle, actor="auditor-1")
        install_id = store.install_id
    data = json.loads(bundle.read_text())
    rows = []
    for seq, item in enumerate(data["entries"], start=1):
        entry = item["entry"]
        if seq == 3:
            entry["decision"] = "rejected"
        rows.append(StoredEntry(seq, canonical_json(entry), bytes.fromhex(item["hash"]), None))
    forged = build_bundle(
        rows,
        install_id=install_id,
        exported_at="x",
        head=ChainHead(len(rows), rows[-1].entry_hash.hex()),
        signing_key_raw=Ed25519PrivateKey.generate().private_bytes_raw(),
    )
    report = verify_bundle(forged)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, AuditProblem.EDITED)


def test_rolling_the_database_back_is_caught_by_an_exported_anchor(
    filled: Path, tmp_path: Path, rng: random.Random
) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(filled / "store", snapshot)  # an old copy of the whole store
    with Store.open(filled, Passphrase(PASSPHRASE)) as store:
        store.save_case(make_record(rng, evidence_sizes=(100,)), actor="kiosk")
        store.export_audit(tmp_path / "anchor.json", actor="auditor-1")
        device_key = store.device_public_key
    anchor = read_bundle_head(
        (tmp_path / "anchor.json").read_bytes(), expected_public_key=device_key
    )
    assert _verify(filled, anchor=anchor).ok
    shutil.rmtree(filled / "store")
    shutil.copytree(snapshot, filled / "store")
    assert _verify(filled).ok  # self-consistent on its own ...
    report = _verify(filled, anchor=anchor)
    assert (report.ok, report.problem) == (False, AuditProblem.ANCHOR_MISMATCH)


def test_garbage_is_not_a_bundle() -> None:
    for data in (b"", b"{}", b"\xff\xfe", json.dumps({"format": "other"}).encode()):
        with pytest.raises(BundleInvalid):
            verify_bundle(data)


def test_genesis_binds_the_installation(filled: Path) -> None:
    conn = raw_connection(filled)
    install_id = bytes(
        conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0]
    )
    first = conn.execute("SELECT body, entry_hash FROM audit_log WHERE seq = 1").fetchone()
    conn.close()
    genesis = hashlib.sha256(b"kiosk/audit-genesis/v1" + install_id).digest()
    assert chain_hash(genesis, bytes(first[0])) == bytes(first[1])


def _forged_bundle(install_id: str, rows: list[Any], head: ChainHead) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.store.audit import build_bundle

    return build_bundle(
        rows,
        install_id=install_id,
        exported_at="2026-01-01T00:00:00.000000Z",
        head=head,
        signing_key_raw=Ed25519PrivateKey.generate().private_bytes_raw(),
    )


def test_an_anchor_must_be_signed_by_the_stores_device_key(filled: Path, tmp_path: Path) -> None:
    """A bundle someone else signed, or one without a signature, is no anchor."""
    from kiosk.store.audit import StoredEntry
    from kiosk.store.errors import BundleUntrusted

    conn = raw_connection(filled)
    rows = [
        StoredEntry(seq, bytes(body), bytes(entry_hash), None)
        for seq, body, entry_hash in conn.execute(
            "SELECT seq, body, entry_hash FROM audit_log ORDER BY seq"
        )
    ]
    install_id = bytes(
        conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0]
    ).decode()
    conn.close()
    head = ChainHead(rows[-1].seq, rows[-1].entry_hash.hex())
    forged = _forged_bundle(install_id, rows, head)
    with Store.open(filled, Passphrase(PASSPHRASE)) as store:
        device_key = store.device_public_key
        store.export_audit(tmp_path / "real.json", actor="auditor-1")
    assert verify_bundle(forged).self_consistent  # a forgery is consistent with itself
    with pytest.raises(BundleUntrusted):
        read_bundle_head(forged, expected_public_key=device_key)
    unsigned = json.loads((tmp_path / "real.json").read_text())
    del unsigned["signature"]
    with pytest.raises((BundleUntrusted, BundleInvalid)):
        read_bundle_head(json.dumps(unsigned).encode(), expected_public_key=device_key)
    real = read_bundle_head((tmp_path / "real.json").read_bytes(), expected_public_key=device_key)
    assert real.seq == ENTRIES + 1
