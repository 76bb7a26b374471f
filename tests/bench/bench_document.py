"""Latency of ``kiosk mrz`` and ``kiosk document`` on 300-dpi pages, and of the
in-process ``read_mrz`` / ``read_document`` with warm engines.

Run: ``.venv/bin/python -m tests.bench.bench_document`` (``--runs 9``).

The pages are seeded synthetic documents rendered at 300 dpi (a TD3 passport
data page, 1476x1039 px, and a TD1 card, 1011x638 px) with a face from
``../shared/data/faces`` pasted in as the portrait, lightly degraded like a
flatbed scan. "Warm" CLI runs are whole processes after one discarded run (OS
file cache warm); in-process runs reuse one reader whose engines are loaded.
CPU time (user + system, all threads) is printed beside wall time: on a shared
two-core machine it shows the work done, which the wall time hides under load.
Images are written to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.document.document import DocumentReader
from pipeline.document.mrz import MrzReader
from pipeline.document.mrz_format import MrzFormat
from pipeline.image import DOCUMENT_MAX_SIDE, load_image
from pipeline.synthetic.documents import render_document
from tests.shared import require_shared_data

TODAY = dt.date(2026, 1, 1)
PROJECT_PACKAGES = ("kiosk", "pipeline", "models", "ui")


def _scan_like(image: np.ndarray, seed: int) -> np.ndarray:
    """A light flatbed-scan look: slight blur and noise, JPEG 90."""
    import cv2

    rng = np.random.default_rng(seed)
    out = cv2.GaussianBlur(image, (0, 0), 0.7).astype(np.float32)
    out += rng.normal(0, 3.0, out.shape)
    _, buf = cv2.imencode(
        ".jpg", np.clip(out, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def _cli(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (user + system of the child) and the JSON output."""
    kiosk = Path(sys.executable).with_name("kiosk")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(kiosk), *args], capture_output=True, text=True, timeout=300, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(
            f"kiosk {' '.join(args)} failed: {proc.stdout[-500:]} {proc.stderr[-500:]}"
        )
    return elapsed, cpu, json.loads(proc.stdout)


def _cli_rows(paths: dict[str, Path], runs: int, env: dict[str, str]) -> None:
    floor = [_cli(["--version", "--json"], env) for _ in range(runs + 1)][1:]
    print(
        f"kiosk --version     {_median_ms([f[0] for f in floor])}"
        f"  cpu {1000 * statistics.median([f[1] for f in floor]):.0f} ms  (start-up floor)"
    )
    for command in ("mrz", "document"):
        for name, path in paths.items():
            argv = [command, str(path), "--json", "--today", TODAY.isoformat()]
            _cli(argv, env)
            times: list[float] = []
            cpus: list[float] = []
            payload: dict = {}
            for _ in range(runs):
                elapsed, cpu, payload = _cli(argv, env)
                times.append(elapsed)
                cpus.append(cpu)
            mrz = payload if command == "mrz" else payload["mrz"]
            print(
                f"kiosk {command:8} {name:9} {_median_ms(times)}"
                f"  cpu {1000 * statistics.median(cpus):.0f} ms  valid={mrz['valid']}"
            )


def _median_ms(values: list[float]) -> str:
    low, high = 1000 * min(values), 1000 * max(values)
    return f"{1000 * statistics.median(values):7.0f} ms (min {low:.0f}, max {high:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    shared = require_shared_data()
    face = load_image(shared / "faces" / "face_recognition" / "obama.jpg").pixels
    pages = {
        "TD3 page": render_document(MrzFormat.TD3, 501, portrait=face, ghost=True).image,
        "TD1 card": render_document(MrzFormat.TD1, 502, portrait=face, ghost=False).image,
    }
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at start")
    with tempfile.TemporaryDirectory(prefix="bench_document_") as tmp:
        import cv2

        paths = {}
        for name, image in pages.items():
            path = Path(tmp) / f"{name.replace(' ', '_')}.jpg"
            cv2.imwrite(str(path), _scan_like(image, 1), [cv2.IMWRITE_JPEG_QUALITY, 92])
            paths[name] = path

        # An installed kiosk (pip install, the PyInstaller bundle, this checkout after
        # `make setup`) runs from compiled bytecode; a checkout without the project's
        # bytecode under PYTHONDONTWRITEBYTECODE=1 compiles the project from source on
        # each start. Both are measured through private bytecode caches, so the
        # checkout's own cache neither helps nor is touched.
        root = Path(__file__).resolve().parents[2]
        pycache = Path(tmp) / "pycache"
        compiled = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiled["PYTHONPYCACHEPREFIX"] = str(pycache)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *PROJECT_PACKAGES],
            env=compiled,
            check=True,
            cwd=root,
        )
        print("\n== CLI, whole process, warm, bytecode compiled, as installed "
              "(median after one discarded) ==")  # fmt: skip
        _cli_rows(paths, args.runs, compiled)
        # the same cache (standard library and dependencies included) minus the project
        project_less = Path(tmp) / "pycache-without-project"
        shutil.copytree(pycache, project_less)
        for package in PROJECT_PACKAGES:
            shutil.rmtree(project_less / root.relative_to(root.anchor) / package, True)
        source_only = dict(
            os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(project_less)
        )
        print("\n== CLI, whole process, warm, project from source, PYTHONDONTWRITEBYTECODE=1 "
              "(median after one discarded) ==")  # fmt: skip
        _cli_rows(paths, args.runs, source_only)

        print("\n== in process, engines loaded (median) ==")
        mrz_reader = MrzReader()
        mrz_reader.warm_up(all_tesseract=True)
        doc_reader = DocumentReader()
        for name, path in paths.items():
            loaded = load_image(path, max_side=DOCUMENT_MAX_SIDE)
            mrz_reader.read(loaded, today=TODAY)
            doc_reader.read(loaded, today=TODAY)
            mrz_times, doc_times = [], []
            stages: dict[str, list[float]] = {}
            mrz_cpu, doc_cpu = [], []
            for _ in range(args.runs):
                start, cpu0 = time.perf_counter(), time.process_time()
                mrz_reader.read(loaded, today=TODAY)
                mrz_times.append(time.perf_counter() - start)
                mrz_cpu.append(time.process_time() - cpu0)
                start, cpu0 = time.perf_counter(), time.process_time()
                reading = doc_reader.read(loaded, today=TODAY)
                doc_times.append(time.perf_counter() - start)
                doc_cpu.append(time.process_time() - cpu0)
                for stage, ms in reading.timings.stages:
                    stages.setdefault(stage, []).append(ms)
            print(
                f"read_mrz      {name:9} {_median_ms(mrz_times)}"
                f"  cpu {1000 * statistics.median(mrz_cpu):.0f} ms"
            )
            print(
                f"read_document {name:9} {_median_ms(doc_times)}"
                f"  cpu {1000 * statistics.median(doc_cpu):.0f} ms"
            )
            print(
                "  stages (median ms): "
                + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in stages.items())
            )
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
