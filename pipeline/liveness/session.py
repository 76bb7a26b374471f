"""One liveness session: the per-frame path shared by the live camera, the CLI replay
and the tests.

``feed(frame, t_s)`` runs landmarks and pose (MediaPipe VIDEO mode), advances the
challenge, samples the skin for rPPG, records landmarks for the 3D-motion check,
keeps the camera-integrity books, runs the passive cues every Nth frame and keeps
the sharpest frontal frames for the face match. ``finish()`` fuses everything.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.errors import InputCorrupt
from pipeline.face.landmarks import FaceLandmarker
from pipeline.face.types import FaceLandmarks, HeadPose
from pipeline.liveness.challenge import (
    ChallengeOptions,
    ChallengeState,
    ChallengeTracker,
    StepRecord,
)
from pipeline.liveness.fusion import FusionOptions, LivenessVerdict, fuse
from pipeline.liveness.integrity import IntegrityMonitor, IntegrityOptions
from pipeline.liveness.motion3d import Motion3dOptions, Motion3dResult, MotionRecorder
from pipeline.liveness.rppg import (
    RppgEstimator,
    RppgOptions,
    RppgResult,
    rppg_signal,
    sample_skin_regions,
)
from pipeline.liveness.types import LivenessSignal, Verdict
from pipeline.types import Box

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
PassiveCheck = Callable[[Pixels, Box], tuple[LivenessSignal, ...]]


def selfie_face_counter(detector: Any) -> Callable[[Pixels], int]:
    """Counts the people in view the way a selfie is judged: a second face counts when it
    is at least a quarter as wide as the main one (a distant passer-by does not).
    ``detector`` is a :class:`pipeline.face.FaceDetector`."""

    def count(frame: Pixels) -> int:
        faces = detector.detect(frame)
        if not faces:
            return 0
        ratio = detector.options.second_face_ratio
        return 1 + sum(1 for f in faces[1:] if f.box.w >= ratio * faces[0].box.w)

    return count


def passive_pad_check(options: Any = None) -> PassiveCheck:
    """The passive presentation-attack check for a session: one combined ``pad_score``
    signal per checked frame (the per-cue values are the score's inputs, not separate
    votes). ``options`` is a :class:`pipeline.liveness.cues.PadOptions`."""
    from pipeline.liveness.cues import assess_presentation, pad_signal

    def check(frame: Pixels, face: Box) -> tuple[LivenessSignal, ...]:
        return (pad_signal(assess_presentation(frame, face, options), options),)

    return check


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Everything the site policy can tune about liveness.

    Attributes:
        challenge, rppg, motion, integrity, fusion: per-component options.
        passive_every_n: run the passive cues on every Nth analysed frame with a face.
        face_count_every_n: count the faces in view (another person, a photo held up)
            on every Nth analysed frame; tracking a second face in the landmarker on
            every frame costs about 5 ms a frame on one core.
        analysis_fps: frames arriving faster than this are only booked for the
            integrity checks, not analysed: the same work per second whether a camera
            delivers 30 fps or a recording is replayed as fast as it decodes (0 = all).
        best_frames: how many frontal, sharp frames to keep for the face match.
        challenge_weight: fusion weight of the challenge signal.
    """

    challenge: ChallengeOptions = field(default_factory=ChallengeOptions)
    rppg: RppgOptions = field(default_factory=RppgOptions)
    motion: Motion3dOptions = field(default_factory=Motion3dOptions)
    integrity: IntegrityOptions = field(default_factory=IntegrityOptions)
    fusion: FusionOptions = field(default_factory=FusionOptions)
    passive_every_n: int = 10
    face_count_every_n: int = 10
    best_frames: int = 3
    challenge_weight: float = 3.0
    analysis_fps: float = 15.0


@dataclass(frozen=True, slots=True)
class FrameFeedback:
    """What the UI needs after each frame.

    Attributes:
        challenge: prompt, progress, countdown and status.
        face_box: the tracked face in frame pixels, None when no face.
        pose: head pose, None when no face.
        multiple_faces: more than one face is in view.
        elapsed_ms: time this frame took in ``feed``.
    """

    challenge: ChallengeState
    face_box: Box | None
    pose: HeadPose | None
    multiple_faces: bool
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class BestFrame:
    """A frontal, sharp frame kept for the face match (pixels stay in memory only)."""

    pixels: Pixels
    t_s: float
    sharpness: float
    face_box: Box


