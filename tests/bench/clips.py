"""The shared face clip as a kiosk camera would deliver it: 640x480 frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def letterboxed_frames(path: Path, limit: int | None = None) -> list[np.ndarray[Any, Any]]:
    """Every frame (up to ``limit``), centred on a black 640x480 canvas."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        canvas = np.zeros((480, 640, 3), np.uint8)
        h, w = min(frame.shape[0], 480), min(frame.shape[1], 640)
        top = (480 - h) // 2
        canvas[top : top + h, :w] = frame[:h, :w]
        frames.append(canvas)
    cap.release()
    return frames
