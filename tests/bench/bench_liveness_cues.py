"""Per-frame cost of rPPG sampling and of the passive cues on a 640x480 frame (issue 5).

One core: OpenCV is limited to one thread and ONNX/MediaPipe are not involved except
in the landmark line (MediaPipe's own threads, shown for context). Prints median and
90th percentile wall time, and median CPU time of this process per call.

    .venv/bin/python -m tests.bench.bench_liveness_cues
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from pipeline.liveness.cues import CUE_NAMES, assess_presentation
from pipeline.liveness.rppg import (
    RegionColor,
    RppgEstimator,
    SkinRegion,
    SkinSample,
    estimate_pulse,
    sample_skin_regions,
    sample_whole_frame,
)
from pipeline.synthetic.attacks import capture_live, replay_on_screen
from tests.shared import require_shared_data

REPEATS = 200


def measure(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, float, float]:
    """(median wall ms, p90 wall ms, median CPU ms) of ``fn``."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    return float(np.median(wall)), float(np.percentile(wall, 90)), float(np.median(cpu))


def row(name: str, figures: tuple[float, float, float]) -> float:
    median, p90, cpu = figures
    print(f"  {name:<46s} {median:8.2f} {p90:8.2f} {cpu:8.2f}")
    return median


def _frame_with_landmarks(data: Any) -> tuple[Any, Any, tuple[float, float]]:
    """A 640x480 frame of the shared clip (640x360, letterboxed) with a face, its
    landmarks, and the landmarker's median cost per frame in VIDEO mode."""
    import cv2

    from pipeline.face import FaceLandmarker, LandmarkerOptions, RunningMode

    capture = cv2.VideoCapture(str(data / "video" / "short_hamilton_clip.mp4"))
    frames = []
    while len(frames) < 90:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.copyMakeBorder(frame, 60, 60, 0, 0, cv2.BORDER_CONSTANT, value=0))
    capture.release()
    chosen, landmarks = frames[0], None
    with FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO)) as lm:
        wall, cpu = [], []
        for k, frame in enumerate(frames):
            w0, c0 = time.perf_counter(), time.process_time()
            faces = lm.detect_for_video(frame, 33 * (k + 1))
            wall.append((time.perf_counter() - w0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
            if faces and landmarks is None:
                chosen, landmarks = frame, faces[0]
    return chosen, landmarks, (float(np.median(wall[10:])), float(np.median(cpu[10:])))


def main() -> int:
    import cv2

    data = require_shared_data()
    cv2.setNumThreads(1)
    frame, landmarks, landmark_ms = _frame_with_landmarks(data)
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} cores (wall times include waiting for a core)")
    print(f"{'':48s} {'median':>8s} {'p90':>8s} {'cpu':>8s}  (ms per call)")
    print("rPPG, per frame:")
    sampling = (float("nan"), float("nan"))
    if landmarks is not None:
        figures = measure(lambda: sample_skin_regions(frame, landmarks, 0.0))
        row("sample_skin_regions (3 regions, 640x480)", figures)
        sampling = (figures[0], figures[2])
    crop = np.full((200, 200, 3), 120, np.uint8)
    row("sample_whole_frame (200x200 skin crop)", measure(lambda: sample_whole_frame(crop, 0.0)))
    estimator = RppgEstimator()
    sample = SkinSample(0.0, (RegionColor(SkinRegion.FRAME, (120.0, 90.0, 80.0), 1),))
    clock = {"t": 0.0}

    def add() -> None:
        clock["t"] += 1 / 30
        estimator.add(SkinSample(clock["t"], sample.regions))

    row("RppgEstimator.add", measure(add, 2000))
    print("rPPG, on demand:")
    rng = np.random.default_rng(0)
    for seconds in (10, 30):
        samples = [
            SkinSample(
                k / 30,
                tuple(
                    RegionColor(r, tuple(120 + rng.normal(0, 1, 3)), 400)  # type: ignore[arg-type]
                    for r in (SkinRegion.FOREHEAD, SkinRegion.LEFT_CHEEK, SkinRegion.RIGHT_CHEEK)
                ),
            )
            for k in range(30 * seconds)
        ]
        row(
            f"estimate_pulse ({seconds} s at 30 fps, 3 regions)",
            measure(lambda s=samples: estimate_pulse(s), 20),
        )
    print("Passive cues (assess_presentation, 640x480):")
    from pipeline.face import detect_faces
    from pipeline.image import load_image

    photo = load_image(data / "faces" / "face_recognition" / "obama.jpg", max_side=1600)
    face = detect_faces(photo)[0].box
    cues = (float("nan"), float("nan"))
    for name, capture in (
        ("live frame", capture_live(photo.pixels, face, 1)),
        ("screen replay", replay_on_screen(photo.pixels, face, 1)),
    ):
        result = assess_presentation(capture.pixels, capture.face_box)
        figures = measure(lambda c=capture: assess_presentation(c.pixels, c.face_box), 100)
        row(name, figures)
        if name == "live frame":
            cues = (figures[0], figures[2])
        per_cue = {n: [] for n in CUE_NAMES}  # type: dict[str, list[float]]
        for _ in range(50):
            result = assess_presentation(capture.pixels, capture.face_box)
            for stage, ms in result.timings.stages:
                per_cue[stage].append(ms)
        print("    " + ", ".join(f"{n[4:]} {np.median(v):.2f}" for n, v in per_cue.items()))
    print("Per-frame liveness path (median ms: wall, and CPU of this process):")
    print(
        f"  {'landmarks (MediaPipe, VIDEO mode, 640x480)':<46s} {landmark_ms[0]:8.2f} "
        f"{'':8s} {landmark_ms[1]:8.2f}"
    )
    for every in (1, 5, 10):
        wall = landmark_ms[0] + sampling[0] + cues[0] / every
        cpu = landmark_ms[1] + sampling[1] + cues[1] / every
        verdict = "within 25 ms" if cpu <= 25.0 else "over 25 ms"
        label = f"+ rPPG sampling + cues every {every}th frame"
        print(f"  {label:<46s} {wall:8.2f} {'':8s} {cpu:8.2f}   CPU {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
