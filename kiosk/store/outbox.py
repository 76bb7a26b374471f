"""The upstream outbox: messages written with the decision, drained by the sync sender.

Rows are inserted by :meth:`kiosk.store.Store.save_case` inside the case's
transaction, so a decision is never stored without its message or the other
way round. Payloads are opaque bytes (the sync issue decides their shape);
they live inside the encrypted database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.store.errors import OutboxItemNotFound
from kiosk.store.types import OutboxItem, OutboxStats, at_us, check_aware, from_us, to_us

if TYPE_CHECKING:
    from kiosk.store.store import Store

MAX_ERROR_CHARS = 500


class Outbox:
    """The upstream outbox of a store (``store.outbox``). Payloads are opaque bytes.

    Rows are written by :meth:`Store.save_case` in the case's transaction;
    the sender reads :meth:`due` rows and reports each outcome.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def due(self, now: datetime | None = None, limit: int = 50) -> tuple[OutboxItem, ...]:
        """Undelivered rows whose next attempt is at or before ``now``, in creation order."""
        at = check_aware(now, "now") if now is not None else self._store._clock()
        return self._store._call(self._due, at, limit)

    def mark_delivered(self, outbox_id: int, *, at: datetime | None = None) -> None:
        """Record a successful delivery.

        Raises:
            OutboxItemNotFound: unknown id.
        """
        when = check_aware(at, "at") if at is not None else self._store._clock()
        self._store._call(self._mark_delivered, outbox_id, when)

    def mark_delivered_many(self, outbox_ids: Sequence[int], *, at: datetime | None = None) -> int:
        """Record several deliveries in one transaction (one disk sync instead of one each).

        Already-delivered ids are left alone. Returns how many rows changed.

        Raises:
            OutboxItemNotFound: an unknown id (nothing is recorded then).
        """
        when = check_aware(at, "at") if at is not None else self._store._clock()
        ids = tuple(int(i) for i in outbox_ids)
        if not ids:
            return 0
        return self._store._call(self._mark_delivered_many, ids, when)

    def mark_failed(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to retry (the error is truncated to 500 chars).

        Raises:
            OutboxItemNotFound: unknown id.
        """
        retry = check_aware(next_attempt_at, "next_attempt_at")
        self._store._call(self._mark_failed, outbox_id, str(error)[:MAX_ERROR_CHARS], retry)

    def bring_forward(self, outbox_ids: Sequence[int], next_attempt_at: datetime) -> int:
        """Move the next attempt of undelivered rows due later than ``next_attempt_at``
        up to it (attempts and errors are unchanged). Returns how many rows moved."""
        at = check_aware(next_attempt_at, "next_attempt_at")
        ids = tuple(int(i) for i in outbox_ids)
        if not ids:
            return 0
        return self._store._call(self._bring_forward, ids, at)

    def stats(self) -> OutboxStats:
        """Queue length, last success and last error."""
        return self._store._call(self._stats)

    def _due(self, now: datetime, limit: int) -> tuple[OutboxItem, ...]:
        rows = self._store._conn.execute(
            "SELECT outbox_id, case_id, created_at_us, payload, attempts, next_attempt_at_us, "
            "last_error FROM outbox WHERE delivered_at_us IS NULL AND next_attempt_at_us <= ? "
            "ORDER BY outbox_id LIMIT ?",
            (to_us(now), max(0, int(limit))),
        ).fetchall()
        return tuple(
            OutboxItem(r[0], r[1], at_us(r[2]), bytes(r[3]), r[4], at_us(r[5]), r[6]) for r in rows
        )

    def _mark_delivered(self, outbox_id: int, at: datetime) -> None:
        store = self._store
        with store._transaction():
            cursor = store._conn.execute(
                "UPDATE outbox SET delivered_at_us = ?, attempts = attempts + 1 "
                "WHERE outbox_id = ? AND delivered_at_us IS NULL",
                (to_us(at), outbox_id),
            )
            if cursor.rowcount == 0:
                exists = store._conn.execute(
                    "SELECT 1 FROM outbox WHERE outbox_id = ?", (outbox_id,)
                ).fetchone()
                if exists is None:
                    raise OutboxItemNotFound(f"No outbox item {outbox_id}.")
                return  # already delivered: idempotent
            store._meta_set("outbox_last_success_us", str(to_us(at)).encode())

    def _mark_delivered_many(self, outbox_ids: tuple[int, ...], at: datetime) -> int:
        store = self._store
        changed = 0
        with store._transaction():
            for outbox_id in outbox_ids:
                cursor = store._conn.execute(
                    "UPDATE outbox SET delivered_at_us = ?, attempts = attempts + 1 "
                    "WHERE outbox_id = ? AND delivered_at_us IS NULL",
                    (to_us(at), outbox_id),
                )
                if cursor.rowcount == 0:
                    exists = store._conn.execute(
                        "SELECT 1 FROM outbox WHERE outbox_id = ?", (outbox_id,)
                    ).fetchone()
                    if exists is None:
                        raise OutboxItemNotFound(f"No outbox item {outbox_id}.")
                changed += cursor.rowcount
            if changed:
                store._meta_set("outbox_last_success_us", str(to_us(at)).encode())
        return changed

    def _mark_failed(self, outbox_id: int, error: str, retry: datetime) -> None:
        store = self._store
        now = store._clock()
        with store._transaction():
            cursor = store._conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at_us = ? WHERE outbox_id = ? AND delivered_at_us IS NULL",
                (error, to_us(retry), outbox_id),
            )
            if cursor.rowcount == 0:
                raise OutboxItemNotFound(f"No undelivered outbox item {outbox_id}.")
            store._meta_set("outbox_last_error_us", str(to_us(now)).encode())
            store._meta_set("outbox_last_error", error.encode("utf-8"))

    def _bring_forward(self, outbox_ids: tuple[int, ...], at: datetime) -> int:
        store = self._store
        moved = 0
        with store._transaction():
            for outbox_id in outbox_ids:
                moved += store._conn.execute(
                    "UPDATE outbox SET next_attempt_at_us = ? WHERE outbox_id = ? "
                    "AND delivered_at_us IS NULL AND next_attempt_at_us > ?",
                    (to_us(at), outbox_id, to_us(at)),
                ).rowcount
        return moved

    def _stats(self) -> OutboxStats:
        store = self._store
        pending, oldest = store._conn.execute(
            "SELECT count(*), min(created_at_us) FROM outbox WHERE delivered_at_us IS NULL"
        ).fetchone()
        delivered = store._conn.execute(
            "SELECT count(*) FROM outbox WHERE delivered_at_us IS NOT NULL"
        ).fetchone()[0]

        def meta_time(key: str) -> datetime | None:
            raw = store._meta_get(key)
            return None if raw is None else from_us(int(raw.decode()))

        last_error = store._meta_get("outbox_last_error")
        return OutboxStats(
            pending=pending,
            delivered=delivered,
            oldest_pending_at=from_us(oldest),
            last_success_at=meta_time("outbox_last_success_us"),
            last_error_at=meta_time("outbox_last_error_us"),
            last_error=None if last_error is None else last_error.decode("utf-8", "replace"),
        )
