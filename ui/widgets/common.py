"""Small shared widgets: buttons with roles, labels with roles, painted icons, the step
indicator and the busy spinner."""

from __future__ import annotations

import enum
import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QSizePolicy, QWidget

from ui.theme import Theme, ThemeManager


def button(
    text: str, role: str = "", *, name: str = "", parent: QWidget | None = None
) -> QPushButton:
    """A push button with a style role and an accessible name (defaults to its text)."""
    b = QPushButton(text, parent)
    if role:
        b.setProperty("role", role)
    b.setAccessibleName(name or text)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return b


def label(
    text: str = "", role: str = "body", *, wrap: bool = True, parent: QWidget | None = None
) -> QLabel:
    """A label with a style role; word-wrapped by default."""
    lab = QLabel(text, parent)
    lab.setProperty("role", role)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    return lab


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setProperty("role", "card")
    return frame


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class Icon(enum.Enum):
    CHECK = "check"
    WAIT = "wait"
    CROSS = "cross"
    STAFF = "staff"
    CARD = "card"
    FACE = "face"
    SHIELD = "shield"
    CAMERA_OFF = "camera_off"
    SCANNER = "scanner"
    LOCK = "lock"


class IconView(QWidget):
    """A painted icon in a coloured disc (no image files, crisp at any scale)."""

    def __init__(
        self,
        icon: Icon,
        colour: str,
        themes: ThemeManager,
        *,
        size: int = 120,
        disc: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.icon, self.colour, self.themes = icon, colour, themes
        self._size, self.disc = size, disc
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(icon.value)
        themes.changed.connect(self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.updateGeometry()
        self.update()

    def set_icon(self, icon: Icon, colour: str) -> None:
        self.icon, self.colour = icon, colour
        self.setAccessibleName(icon.value)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        s = self.themes.theme.px(self._size)
        return QSize(s, s)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = self.themes.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        side = min(self.width(), self.height())
        r = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        colour = t.color(self.colour)
        if self.disc:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawEllipse(r)
            ink = QColor(t.palette.background if t.high_contrast else "#FFFFFF")
        else:
            ink = colour
        paint_icon(
            p,
            self.icon,
            r.adjusted(side * 0.24, side * 0.24, -side * 0.24, -side * 0.24),
            ink,
            side * 0.075,
        )
        p.end()


def paint_icon(p: QPainter, icon: Icon, r: QRectF, ink: QColor, stroke: float) -> None:
    """Draw ``icon`` in ``r`` with lines of width ``stroke``."""
    pen = QPen(ink, stroke)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    x, y, w, h = r.x(), r.y(), r.width(), r.height()
    if icon is Icon.CHECK:
        p.drawPolyline(
            QPolygonF(
                [
                    QPointF(x + w * 0.08, y + h * 0.55),
                    QPointF(x + w * 0.38, y + h * 0.84),
                    QPointF(x + w * 0.94, y + h * 0.2),
                ]
            )
        )
    elif icon is Icon.CROSS:
        p.drawLine(QPointF(x + w * 0.15, y + h * 0.15), QPointF(x + w * 0.85, y + h * 0.85))
        p.drawLine(QPointF(x + w * 0.85, y + h * 0.15), QPointF(x + w * 0.15, y + h * 0.85))
    elif icon is Icon.WAIT:
        p.drawEllipse(r.adjusted(w * 0.04, h * 0.04, -w * 0.04, -h * 0.04))
        c = r.center()
        p.drawLine(c, QPointF(c.x(), y + h * 0.2))
        p.drawLine(c, QPointF(x + w * 0.72, y + h * 0.62))
    elif icon is Icon.STAFF:
        p.drawEllipse(QRectF(x + w * 0.3, y, w * 0.4, h * 0.4))
        path = QPainterPath()
        path.moveTo(x + w * 0.05, y + h)
        path.cubicTo(x + w * 0.05, y + h * 0.5, x + w * 0.95, y + h * 0.5, x + w * 0.95, y + h)
        p.drawPath(path)
    elif icon is Icon.CARD:
        p.drawRoundedRect(QRectF(x, y + h * 0.18, w, h * 0.64), w * 0.08, w * 0.08)
        p.drawEllipse(QRectF(x + w * 0.1, y + h * 0.32, w * 0.26, h * 0.26))
        for k in (0.36, 0.5):
            p.drawLine(QPointF(x + w * 0.48, y + h * k), QPointF(x + w * 0.88, y + h * k))
        p.drawLine(QPointF(x + w * 0.1, y + h * 0.68), QPointF(x + w * 0.88, y + h * 0.68))
    elif icon is Icon.FACE:
        p.drawEllipse(QRectF(x + w * 0.15, y, w * 0.7, h))
        p.drawPoint(QPointF(x + w * 0.38, y + h * 0.42))
        p.drawPoint(QPointF(x + w * 0.62, y + h * 0.42))
        p.drawArc(QRectF(x + w * 0.35, y + h * 0.5, w * 0.3, h * 0.25), 200 * 16, 140 * 16)
    elif icon is Icon.SHIELD:
        path = QPainterPath()
        path.moveTo(x + w * 0.5, y)
        path.lineTo(x + w * 0.92, y + h * 0.16)
        path.cubicTo(x + w * 0.92, y + h * 0.62, x + w * 0.72, y + h * 0.86, x + w * 0.5, y + h)
        path.cubicTo(
            x + w * 0.28, y + h * 0.86, x + w * 0.08, y + h * 0.62, x + w * 0.08, y + h * 0.16
        )
        path.closeSubpath()
        p.drawPath(path)
        p.drawPolyline(
            QPolygonF(
                [
                    QPointF(x + w * 0.3, y + h * 0.5),
                    QPointF(x + w * 0.45, y + h * 0.65),
                    QPointF(x + w * 0.7, y + h * 0.36),
                ]
            )
        )
    elif icon is Icon.CAMERA_OFF:
        p.drawRoundedRect(QRectF(x, y + h * 0.25, w * 0.68, h * 0.5), w * 0.06, w * 0.06)
        p.drawPolyline(
            QPolygonF(
                [
                    QPointF(x + w * 0.7, y + h * 0.42),
                    QPointF(x + w, y + h * 0.3),
                    QPointF(x + w, y + h * 0.7),
                    QPointF(x + w * 0.7, y + h * 0.58),
                ]
            )
        )
        p.drawLine(QPointF(x, y), QPointF(x + w, y + h))
    elif icon is Icon.SCANNER:
        p.drawRoundedRect(QRectF(x, y + h * 0.45, w, h * 0.4), w * 0.05, w * 0.05)
        p.drawLine(QPointF(x + w * 0.1, y + h * 0.3), QPointF(x + w * 0.9, y + h * 0.15))
        p.drawLine(QPointF(x + w * 0.15, y + h * 0.65), QPointF(x + w * 0.55, y + h * 0.65))
    elif icon is Icon.LOCK:
        p.drawRoundedRect(QRectF(x + w * 0.15, y + h * 0.42, w * 0.7, h * 0.55), w * 0.08, w * 0.08)
        p.drawArc(QRectF(x + w * 0.28, y + h * 0.05, w * 0.44, h * 0.6), 0, 180 * 16)
        p.drawLine(QPointF(x + w * 0.28, y + h * 0.35), QPointF(x + w * 0.28, y + h * 0.42))
        p.drawLine(QPointF(x + w * 0.72, y + h * 0.35), QPointF(x + w * 0.72, y + h * 0.42))


class StepIndicator(QWidget):
    """Document - Face - Result: three numbered dots, the current one highlighted."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.themes = themes
        self.names: tuple[str, ...] = ("", "", "")
        self.current = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        themes.changed.connect(self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.updateGeometry()
        self.update()

    def set_state(self, names: tuple[str, ...], current: int) -> None:
        self.names, self.current = names, current
        if 0 <= current < len(names):
            self.setAccessibleName(f"{current + 1} / {len(names)}: {names[current]}")
        else:
            self.setAccessibleName("")
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.themes.theme.px(560), self.themes.theme.px(56))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.current < 0:
            return
        t: Theme = self.themes.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        n = len(self.names)
        r = t.px(17)
        cy = self.height() / 2
        font = QFont(self.font())
        font.setPixelSize(t.px(19))
        font.setBold(True)  # measured bold, the widest a label is drawn
        label_w = [QFontMetricsF(font).horizontalAdvance(name) for name in self.names]
        # each step is a dot and its label; the connectors share what width is left
        pad = 12.0
        used = sum(2 * r + pad + w for w in label_w)
        gap = max(2 * pad + 16.0, (self.width() - 16.0 - used) / max(n - 1, 1))
        x = 8.0
        for i, name in enumerate(self.names):
            cx = x + r
            done, now = i < self.current, i == self.current
            label_end = cx + r + pad + label_w[i]
            if i < n - 1:
                p.setPen(QPen(t.color("success" if done else "border"), 4))
                p.drawLine(QPointF(label_end + pad, cy), QPointF(label_end + gap - pad, cy))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.color("success" if done else ("primary" if now else "border")))
            p.drawEllipse(QPointF(cx, cy), r, r)
            font.setBold(True)
            p.setFont(font)
            p.setPen(
                QColor(t.palette.primary_text if now else "#FFFFFF")
                if (done or now)
                else t.color("muted")
            )
            if done:
                paint_icon(
                    p,
                    Icon.CHECK,
                    QRectF(cx - r * 0.5, cy - r * 0.5, r, r),
                    QColor("#FFFFFF"),
                    r * 0.22,
                )
            else:
                p.drawText(
                    QRectF(cx - r, cy - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, str(i + 1)
                )
            font.setBold(now)
            p.setFont(font)
            p.setPen(t.color("text" if now else "muted"))
            p.drawText(
                QRectF(cx + r + pad, 0, label_w[i] + 4, self.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                name,
            )
            x = label_end + gap
        p.end()


class Spinner(QWidget):
    """An indeterminate progress arc (runs only while visible)."""

    def __init__(
        self, themes: ThemeManager, *, size: int = 140, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.themes = themes
        self._size = size
        self._angle = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._step)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("busy")

    def sizeHint(self) -> QSize:  # noqa: N802
        s = self.themes.theme.px(self._size)
        return QSize(s, s)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def showEvent(self, event: object) -> None:  # noqa: N802
        self._timer.start()

    def hideEvent(self, event: object) -> None:  # noqa: N802
        self._timer.stop()

    def _step(self) -> None:
        self._angle = (self._angle + 9.0) % 360.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = self.themes.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        side = min(self.width(), self.height())
        w = side * 0.09
        r = QRectF(w, w, side - 2 * w, side - 2 * w)
        p.setPen(QPen(t.color("border"), w))
        p.drawEllipse(r)
        pen = QPen(t.color("primary"), w)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        sweep = 100 + 60 * math.sin(math.radians(self._angle * 2))
        p.drawArc(r, round(-self._angle * 16), round(sweep * 16))
        p.end()
