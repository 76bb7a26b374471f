"""The live camera view: shows the newest preview frame and paints an overlay on top.

The capture thread prepares each preview (scaled to this widget, mirrored for a selfie)
with OpenCV, so the GUI thread only blits it: frame handling here is a slot that takes
the newest frame and a paint. Both are timed for the benchmark.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.capture.frames import Frame


class Fit(enum.Enum):
    COVER = "cover"  # fill the view, crop the overflow (selfie)
    CONTAIN = "contain"  # the whole frame, letterboxed (document)


@dataclass(frozen=True, slots=True)
class PreviewFrame:
    """A frame prepared for display (made on the capture thread).

    Attributes:
        pixels: the scaled (and mirrored) BGRA pixels backing ``image``.
        image: a QImage over ``pixels`` (no copy).
        frame_size: (width, height) of the original frame.
        scale: display pixels per frame pixel.
        mirrored: flipped left-right.
        index: the frame's number.
    """

    pixels: np.ndarray[Any, Any]
    image: QImage
    frame_size: tuple[int, int]
    scale: float
    mirrored: bool
    index: int


@dataclass(frozen=True, slots=True)
class ViewMapping:
    """From frame pixels to widget pixels."""

    offset_x: float
    offset_y: float
    scale: float
    frame_w: int
    mirrored: bool

    def point(self, x: float, y: float) -> tuple[float, float]:
        fx = self.frame_w - x if self.mirrored else x
        return self.offset_x + fx * self.scale, self.offset_y + y * self.scale

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        x0, y0 = self.point(x + w if self.mirrored else x, y)
        return QRectF(x0, y0, w * self.scale, h * self.scale)


class Overlay(Protocol):
    def paint(self, painter: QPainter, view: QRectF, mapping: ViewMapping | None) -> None: ...


class PreviewMaker:
    """Prepares previews on the capture thread for a view of a given size (thread-safe)."""

    def __init__(self, fit: Fit, mirrored: bool) -> None:
        self._lock = threading.Lock()
        self._size = (640, 480)
        self.fit = fit
        self.mirrored = mirrored

    def set_target(self, width: int, height: int) -> None:
        with self._lock:
            self._size = (max(width, 16), max(height, 16))

    def make(self, frame: Frame) -> PreviewFrame:
        import cv2

        with self._lock:
            tw, th = self._size
            fit, mirrored = self.fit, self.mirrored
        fh, fw = frame.pixels.shape[:2]
        ratio = (max if fit is Fit.COVER else min)(tw / fw, th / fh)
        size = (max(1, round(fw * ratio)), max(1, round(fh * ratio)))
        scaled = cv2.resize(
            frame.pixels, size, interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
        )
        if mirrored:
            scaled = cv2.flip(scaled, 1)
        # 32-bit BGRX is QImage's RGB32 in memory on little-endian machines: the paint then
        # blits without a per-pixel format conversion on the GUI thread
        scaled = np.ascontiguousarray(cv2.cvtColor(scaled, cv2.COLOR_BGR2BGRA))
        image = QImage(
            scaled.data, size[0], size[1], int(scaled.strides[0]), QImage.Format.Format_RGB32
        )
        return PreviewFrame(scaled, image, (fw, fh), ratio, mirrored, frame.index)


class CameraView(QWidget):
    """Draws the newest :class:`PreviewFrame` and an :class:`Overlay`."""

    def __init__(self, maker: PreviewMaker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maker = maker
        self.overlay: Overlay | None = None
        self._preview: PreviewFrame | None = None
        self.background = QColor("#101820")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.paint_ms: deque[float] = deque(maxlen=5000)
        self.painted_at: deque[float] = deque(maxlen=5000)
        self.painted_indices: deque[int] = deque(maxlen=5000)

    def show_preview(self, preview: PreviewFrame) -> None:
        """Keep ``preview`` and schedule a repaint (GUI thread)."""
        self._preview = preview
        self.update()

    def clear(self) -> None:
        """Forget the image (nothing of the customer stays on screen)."""
        self._preview = None
        self.update()

    def has_image(self) -> bool:
        return self._preview is not None

    def mapping(self) -> ViewMapping | None:
        p = self._preview
        if p is None:
            return None
        w, h = p.image.width(), p.image.height()
        return ViewMapping(
            (self.width() - w) / 2, (self.height() - h) / 2, p.scale, p.frame_size[0], p.mirrored
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.maker.set_target(self.width(), self.height())
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        start = time.perf_counter()
        painter = QPainter(self)
        rect = QRectF(self.rect())
        painter.fillRect(rect, self.background)
        preview = self._preview
        if preview is not None:
            w, h = preview.image.width(), preview.image.height()
            painter.drawImage(
                QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), preview.image
            )
        if self.overlay is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self.overlay.paint(painter, rect, self.mapping())
        painter.end()
        if preview is not None:
            self.paint_ms.append((time.perf_counter() - start) * 1000.0)
            self.painted_at.append(time.monotonic())
            self.painted_indices.append(preview.index)
