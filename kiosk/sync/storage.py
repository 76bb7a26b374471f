"""The receiver's database: decisions unique per device and case id, seen signatures,
group commit.

SQLite (standard library, WAL, ``synchronous=FULL``) by default; PostgreSQL
through ``psycopg`` when it is installed and a DSN is given. One writer thread
owns the connection and applies every queued delivery of a moment in one
transaction, so concurrent requests share one disk sync, and answers go out
only after the commit: an acknowledged decision is on disk.

A decision is identified by ``(device_id, idempotency_key)``: a device can
store, conflict with or duplicate only its own cases, so one that learns
another kiosk's case id cannot claim it first. (A case id held by two devices
is stored for each and logged; case ids are random, so that is worth a look.)

Per delivery, in order, inside the transaction:

1. a stored row with this device and key but a different body -> ``CONFLICT``
   (nothing written);
2. the signature was seen before -> ``REPLAYED`` (nothing written);
3. record the signature; a stored row with the same body -> ``DUPLICATE``
   (its delivery count goes up), else insert -> ``STORED``.

A signature is recorded only together with a stored (or duplicate) body, so
"seen before" implies the receiver holds exactly those bytes.

Schema version 2 (``PRAGMA user_version`` in SQLite) changed the primary key
from the case id alone to the pair; a version-1 database is migrated in one
transaction when it is opened (rows, order and delivery counts kept). The
SQLite file, its WAL and shared-memory files are created private to the owner
(mode 0600), and a directory the receiver creates for it gets mode 0700.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import importlib
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kiosk.errors import ConfigError
from kiosk.sync.errors import ReceiverStorageError

log = logging.getLogger("kiosk.sync.storage")

SCHEMA_VERSION = 2
MAX_BATCH = 256
_DECISION_COLUMNS = (
    "idempotency_key, site_id, device_id, decision, created_at, received_at, body_sha256, "
    "body, deliveries"
)
_SQLITE_DECISIONS = """CREATE TABLE IF NOT EXISTS {name} (
        idempotency_key TEXT NOT NULL,
        site_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        decision TEXT NOT NULL,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        body BLOB NOT NULL,
        deliveries INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (device_id, idempotency_key)
    )"""
_SQLITE_SCHEMA = (
    _SQLITE_DECISIONS.format(name="decisions"),
    "CREATE INDEX IF NOT EXISTS decisions_case ON decisions (idempotency_key)",
    """CREATE TABLE IF NOT EXISTS seen_signatures (
        signature TEXT PRIMARY KEY,
        signed_at_s INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS seen_signatures_age ON seen_signatures (signed_at_s)",
)
_PG_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS decisions (
        idempotency_key TEXT NOT NULL,
        site_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        decision TEXT NOT NULL,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        body BYTEA NOT NULL,
        deliveries INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (device_id, idempotency_key)
    )""",
    "CREATE INDEX IF NOT EXISTS decisions_case ON decisions (idempotency_key)",
    """CREATE TABLE IF NOT EXISTS seen_signatures (
        signature TEXT PRIMARY KEY,
        signed_at_s BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS seen_signatures_age ON seen_signatures (signed_at_s)",
)


class Disposition(enum.Enum):
    """What storing a delivery did."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REPLAYED = "replayed"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One verified, schema-checked decision to store.

    Attributes:
        idempotency_key: the case id.
        site_id, device_id, decision, created_at: copied from the payload for queries.
        body: the exact signed bytes.
        body_sha256: hex sha256 of ``body``.
        signature: the ``v1`` digest that verified (the replay-cache key).
        signed_at_s: the signature's UNIX time.
        received_at: when the request arrived (UTC).
    """

    idempotency_key: str
    site_id: str
    device_id: str
    decision: str
    created_at: str
    body: bytes = field(repr=False)
    body_sha256: str
    signature: str
    signed_at_s: int
    received_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """The result for one delivery: the disposition and the row as stored (None for a
    replay whose row is gone)."""

    disposition: Disposition
    received_at: str | None
    body_sha256: str | None


@dataclass(frozen=True, slots=True)
class ReceiverCounts:
    """Rows held: distinct decisions, and deliveries counted (first plus duplicates)."""

    decisions: int
    deliveries: int


