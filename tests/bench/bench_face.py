"""Face latency benchmark (issue 3): prints median and p95 after warm-up.

    .venv/bin/python -m tests.bench.bench_face

Figures: detect + align + embed one selfie; portrait detection on a 1600-px
document; a warm `kiosk match` (file loading included); FaceLandmarker VIDEO
mode on 640x480 frames pinned to one core (run in a child process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models import Profile
from pipeline.engine import EngineConfig
from pipeline.face import (
    DetectPurpose,
    FaceToolkit,
    ToolkitOptions,
    align_face,
    match_faces,
    select_selfie_face,
)
from pipeline.image import DOCUMENT_MAX_SIDE, SELFIE_MAX_SIDE, from_array, load_image
from pipeline.synthetic.portraits import make_id_portrait
from tests.bench.clips import letterboxed_frames
from tests.shared import require_shared_data

WARMUP, RUNS = 5, 40


def timeit(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def row(label: str, stats: tuple[float, float], target: str) -> None:
    print(f"{label:<58} {stats[0]:8.1f} {stats[1]:8.1f}   {target}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--landmarker-child":
        return _landmarker_child(Path(sys.argv[2]))
    data = require_shared_data()
    import cv2

    fr = data / "faces" / "face_recognition"
    selfie = load_image(fr / "obama2.jpg", max_side=SELFIE_MAX_SIDE)
    print(f"{'stage':<58} {'median':>8} {'p95':>8}   target (ms)")
    for threads in (1, 2):
        cv2.setNumThreads(threads)
        for model, profile in (("sface", Profile.COMMERCIAL), ("arcface_mbf", Profile.RESEARCH)):
            kit = FaceToolkit(
                ToolkitOptions(profile=profile, engine=EngineConfig(intra_op_threads=threads))
            )
            det, emb = kit.detector(), kit.embedder(model)

            def selfie_path(det: Any = det, emb: Any = emb) -> None:
                face = select_selfie_face(det.detect(selfie.pixels))
                emb.embed_aligned(align_face(selfie.pixels, face))

            row(
                f"selfie detect+align+embed, {model}, {threads} thread(s)",
                timeit(selfie_path),
                "<= 40",
            )
            kit.close()
    cv2.setNumThreads(2)
    kit = FaceToolkit(ToolkitOptions(profile=Profile.COMMERCIAL))
    base = load_image(fr / "obama.jpg", max_side=SELFIE_MAX_SIDE)
    face = kit.detector().detect(base.pixels)[0]
    portrait, _ = make_id_portrait(base.pixels, face, np.random.default_rng(0))
    card = np.full((1011, 1600, 3), (205, 215, 225), np.uint8)  # 1600-px long side
    big = cv2.resize(portrait, None, fx=2.4, fy=2.4, interpolation=cv2.INTER_CUBIC)
    card[200 : 200 + big.shape[0], 90 : 90 + big.shape[1]] = big
    doc = from_array(card, max_side=DOCUMENT_MAX_SIDE)
    for threads in (1, 2):
        cv2.setNumThreads(threads)
        row(
            f"document portrait detection, 1600x1011, {threads} thread(s)",
            timeit(lambda: kit.detector().detect(doc.pixels, DetectPurpose.DOCUMENT)),
            "<= 60",
        )
        turned = cv2.rotate(card, cv2.ROTATE_90_CLOCKWISE)
        row(
            f"  same document rotated 90 degrees, {threads} thread(s)",
            timeit(lambda turned=turned: kit.detector().detect(turned, DetectPurpose.DOCUMENT)),
            "(info)",
        )
    cv2.setNumThreads(2)
    with tempfile.TemporaryDirectory() as tmp:
        doc_file = Path(tmp) / "document.png"
        cv2.imwrite(str(doc_file), card)

        def warm_match() -> None:
            match_faces(
                load_image(doc_file, max_side=DOCUMENT_MAX_SIDE),
                load_image(fr / "obama2.jpg", max_side=SELFIE_MAX_SIDE),
                toolkit=kit,
            )

        row(
            "kiosk match with warm models (load both files + match)",
            timeit(warm_match, 20),
            "<= 150",
        )
    kit.close()
    clip = data / "video" / "short_hamilton_clip.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_face", "--landmarker-child", str(clip)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(proc.stdout.strip() or proc.stderr.strip()[-500:])
    return 0


def _landmarker_child(clip: Path) -> int:
    """FaceLandmarker VIDEO mode on 640x480 frames, this process pinned to one core."""

    from pipeline.face import FaceLandmarker, LandmarkerOptions, RunningMode

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    frames = letterboxed_frames(clip, limit=240)
    with FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO)) as lm:
        t_ms, found, times = 0, 0, []
        for i, frame in enumerate(frames * 2):
            t_ms += 33
            t = time.perf_counter()
            found += bool(lm.detect_for_video(frame, t_ms))
            if i >= 10:
                times.append((time.perf_counter() - t) * 1000)
    med = float(np.median(times))
    print(
        f"{'FaceLandmarker VIDEO 640x480, one core: ms per frame':<58} {med:8.1f} "
        f"{np.percentile(times, 95):8.1f}   = {1000 / med:.0f} fps (>= 30 fps); "
        f"face in {found}/{len(frames) * 2} frames"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
