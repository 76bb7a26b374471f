"""Upstream sync under a simulated 24-hour outage: 10 000 decisions, 0 lost, 0 duplicated.

Run: ``.venv/bin/python -m tests.eval.eval_sync [--count 10000] [--kills 5] [--seed 2026]``

The scenario is :func:`tests.kiosk.sync.outage.run_outage`: queue the decisions
in a fresh encrypted store; 12 simulated hours with nothing listening, 12 with
the receiver down behind a proxy (502), the sender passing every 5 simulated
minutes; then ``kiosk sync serve`` (a child process) comes back behind a chaos
proxy injecting 500s before and after storing, dropped connections before and
after storing and time-outs after storing (11% of requests in all), is killed
with SIGKILL ``--kills`` times, and the sender is restarted once, until the
outbox is empty. The receiver's database is then read with plain sqlite3.

HTTP over loopback, signatures, both databases and the process kills are real;
only the 24 hours are simulated (an injected scheduling clock, no sleeping).
The recovery rate printed includes the injected faults and the proxy hop; the
clean throughput is ``tests/bench/bench_sync.py``. Exits 1 if anything was
lost, duplicated, altered or left behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.kiosk.sync.outage import DEFAULT_RATES, run_outage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5, help="receiver SIGKILLs during recovery")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary files go")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="eval-sync-", dir=args.dir))
    os.environ["KIOSK_DATA_DIR"] = str(root / "home")  # logs of this process
    started = time.perf_counter()
    print(
        f"{args.count} decisions, seed {args.seed}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, faults "
        + ", ".join(f"{f.value} {r:.0%}" for f, r in DEFAULT_RATES.items()),
        flush=True,
    )
    try:
        report = run_outage(
            root / "run",
            args.count,
            seed=args.seed,
            receiver_kills=args.kills,
            progress=lambda message: print(f"  {message}", flush=True),
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures = dataclasses.asdict(report)
    faults = figures.pop("faults")
    recovery_rate = report.delivered / report.recovery_s if report.recovery_s else 0.0
    print()
    print("| figure | value |")
    print("|---|---|")
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else value
        print(f"| {key} | {shown} |")
    for key, value in faults.items():
        print(f"| requests_{key} | {value} |")
    print(f"| recovery_decisions_per_s (faults and proxy included) | {recovery_rate:.0f} |")
    print(f"| total_s | {time.perf_counter() - started:.0f} |")
    print()
    failed = (
        report.lost
        or report.duplicated
        or report.extra
        or report.altered
        or report.undelivered_in_outbox
        or report.delivered != report.queued
    )
    print(
        f"delivered {report.delivered}, lost {report.lost}, duplicated {report.duplicated} "
        f"(receiver rows checked byte for byte against the outbox)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