class Backend(Protocol):
    """A database the writer thread drives (one connection, one thread)."""

    def apply(self, batch: Sequence[Delivery]) -> list[StoreOutcome]: ...

    def prune(self, before_s: int) -> int: ...

    def counts(self) -> ReceiverCounts: ...

    def close(self) -> None: ...


def iso_utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteBackend:
    """SQLite file (created if missing), WAL journal, full sync on commit."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self._sqlite3 = sqlite3
        try:
            _create_private(path)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 5000")
            _migrate_sqlite(conn)
            for statement in _SQLITE_SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"The receiver database {path} cannot be opened: {exc}.") from None
        self._conn = conn

    def apply(self, batch: Sequence[Delivery]) -> list[StoreOutcome]:
        conn = self._conn
        out: list[StoreOutcome] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for d in batch:
                row = conn.execute(
                    "SELECT received_at, body_sha256 FROM decisions "
                    "WHERE device_id = ? AND idempotency_key = ?",
                    (d.device_id, d.idempotency_key),
                ).fetchone()
                if row is not None and row[1] != d.body_sha256:
                    out.append(StoreOutcome(Disposition.CONFLICT, row[0], row[1]))
                    continue
                seen = conn.execute(
                    "INSERT INTO seen_signatures (signature, signed_at_s) VALUES (?, ?) "
                    "ON CONFLICT (signature) DO NOTHING",
                    (d.signature, d.signed_at_s),
                )
                if seen.rowcount == 0:
                    out.append(
                        StoreOutcome(
                            Disposition.REPLAYED, row[0] if row else None, row[1] if row else None
                        )
                    )
                elif row is not None:
                    conn.execute(
                        "UPDATE decisions SET deliveries = deliveries + 1 "
                        "WHERE device_id = ? AND idempotency_key = ?",
                        (d.device_id, d.idempotency_key),
                    )
                    out.append(StoreOutcome(Disposition.DUPLICATE, row[0], row[1]))
                else:
                    _note_shared_case_id(
                        conn.execute(
                            "SELECT count(*) FROM decisions "
                            "WHERE idempotency_key = ? AND device_id <> ?",
                            (d.idempotency_key, d.device_id),
                        ).fetchone()[0],
                        d,
                    )
                    received = iso_utc(d.received_at)
                    conn.execute(
                        "INSERT INTO decisions (idempotency_key, site_id, device_id, decision, "
                        "created_at, received_at, body_sha256, body) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            d.idempotency_key,
                            d.site_id,
                            d.device_id,
                            d.decision,
                            d.created_at,
                            received,
                            d.body_sha256,
                            d.body,
                        ),
                    )
                    out.append(StoreOutcome(Disposition.STORED, received, d.body_sha256))
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(self._sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        return out

    def prune(self, before_s: int) -> int:
        cursor = self._conn.execute(
            "DELETE FROM seen_signatures WHERE signed_at_s < ?", (int(before_s),)
        )
        return int(cursor.rowcount)

    def counts(self) -> ReceiverCounts:
        decisions, deliveries = self._conn.execute(
            "SELECT count(*), coalesce(sum(deliveries), 0) FROM decisions"
        ).fetchone()
        return ReceiverCounts(int(decisions), int(deliveries))

    def close(self) -> None:
        self._conn.close()


class PostgresBackend:
    """PostgreSQL through ``psycopg`` (3.x), which must be installed separately."""

    def __init__(self, dsn: str) -> None:
        try:
            psycopg = importlib.import_module("psycopg")
        except ImportError:
            raise ConfigError(
                "PostgreSQL needs the psycopg package, which is not installed.",
                hint="pip install 'psycopg[binary]', or use --db FILE for SQLite",
            ) from None
        self._psycopg = psycopg
        try:
            conn = psycopg.connect(dsn, autocommit=False)
            with conn.transaction():
                for statement in _PG_SCHEMA:
                    conn.execute(statement)
                _migrate_postgres(conn)
        except psycopg.Error as exc:
            # the message may hold the host name but not the password; keep it short
            raise ConfigError(
                f"The PostgreSQL database cannot be used ({type(exc).__name__})."
            ) from None
        self._conn = conn

    def apply(self, batch: Sequence[Delivery]) -> list[StoreOutcome]:
        out: list[StoreOutcome] = []
        with self._conn.transaction():
            for d in batch:
                row = self._conn.execute(
                    "SELECT received_at, body_sha256 FROM decisions "
                    "WHERE device_id = %s AND idempotency_key = %s FOR UPDATE",
                    (d.device_id, d.idempotency_key),
                ).fetchone()
                if row is not None and row[1] != d.body_sha256:
                    out.append(StoreOutcome(Disposition.CONFLICT, row[0], row[1]))
                    continue
                seen = self._conn.execute(
                    "INSERT INTO seen_signatures (signature, signed_at_s) VALUES (%s, %s) "
                    "ON CONFLICT (signature) DO NOTHING",
                    (d.signature, d.signed_at_s),
                )
                if seen.rowcount == 0:
                    out.append(
                        StoreOutcome(
                            Disposition.REPLAYED, row[0] if row else None, row[1] if row else None
                        )
                    )
                elif row is not None:
                    self._conn.execute(
                        "UPDATE decisions SET deliveries = deliveries + 1 "
                        "WHERE device_id = %s AND idempotency_key = %s",
                        (d.device_id, d.idempotency_key),
                    )
                    out.append(StoreOutcome(Disposition.DUPLICATE, row[0], row[1]))
                else:
                    _note_shared_case_id(
                        self._conn.execute(
                            "SELECT count(*) FROM decisions "
                            "WHERE idempotency_key = %s AND device_id <> %s",
                            (d.idempotency_key, d.device_id),
                        ).fetchone()[0],
                        d,
                    )
                    received = iso_utc(d.received_at)
                    inserted = self._conn.execute(
                        "INSERT INTO decisions (idempotency_key, site_id, device_id, decision, "
                        "created_at, received_at, body_sha256, body) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (device_id, idempotency_key) DO NOTHING",
                        (
                            d.idempotency_key,
                            d.site_id,
                            d.device_id,
                            d.decision,
                            d.created_at,
                            received,
                            d.body_sha256,
                            d.body,
                        ),
                    )
                    if inserted.rowcount == 0:
                        # another receiver process stored it first; let the client retry
                        raise ReceiverStorageError("A concurrent writer stored this case first.")
                    out.append(StoreOutcome(Disposition.STORED, received, d.body_sha256))
        return out

    def prune(self, before_s: int) -> int:
        with self._conn.transaction():
            cursor = self._conn.execute(
                "DELETE FROM seen_signatures WHERE signed_at_s < %s", (int(before_s),)
            )
        return int(cursor.rowcount)

    def counts(self) -> ReceiverCounts:
        with self._conn.transaction():
            row = self._conn.execute(
                "SELECT count(*), coalesce(sum(deliveries), 0) FROM decisions"
            ).fetchone()
        return ReceiverCounts(int(row[0]), int(row[1]))

    def close(self) -> None:
        self._conn.close()


def _create_private(path: Path) -> None:
    """Create the database file with mode 0600 (SQLite gives its WAL and shared-memory
    files the database's mode) and a missing directory with mode 0700."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
            log.warning(
                "receiver: the database file is accessible by other users (chmod 600 it, "
                "and its -wal and -shm files)"
            )
        return
    os.close(fd)


def _migrate_sqlite(conn: Any) -> None:
    """Schema 1 -> 2: the primary key becomes (device_id, idempotency_key).

    SQLite cannot change a primary key in place: the table is copied, in one
    transaction, in its row order. A new or current database is left alone.
    """
    columns = conn.execute("PRAGMA table_info(decisions)").fetchall()
    key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5] > 0]
    if not columns or key == ["device_id", "idempotency_key"]:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SQLITE_DECISIONS.format(name="decisions_v2"))
        conn.execute(
            f"INSERT INTO decisions_v2 ({_DECISION_COLUMNS}) "
            f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY rowid"
        )
        conn.execute("DROP TABLE decisions")
        conn.execute("ALTER TABLE decisions_v2 RENAME TO decisions")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise
    log.info("receiver: database migrated to schema %d (key: device and case id)", SCHEMA_VERSION)


