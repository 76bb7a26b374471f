"""Camera-integrity checks: is this stream what a real camera in front of a person sends?

Injection attacks replace the camera with a virtual device or feed a prepared video.
Cheap tells: a device name on a denylist, the resolution or pixel format changing
mid-session, timestamps too regular (a file paced by a timer) or too irregular,
and frames that repeat exactly (a frozen or looped source); a real sensor never
produces two bit-identical frames of a live scene.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.liveness.types import LivenessSignal, Verdict

VIRTUAL_CAMERA_DENYLIST = (
    "obs virtual",
    "obs-camera",
    "v4l2loopback",
    "dummy video device",
    "manycam",
    "snap camera",
    "xsplit",
    "e2esoft",
    "vcam",
    "droidcam",
    "camtwist",
    "akvcam",
    "virtual camera",
    "fake webcam",
    "splitcam",
    "youcam",
    "iriun",
    "epoccam",
    "newtek ndi",
    "ndi webcam",
    "unity video capture",
    "chromacam",
    "sparkocam",
)


@dataclass(frozen=True, slots=True)
class IntegrityOptions:
    """Thresholds.

    Attributes:
        max_jitter_ratio: interval standard deviation over mean interval above which
            the timing is erratic (dropped or injected frames).
        min_jitter_ms: below this spread of intervals (with many frames) the pacing is
            machine-perfect, which a USB camera's clock is not; only WEAK evidence.
        max_repeat_fraction: share of frames that may repeat an earlier frame exactly.
        weight: fusion weight of each integrity signal.
    """

    max_jitter_ratio: float = 0.5
    min_jitter_ms: float = 0.05
    max_repeat_fraction: float = 0.02
    weight: float = 2.0


def is_virtual_camera(device_name: str) -> bool:
    name = device_name.lower()
    return any(token in name for token in VIRTUAL_CAMERA_DENYLIST)


@dataclass
class IntegrityMonitor:
    """Per-frame bookkeeping (cheap: one hash of a thumbnail) and the final signals."""

    device_name: str = ""
    options: IntegrityOptions = field(default_factory=IntegrityOptions)
    _times: list[float] = field(default_factory=list)
    _hashes: dict[bytes, int] = field(default_factory=dict)
    _repeats: int = 0
    _frames: int = 0
    _shape: tuple[int, ...] | None = None
    _shape_changes: int = 0
    _non_increasing: int = 0

    def add(self, frame: np.ndarray[Any, Any], t_s: float) -> None:
        self._frames += 1
        if self._shape is None:
            self._shape = frame.shape
        elif frame.shape != self._shape:
            self._shape_changes += 1
            self._shape = frame.shape
        if self._times and t_s <= self._times[-1]:
            self._non_increasing += 1
        self._times.append(t_s)
        # hash of a subsampled copy: identical frames collide, sensor noise never does
        digest = hashlib.blake2b(
            np.ascontiguousarray(frame[::4, ::4]).tobytes(), digest_size=16
        ).digest()
        if digest in self._hashes:
            self._repeats += 1
        else:
            self._hashes[digest] = self._frames

    def signals(self) -> tuple[LivenessSignal, ...]:
        o = self.options
        out = []
        if self.device_name and is_virtual_camera(self.device_name):
            out.append(
                LivenessSignal(
                    "camera_device",
                    1.0,
                    Verdict.FAIL,
                    o.weight,
                    "The camera is a known virtual-camera device.",
                )
            )
        elif self.device_name:
            out.append(
                LivenessSignal(
                    "camera_device",
                    0.0,
                    Verdict.PASS,
                    o.weight * 0.25,
                    "The camera is not on the virtual-camera denylist.",
                )
            )
        out.append(
            LivenessSignal(
                "stream_format",
                float(self._shape_changes),
                Verdict.FAIL if self._shape_changes else Verdict.PASS,
                o.weight,
                "The frame size or format changed during the session."
                if self._shape_changes
                else "The frame format stayed constant.",
            )
        )
        if self._frames < 10:
            out.append(
                LivenessSignal(
                    "frame_timing",
                    float("nan"),
                    Verdict.UNKNOWN,
                    o.weight,
                    "Too few frames to judge the camera's timing.",
                )
            )
            out.append(
                LivenessSignal(
                    "repeated_frames",
                    float("nan"),
                    Verdict.UNKNOWN,
                    o.weight,
                    "Too few frames to judge repetition.",
                )
            )
            return tuple(out)
        intervals = np.diff(np.array(self._times))
        mean = float(np.mean(intervals)) if intervals.size else 0.0
        spread_ms = float(np.std(intervals)) * 1000.0
        ratio = spread_ms / 1000.0 / mean if mean > 0 else float("inf")
        if self._non_increasing or ratio > o.max_jitter_ratio:
            out.append(
                LivenessSignal(
                    "frame_timing",
                    ratio,
                    Verdict.FAIL,
                    o.weight,
                    "Frame timestamps are out of order or erratic.",
                )
            )
        elif spread_ms < o.min_jitter_ms:
            out.append(
                LivenessSignal(
                    "frame_timing",
                    ratio,
                    Verdict.WEAK,
                    o.weight * 0.5,
                    "Frame timing is machine-perfect, as from a file or software source.",
                )
            )
        else:
            out.append(
                LivenessSignal(
                    "frame_timing",
                    ratio,
                    Verdict.PASS,
                    o.weight * 0.5,
                    "Frame timing looks like a camera's.",
                )
            )
        fraction = self._repeats / self._frames
        out.append(
            LivenessSignal(
                "repeated_frames",
                fraction,
                Verdict.FAIL if fraction > o.max_repeat_fraction else Verdict.PASS,
                o.weight,
                f"{self._repeats} of {self._frames} frames repeat earlier ones exactly."
                if self._repeats
                else "No frame repeats another exactly.",
            )
        )
        return tuple(out)