@dataclass(frozen=True, slots=True)
class LivenessResult:
    """Everything the session concluded, for the decision and the evidence store.

    Attributes:
        verdict: fused decision with reasons and every signal.
        seed: the challenge seed (stored with the evidence).
        steps: the prompted actions, in order.
        records: when each step was prompted and completed.
        rppg: the pulse estimate.
        motion: the 3D-motion residuals.
        frames: frames fed; frames_analysed: of those, analysed (see ``analysis_fps``);
            frames_with_face: analysed frames with a face.
        duration_s: stream time covered.
        best_frames: sharpest frontal frames, best first.
        median_frame_ms: median cost of ``feed``.
    """

    verdict: LivenessVerdict
    seed: int
    steps: tuple[str, ...]
    records: tuple[StepRecord, ...]
    rppg: RppgResult
    motion: Motion3dResult
    frames: int
    frames_analysed: int
    frames_with_face: int
    duration_s: float
    best_frames: tuple[BestFrame, ...]
    median_frame_ms: float


class LivenessSession:
    """Feed frames of one stream in time order; then ``finish``. One thread."""

    def __init__(
        self,
        seed: int,
        landmarker: FaceLandmarker,
        *,
        options: SessionOptions | None = None,
        device_name: str = "",
        passive: PassiveCheck | None = None,
        count_faces: Callable[[Pixels], int] | None = None,
    ) -> None:
        self.options = options or SessionOptions()
        self.seed = seed
        self._landmarker = landmarker
        self._passive = passive
        self._count_faces = count_faces
        self.challenge = ChallengeTracker(seed, self.options.challenge)
        self._rppg = RppgEstimator(self.options.rppg)
        self._motion = MotionRecorder(self.options.motion)
        self._integrity = IntegrityMonitor(device_name, self.options.integrity)
        self._passive_signals: list[LivenessSignal] = []
        self._best: list[tuple[float, int, BestFrame]] = []
        self._frames = 0
        self._with_face = 0
        self._first_t: float | None = None
        self._last_t = 0.0
        self._frame_ms: list[float] = []
        self._multiple = 0
        self._face_checks = 0
        self._crowded = False
        self._last_feedback: FrameFeedback | None = None
        self._seen = 0
        self._last_analysed_t = float("-inf")

    def feed(self, frame: Pixels, t_s: float) -> FrameFeedback:
        """Process one frame captured at ``t_s`` seconds (strictly increasing).

        Raises:
            InputCorrupt: not an 8-bit BGR frame.
            TimestampError: ``t_s`` does not increase.
        """
        start = time.perf_counter()
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InputCorrupt("A liveness frame must be 8-bit BGR.")
        self._seen += 1
        self._first_t = t_s if self._first_t is None else self._first_t
        self._last_t = t_s
        fps = self.options.analysis_fps
        if (
            self._last_feedback is not None
            and fps > 0
            and (t_s - self._last_analysed_t < 1.0 / fps - 1e-6)
        ):
            self.note_frame(frame, t_s)
            return self._last_feedback
        self._last_analysed_t = t_s
        self._frames += 1
        self._integrity.add(frame, t_s)
        faces = self._landmarker.detect_for_video(frame, round(t_s * 1000))
        face = max(faces, key=_face_area) if faces else None
        checked_now = (
            self._count_faces is None or self._frames % self.options.face_count_every_n == 1
        )
        if self._count_faces is not None and checked_now:
            self._crowded = self._count_faces(frame) > 1
        crowd = len(faces) > 1 or self._crowded
        if checked_now:
            self._face_checks += 1
            self._multiple += int(crowd)
        state = self.challenge.update(t_s, face)
        box = None
        if face is not None:
            self._with_face += 1
            box = _landmark_box(face, frame.shape[1], frame.shape[0])
            self._rppg.add(sample_skin_regions(frame, face, t_s))
            self._motion.add(face)
            if self._passive is not None and self._with_face % self.options.passive_every_n == 1:
                self._passive_signals.extend(self._passive(frame, box))
            self._consider_best(frame, face, box, t_s)
        elapsed = (time.perf_counter() - start) * 1000.0
        self._frame_ms.append(elapsed)
        self._last_feedback = FrameFeedback(state, box, face.pose if face else None, crowd, elapsed)
        return self._last_feedback

    def note_frame(self, frame: Pixels, t_s: float) -> None:
        """A captured frame the app skipped as stale (latest frame wins): the integrity
        checks still see the camera's own cadence and every frame's content."""
        self._integrity.add(frame, t_s)

    def finish(self) -> LivenessResult:
        """Fuse every signal into the verdict."""
        rppg = self._rppg.estimate()
        motion = self._motion.result()
        signals: list[LivenessSignal] = [self.challenge.signal(self.options.challenge_weight)]
        signals.append(rppg_signal(rppg, self.options.rppg))
        signals.append(self._motion.signal())
        signals.extend(self._integrity.signals())
        signals.extend(_summarise_passive(self._passive_signals))
        if self._multiple >= 2 and self._multiple > 0.2 * self._face_checks:
            signals.append(
                LivenessSignal(
                    "multiple_faces",
                    float(self._multiple),
                    Verdict.FAIL,
                    1.0,
                    "Another face was in view during the challenge.",
                )
            )
        verdict = fuse(tuple(signals), self.options.fusion)
        best = tuple(b for _, _, b in sorted(self._best, key=lambda e: -e[0]))
        return LivenessResult(
            verdict=verdict,
            seed=self.seed,
            steps=tuple(s.action.value for s in self.challenge.steps),
            records=self.challenge.records,
            rppg=rppg,
            motion=motion,
            frames=self._seen,
            frames_analysed=self._frames,
            frames_with_face=self._with_face,
            duration_s=(self._last_t - self._first_t) if self._first_t is not None else 0.0,
            best_frames=best,
            median_frame_ms=float(np.median(self._frame_ms)) if self._frame_ms else 0.0,
        )

    def _consider_best(self, frame: Pixels, face: FaceLandmarks, box: Box, t_s: float) -> None:
        import cv2

        p = face.pose
        blink = max(face.blendshape("eyeBlinkLeft"), face.blendshape("eyeBlinkRight"))
        if abs(p.yaw_deg) > 12 or abs(p.pitch_deg) > 12 or blink > 0.4:
            return
        x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
        crop = frame[y0 : int(box.y + box.h), x0 : int(box.x + box.w)]
        if crop.size == 0:
            return
        grey = cv2.cvtColor(
            cv2.resize(crop, (96, 96), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
        )
        sharp = float(cv2.Laplacian(grey, cv2.CV_64F).var()) * (1.0 - abs(p.yaw_deg) / 45.0)
        entry = (sharp, self._frames, BestFrame(frame.copy(), t_s, sharp, box))
        if len(self._best) < self.options.best_frames:
            heapq.heappush(self._best, entry)
        elif sharp > self._best[0][0]:
            heapq.heapreplace(self._best, entry)


def _face_area(face: FaceLandmarks) -> float:
    pts = face.points[:, :2]
    return float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))


def _landmark_box(face: FaceLandmarks, width: int, height: int) -> Box:
    pts = face.points[:, :2]
    x0, y0 = float(max(pts[:, 0].min(), 0)), float(max(pts[:, 1].min(), 0))
    x1, y1 = float(min(pts[:, 0].max(), width)), float(min(pts[:, 1].max(), height))
    return Box(x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))


def _summarise_passive(signals: list[LivenessSignal]) -> tuple[LivenessSignal, ...]:
    """One signal per passive cue: the median value, and the majority verdict."""
    from collections import Counter

    by_name: dict[str, list[LivenessSignal]] = {}
    for s in signals:
        by_name.setdefault(s.name, []).append(s)
    out = []
    for name, group in by_name.items():
        verdict = Counter(s.verdict for s in group).most_common(1)[0][0]
        values = [s.value for s in group if np.isfinite(s.value)]
        value = float(np.median(values)) if values else float("nan")
        last = next(s for s in reversed(group) if s.verdict is verdict)
        out.append(
            LivenessSignal(
                name,
                value,
                verdict,
                last.weight,
                f"{last.explanation} ({len(group)} frames checked)",
            )
        )
    return tuple(out)
