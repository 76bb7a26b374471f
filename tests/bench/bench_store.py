"""Store latency: opening (Argon2id included) and writing one case with ~2 MB of evidence.

Run: ``.venv/bin/python -m tests.bench.bench_store [--writes N] [--opens N] [--dir DIR]``

Targets (issue 7): write one case with about 2 MB of evidence <= 50 ms (median);
open the store, key derivation included, <= 1 s. Uses the production Argon2id
defaults of ``kiosk.store.KdfParams``. The data directory is temporary, on the
file system of ``--dir`` (default: the system temp dir); fsync cost depends on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from kiosk.store import KdfParams, Passphrase, Store
from kiosk.store.keys import derive_kek
from tests.kiosk.store.helpers import PASSPHRASE, make_record

# Three JPEG-like (incompressible) blobs: document page, selfie frame, portrait crop.
EVIDENCE_SIZES = (1_400_000, 400_000, 200_000)
WRITE_TARGET_MS = 50.0
OPEN_TARGET_MS = 1000.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _filesystem(path: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(path)], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
        return out[1].split()[1] if len(out) > 1 else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--opens", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary store goes")
    args = parser.parse_args()

    kdf = KdfParams()
    root = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.dir))
    data_dir = root / "data"
    try:
        kek_ms = []
        for _ in range(args.opens):
            t0 = time.perf_counter()
            derive_kek(PASSPHRASE, kdf.fresh_salt())
            kek_ms.append((time.perf_counter() - t0) * 1000)

        Store.create(data_dir, PASSPHRASE, kdf=kdf).close()
        rng = random.Random(2026)
        records = [make_record(rng, evidence_sizes=EVIDENCE_SIZES) for _ in range(args.writes + 3)]
        evidence_bytes = sum(EVIDENCE_SIZES)
        write_ms: list[float] = []
        read_ms: list[float] = []
        with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
            for index, record in enumerate(records):
                t0 = time.perf_counter()
                store.save_case(record, outbox_payload=b"decision", actor="kiosk")
                elapsed = (time.perf_counter() - t0) * 1000
                if index >= 3:  # the first writes warm caches and create directories
                    write_ms.append(elapsed)
            for record in records[-10:]:
                t0 = time.perf_counter()
                store.load_evidence(record.case_id)
                read_ms.append((time.perf_counter() - t0) * 1000)

        open_ms = []
        for _ in range(args.opens):
            t0 = time.perf_counter()
            store = Store.open(data_dir, Passphrase(PASSPHRASE))
            open_ms.append((time.perf_counter() - t0) * 1000)
            store.close()

        fs = _filesystem(root)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"machine: {_cpu()}, {os.cpu_count()} CPUs, load average {load}; store on {fs}")
        print(
            f"Argon2id: time_cost={kdf.time_cost}, memory={kdf.memory_kib // 1024} MiB, "
            f"parallelism={kdf.parallelism}; evidence per case: {evidence_bytes:,} bytes "
            f"in {len(EVIDENCE_SIZES)} blobs; {args.writes} writes, {args.opens} opens"
        )
        print()
        rows = [
            ("write one case (~2 MB evidence)", write_ms, WRITE_TARGET_MS),
            ("open store (Argon2id + SQLCipher)", open_ms, OPEN_TARGET_MS),
            ("  of which Argon2id alone", kek_ms, None),
            ("read back evidence (~2 MB)", read_ms, None),
        ]
        print(f"| {'measure':<36} | {'median ms':>9} | {'p90 ms':>8} | {'max ms':>8} | target |")
        print(f"|{'-' * 38}|{'-' * 11}|{'-' * 10}|{'-' * 10}|--------|")
        verdicts = []
        for name, values, target in rows:
            median = statistics.median(values)
            verdict = ""
            if target is not None:
                ok = median <= target
                verdicts.append(ok)
                verdict = f"<= {target:.0f} {'ok' if ok else 'MISSED'}"
            print(
                f"| {name:<36} | {median:9.1f} | {_pct(values, 0.9):8.1f} | "
                f"{max(values):8.1f} | {verdict} |"
            )
        print()
        print("all targets met" if all(verdicts) else "TARGET MISSED")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
