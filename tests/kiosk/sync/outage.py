"""The outage scenario shared by the CI test and ``tests/eval/eval_sync.py``.

1. Queue ``count`` decisions in a fresh encrypted store.
2. Simulated 24-hour outage on an injected scheduling clock (nothing sleeps):
   12 h with nothing listening (connection refused), then 12 h with the proxy
   up and the receiver down (502). The sender makes a pass every ``poll_s``
   simulated seconds, as the app's sender thread would.
3. The receiver comes back (``kiosk sync serve`` in a child process) behind the
   chaos proxy, which injects 500s before and after storing, dropped
   connections before and after storing, and time-outs after storing. The
   receiver is killed with SIGKILL and restarted ``receiver_kills`` times and
   the sender (with its store) is closed and reopened once, while passes run
   until the outbox is empty.
4. Count, from the receiver's database read with plain sqlite3: every case
   present once with the exact bytes queued (lost, duplicated, extra, altered).

HTTP, signatures, TLS-free loopback sockets and both databases are real; only
the passage of the 24 hours is simulated.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.store import Passphrase, Store
from kiosk.sync.sender import PARKED_AT, Sender, SenderOptions
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE
from tests.kiosk.sync.chaos import ChaosProxy, Fault
from tests.kiosk.sync.helpers import SimClock, make_settings, queue_cases, write_secret

DAY_S = 86_400.0
DEFAULT_RATES = {
    Fault.ERROR_BEFORE: 0.03,
    Fault.ERROR_AFTER: 0.03,
    Fault.DROP_BEFORE: 0.02,
    Fault.DROP_AFTER: 0.02,
    Fault.TIMEOUT_AFTER: 0.01,
}


@dataclass
class OutageReport:
    """Figures of one run (see the module docstring)."""

    queued: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    extra: int = 0
    altered: int = 0
    undelivered_in_outbox: int = 0
    rejected_in_outbox: int = 0
    duplicate_acknowledgements: int = 0
    outage_passes: int = 0
    outage_attempts: int = 0
    outage_max_attempts_per_message: int = 0
    outage_latest_retry_h: float = 0.0
    recovery_passes: int = 0
    recovery_attempts: int = 0
    recovery_simulated_s: float = 0.0
    receiver_kills: int = 0
    sender_restarts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    queue_s: float = 0.0
    outage_s: float = 0.0
    recovery_s: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChildReceiver:
    """``kiosk sync serve`` in a child process, killable with SIGKILL."""

    def __init__(self, work: Path, port: int, secret_file: Path) -> None:
        self.db = work / "receiver.db"
        self.port = port
        self._secret = secret_file
        self._env = {**os.environ, "KIOSK_DATA_DIR": str(work / "receiver-home")}
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "kiosk",
            "sync",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--secret-file",
            str(self._secret),
            "--json",
        ]
        self._proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self._env
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if "listening" not in line:
            self._proc.kill()
            _, err = self._proc.communicate(timeout=10)
            raise RuntimeError(f"receiver did not start: {line!r} {err[-2000:]!r}")

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)
            self._proc = None

    def stop(self) -> str:
        """SIGTERM and wait; returns what the child printed on stdout after starting."""
        if self._proc is None:
            return ""
        self._proc.send_signal(signal.SIGTERM)
        out, _ = self._proc.communicate(timeout=30)
        self._proc = None
        return out


def run_outage(
    work: Path,
    count: int,
    *,
    seed: int = 2026,
    rates: dict[Fault, float] | None = None,
    receiver_kills: int = 2,
    poll_s: float = 300.0,
    recovery_step_s: float = 30.0,
    client_timeout_s: float = 0.3,
    hang_s: float = 0.6,
    concurrency: int = 4,
    max_recovery_passes: int = 20_000,
    progress: Any = None,
) -> OutageReport:
    """Run the scenario in ``work`` (a fresh directory) and return its figures."""
    report = OutageReport(queued=count)
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "kiosk-data"
    secret = write_secret(work / "device.secret")
    proxy_port, receiver_port = free_port(), free_port()
    clock = SimClock()
    settings = make_settings(
        f"http://127.0.0.1:{proxy_port}", timeout_s=client_timeout_s, concurrency=concurrency
    )
    options = SenderOptions()

    started = time.perf_counter()
    store = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    ids = queue_cases(store, count, settings, random.Random(seed), with_evidence=False)
    queued = {item.case_id: item.payload for item in store.outbox.due(now=PARKED_AT, limit=count)}
    report.queue_s = time.perf_counter() - started
    _say(progress, f"queued {count} decisions in {report.queue_s:.1f} s")

    sender = Sender(store, settings, options=options, clock=clock, rng=random.Random(seed))
    proxy: ChaosProxy | None = None
    receiver = ChildReceiver(work, receiver_port, secret)
    try:
        started = time.perf_counter()
        outage_start = clock()
        for hour_block in ("nothing listening", "receiver down behind the proxy"):
            if hour_block.startswith("receiver down"):
                proxy = ChaosProxy(receiver_port, port=proxy_port, seed=seed, hang_s=hang_s)
            block_end = clock().timestamp() + DAY_S / 2
            while clock().timestamp() < block_end:
                drained = sender.drain()
                report.outage_passes += 1
                report.outage_attempts += drained.attempted
                if drained.delivered or drained.duplicates:
                    raise AssertionError("something was delivered during the outage")
                clock.advance(poll_s)
            _say(progress, f"outage: 12 h with {hour_block} done")
        pending = store.outbox.due(now=PARKED_AT, limit=count)
        report.outage_max_attempts_per_message = max(i.attempts for i in pending)
        report.outage_latest_retry_h = max(
            (i.next_attempt_at - outage_start).total_seconds() / 3600 for i in pending
        )
        report.outage_s = time.perf_counter() - started
        assert len(pending) == count, "a message left the outbox during the outage"

        assert proxy is not None
        proxy.rates = dict(DEFAULT_RATES if rates is None else rates)
        receiver.start()
        started = time.perf_counter()
        recovery_start = clock()
        kill_marks = [count * (k + 1) // (receiver_kills + 1) for k in range(receiver_kills)]
        sender_restart_mark = count // 2
        done = 0
        while store.outbox.stats().pending and report.recovery_passes < max_recovery_passes:
            drained = sender.drain()
            report.recovery_passes += 1
            report.recovery_attempts += drained.attempted
            done += drained.delivered + drained.duplicates
            if kill_marks and done >= kill_marks[0]:
                kill_marks.pop(0)
                receiver.kill()  # a crash: whatever was in flight is cut off
                report.receiver_kills += 1
                receiver.start()
            if sender_restart_mark and done >= sender_restart_mark:
                sender_restart_mark = 0
                sender.close()
                store.close()
                store = Store.open(data_dir, Passphrase(PASSPHRASE))
                sender = Sender(
                    store, settings, options=options, clock=clock, rng=random.Random(seed + 1)
                )
                report.sender_restarts += 1
            if drained.attempted == 0 or drained.halted:
                clock.advance(recovery_step_s)
        report.recovery_simulated_s = (clock() - recovery_start).total_seconds()
        report.recovery_s = time.perf_counter() - started
        stats = store.outbox.stats()
        undelivered = store.outbox.due(now=PARKED_AT, limit=max(stats.pending, 1))
        report.undelivered_in_outbox = stats.pending
        report.rejected_in_outbox = sum(1 for i in undelivered if i.next_attempt_at >= PARKED_AT)
        report.faults = {
            f.value: n for f, n in sorted(proxy.counts.items(), key=lambda x: x[0].value)
        }
    finally:
        sender.close()
        store.close()
        receiver.stop()
        if proxy is not None:
            proxy.close()

    conn = sqlite3.connect(str(receiver.db))
    try:
        rows = conn.execute("SELECT idempotency_key, body, deliveries FROM decisions").fetchall()
        distinct = conn.execute("SELECT count(DISTINCT idempotency_key) FROM decisions").fetchone()
    finally:
        conn.close()
    held = collections.Counter(key for key, _, _ in rows)
    report.delivered = len(set(held) & set(ids))
    report.lost = len(set(ids) - set(held))
    report.duplicated = len(rows) - int(distinct[0]) + sum(n - 1 for n in held.values())
    report.extra = len(set(held) - set(ids))
    report.altered = sum(1 for key, body, _ in rows if key in queued and bytes(body) != queued[key])
    report.duplicate_acknowledgements = sum(int(n) for _, _, n in rows) - len(rows)
    return report


def _say(progress: Any, message: str) -> None:
    if progress is not None:
        progress(message)
