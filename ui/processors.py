"""Per-frame processors the frame worker runs (Qt-free): the selfie's liveness path and
the document camera's guidance. Each runs on the worker thread only."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.capture.documents import DocumentGuidance, DocumentGuide
from kiosk.capture.frames import Frame
from kiosk.errors import KioskError
from pipeline.face.quality import QualityOptions
from pipeline.liveness.challenge import ChallengeStatus
from pipeline.liveness.session import FrameFeedback

# Face guidance codes, most important first. The face-quality ones reuse the values of
# pipeline.face.quality.QualityIssueCode so the texts stay in one vocabulary.
FACE_HINTS = (
    "multiple_faces",
    "no_face",
    "face_cut_off",
    "too_small",
    "too_close",
    "off_center",
    "too_dark",
    "too_bright",
)


class SessionEnded(KioskError):
    code = "session_ended"
    default_message = "The customer session has ended."


@dataclass(frozen=True, slots=True)
class SelfieFeedback:
    """What the selfie screen draws after one frame.

    Attributes:
        feedback: the liveness session's feedback (prompt, progress, countdown, face box).
        frame_size: (width, height) of the frame the face box refers to.
        hints: face guidance codes (see :data:`FACE_HINTS`), most important first.
    """

    feedback: FrameFeedback
    frame_size: tuple[int, int]
    hints: tuple[str, ...]

    @property
    def finished(self) -> bool:
        return self.feedback.challenge.status in (ChallengeStatus.PASSED, ChallengeStatus.FAILED)


class LivenessProcessor:
    """Feeds each frame to the case's liveness session and adds face guidance.

    ``current_action`` may be read from any thread (the demo's simulated customer
    follows it)."""

    def __init__(self, case: Any, options: QualityOptions | None = None) -> None:
        self._case = case
        self._options = options or QualityOptions()
        self._action: str | None = None
        self._lock = threading.Lock()

    @property
    def current_action(self) -> str | None:
        return self._action

    def skipped(self, frames: list[Frame]) -> None:
        """Frames the worker dropped: the case's camera-integrity books still see the
        camera's real cadence."""
        with self._lock:
            if self._case is not None:
                for f in frames:
                    self._case.note_frame(f.pixels, f.t_s)

    def process(self, frame: Frame) -> SelfieFeedback:
        with self._lock:
            if self._case is None:
                raise SessionEnded()
            feedback: FrameFeedback = self._case.feed(frame.pixels, frame.t_s)
        state = feedback.challenge
        running = state.status in (ChallengeStatus.RUNNING, ChallengeStatus.WAITING)
        self._action = state.action.value if running and state.action else None
        h, w = frame.pixels.shape[:2]
        return SelfieFeedback(feedback, (w, h), face_hints(frame.pixels, feedback, self._options))

    def release(self) -> None:
        """Drop the case; waits for a frame in progress, and no frame runs after it."""
        with self._lock:
            self._case = None
            self._action = None


def face_hints(
    pixels: np.ndarray[Any, Any], feedback: FrameFeedback, options: QualityOptions
) -> tuple[str, ...]:
    """Cheap per-frame face guidance from the tracked face box (no extra model)."""
    if feedback.multiple_faces:
        return ("multiple_faces",)
    box = feedback.face_box
    if box is None:
        return ("no_face",)
    h, w = pixels.shape[:2]
    hints: list[str] = []
    if box.x <= 1 or box.y <= 1 or box.x + box.w >= w - 1 or box.y + box.h >= h - 1:
        hints.append("face_cut_off")
    fraction = box.h / max(h, 1)
    if fraction < 0.28:
        hints.append("too_small")
    elif fraction > options.max_face_fraction:
        hints.append("too_close")
    cx, cy = box.center
    if abs(cx - w / 2) > 0.18 * w or abs(cy - h / 2) > 0.2 * h:
        hints.append("off_center")
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    crop = pixels[y0 : int(box.y + box.h) : 4, x0 : int(box.x + box.w) : 4]
    if crop.size:
        luma = float(crop[..., 1].mean())  # green carries most of the luma
        if luma < options.min_brightness:
            hints.append("too_dark")
        elif luma > options.max_brightness:
            hints.append("too_bright")
    return tuple(code for code in FACE_HINTS if code in hints)


class DocumentProcessor:
    """Runs the document guide on each frame of the document camera."""

    def __init__(self, guide: DocumentGuide) -> None:
        self._guide = guide

    def process(self, frame: Frame) -> DocumentGuidance:
        return self._guide.assess(frame)
