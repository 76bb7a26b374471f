"""``kiosk rppg VIDEO`` (pulse from a video) and ``kiosk pad IMAGE`` (passive attack score)."""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.errors import InputCorrupt, InputEmpty, InputNotFound, NoFaceError
from pipeline.liveness.types import LandmarksUnavailable, LivenessSignal
from pipeline.types import Box, Timings

# Frames no larger than this on both sides can be taken as skin crops when no face is found.
SKIN_CROP_MAX_SIDE = 256
# Frames smaller than this on both sides are always skin crops (no face fits).
TINY_FRAME_SIDE = 100
# How long to look for a face before treating a small video as a skin crop (seconds).
FACE_SEARCH_S = 1.0
# The passive cues are calibrated on kiosk camera frames (640x480 to 1280x720).
PAD_MAX_SIDE = 1280


@dataclass(frozen=True, slots=True)
class RegionView:
    region: str
    bpm: float | None
    snr_db: float | None
    weight: float


@dataclass(frozen=True, slots=True)
class RppgReport:
    """What ``kiosk rppg`` prints: bpm (beats/min), snr (dB), timings in ms."""

    bpm: float | None
    snr: float | None
    verdict: str
    signal: LivenessSignal
    mode: str
    duration_s: float
    frames: int
    frames_with_skin: int
    fs_hz: float
    rejected_frames: int
    regions: tuple[RegionView, ...]
    reason: str
    timings_ms: dict[str, float]