def _migrate_postgres(conn: Any) -> None:
    """Schema 1 -> 2 on PostgreSQL: swap the primary key, inside the caller's transaction."""
    key = [
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
            "WHERE i.indrelid = 'decisions'::regclass AND i.indisprimary"
        ).fetchall()
    ]
    if sorted(key) == ["device_id", "idempotency_key"]:
        return
    names = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'decisions'::regclass AND contype = 'p'"
    ).fetchall()
    sql = importlib.import_module("psycopg.sql")
    for (name,) in names:
        conn.execute(
            sql.SQL("ALTER TABLE decisions DROP CONSTRAINT {}").format(sql.Identifier(name))
        )
    conn.execute("ALTER TABLE decisions ADD PRIMARY KEY (device_id, idempotency_key)")
    log.info("receiver: database migrated to schema %d (key: device and case id)", SCHEMA_VERSION)


def _note_shared_case_id(others: int, delivery: Delivery) -> None:
    if others:
        # random case ids do not collide: a device may be reusing another's ids
        log.warning(
            "receiver: case %s is also stored for %d other device(s); stored for device %s too",
            delivery.idempotency_key,
            others,
            delivery.device_id,
        )


def open_backend(*, db: Path | None = None, dsn: str | None = None) -> Backend:
    """SQLite at ``db``, or PostgreSQL at ``dsn`` (exactly one).

    Raises:
        ConfigError: neither or both given, or the database cannot be opened.
    """
    if (db is None) == (dsn is None):
        raise ConfigError("Give the receiver exactly one of a database file or a DSN.")
    return SqliteBackend(db) if db is not None else PostgresBackend(str(dsn))


