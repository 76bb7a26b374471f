"""Per-frame liveness path on one core (issue 5): landmarks, pose, challenge, rPPG
sampling, 3D-motion bookkeeping, integrity, passive cues every Nth frame.

    .venv/bin/python -m tests.bench.bench_liveness

Runs the shared face clip, letterboxed to 640x480, through LivenessSession in a process
pinned to one core, and prints the median and p95 milliseconds per frame.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from tests.bench.clips import letterboxed_frames
from tests.shared import require_shared_data


def main() -> int:
    import cv2

    from pipeline.face import FaceLandmarker, LandmarkerOptions, RunningMode
    from pipeline.liveness.session import LivenessSession

    data = require_shared_data()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    frames = letterboxed_frames(data / "video" / "short_hamilton_clip.mp4")
    passive = _passive()
    rows = []
    for label, hook in (
        ("without passive cues", None),
        ("with passive cues every 10th frame", passive),
    ):
        if label != "without passive cues" and hook is None:
            continue
        with FaceLandmarker.from_options(
            LandmarkerOptions(running_mode=RunningMode.VIDEO, num_faces=2)
        ) as lm:
            session = LivenessSession(1, lm, passive=hook)
            times = []
            for i, frame in enumerate(frames):
                fb = session.feed(frame, i / 30.0)
                if i >= 10:
                    times.append(fb.elapsed_ms)
            session.finish()
        rows.append((label, float(np.median(times)), float(np.percentile(times, 95))))
    print(f"{'per-frame liveness path, 640x480, one core':<52} {'median':>8} {'p95':>8}  target")
    for label, med, p95 in rows:
        print(f"  {label:<50} {med:8.1f} {p95:8.1f}  <= 25 ms median")
    return 0


def _passive():  # type: ignore[no-untyped-def]
    from pipeline.liveness.session import passive_pad_check

    return passive_pad_check()


if __name__ == "__main__":
    sys.exit(main())
