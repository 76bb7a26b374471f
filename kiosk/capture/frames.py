"""Frame sources: OpenCV cameras, video files and folders of images."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk.errors import CaptureError, InputCorrupt, InputNotFound
from pipeline.image import load_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
MAX_FRAME_PIXELS = 4096 * 2160


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame.

    Attributes:
        pixels: HxWx3 uint8 BGR.
        t_s: capture time in seconds since the source started (strictly increasing).
        index: 0-based frame number.
    """

    pixels: np.ndarray[Any, np.dtype[np.uint8]]
    t_s: float
    index: int


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the source is: ``kind`` camera/video/images, device or file ``name``, size, fps."""

    kind: str
    name: str
    width: int
    height: int
    fps: float


class FrameSource(Protocol):
    """Anything that yields frames in time order."""

    @property
    def info(self) -> SourceInfo: ...

    def read(self) -> Frame | None:
        """The next frame, or None at the end."""
        ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[Frame]: ...


class _Iterable:
    def read(self) -> Frame | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoFileSource(_Iterable):
    """A recorded video; timestamps from the container, else frame index / fps.

    Raises on open:
        InputNotFound: no such file.
        CaptureError: OpenCV cannot decode it, or it holds no frame.
    """

    def __init__(self, path: Path, *, max_seconds: float = 120.0) -> None:
        import cv2

        if not path.is_file():
            raise InputNotFound(f"No such video: {path.name}.")
        self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            raise CaptureError(
                f"{path.name} is not a video this kiosk can decode.",
                hint="record as MP4 (H.264) or MJPEG AVI",
            )
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if 1.0 <= fps <= 240.0 else 30.0
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if w * h > MAX_FRAME_PIXELS:
            self._cap.release()
            raise CaptureError(f"{path.name}: {w}x{h} frames are larger than this kiosk accepts.")
        self._info = SourceInfo("video", path.name, w, h, self._fps)
        self._index = 0
        self._last_t = -1.0
        self._max_seconds = max_seconds
        first = self.read()
        if first is None:
            self._cap.release()
            raise CaptureError(f"{path.name} holds no readable frame.")
        self._pending: Frame | None = first

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self) -> Frame | None:
        import cv2

        if getattr(self, "_pending", None) is not None:
            frame, self._pending = self._pending, None
            return frame
        ok, pixels = self._cap.read()
        if not ok or pixels is None or pixels.ndim != 3:
            return None
        t = float(self._cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
        fallback = self._index / self._fps
        if not np.isfinite(t) or t <= self._last_t or (t == 0 and self._index > 0):
            t = max(fallback, self._last_t + 1e-3)
        if t > self._max_seconds:
            return None
        self._last_t = t
        frame = Frame(np.ascontiguousarray(pixels), t, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource(_Iterable):
    """Images of a folder in name order, paced at ``fps``.

    Raises on open:
        InputNotFound: not a folder, or no image in it.
    """

    def __init__(self, folder: Path, *, fps: float = 15.0) -> None:
        if not folder.is_dir():
            raise InputNotFound(f"No such folder: {folder.name}.")
        self._files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise InputNotFound(f"{folder.name} holds no image.")
        self._fps = fps
        self._index = 0
        first = load_image(self._files[0])
        w, h = first.size
        self._info = SourceInfo("images", folder.name, w, h, fps)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self) -> Frame | None:
        if self._index >= len(self._files):
            return None
        image = load_image(self._files[self._index])
        frame = Frame(image.pixels, self._index / self._fps, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._index = len(self._files)


class CameraSource(_Iterable):
    """A V4L2/OpenCV camera; the device name is read so a virtual camera can be flagged.

    Raises on open:
        CaptureError: the device does not open or delivers no frame.
    """

    def __init__(self, device: int = 0, *, width: int = 640, height: int = 480) -> None:
        import cv2

        self._cap = cv2.VideoCapture(device)
        if not self._cap.isOpened():
            raise CaptureError(
                f"Camera {device} is not available.", hint="check the cable, or run kiosk doctor"
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._t0 = time.monotonic()
        self._index = 0
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._info = SourceInfo(
            "camera", camera_name(device), w, h, float(self._cap.get(cv2.CAP_PROP_FPS) or 30.0)
        )

    @property
    def info(self) -> SourceInfo:
        return self._info

    def read(self) -> Frame | None:
        ok, pixels = self._cap.read()
        if not ok or pixels is None:
            return None
        frame = Frame(np.ascontiguousarray(pixels), time.monotonic() - self._t0, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


def camera_name(device: int) -> str:
    """The kernel's name for /dev/video<device> (empty when unknown)."""
    try:
        return Path(f"/sys/class/video4linux/video{device}/name").read_text().strip()
    except OSError:
        return ""


def open_frame_source(spec: str) -> VideoFileSource | ImageFolderSource | CameraSource:
    """``camera:N``, a folder of images, or a video file.

    Raises:
        InputNotFound, CaptureError, InputCorrupt.
    """
    if spec.startswith("camera:"):
        try:
            return CameraSource(int(spec.split(":", 1)[1]))
        except ValueError:
            raise InputCorrupt(f"Camera spec {spec!r} must be camera:<number>.") from None
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path)
    return VideoFileSource(path)
