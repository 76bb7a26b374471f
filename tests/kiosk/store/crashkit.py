"""SIGKILL crash harness for the store: child processes that write or rotate keys, and
a driver that kills them at random points and checks the store after every restart.

Children run as ``python -m tests.kiosk.store.crashkit MODE ...`` from the project root.
The pytest suite runs a short campaign (tests/kiosk/store/test_crash.py); the full
1000-write run is tests/eval/eval_store_crash.py.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.store import CaseRecord, Passphrase, Store
from tests.kiosk.store.helpers import PASSPHRASE, make_record

PROJECT_ROOT = Path(__file__).resolve().parents[3]
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def record_for(index: int, seed: int, evidence_sizes: tuple[int, ...]) -> CaseRecord:
    """The index-th case of a campaign: identical in the child and in the checker."""
    return make_record(
        random.Random(f"{seed}:{index}"),
        created_at=BASE_TIME + timedelta(seconds=index),
        evidence_sizes=evidence_sizes,
    )


def payload_for(index: int) -> bytes:
    return f"decision-message-{index}".encode()


# --- children ------------------------------------------------------------------------


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _writer(data_dir: Path, start: int, seed: int, sizes: tuple[int, ...]) -> None:
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        print("READY", flush=True)
        index = start
        while True:
            store.save_case(
                record_for(index, seed, sizes), outbox_payload=payload_for(index), actor="kiosk"
            )
            print(f"C {index}", flush=True)  # acknowledged: committed before this line
            index += 1


def _rotate(data_dir: Path, kill_at: str, delay_ms: float) -> None:
    """Rotate the master key and die at step ``kill_at``; with ``during-rekey`` die
    ``delay_ms`` after the re-wrap commit, while ``PRAGMA rekey`` runs."""

    def on_step(step: str) -> None:
        print(f"STEP {step}", flush=True)
        if step == kill_at:
            _kill_self()
        if kill_at == "during-rekey" and step == "keys_rewrapped":
            threading.Timer(delay_ms / 1000.0, _kill_self).start()

    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        store.rotate_master_key(actor="operator", on_step=on_step)
    print("DONE", flush=True)


def _passwd(data_dir: Path, new_passphrase: str, kill_at: str) -> None:
    def on_step(step: str) -> None:
        if step == kill_at:
            _kill_self()

    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        store.change_passphrase(new_passphrase, actor="operator", on_step=on_step)
    print("DONE", flush=True)


def _anchor_kill(data_dir: Path, index: int, seed: int, sizes: tuple[int, ...]) -> None:
    """Save one case and die after its commit, when the keyfile's audit anchor is written."""
    import kiosk.store.store as store_module

    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:

        def die(*args: object) -> None:
            _kill_self()

        store_module.write_keyfile = die  # type: ignore[assignment]  # a plain save writes nothing else
        store.save_case(
            record_for(index, seed, sizes), outbox_payload=payload_for(index), actor="kiosk"
        )
    print("SURVIVED", flush=True)


def child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.kiosk.store.crashkit", *args]


