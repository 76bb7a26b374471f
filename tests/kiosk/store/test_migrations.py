"""Schema migrations: an older store is upgraded in place, a newer one is refused,
and a failing step changes nothing."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import AuditAction, Passphrase, Store
from kiosk.store import store as store_module
from kiosk.store.errors import SchemaTooNew
from kiosk.store.schema import LATEST_VERSION, MIGRATIONS, Migration, migrate, schema_version
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE, make_record, raw_connection


def test_a_version_1_store_is_upgraded_with_its_data(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, rng: random.Random
) -> None:
    real_migrate = store_module.migrate
    monkeypatch.setattr(store_module, "migrate", lambda conn: real_migrate(conn, MIGRATIONS[:1]))
    record = make_record(rng)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as old:
        old.save_case(record, actor="kiosk")  # version 1 has no outbox
    conn = raw_connection(data_dir)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'outbox'").fetchone() is None
    conn.close()
    monkeypatch.setattr(store_module, "migrate", real_migrate)

    with Store.open(data_dir, Passphrase(PASSPHRASE)) as upgraded:
        assert upgraded.status().schema_version == LATEST_VERSION == 2
        assert upgraded.load_evidence(record.case_id) == record.evidence
        saved = upgraded.save_case(make_record(rng), outbox_payload=b"m", actor="kiosk")
        assert saved.outbox_id == 1
        entry = next(
            e for e in upgraded.audit_entries() if e.action == AuditAction.SCHEMA_MIGRATED.value
        )
        assert dict(entry.details) == {"from": 1, "to": 2}
        assert upgraded.verify_audit().ok
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as again:  # nothing left to do
        actions = [e.action for e in again.audit_entries()]
        assert actions.count(AuditAction.SCHEMA_MIGRATED.value) == 1


def test_a_store_from_a_newer_kiosk_is_refused(data_dir: Path, store: Store) -> None:
    store.close()
    conn = raw_connection(data_dir)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SchemaTooNew):
        Store.open(data_dir, Passphrase(PASSPHRASE))


def _plain_connection(tmp_path: Path) -> Any:
    import sqlcipher3

    return sqlcipher3.connect(str(tmp_path / "plain.db"), isolation_level=None)


def test_a_failing_step_is_rolled_back(tmp_path: Path) -> None:
    conn = _plain_connection(tmp_path)
    steps = (
        Migration(1, "fine", ("CREATE TABLE a (x)",)),
        Migration(2, "breaks halfway", ("CREATE TABLE b (x)", "CREATE TABLE a (x)")),
    )
    with pytest.raises(Exception, match="already exists"):
        migrate(conn, steps)
    assert schema_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"a"}
    with pytest.raises(ValueError):
        migrate(conn, steps[1:])  # numbering must start at 1 without gaps
