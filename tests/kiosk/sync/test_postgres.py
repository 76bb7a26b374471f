"""The receiver on PostgreSQL (``--dsn``), when a server and psycopg are available.

Skipped unless ``KIOSK_TEST_PG_DSN`` names a database this test may drop its
tables in, and ``psycopg`` is importable; CI has neither. Run locally with e.g.
``KIOSK_TEST_PG_DSN="host=127.0.0.1 port=55432 user=kiosk dbname=kyc"``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import Store
from kiosk.sync.sender import Sender
from kiosk.sync.signing import signature_header
from kiosk.sync.transport import HttpTransport, WireResponse
from tests.kiosk.sync.helpers import (
    DEVICE_ID,
    DEVICE_SECRET,
    RunningReceiver,
    make_settings,
    outbox_payloads,
    queue_cases,
)

DSN = os.environ.get("KIOSK_TEST_PG_DSN", "")
pytestmark = pytest.mark.skipif(
    not DSN or importlib.util.find_spec("psycopg") is None,
    reason="needs KIOSK_TEST_PG_DSN and psycopg",
)


def pg_rows() -> dict[str, tuple[bytes, int]]:
    psycopg: Any = importlib.import_module("psycopg")
    with psycopg.connect(DSN) as conn:
        rows = conn.execute("SELECT idempotency_key, body, deliveries FROM decisions").fetchall()
    return {k: (bytes(b), int(n)) for k, b, n in rows}


def post_signed(transport: HttpTransport, case_id: str, body: bytes, stamp: int) -> WireResponse:
    return transport.post(
        body,
        [
            ("Content-Type", "application/json"),
            ("X-Kiosk-Signature", signature_header(DEVICE_SECRET.encode(), stamp, body)),
            ("X-Kiosk-Device", DEVICE_ID),
            ("Idempotency-Key", case_id),
        ],
    )


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    psycopg: Any = importlib.import_module("psycopg")
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS decisions, seen_signatures")
    yield DSN


def test_delivery_deduplication_and_replay_on_postgres(
    fresh_pg: str, secret_file: Path, store: Store, rng: random.Random
) -> None:
    with RunningReceiver(None, secret_file, dsn=fresh_pg) as running:
        settings = make_settings(running.url)
        ids = queue_cases(store, 40, settings, rng)
        sent = dict(outbox_payloads(store))
        with Sender(store, settings) as sender:
            assert sender.drain().delivered == 40
        running.restart()
        transport = HttpTransport(settings.endpoint)
        try:
            later = int(time.time()) + 120  # inside the window, unlike any signature so far
            again = post_signed(transport, ids[0], sent[ids[0]], later)
            assert (again.status, again.idempotent_replayed) == (200, True)
            assert post_signed(transport, ids[0], sent[ids[0]], later).status == 409  # replay
            other = sent[ids[1]].replace(b'"approved"', b'"rejected"')
            assert post_signed(transport, ids[1], other, later).status == 409  # conflict
        finally:
            transport.close()
    rows = pg_rows()
    assert sorted(rows) == sorted(ids)
    assert all(rows[k][0] == sent[k] for k in ids)
    assert [rows[k][1] for k in ids] == [2] + [1] * 39


def test_two_receivers_on_one_database_store_each_case_once(
    fresh_pg: str, secret_file: Path, store: Store, rng: random.Random
) -> None:
    statuses: list[int] = []
    with (
        RunningReceiver(None, secret_file, dsn=fresh_pg) as one,
        RunningReceiver(None, secret_file, dsn=fresh_pg) as two,
    ):
        ids = queue_cases(store, 40, make_settings(one.url), rng)
        payloads = dict(outbox_payloads(store))

        def push(url: str, skew: int) -> None:
            transport = HttpTransport(url + "/v1/decisions")
            try:
                for case_id in ids:
                    stamp = int(time.time()) + skew  # the two never sign alike
                    statuses.append(
                        post_signed(transport, case_id, payloads[case_id], stamp).status
                    )
            finally:
                transport.close()

        threads = [
            threading.Thread(target=push, args=(one.url, -100)),
            threading.Thread(target=push, args=(two.url, 100)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(statuses) == 80 and set(statuses) <= {200, 503}  # 503: lost a race, retry
    rows = pg_rows()
    assert sorted(rows) == sorted(ids)
    assert all(rows[k][0] == payloads[k] for k in ids)
