"""What is painted over the camera image: the selfie challenge (face guide, arrows,
progress ring, countdown) and the document frame (outline, detected page, capture)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from pipeline.liveness.challenge import Action
from pipeline.types import Box
from ui.theme import Theme
from ui.widgets.camera_view import ViewMapping

ID1_ASPECT = 85.6 / 53.98


@dataclass(frozen=True, slots=True)
class SelfieState:
    """The overlay's inputs after the newest processed frame.

    Attributes:
        action: the current prompt's action (None before the start and when finished).
        hold_progress: 0-1 of the current step's hold.
        seconds_left: until the step times out (None: do not show).
        good: the face is in the guide and nothing needs fixing.
        face_seen: a face was found at all.
        passed: the challenge is complete.
    """

    action: Action | None = None
    hold_progress: float = 0.0
    seconds_left: float | None = None
    good: bool = False
    face_seen: bool = False
    passed: bool = False


def guide_ellipse(view: QRectF) -> QRectF:
    """The face guide: 60 % of the view's height, a face's proportions, centred."""
    h = view.height() * 0.6
    w = h * 0.76
    return QRectF(view.center().x() - w / 2, view.center().y() - h / 2 - view.height() * 0.02, w, h)


class SelfieOverlay:
    """Veil with an oval cut-out, progress ring, direction arrows and the countdown."""

    def __init__(self, theme: Theme, *, mirrored: bool) -> None:
        self.theme = theme
        self.mirrored = mirrored
        self.state = SelfieState()
        # the veil and the guide change rarely: drawn once into an image, blitted per frame
        self._cache = QImage()
        self._cache_key: tuple[object, ...] | None = None

    def paint(self, painter: QPainter, view: QRectF, mapping: ViewMapping | None) -> None:
        t = self.theme
        oval = guide_ellipse(view)
        s = self.state
        good = s.good or s.passed
        colour_name = "success" if good else ("guide" if s.face_seen else "warning")
        key = (view.size().toSize(), t, colour_name, good)
        if self._cache_key != key:
            self._cache = _veil_image(
                view, t, lambda p: _selfie_guide(p, view, oval, t, colour_name, good)
            )
            self._cache_key = key
        painter.drawImage(view.topLeft(), self._cache)
        ring = oval.adjusted(-18, -18, 18, 18)
        progress = 1.0 if s.passed else s.hold_progress
        if progress > 0:
            ring_pen = QPen(t.color("success"), max(10.0, oval.width() * 0.04))
            ring_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(ring_pen)
            painter.drawArc(ring, 90 * 16, -round(progress * 360 * 16))
        if s.action is not None and not s.passed:
            self._paint_action(painter, oval, s.action)
        if s.seconds_left is not None and not s.passed:
            self._paint_countdown(painter, view, oval, s.seconds_left)

    def _paint_action(self, painter: QPainter, oval: QRectF, action: Action) -> None:
        t = self.theme
        colour = t.color("guide")
        size = oval.width() * 0.28
        cy = oval.center().y()
        if action in (Action.TURN_LEFT, Action.TURN_RIGHT):
            # the customer's left is the screen's left in a mirrored view
            to_screen_left = (action is Action.TURN_LEFT) == self.mirrored
            x = oval.left() - size * 0.75 if to_screen_left else oval.right() + size * 0.75
            paint_chevrons(painter, QPointF(x, cy), size, -1 if to_screen_left else 1, 0, colour)
        elif action is Action.LOOK_UP:
            paint_chevrons(
                painter, QPointF(oval.center().x(), oval.top() - size * 0.55), size, 0, -1, colour
            )
        elif action is Action.BLINK:
            paint_eye(painter, QPointF(oval.center().x(), oval.top() - size * 0.5), size, colour)
        elif action is Action.SMILE:
            paint_smile(painter, QPointF(oval.center().x(), oval.top() - size * 0.5), size, colour)

    def _paint_countdown(
        self, painter: QPainter, view: QRectF, oval: QRectF, seconds_left: float
    ) -> None:
        t = self.theme
        r = t.px(38)
        centre = QPointF(
            min(oval.right() + r * 1.6, view.right() - r - 12),
            max(oval.top() + r * 0.4, view.top() + r + 12),
        )
        urgent = seconds_left <= 3
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(t.color("danger") if urgent else QColor(0, 0, 0, 170)))
        painter.drawEllipse(centre, r, r)
        font = QFont(painter.font())
        font.setPixelSize(t.px(30))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(
            QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r),
            Qt.AlignmentFlag.AlignCenter,
            str(max(0, math.ceil(seconds_left))),
        )


def _veil_image(view: QRectF, theme: Theme, draw: Callable[[QPainter], None]) -> QImage:
    """A transparent image of the view's size with ``draw`` painted on it."""
    image = QImage(view.size().toSize(), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.translate(-view.topLeft())
    draw(p)
    p.end()
    return image


def _selfie_guide(
    p: QPainter, view: QRectF, oval: QRectF, theme: Theme, colour: str, solid: bool
) -> None:
    veil = QPainterPath()
    veil.setFillRule(Qt.FillRule.OddEvenFill)
    veil.addRect(view)
    veil.addEllipse(oval)
    p.fillPath(veil, QColor(theme.palette.overlay))
    pen = QPen(theme.color(colour), max(4.0, oval.width() * 0.018))
    if not solid:
        pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(oval)


def paint_chevrons(
    painter: QPainter,
    centre: QPointF,
    size: float,
    dx: int,
    dy: int,
    colour: QColor,
    *,
    halo: bool = True,
) -> None:
    """Two chevrons pointing along (dx, dy); a dark halo makes them read on any image."""
    for dark in (True, False) if halo else (False,):
        pen = QPen(QColor(0, 0, 0, 150) if dark else colour, size * (0.2 if dark else 0.13))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for k in (-0.22, 0.22):
            tip = QPointF(centre.x() + dx * size * (0.25 + k), centre.y() + dy * size * (0.25 + k))
            # the two arms go back from the tip, at right angles to the direction
            back = QPointF(tip.x() - dx * size * 0.35, tip.y() - dy * size * 0.35)
            side = QPointF(-dy * size * 0.4, dx * size * 0.4)
            painter.drawPolyline(QPolygonF([back + side, tip, back - side]))


def paint_eye(
    painter: QPainter, centre: QPointF, size: float, colour: QColor, *, halo: bool = True
) -> None:
    w, h = size, size * 0.5
    rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
    for dark in (True, False) if halo else (False,):
        pen = QPen(QColor(0, 0, 0, 150) if dark else colour, size * (0.12 if dark else 0.07))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        path.moveTo(rect.left(), centre.y())
        path.quadTo(centre.x(), rect.top() - h * 0.5, rect.right(), centre.y())
        path.quadTo(centre.x(), rect.bottom() + h * 0.5, rect.left(), centre.y())
        painter.drawPath(path)
        painter.drawEllipse(centre, h * 0.32, h * 0.32)


def paint_smile(
    painter: QPainter, centre: QPointF, size: float, colour: QColor, *, halo: bool = True
) -> None:
    for dark in (True, False) if halo else (False,):
        pen = QPen(QColor(0, 0, 0, 150) if dark else colour, size * (0.13 if dark else 0.08))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(
            QRectF(centre.x() - size / 2, centre.y() - size / 2, size, size * 0.7),
            200 * 16,
            140 * 16,
        )


@dataclass(frozen=True, slots=True)
class DocumentState:
    """The document overlay's inputs: the found page (frame pixels), whether it is good,
    progress to the automatic capture, and whether it was captured."""

    box: Box | None = None
    good: bool = False
    progress: float = 0.0
    captured: bool = False


def document_guide(view: QRectF) -> QRectF:
    """Where to put the card: an ID-1 shaped frame, 78 % of the view's width."""
    w = min(view.width() * 0.78, view.height() * 0.8 * ID1_ASPECT)
    h = w / ID1_ASPECT
    return QRectF(view.center().x() - w / 2, view.center().y() - h / 2, w, h)


class DocumentOverlay:
    """Veil outside the card frame, corner brackets, the detected page outline."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.state = DocumentState()
        self._cache = QImage()
        self._cache_key: tuple[object, ...] | None = None

    def paint(self, painter: QPainter, view: QRectF, mapping: ViewMapping | None) -> None:
        t, s = self.theme, self.state
        guide = document_guide(view)
        good = s.good or s.captured
        key = (view.size().toSize(), t, good)
        if self._cache_key != key:

            def draw(p: QPainter) -> None:
                veil = QPainterPath()
                veil.setFillRule(Qt.FillRule.OddEvenFill)
                veil.addRect(view)
                veil.addRoundedRect(guide, 18, 18)
                veil_colour = QColor(t.palette.overlay)
                veil_colour.setAlpha(min(veil_colour.alpha(), 120))
                p.fillPath(veil, veil_colour)
                _brackets(p, guide, t.color("success" if good else "guide"), t.px(9))

            self._cache = _veil_image(view, t, draw)
            self._cache_key = key
        painter.drawImage(view.topLeft(), self._cache)
        if s.box is not None and mapping is not None and not s.captured:
            found = mapping.rect(s.box.x, s.box.y, s.box.w, s.box.h)
            pen = QPen(t.color("success") if s.good else t.color("warning"), 4)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(found, 10, 10)
        if s.progress > 0 and not s.captured:
            bar = QRectF(guide.left(), guide.bottom() + 18, guide.width(), 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255, 90))
            painter.drawRoundedRect(bar, 6, 6)
            painter.setBrush(t.color("success"))
            painter.drawRoundedRect(
                QRectF(bar.left(), bar.top(), bar.width() * s.progress, bar.height()), 6, 6
            )
        if s.captured:
            painter.fillRect(view, QColor(255, 255, 255, 70))


def _brackets(painter: QPainter, rect: QRectF, colour: QColor, width: int) -> None:
    arm = min(rect.width(), rect.height()) * 0.16
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    for cx, cy, sx, sy in (
        (rect.left(), rect.top(), 1, 1),
        (rect.right(), rect.top(), -1, 1),
        (rect.left(), rect.bottom(), 1, -1),
        (rect.right(), rect.bottom(), -1, -1),
    ):
        painter.drawPolyline(
            QPolygonF([QPointF(cx, cy + sy * arm), QPointF(cx, cy), QPointF(cx + sx * arm, cy)])
        )
