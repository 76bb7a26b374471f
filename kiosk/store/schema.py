"""Versioned schema of the store database, applied in order, each step in one transaction.

The version lives in ``PRAGMA user_version``, written inside the step's
transaction, so a crash mid-migration leaves the previous version intact.
A database newer than this code is refused, never "downgraded".

Version 1 is the core (cases, evidence, keys, reviews, audit log); version 2
adds the upstream outbox. They are separate steps so that the upgrade path is
exercised by the tests from the first release on.

Times are INTEGER microseconds since the UNIX epoch, UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.store.errors import SchemaTooNew

_DECISIONS = "('approved', 'manual_review', 'rejected')"


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``statements`` run in order inside one transaction."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "core: metadata, wrapped keys, cases, evidence, reviews, audit log",
        (
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
            """CREATE TABLE wrapped_keys (
                purpose TEXT PRIMARY KEY,
                key_id TEXT NOT NULL,
                sealed BLOB NOT NULL
            ) WITHOUT ROWID""",
            f"""CREATE TABLE cases (
                case_id TEXT PRIMARY KEY,
                created_at_us INTEGER NOT NULL,
                saved_at_us INTEGER NOT NULL,
                decision TEXT NOT NULL CHECK (decision IN {_DECISIONS}),
                final_decision TEXT NOT NULL CHECK (final_decision IN {_DECISIONS}),
                reasons TEXT NOT NULL,
                policy_hash TEXT NOT NULL,
                model_hashes TEXT NOT NULL,
                timings TEXT NOT NULL,
                case_json BLOB,
                evidence_purged_at_us INTEGER,
                case_data_purged_at_us INTEGER
            )""",
            "CREATE INDEX cases_by_created ON cases (created_at_us)",
            """CREATE TABLE case_keys (
                case_id TEXT PRIMARY KEY REFERENCES cases (case_id) ON DELETE CASCADE,
                key_id TEXT NOT NULL,
                sealed BLOB NOT NULL
            ) WITHOUT ROWID""",
            """CREATE TABLE evidence (
                blob_id TEXT PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                media_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                UNIQUE (case_id, seq)
            )""",
            f"""CREATE TABLE reviews (
                review_id INTEGER PRIMARY KEY,
                case_id TEXT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
                decided_at_us INTEGER NOT NULL,
                actor TEXT NOT NULL,
                decision TEXT NOT NULL CHECK (decision IN {_DECISIONS}),
                note TEXT,
                audit_seq INTEGER NOT NULL
            )""",
            "CREATE INDEX reviews_by_case ON reviews (case_id)",
            """CREATE TABLE audit_log (
                seq INTEGER PRIMARY KEY,
                body BLOB NOT NULL,
                entry_hash BLOB NOT NULL,
                mac BLOB NOT NULL
            )""",
            # Guards against the code's own mistakes; someone holding the key can drop
            # them, which is what the hash chain and its MACs are for.
            """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
               BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
            """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
               BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        ),
    ),
    Migration(
        2,
        "outbox: messages for upstream sync, written with the decision",
        (
            """CREATE TABLE outbox (
                outbox_id INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id TEXT REFERENCES cases (case_id) ON DELETE CASCADE,
                created_at_us INTEGER NOT NULL,
                payload BLOB NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at_us INTEGER NOT NULL,
                delivered_at_us INTEGER,
                last_error TEXT
            )""",
            """CREATE INDEX outbox_due ON outbox (next_attempt_at_us, outbox_id)
               WHERE delivered_at_us IS NULL""",
            "CREATE INDEX outbox_by_case ON outbox (case_id)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """Schema versions before and after :func:`migrate` (equal when nothing ran)."""

    from_version: int
    to_version: int

    @property
    def migrated(self) -> bool:
        return self.to_version != self.from_version


def schema_version(conn: Any) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Any, migrations: Sequence[Migration] = MIGRATIONS) -> MigrationResult:
    """Apply every step newer than the database, each in its own transaction.

    Args:
        conn: an open, keyed connection in autocommit mode (``isolation_level=None``).
        migrations: steps numbered 1..N without gaps.

    Raises:
        SchemaTooNew: the database's version is above the newest step known here.
    """
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise ValueError("migrations must be numbered 1..N without gaps")
    start = schema_version(conn)
    latest = migrations[-1].version if migrations else 0
    if start > latest:
        raise SchemaTooNew(
            f"The store has schema version {start}; this kiosk knows up to {latest}.",
            hint="upgrade the kiosk software",
        )
    for step in migrations:
        if step.version <= start:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return MigrationResult(start, schema_version(conn))
