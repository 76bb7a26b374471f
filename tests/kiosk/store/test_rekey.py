"""Master-key rotation and passphrase change lose nothing, also when killed between steps."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from kiosk.store import (
    ROTATION_STEPS,
    AuditAction,
    CaseRecord,
    Passphrase,
    Store,
    read_store_keyfile,
)
from kiosk.store.errors import WrongPassphrase
from tests.kiosk.store.crashkit import padded, run_child
from tests.kiosk.store.helpers import (
    OTHER_PASSPHRASE,
    PASSPHRASE,
    file_hashes,
    make_record,
    master_key,
    opens_with,
)


def _fill(store: Store, count: int, *, filler_kib: int = 0) -> list[CaseRecord]:
    records: list[CaseRecord] = []
    for i in range(count):
        record = make_record(random.Random(i), evidence_sizes=(20_000, 5_000))
        if filler_kib:
            record = padded(record, filler_kib)
        store.save_case(record, outbox_payload=b"m", actor="kiosk")
        records.append(record)
    return records


def _check_everything(
    data_dir: Path, records: list[CaseRecord], passphrase: str = PASSPHRASE
) -> Store:
    store = Store.open(data_dir, Passphrase(passphrase))
    for record in records:
        assert store.load_evidence(record.case_id) == record.evidence
        assert store.get_case(record.case_id).case_json == record.case_json
    assert store.verify_audit().ok
    assert store.integrity_check() == "ok"
    return store


def test_rotation_keeps_data_and_changes_the_database_key(data_dir: Path, store: Store) -> None:
    records = _fill(store, 5)
    old_key = master_key(data_dir)
    blobs_before = file_hashes(store.paths.blobs)
    rotation = store.rotate_master_key(actor="operator")
    assert rotation.old_key_id == old_key.key_id != rotation.new_key_id
    assert rotation.wrapped_keys == 5 + 2  # five case keys, the audit key, the device key
    assert not rotation.resumed
    store.close()
    new_key = master_key(data_dir)  # same passphrase unwraps the new master key
    assert new_key.key_id == rotation.new_key_id
    assert opens_with(data_dir, new_key) and not opens_with(data_dir, old_key)
    assert file_hashes(data_dir / "store" / "blobs") == blobs_before  # DEKs re-wrapped, not blobs
    with _check_everything(data_dir, records) as reopened:
        entry = reopened.audit_entries()[-1]
        assert entry.action == AuditAction.MASTER_KEY_ROTATED.value
        assert dict(entry.details)["new_key_id"] == rotation.new_key_id
    assert read_store_keyfile(data_dir).pending is None


def test_passphrase_change_rewraps_only_the_master_key(data_dir: Path, store: Store) -> None:
    records = _fill(store, 3)
    key_id = store.master_key_id
    change = store.change_passphrase(OTHER_PASSPHRASE, actor="operator")
    assert change.kek_generation == 2
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    with _check_everything(data_dir, records, OTHER_PASSPHRASE) as reopened:
        assert reopened.master_key_id == key_id
        entry = reopened.audit_entries()[-1]
        assert entry.action == AuditAction.PASSPHRASE_CHANGED.value
        assert dict(entry.details)["kek_generation"] == 2
    assert read_store_keyfile(data_dir).kdf.salt != b""


@pytest.mark.parametrize("step", ROTATION_STEPS)
def test_rotation_killed_after_each_step_recovers(data_dir: Path, store: Store, step: str) -> None:
    records = _fill(store, 6)
    old_key = master_key(data_dir)
    store.close()
    proc = run_child("rotate", str(data_dir), step)
    assert proc.returncode == -9, proc.stderr  # SIGKILL
    assert f"STEP {step}" in proc.stdout
    keyfile = read_store_keyfile(data_dir)
    assert (keyfile.pending is not None) == (step != "keyfile_final")
    with _check_everything(data_dir, records) as reopened:
        new_id = reopened.master_key_id
        rotations = [
            e for e in reopened.audit_entries() if e.action == AuditAction.MASTER_KEY_ROTATED.value
        ]
        assert len(rotations) == 1  # finishing the rotation did not log it twice
    keyfile = read_store_keyfile(data_dir)
    assert keyfile.pending is None and keyfile.master.key_id == new_id != old_key.key_id
    assert opens_with(data_dir, master_key(data_dir)) and not opens_with(data_dir, old_key)


def _rekey_ms(data_dir: Path, scratch: Path) -> float:
    """How long ``PRAGMA rekey`` takes on a copy of this store, on this machine now."""
    shutil.copytree(data_dir, scratch)
    stamps: dict[str, float] = {}
    with Store.open(scratch, Passphrase(PASSPHRASE)) as copy:
        copy.rotate_master_key(
            actor="operator", on_step=lambda name: stamps.setdefault(name, time.perf_counter())
        )
    return (stamps["db_rekeyed"] - stamps["keys_rewrapped"]) * 1000.0


def test_rotation_killed_inside_pragma_rekey_recovers(
    data_dir: Path, store: Store, tmp_path: Path
) -> None:
    """Kills at random moments while SQLCipher re-encrypts a ~6.5 MB database. The
    delays are fractions of the rekey time measured on a copy first, so the kills land
    inside it on a fast machine as on a slow one."""
    records = _fill(store, 24, filler_kib=256)
    store.close()
    rekey_ms = _rekey_ms(data_dir, tmp_path / "calibration")
    rng = random.Random(5)
    inside = 0
    for _ in range(5):
        delay_ms = rekey_ms * rng.uniform(0.1, 0.7)
        proc = run_child("rotate", str(data_dir), "during-rekey", f"{delay_ms:.1f}")
        steps = proc.stdout.split()
        if proc.returncode == -9 and "keys_rewrapped" in steps and "db_rekeyed" not in steps:
            inside += 1
        with _check_everything(data_dir, records):
            assert read_store_keyfile(data_dir).pending is None
            assert opens_with(data_dir, master_key(data_dir))
    assert inside >= 1, f"no kill landed inside PRAGMA rekey ({rekey_ms:.0f} ms here)"


def test_passphrase_change_killed_before_its_audit_entry_is_caught_up(
    data_dir: Path, store: Store
) -> None:
    records = _fill(store, 2)
    store.close()
    proc = run_child("passwd", str(data_dir), OTHER_PASSPHRASE, "keyfile_written")
    assert proc.returncode == -9, proc.stderr
    with pytest.raises(WrongPassphrase):
        Store.open(data_dir, Passphrase(PASSPHRASE))
    with _check_everything(data_dir, records, OTHER_PASSPHRASE) as reopened:
        actions = [e.action for e in reopened.audit_entries()]
        assert actions.count(AuditAction.PASSPHRASE_CHANGED.value) == 1
    with Store.open(data_dir, Passphrase(OTHER_PASSPHRASE)) as again:
        actions = [e.action for e in again.audit_entries()]
        assert actions.count(AuditAction.PASSPHRASE_CHANGED.value) == 1  # not repeated
