"""Crash safety of the store under SIGKILL: 1000 case writes, then key rotations.

Run: ``.venv/bin/python -m tests.eval.eval_store_crash [--writes 1000] [--rotations 20]``

Phase 1 writes ``--writes`` cases (three JPEG-like blobs each, ~2 MB by default)
through child processes killed with SIGKILL at random moments: 20% of the
kills 0-0.6 s after the process starts (start-up, unlock, open, orphan
collection, first writes), the rest after a random 0..2*``--mean-batch``
acknowledged writes plus a random 0-120% of one write's duration, so they land
anywhere inside a write. After every kill the store is reopened and checked: every
acknowledged case present and byte-identical (case JSON and evidence), no
case that was not written, no half-written case, the audit chain verifies with
one entry per case, one outbox row per case, SQLite's integrity check passes,
no orphaned blob directory survives the reopen.

Phase 2 rotates the master key ``--rotations`` times, killing the process at a
random rotation step or at a random moment inside ``PRAGMA rekey``, and checks
after each restart that every case still decrypts and the chain verifies.
Prints the figures; exits 1 if any check failed. The store uses the cheap
test Argon2id parameters (tests/kiosk/store/helpers.py FAST_KDF): key
derivation cost has no bearing on crash safety and would add ~0.5 s per restart.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kiosk.store import ROTATION_STEPS, Passphrase, Store, read_store_keyfile
from tests.kiosk.store.crashkit import CrashCheckFailed, record_for, run_child, run_write_campaign
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE


def _rotations(
    data_dir: Path, count: int, writes: int, seed: int, sizes: tuple[int, ...]
) -> dict[str, int]:
    rng = random.Random(seed + 1)
    outcome = {
        "rotations": count,
        "killed_after_a_step": 0,
        "killed_inside_pragma_rekey": 0,
        "killed_after_pragma_rekey": 0,
        "finished_unkilled": 0,
    }
    sample = rng.sample(range(writes), min(50, writes))
    for _ in range(count):
        if rng.random() < 0.5:
            step = rng.choice(ROTATION_STEPS)
            proc = run_child("rotate", str(data_dir), step)
        else:
            step = "during-rekey"
            proc = run_child("rotate", str(data_dir), step, f"{rng.uniform(0.5, 40):.1f}")
        steps = proc.stdout.split()
        if "DONE" in steps:
            outcome["finished_unkilled"] += 1
        elif step != "during-rekey":
            outcome["killed_after_a_step"] += 1
        elif "db_rekeyed" in steps:
            outcome["killed_after_pragma_rekey"] += 1
        else:
            outcome["killed_inside_pragma_rekey"] += 1
        with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
            if len(store.list_cases(limit=10**9)) < writes:
                raise CrashCheckFailed("cases lost in a key rotation")
            for index in sample:
                expected = record_for(index, seed, sizes)
                if store.load_evidence(expected.case_id) != expected.evidence:
                    raise CrashCheckFailed(f"case {index} unreadable after a rotation")
            if not store.verify_audit().ok or store.integrity_check() != "ok":
                raise CrashCheckFailed("audit chain or integrity broken by a rotation")
        if read_store_keyfile(data_dir).pending is not None:
            raise CrashCheckFailed("an interrupted rotation was not finished on open")
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--rotations", type=int, default=20)
    parser.add_argument(
        "--mean-batch", type=int, default=10, help="mean acknowledged writes between kills"
    )
    parser.add_argument(
        "--evidence", default="1400000,400000,200000", help="blob sizes in bytes, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.evidence.split(","))

    root = Path(tempfile.mkdtemp(prefix="eval-store-crash-", dir=args.dir))
    data_dir = root / "data"
    started = time.perf_counter()
    try:
        Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
        print(
            f"phase 1: {args.writes} writes of {sum(sizes):,} bytes of evidence each, "
            f"SIGKILL at random points (seed {args.seed}, {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        report = run_write_campaign(
            data_dir,
            writes=args.writes,
            seed=args.seed,
            evidence_sizes=sizes,
            mean_batch=args.mean_batch,
        )
        rows = report.summary()
        with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
            rows["cases_stored"] = len(store.list_cases(limit=10**9))
        print(f"phase 2: {args.rotations} master-key rotations killed at random steps", flush=True)
        rotation = _rotations(data_dir, args.rotations, args.writes, args.seed, sizes)
    except CrashCheckFailed as exc:
        print(f"FAILED: {exc}")
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print()
    print("| figure | value |")
    print("|---|---|")
    for key, value in {**rows, **rotation}.items():
        print(f"| {key} | {value} |")
    print(f"| total_s | {time.perf_counter() - started:.0f} |")
    print()
    print("no committed case lost, no half-written case visible, audit chain verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
