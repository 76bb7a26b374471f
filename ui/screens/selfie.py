"""The live selfie with the challenge: the camera with the face guide, direction arrows,
the hold-progress ring and the count-down; the prompt and face hints beside it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from pipeline.liveness.challenge import Action, ChallengeStatus
from ui.processors import SelfieFeedback
from ui.screens.base import Screen
from ui.text import face_hint, prompt, tr
from ui.theme import ThemeManager
from ui.widgets.camera_view import CameraView, PreviewMaker
from ui.widgets.common import Icon, button, card, label, paint_icon, restyle
from ui.widgets.overlays import (
    SelfieOverlay,
    SelfieState,
    paint_chevrons,
    paint_eye,
    paint_smile,
)


class StepDots(QWidget):
    """One dot per challenge step: done, current (larger), to come."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.themes = themes
        self.total, self.done = 0, 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_progress(self, done: int, total: int) -> None:
        if (done, total) != (self.done, self.total):
            self.done, self.total = done, total
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self.themes.theme.px(30))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = self.themes.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = t.px(9)
        for i in range(self.total):
            now = i == self.done
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(t.color("success" if i < self.done else ("primary" if now else "border")))
            rr = r * (1.35 if now else 1.0)
            p.drawEllipse(QPointF(r * 1.4 + i * r * 3.6, self.height() / 2), rr, rr)
        p.end()


class ActionGlyph(QWidget):
    """The current move as a large pictogram (for customers who read little)."""

    def __init__(
        self, themes: ThemeManager, *, mirrored: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.themes = themes
        self.mirrored = mirrored
        self.action: Action | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_action(self, action: Action | None) -> None:
        if action is not self.action:
            self.action = action
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self.themes.theme.px(150))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = self.themes.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        size = min(self.height() * 0.9, self.width() * 0.5)
        centre = QPointF(self.width() / 2, self.height() / 2)
        colour = t.color("primary")
        a = self.action
        if a in (Action.TURN_LEFT, Action.TURN_RIGHT):
            to_left = (a is Action.TURN_LEFT) == self.mirrored
            paint_chevrons(p, centre, size, -1 if to_left else 1, 0, colour, halo=False)
        elif a is Action.LOOK_UP:
            paint_chevrons(p, centre, size, 0, -1, colour, halo=False)
        elif a is Action.BLINK:
            paint_eye(p, centre, size, colour, halo=False)
        elif a is Action.SMILE:
            paint_smile(p, centre, size, colour, halo=False)
        else:
            r = size * 0.42
            paint_icon(
                p,
                Icon.FACE,
                QRectF(centre.x() - r, centre.y() - r * 1.2, 2 * r, 2.4 * r),
                colour,
                size * 0.06,
            )
        p.end()


class SelfieScreen(Screen):
    """Challenge view. The controller feeds it previews and worker feedback."""

    cancel_clicked = Signal()

    def __init__(
        self, themes: ThemeManager, maker: PreviewMaker, parent: QWidget | None = None
    ) -> None:
        super().__init__(themes, parent)
        self.feedback: SelfieFeedback | None = None
        self.phase = "ready"  # ready (get set), running, done
        row = QHBoxLayout(self)
        row.setContentsMargins(32, 28, 32, 28)
        row.setSpacing(28)
        self.view = CameraView(maker)
        self.overlay = SelfieOverlay(themes.theme, mirrored=maker.mirrored)
        self.view.overlay = self.overlay
        self.view.setAccessibleName("camera")
        row.addWidget(self.view, 64)
        panel = card()
        col = QVBoxLayout(panel)
        col.setContentsMargins(36, 40, 36, 36)
        col.setSpacing(16)
        self.counter = label("", "muted")
        self.dots = StepDots(themes)
        self.glyph = ActionGlyph(themes, mirrored=maker.mirrored)
        self.prompt = label("", "prompt")
        self.prompt.setAccessibleName("instruction")
        self.hint = label("", "hint")
        self.hint.setAccessibleName("hint")
        col.addWidget(self.counter)
        col.addWidget(self.dots)
        col.addSpacing(10)
        col.addWidget(self.glyph)
        col.addWidget(self.prompt)
        col.addWidget(self.hint)
        col.addStretch(1)
        self.note = label("", "muted")
        col.addWidget(self.note)
        self.cancel = button("", "")
        col.addWidget(self.cancel)
        row.addWidget(panel, 36)
        self.cancel.clicked.connect(self.cancel_clicked.emit)
        themes.changed.connect(self._theme_changed)
        self.retranslate()

    def _theme_changed(self, theme: object) -> None:
        self.overlay.theme = self.themes.theme
        self.view.update()
        self.dots.update()
        self.glyph.updateGeometry()
        self.glyph.update()

    def reset(self) -> None:
        """Back to "get ready", no image, no feedback."""
        self.feedback = None
        self.phase = "ready"
        self.glyph.mirrored = self.overlay.mirrored
        self.glyph.set_action(None)
        self.overlay.state = SelfieState()
        self.view.clear()
        self.retranslate()

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.retranslate()

    def show_feedback(self, fb: SelfieFeedback) -> None:
        """Draw the overlay from the newest processed frame."""
        previous = self.feedback
        self.feedback = fb
        st = fb.feedback.challenge
        passed = st.status is ChallengeStatus.PASSED
        self.overlay.state = SelfieState(
            action=st.action if st.status is ChallengeStatus.RUNNING else None,
            hold_progress=st.hold_progress,
            seconds_left=st.seconds_left if st.status is ChallengeStatus.RUNNING else None,
            good=not fb.hints,
            face_seen=fb.feedback.face_box is not None,
            passed=passed,
        )
        if fb.finished:
            self.phase = "done"
        self.glyph.set_action(st.action if st.status is ChallengeStatus.RUNNING else None)
        self.dots.set_progress(st.step_index, st.n_steps)
        changed = (
            previous is None
            or previous.hints[:1] != fb.hints[:1]
            or previous.feedback.challenge.step_index != st.step_index
            or previous.feedback.challenge.status is not st.status
        )
        if changed:
            self.retranslate()
        self.view.update()

    def retranslate(self) -> None:
        fb = self.feedback
        st = fb.feedback.challenge if fb else None
        if self.phase == "ready" or st is None:
            self.counter.setText(tr("Live check"))
            self.prompt.setText(tr("Look at the camera and keep your face in the oval"))
        elif self.phase == "done" or st.status is ChallengeStatus.PASSED:
            self.counter.setText(tr("Live check"))
            self.prompt.setText(tr("Well done. Please stay still a moment."))
        else:
            self.counter.setText(
                tr("Step %1 of %2")
                .replace("%1", str(st.step_index + 1))
                .replace("%2", str(st.n_steps))
            )
            self.prompt.setText(prompt(st.action))
        hint = fb.hints[0] if fb and fb.hints else ""
        self.hint.setText(face_hint(hint) if hint else "")
        self.hint.setVisible(bool(hint))
        restyle(self.hint)
        self.prompt.setAccessibleDescription(self.prompt.text())
        self.note.setText(tr("Follow the arrows. The ring fills while you hold the pose."))
        self.cancel.setText(tr("Cancel"))
        self.cancel.setAccessibleName(tr("Cancel and go back to the start"))

    def on_enter(self) -> None:
        self.cancel.setFocus()

    def on_leave(self) -> None:
        self.reset()
