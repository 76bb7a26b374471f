"""Sync throughput: decisions per second from the encrypted store's outbox to the
reference receiver over loopback HTTP.

Run: ``.venv/bin/python -m tests.bench.bench_sync [--count 2000] [--runs 3] [--concurrency 1,4]``

Each run queues ``--count`` decisions in a fresh store (not timed), starts
``kiosk sync serve`` with a fresh SQLite database in a child process, and
times one :meth:`kiosk.sync.sender.Sender.drain` until the outbox is empty:
reading the outbox, the schema check, HMAC signing, HTTP/1.1 keep-alive, the
receiver's verification, deduplication and durable commit (``synchronous=FULL``),
the receipt check and the batched delivery record. Target (issue 8): >= 200/s.
Both processes share the machine's CPUs; fsync cost depends on the disk of
``--dir``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kiosk.store import Store
from kiosk.sync.sender import Sender
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE
from tests.kiosk.sync.helpers import make_settings, queue_cases, write_secret
from tests.kiosk.sync.outage import ChildReceiver, free_port

TARGET_PER_S = 200.0


def one_run(root: Path, count: int, concurrency: int, seed: int) -> float:
    root.mkdir(parents=True)
    secret = write_secret(root / "device.secret")
    port = free_port()
    settings = make_settings(f"http://127.0.0.1:{port}", concurrency=concurrency)
    with Store.create(root / "kiosk-data", PASSPHRASE, kdf=FAST_KDF) as store:
        queue_cases(store, count, settings, random.Random(seed), with_evidence=False)
        receiver = ChildReceiver(root, port, secret)
        receiver.start()
        try:
            with Sender(store, settings) as sender:
                started = time.perf_counter()
                report = sender.drain()
                elapsed = time.perf_counter() - started
        finally:
            receiver.stop()
        if report.delivered != count or store.outbox.stats().pending:
            raise SystemExit(f"run failed: {report}")
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", default="1,4", help="requests in flight, comma-separated")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=args.dir))
    os.environ["KIOSK_DATA_DIR"] = str(root / "home")
    print(
        f"{args.count} decisions per run, {args.runs} runs, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}",
        flush=True,
    )
    results: dict[int, list[float]] = {}
    try:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for run in range(args.runs):
                rate = one_run(root / f"c{concurrency}-r{run}", args.count, concurrency, run)
                results.setdefault(concurrency, []).append(rate)
                print(f"  concurrency {concurrency}, run {run + 1}: {rate:.0f}/s", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print()
    print("| concurrency | median decisions/s | min | max | target |")
    print("|---|---|---|---|---|")
    for concurrency, rates in results.items():
        print(
            f"| {concurrency} | {statistics.median(rates):.0f} | {min(rates):.0f} | "
            f"{max(rates):.0f} | >= {TARGET_PER_S:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
