"""Frame sources for demo mode: a simulated customer who follows the prompt on screen,
and a document camera looking at the rendered demo card on a desk.

Both are paced by the wall clock like a real camera, so the app runs exactly the code
path it runs with a camera: the same frame worker, the same dropping of stale frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from kiosk.capture.frames import Frame, SourceInfo

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
FrameFunction = Callable[[float, "str | None"], Pixels]
ActionFunction = Callable[[], "str | None"]


class _Paced:
    """Wall-clock pacing shared by the demo sources: ``read`` waits for the next tick."""

    def __init__(self, fps: float) -> None:
        self._period = 1.0 / fps
        self._t0: float | None = None
        self._next = 0.0
        self._index = 0
        self._closed = threading.Event()

    def _tick(self) -> float | None:
        """Wait for the next frame time; returns seconds since the first frame, or None
        once closed."""
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = self._next = now
        wait = self._next - now
        if wait > 0 and self._closed.wait(wait):
            return None
        if self._closed.is_set():
            return None
        now = time.monotonic()
        # a slow producer falls behind the clock: skip ticks instead of bunching frames
        self._next = max(self._next + self._period, now)
        return now - self._t0

    def close(self) -> None:
        self._closed.set()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def read(self) -> Frame | None:  # pragma: no cover - overridden
        raise NotImplementedError


class PromptFollowingCamera(_Paced):
    """A camera that films a simulated customer reacting to the current prompt.

    Args:
        frame_fn: ``frame(t_s, action)``, e.g. ``SyntheticPerson.frame``.
        current_action: returns the challenge action on screen now (its value), or None.
        fps: the pace to aim for (the simulation may be slower; frames are not bunched).
        crop: (x, y, width, height) of the simulated frame the camera sees (a zoom on
            the face, see :func:`face_crop`); None for the whole frame.
        size: (width, height) of the simulated frames.
        name: the device name reported (a demo label, so it is never a bound camera).
    """

    def __init__(
        self,
        frame_fn: FrameFunction,
        current_action: ActionFunction,
        *,
        fps: float = 25.0,
        crop: tuple[int, int, int, int] | None = None,
        size: tuple[int, int] = (512, 512),
        name: str = "Demo camera (simulated customer)",
    ) -> None:
        super().__init__(fps)
        self._frame_fn = frame_fn
        self._action = current_action
        self._crop = crop
        w, h = (crop[2], crop[3]) if crop else size
        self._info = SourceInfo("demo", name, w, h, fps)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self) -> Frame | None:
        t_s = self._tick()
        if t_s is None:
            return None
        pixels = self._frame_fn(t_s, self._action())
        if self._crop is not None:
            x, y, w, h = self._crop
            pixels = np.ascontiguousarray(pixels[y : y + h, x : x + w])
        frame = Frame(pixels, t_s, self._index)
        self._index += 1
        return frame


def face_crop(
    face_mask: np.ndarray[Any, Any], *, face_share: float = 0.55, aspect: float = 4 / 3
) -> tuple[int, int, int, int]:
    """A camera-like framing around a face: the crop (x, y, w, h) of the image in which
    the face (``face_mask`` > 0.5, its cheeks-and-forehead region) is centred and its
    height is about ``face_share`` of the frame, kept inside the image."""
    ys, xs = np.nonzero(face_mask > 0.5)
    img_h, img_w = face_mask.shape[:2]
    if ys.size == 0:
        return (0, 0, img_w, img_h)
    cx, cy = float(xs.mean()), float(ys.mean())
    face_h = 2.6 * float(ys.max() - ys.min() + 1)  # the skin region is ~40 % of the face
    h = min(img_h, round(face_h / face_share))
    w = min(img_w, round(h * aspect))
    h = min(h, round(w / aspect))
    x = int(min(max(cx - w / 2, 0), img_w - w))
    y = int(min(max(cy - h / 2, 0), img_h - h))
    return (x, y, w, h)


class DemoDocumentCamera(_Paced):
    """A document camera over a desk with the demo card on it: out of focus for
    ``focus_s`` seconds (as a card being put down), then sharp and still.

    Args:
        card: the rendered card, BGR.
        size: frame (width, height).
        fps: frame rate.
        focus_s: how long the first frames stay blurred.
        seed: sensor-noise seed.
    """

    def __init__(
        self,
        card: Pixels,
        *,
        size: tuple[int, int] = (1280, 960),
        fps: float = 15.0,
        focus_s: float = 1.2,
        seed: int = 7,
    ) -> None:
        import cv2

        super().__init__(fps)
        w, h = size
        desk = np.empty((h, w, 3), np.uint8)
        ramp = np.linspace(58, 38, h, dtype=np.float32)[:, None]
        desk[...] = np.stack([ramp * 0.9, ramp * 0.85, ramp * 0.8], axis=-1).astype(np.uint8)
        ch, cw = card.shape[:2]
        scale = min(0.8 * w / cw, 0.8 * h / ch)
        placed = cv2.resize(
            card, (round(cw * scale), round(ch * scale)), interpolation=cv2.INTER_AREA
        )
        y0, x0 = (h - placed.shape[0]) // 2, (w - placed.shape[1]) // 2
        desk[y0 : y0 + placed.shape[0], x0 : x0 + placed.shape[1]] = placed
        self._sharp = desk
        self._blurred = cv2.GaussianBlur(desk, (0, 0), 6)
        self._focus_s = focus_s
        rng = np.random.default_rng(seed)
        self._noise = [rng.integers(-3, 4, desk.shape, dtype=np.int16) for _ in range(4)]
        self._info = SourceInfo("demo", "Demo document camera", w, h, fps)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self) -> Frame | None:
        t_s = self._tick()
        if t_s is None:
            return None
        base = self._blurred if t_s < self._focus_s else self._sharp
        noisy = np.clip(base + self._noise[self._index % 4], 0, 255).astype(np.uint8)
        frame = Frame(noisy, t_s, self._index)
        self._index += 1
        return frame