def run_child(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a child to its end (or its self-inflicted SIGKILL)."""
    return subprocess.run(
        child_command(*args),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


# --- the write campaign -------------------------------------------------------------


@dataclass
class CampaignReport:
    """Figures of one crash campaign (all checks passed if it returned)."""

    writes_acknowledged: int = 0
    kills: int = 0
    kills_before_ready: int = 0
    unacknowledged_commits: int = 0  # killed after COMMIT, before the child printed it
    restarts_checked: int = 0
    cases_verified: int = 0
    orphan_dirs_seen: int = 0  # blob dirs of uncommitted cases, removed by the next open
    open_ms: list[float] = field(default_factory=list)
    duration_s: float = 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "writes_acknowledged": self.writes_acknowledged,
            "kills": self.kills,
            "kills_before_ready": self.kills_before_ready,
            "unacknowledged_commits": self.unacknowledged_commits,
            "restarts_checked": self.restarts_checked,
            "cases_verified": self.cases_verified,
            "orphan_dirs_seen": self.orphan_dirs_seen,
            "open_ms_median": round(statistics.median(self.open_ms), 1) if self.open_ms else 0,
            "open_ms_max": round(max(self.open_ms), 1) if self.open_ms else 0,
            "duration_s": round(self.duration_s, 1),
        }


class CrashCheckFailed(AssertionError):
    """An invariant broke after a restart."""


def _read_lines(proc: subprocess.Popen[str], sink: list[tuple[float, str]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        sink.append((time.monotonic(), line.strip()))


def _write_seconds(lines: list[tuple[float, str]]) -> float:
    """The median time between acknowledgements in this round (a default before two)."""
    stamps = [t for t, line in lines if line.startswith("C ")]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return statistics.median(gaps) if gaps else 0.03


def run_write_campaign(
    data_dir: Path,
    *,
    writes: int,
    seed: int,
    evidence_sizes: tuple[int, ...],
    mean_batch: int,
    early_kill_share: float = 0.2,
    progress: bool = False,
) -> CampaignReport:
    """Write ``writes`` cases through children killed with SIGKILL at random moments.

    A share ``early_kill_share`` of the kills fall 0-0.6 s after the child
    starts (start-up, unlock, open, orphan collection, first writes); the others
    come after a uniform random number (0..2*``mean_batch``) of acknowledged
    writes plus a uniform random fraction (0-120%) of one write's duration, so
    they land anywhere inside a write (encryption, blob files, fsyncs, commit)
    however fast the machine is.

    After every kill the store is reopened in this process and checked: every
    acknowledged case is there, complete and byte-identical; nothing else is
    there but the one case in flight; the audit chain verifies with one entry
    per case; the outbox holds one row per case; SQLite's integrity check passes;
    no blob directory lacks its case. Raises :class:`CrashCheckFailed` otherwise.
    The store in ``data_dir`` must exist and be empty.
    """
    rng = random.Random(seed)
    report = CampaignReport()
    started = time.perf_counter()
    next_index = 0
    stored: set[int] = set()
    verified: set[int] = set()
    while len(stored) < writes:
        timed_lines: list[tuple[float, str]] = []
        with tempfile.TemporaryFile(mode="w+") as errors:
            proc = subprocess.Popen(
                child_command(
                    "writer", str(data_dir), str(next_index), str(seed), _sizes(evidence_sizes)
                ),
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            )
            reader = threading.Thread(target=_read_lines, args=(proc, timed_lines), daemon=True)
            reader.start()
            if rng.random() < early_kill_share:
                time.sleep(rng.uniform(0.0, 0.6))
            else:
                target = rng.randint(0, 2 * mean_batch)
                deadline = time.monotonic() + 120
                while proc.poll() is None and time.monotonic() < deadline:
                    acks = sum(1 for _, line in timed_lines if line.startswith("C "))
                    if acks >= target and any(line == "READY" for _, line in timed_lines):
                        break
                    time.sleep(0.001)
                time.sleep(rng.uniform(0.0, 1.2 * _write_seconds(timed_lines)))
            if proc.poll() is not None:
                errors.seek(0)
                raise CrashCheckFailed(f"writer exited by itself: {errors.read()[-2000:]}")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            reader.join(timeout=10)
        lines = [line for _, line in timed_lines]
        report.kills += 1
        if "READY" not in lines:
            report.kills_before_ready += 1
        acknowledged = {int(line.split()[1]) for line in lines if line.startswith("C ")}
        report.writes_acknowledged += len(acknowledged)
        in_flight = max(acknowledged | {next_index - 1}) + 1
        blobs = data_dir / "store" / "blobs"
        dirs_before = {p.name for p in blobs.iterdir()} if blobs.is_dir() else set()
        stored |= acknowledged
        committed_in_flight, present = _check_store(
            data_dir, stored, in_flight, seed, evidence_sizes, report, verified
        )
        report.orphan_dirs_seen += len(dirs_before - present)
        if committed_in_flight:
            report.unacknowledged_commits += 1
            stored.add(in_flight)
        next_index = max(stored) + 1 if stored else 0
        report.restarts_checked += 1
        if progress:
            print(f"  kill {report.kills}: {len(stored)} cases stored", flush=True)
    report.duration_s = time.perf_counter() - started
    return report


def _sizes(sizes: tuple[int, ...]) -> str:
    return ",".join(str(s) for s in sizes)


def _check_store(
    data_dir: Path,
    acknowledged: set[int],
    in_flight: int,
    seed: int,
    sizes: tuple[int, ...],
    report: CampaignReport,
    verified: set[int],
) -> tuple[bool, set[str]]:
    """Reopen and check every invariant; (in-flight case committed?, case ids present)."""
    ids = {record_for(i, seed, sizes).case_id: i for i in acknowledged}
    flight_id = record_for(in_flight, seed, sizes).case_id
    t0 = time.perf_counter()
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        report.open_ms.append((time.perf_counter() - t0) * 1000.0)
        present = {c.case_id for c in store.list_cases(limit=10**9)}
        lost = set(ids) - present
        if lost:
            raise CrashCheckFailed(f"acknowledged cases lost after a kill: {sorted(lost)}")
        unexpected = present - set(ids) - {flight_id}
        if unexpected:
            raise CrashCheckFailed(f"cases that were never written: {sorted(unexpected)}")
        committed_in_flight = flight_id in present
        new = (acknowledged | ({in_flight} if committed_in_flight else set())) - verified
        for index in sorted(new):  # each case byte for byte once, in the round that wrote it
            _verify_case(store, record_for(index, seed, sizes))
            verified.add(index)
            report.cases_verified += 1
        audit = store.verify_audit()
        if not audit.ok or audit.entries != 1 + len(present):
            raise CrashCheckFailed(f"audit chain after a kill: {audit}")
        outbox = store.outbox.stats()
        if outbox.pending != len(present):
            raise CrashCheckFailed(f"outbox holds {outbox.pending} rows for {len(present)} cases")
        if store.integrity_check() != "ok":
            raise CrashCheckFailed("SQLite integrity check failed")
        on_disk = (
            {p.name for p in store.paths.blobs.iterdir()} if store.paths.blobs.is_dir() else set()
        )
        if on_disk != present:
            raise CrashCheckFailed(f"blob directories {on_disk ^ present} do not match cases")
    return committed_in_flight, present


def _verify_case(store: Store, expected: CaseRecord) -> None:
    case = store.get_case(expected.case_id)
    if case.case_json != expected.case_json or case.reasons != expected.reasons:
        raise CrashCheckFailed(f"case {expected.case_id} differs from what was written")
    if store.load_evidence(expected.case_id) != expected.evidence:
        raise CrashCheckFailed(f"evidence of case {expected.case_id} differs")


def padded(record: CaseRecord, kib: int) -> CaseRecord:
    """``record`` with ``kib`` KiB of filler in its case JSON (to make the database big)."""
    import json

    body = json.loads(record.case_json)
    body["filler"] = "f" * (kib * 1024)
    return replace(record, case_json=json.dumps(body).encode())


def main(argv: list[str]) -> None:
    mode, data_dir = argv[0], Path(argv[1])
    if mode == "writer":
        sizes = tuple(int(s) for s in argv[4].split(",") if s)
        _writer(data_dir, int(argv[2]), int(argv[3]), sizes)
    elif mode == "rotate":
        _rotate(data_dir, argv[2], float(argv[3]) if len(argv) > 3 else 0.0)
    elif mode == "passwd":
        _passwd(data_dir, argv[2], argv[3])
    elif mode == "anchor-kill":
        sizes = tuple(int(s) for s in argv[4].split(",") if s)
        _anchor_kill(data_dir, int(argv[2]), int(argv[3]), sizes)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