@dataclass(frozen=True, slots=True)
class BoxView:
    """A box in pixels of the analysed image (EXIF-upright, at most PAD_MAX_SIDE px)."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class PadReport:
    """What ``kiosk pad`` prints: score in [0, 1] (higher = more likely an attack)."""

    score: float
    is_attack: bool
    verdict: str
    signal: LivenessSignal
    signals: tuple[LivenessSignal, ...]
    face_box: BoxView
    face_source: str
    image_size: tuple[int, int]
    timings_ms: dict[str, float]


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    rppg = command(sub, "rppg", _rppg, "estimate the pulse (rPPG) in a face or skin-crop video")
    rppg.add_argument("video", type=Path, help="video file (MP4, AVI, ...)")
    rppg.add_argument(
        "--region",
        choices=("auto", "face", "frame"),
        default="auto",
        help="face: sample forehead and cheeks from face landmarks; frame: the whole frame "
        "is skin; auto (default): frame for tiny frames or small videos without a face",
    )
    rppg.add_argument(
        "--max-seconds", type=float, default=60.0, help="analyse at most this many seconds"
    )
    pad = command(sub, "pad", _pad, "passive presentation-attack score of a still image")
    pad.add_argument("image", type=Path, help="image file (JPEG, PNG, ...)")


# --- kiosk rppg ---------------------------------------------------------------------------


def _rppg(args: argparse.Namespace, out: Output) -> int:
    from pipeline.liveness.rppg import RppgOptions, rppg_signal

    options = RppgOptions(max_window_s=max(args.max_seconds, RppgOptions().min_duration_s))
    report = pulse_from_video(args.video, region=args.region, options=options)
    signal = rppg_signal(report.result, options)
    payload = RppgReport(
        bpm=_round(report.result.bpm),
        snr=_round(report.result.snr_db),
        verdict=signal.verdict.value,
        signal=signal,
        mode=report.mode,
        duration_s=round(report.result.duration_s, 3),
        frames=report.frames_read,
        frames_with_skin=report.frames_with_skin,
        fs_hz=round(report.result.fs_hz, 3),
        rejected_frames=report.result.rejected_frames,
        regions=tuple(
            RegionView(r.region.value, _round(r.bpm), _round(r.snr_db), round(r.weight, 3))
            for r in report.result.regions
        ),
        reason=report.result.reason,
        timings_ms=dict(report.timings.to_json()),
    )

    def human(console: Any) -> None:
        if payload.bpm is None:
            console.print(f"no pulse estimate: {payload.reason}")
        else:
            snr = payload.snr if payload.snr is not None else math.nan
            console.print(f"pulse {payload.bpm:.0f} bpm, SNR {snr:.1f} dB ({payload.verdict})")
        console.print(
            f"{payload.frames} frames, {payload.duration_s:.1f} s, mode {payload.mode}, "
            f"{payload.rejected_frames} glitch frames"
        )
        console.print(signal.explanation)

    out.emit(payload, human)
    return EXIT_OK


@dataclass(frozen=True, slots=True)
class VideoPulse:
    """The estimate for a video, how it was sampled and what it cost."""

    result: Any  # pipeline.liveness.rppg.RppgResult
    mode: str
    frames_read: int
    frames_with_skin: int
    timings: Timings


def pulse_from_video(path: Path, *, region: str = "auto", options: Any = None) -> VideoPulse:
    """Read ``path`` frame by frame and estimate the pulse.

    Args:
        path: the video file.
        region: "face" (landmarks), "frame" (the frame is a skin crop) or "auto".
        options: :class:`pipeline.liveness.rppg.RppgOptions`.

    Raises:
        InputNotFound, InputEmpty, CaptureError: the file is missing, empty or not a
            readable video.
        NoFaceError: face mode and no face in any frame.
        LandmarksUnavailable, ModelMissing: face mode without a usable landmarker.
    """
    # loaded before the clock starts: import time is not per-frame cost
    import scipy.ndimage
    import scipy.signal  # noqa: F401

    from kiosk.capture.frames import VideoFileSource
    from pipeline.liveness.rppg import (
        RppgEstimator,
        RppgOptions,
        SkinSample,
        sample_skin_regions,
        sample_whole_frame,
    )

    options = options or RppgOptions()
    _check_file(path)
    stages = {"decode": 0.0, "landmarks": 0.0, "sample": 0.0, "estimate": 0.0}
    source = VideoFileSource(path, max_seconds=options.max_window_s + 1.0)
    landmarker = None
    try:
        width, height = source.info.width, source.info.height
        mode = region
        if mode == "auto" and max(width, height) < TINY_FRAME_SIDE:
            mode = "frame"
        if mode in ("auto", "face"):
            landmarker = _video_landmarker()
        estimator = RppgEstimator(options)
        frames = with_skin = 0
        buffered: list[Any] = []  # frames seen while looking for a face in auto mode
        last_ms = -1
        t0 = time.perf_counter()
        for frame in source:
            t1 = time.perf_counter()
            stages["decode"] += (t1 - t0) * 1000.0
            frames += 1
            if mode == "frame":
                sample = sample_whole_frame(frame.pixels, frame.t_s)
            else:
                last_ms = max(last_ms + 1, round(frame.t_s * 1000.0))
                faces = landmarker.detect_for_video(frame.pixels, last_ms) if landmarker else ()
                t2 = time.perf_counter()
                stages["landmarks"] += (t2 - t1) * 1000.0
                t1 = t2
                if faces:
                    sample = sample_skin_regions(frame.pixels, faces[0], frame.t_s)
                    if mode == "auto":
                        mode = "face"
                        for early in buffered:
                            estimator.add(SkinSample(early.t_s, ()))
                        buffered.clear()
                elif mode == "auto":
                    buffered.append(frame)
                    if frame.t_s - buffered[0].t_s >= FACE_SEARCH_S:
                        if max(width, height) > SKIN_CROP_MAX_SIDE:
                            raise NoFaceError(
                                f"No face in the first {FACE_SEARCH_S:.0f} s of {path.name}.",
                                hint="use --region frame if the video is a skin crop",
                            )
                        mode = "frame"
                        for early in buffered:
                            estimator.add(sample_whole_frame(early.pixels, early.t_s))
                            with_skin += 1
                        buffered.clear()
                    t0 = time.perf_counter()
                    continue
                else:
                    sample = SkinSample(frame.t_s, ())
            estimator.add(sample)
            with_skin += bool(sample.regions)
            t0 = time.perf_counter()
            stages["sample"] += (t0 - t1) * 1000.0
        if mode == "auto":  # the whole (short) video went by without a face
            if max(width, height) > SKIN_CROP_MAX_SIDE:
                raise NoFaceError(f"No face found in {path.name}.")
            mode = "frame"
            for early in buffered:
                estimator.add(sample_whole_frame(early.pixels, early.t_s))
                with_skin += 1
        if mode == "face" and with_skin == 0:
            raise NoFaceError(f"No face found in {path.name}.")
        t_est = time.perf_counter()
        result = estimator.estimate()
        stages["estimate"] = (time.perf_counter() - t_est) * 1000.0
    finally:
        source.close()
        if landmarker is not None:
            landmarker.close()
    timings = Timings(tuple((k, v) for k, v in stages.items() if v > 0 or k == "estimate"))
    return VideoPulse(result, mode, frames, with_skin, timings)


def _video_landmarker() -> Any:
    """The face landmarker in VIDEO mode (integration point with ``pipeline.face``)."""
    try:
        from pipeline.face import FaceLandmarker, LandmarkerOptions, RunningMode
    except ImportError as exc:  # pragma: no cover - pipeline.face ships with the kiosk
        raise LandmarksUnavailable(
            "The face landmarker is not installed.", hint="use --region frame for skin crops"
        ) from exc
    return FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO))


# --- kiosk pad ----------------------------------------------------------------------------


def _pad(args: argparse.Namespace, out: Output) -> int:
    from pipeline.image import load_image
    from pipeline.liveness.cues import PadOptions, assess_presentation, pad_signal

    started = time.perf_counter()
    _check_file(args.image)
    image = load_image(args.image, max_side=PAD_MAX_SIDE)
    loaded = time.perf_counter()
    box, source = face_box_for_pad(image.pixels)
    found = time.perf_counter()
    options = PadOptions()
    result = assess_presentation(image.pixels, box, options)
    signal = pad_signal(result, options)
    stages = Timings((("load", (loaded - started) * 1000.0), ("face", (found - loaded) * 1000.0)))
    payload = PadReport(
        score=round(result.score, 4),
        is_attack=result.is_attack,
        verdict=signal.verdict.value,
        signal=signal,
        signals=result.signals,
        face_box=BoxView(*(round(v, 1) for v in (box.x, box.y, box.w, box.h))),
        face_source=source,
        image_size=image.size,
        timings_ms=dict((stages + result.timings).to_json()),
    )

    def human(console: Any) -> None:
        call = "ATTACK" if payload.is_attack else "no attack found"
        console.print(f"passive attack score {payload.score:.2f}: {call}")
        for cue in payload.signals:
            console.print(f"  {cue.name:<12s} {cue.verdict.value:<7s} {cue.explanation}")

    out.emit(payload, human)
    return EXIT_OK


def face_box_for_pad(pixels: Any) -> tuple[Box, str]:
    """The face to analyse: the largest face found by ``pipeline.face.detect_faces``.

    Integration point with ``pipeline.face``. If that package cannot be imported the
    documented fallback is the central 40 % x 55 % of the image (``face_source`` says
    "central_fallback").

    Raises:
        NoFaceError: the detector ran and found no face.
    """
    try:
        from pipeline.face import detect_faces
    except ImportError:  # pragma: no cover - pipeline.face ships with the kiosk
        height, width = pixels.shape[:2]
        return Box(0.3 * width, 0.2 * height, 0.4 * width, 0.55 * height), "central_fallback"
    faces = detect_faces(pixels)
    if not faces:
        raise NoFaceError("No face was found in the image.")
    return faces[0].box, "detector"


def _check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputNotFound(f"No such file: {path.name}.") from None
    except OSError as exc:
        raise InputCorrupt(f"Cannot read {path.name}: {exc.strerror}.") from exc
    if not path.is_file():
        raise InputCorrupt(f"{path.name} is not a regular file.")
    if size == 0:
        raise InputEmpty(f"{path.name} is empty.")


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