@dataclass
class _Job:
    delivery: Delivery | None
    call: Callable[[], Any] | None
    future: Future[Any]


_STOP = object()


class DecisionStore:
    """Serialises all database work on one writer thread with group commit.

    Args:
        backend: the database.
        keep_signatures_s: how long seen signatures are kept (at least the
            replay window on both sides of now).
        prune_every_s: how often old signatures are removed.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        keep_signatures_s: float = 900.0,
        prune_every_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._backend = backend
        self._keep = keep_signatures_s
        self._prune_every = prune_every_s
        self._clock = clock
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kiosk-receiver-db", daemon=True)
        self._thread.start()

    def submit(self, delivery: Delivery, *, timeout_s: float = 30.0) -> StoreOutcome:
        """Store one delivery; returns after its transaction committed.

        Raises:
            ReceiverStorageError: the database failed, or the store is closed.
        """
        result: StoreOutcome = self._do(_Job(delivery, None, Future()), timeout_s)
        return result

    def counts(self) -> ReceiverCounts:
        """Distinct decisions and total deliveries held."""
        result: ReceiverCounts = self._do(_Job(None, self._backend.counts, Future()), 30.0)
        return result

    def close(self) -> None:
        """Finish queued work, then close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self._backend.close()

    def _do(self, job: _Job, timeout_s: float) -> Any:
        if self._closed:
            raise ReceiverStorageError("The receiver database is closed.")
        self._queue.put(job)
        try:
            return job.future.result(timeout=timeout_s)
        except ReceiverStorageError:
            raise
        except Exception:
            raise ReceiverStorageError() from None

    def _run(self) -> None:
        last_prune = 0.0
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._prune_every)
            except queue.Empty:
                first = None
            jobs: list[_Job] = []
            if first is _STOP:
                stopping = True
            elif first is not None:
                jobs.append(first)
            while not stopping and len(jobs) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                else:
                    jobs.append(more)
            self._apply([j for j in jobs if j.delivery is not None])
            for job in jobs:
                if job.call is not None:
                    try:
                        job.future.set_result(job.call())
                    except Exception as exc:
                        job.future.set_exception(exc)
            now = self._clock()
            if now - last_prune >= self._prune_every:
                last_prune = now
                try:
                    removed = self._backend.prune(int(now - self._keep))
                    if removed:
                        log.info("receiver: pruned %d old signatures", removed)
                except Exception:
                    log.exception("receiver: pruning old signatures failed")

    def _apply(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        try:
            outcomes = self._backend.apply([j.delivery for j in jobs if j.delivery is not None])
        except ReceiverStorageError as exc:
            for job in jobs:
                job.future.set_exception(exc)
            return
        except Exception:
            log.exception("receiver: storing %d deliveries failed", len(jobs))
            for job in jobs:
                job.future.set_exception(ReceiverStorageError())
            return
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.future.set_result(outcome)
