"""The customer's screens: welcome, consent, processing, result and "not available".

The document and selfie screens, which show the camera, live in their own modules.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.screens.base import Screen
from ui.session import CustomerOutcome
from ui.text import headline, reason, tr
from ui.theme import ThemeManager
from ui.widgets.common import Icon, IconView, Spinner, button, card, label


def _centered(inner: QWidget, *, margin: int = 40) -> QVBoxLayout:
    """``inner`` centred, in a scroll area: with large text a card may outgrow the screen,
    and then it scrolls instead of being cut off."""
    page = QWidget()
    page.setProperty("screen", True)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(margin, margin // 2, margin, margin // 2)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(inner, 12)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    layout = QVBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scroll)
    return layout


def _reveal(widget: QWidget) -> None:
    """Scroll the enclosing scroll area so ``widget`` is visible (large text)."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if isinstance(parent, QScrollArea):
        parent.ensureWidgetVisible(widget, 40, 40)


class WelcomeScreen(Screen):
    """Start here: what it is, what you need, one big button."""

    start_clicked = Signal()
    staff_clicked = Signal()

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(themes, parent)
        body = card()
        row = QHBoxLayout(body)
        row.setContentsMargins(64, 52, 56, 52)
        row.setSpacing(40)
        col = QVBoxLayout()
        col.setSpacing(18)
        self.title = label("", "display")
        self.subtitle = label("", "subtitle")
        self.need_document = label("", "body")
        self.need_face = label("", "body")
        self.start = button("", "primary")
        self.start.setMinimumWidth(340)
        col.addWidget(self.title)
        col.addWidget(self.subtitle)
        col.addSpacing(6)
        for icon, text in ((Icon.CARD, self.need_document), (Icon.FACE, self.need_face)):
            line = QHBoxLayout()
            line.setSpacing(20)
            line.addWidget(IconView(icon, "primary", themes, size=60))
            line.addWidget(text, 1)
            col.addLayout(line)
        col.addSpacing(14)
        start_row = QHBoxLayout()
        start_row.addWidget(self.start)
        start_row.addStretch(1)
        col.addLayout(start_row)
        row.addLayout(col, 3)
        hero = IconView(Icon.SHIELD, "primary", themes, size=200)
        row.addWidget(hero, 0, Qt.AlignmentFlag.AlignCenter)
        layout = _centered(body)
        self.staff = button("", "quiet")
        foot = QHBoxLayout()
        foot.setContentsMargins(48, 0, 36, 12)
        self.privacy = label("", "muted")
        foot.addWidget(self.privacy, 1)
        foot.addWidget(self.staff)
        layout.addLayout(foot)
        self.setLayout(layout)
        self.start.clicked.connect(self.start_clicked.emit)
        self.staff.clicked.connect(self.staff_clicked.emit)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Verify your identity"))
        self.subtitle.setText(tr("It takes about two minutes. Every check runs on this kiosk."))
        self.need_document.setText(tr("Your passport or national ID card"))
        self.need_face.setText(tr("Your face, for a short live check"))
        self.start.setText(tr("Start"))
        self.start.setAccessibleName(tr("Start the identity check"))
        self.privacy.setText(tr("Your images never leave this kiosk."))
        self.staff.setText(tr("Staff"))
        self.staff.setAccessibleName(tr("Staff console"))

    def on_enter(self) -> None:
        self.start.setFocus()
        _reveal(self.start)


class ConsentScreen(Screen):
    """What is processed, what stays, what leaves; agree or cancel."""

    agreed = Signal()
    cancelled = Signal()

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(themes, parent)
        self.retention_days = 30
        body = card()
        col = QVBoxLayout(body)
        col.setContentsMargins(64, 48, 64, 48)
        col.setSpacing(20)
        self.title = label("", "title")
        col.addWidget(self.title)
        self.items: list[tuple[IconView, object, object]] = []
        grid = QGridLayout()
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(22)
        self.rows = []
        for i, icon in enumerate((Icon.CARD, Icon.FACE, Icon.LOCK, Icon.SHIELD)):
            view = IconView(icon, "primary", themes, size=60)
            head = label("", "body")
            head.setStyleSheet("font-weight: 700;")
            text = label("", "muted")
            box = QVBoxLayout()
            box.setSpacing(4)
            box.addWidget(head)
            box.addWidget(text)
            grid.addWidget(view, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addLayout(box, i, 1)
            self.rows.append((head, text))
        grid.setColumnStretch(1, 1)
        col.addLayout(grid)
        col.addSpacing(12)
        buttons = QHBoxLayout()
        self.cancel = button("", "")
        self.agree = button("", "primary")
        buttons.addWidget(self.cancel)
        buttons.addStretch(1)
        buttons.addWidget(self.agree)
        col.addLayout(buttons)
        self.setLayout(_centered(body, margin=36))
        self.agree.clicked.connect(self.agreed.emit)
        self.cancel.clicked.connect(self.cancelled.emit)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Before we start"))
        texts = (
            (
                tr("We read your ID document"),
                tr(
                    "The photo page and its machine-readable zone: name, date of birth, "
                    "document number and the photo."
                ),
            ),
            (
                tr("We take a short live video of your face"),
                tr("To check that you are present and that you match the photo in the document."),
            ),
            (
                tr("Your images stay on this kiosk"),
                tr(
                    "They are stored encrypted for staff review and erased after %n days.",
                    "",
                    self.retention_days,
                ),
            ),
            (
                tr("Only the decision is sent to the bank"),
                tr(
                    "Approved, staff check or not approved, with the reasons. "
                    "No image and no biometric data."
                ),
            ),
        )
        for (head, text), (h, t) in zip(self.rows, texts, strict=True):
            head.setText(h)
            text.setText(t)
        self.cancel.setText(tr("Cancel"))
        self.agree.setText(tr("I agree, continue"))
        self.agree.setAccessibleName(tr("I agree to the processing, continue"))

    def on_enter(self) -> None:
        self.agree.setFocus()
        _reveal(self.agree)


class ProcessingScreen(Screen):
    """A spinner and reassurance while the case is decided (no image on screen)."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(themes, parent)
        col = QVBoxLayout(self)
        col.addStretch(2)
        self.spinner = Spinner(themes, size=150)
        col.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addSpacing(36)
        self.title = label("", "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.subtitle = label("", "subtitle")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.title)
        col.addWidget(self.subtitle)
        col.addStretch(3)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Checking your details"))
        self.subtitle.setText(tr("This takes a few seconds. Please stay here."))


_OUTCOME_LOOK = {
    "approved": (Icon.CHECK, "success"),
    "manual_review": (Icon.WAIT, "warning"),
    "rejected": (Icon.CROSS, "danger"),
    "error": (Icon.STAFF, "warning"),
}


class ResultScreen(Screen):
    """The outcome in plain words, a reference for staff, and a count-down to the start."""

    done_clicked = Signal()

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(themes, parent)
        self.outcome: CustomerOutcome | None = None
        self.seconds_left = 0
        body = card()
        col = QVBoxLayout(body)
        col.setContentsMargins(64, 56, 64, 56)
        col.setSpacing(18)
        self.icon = IconView(Icon.CHECK, "success", themes, size=150)
        col.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addSpacing(8)
        self.title = label("", "display")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.message = label("", "subtitle")
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.reference = label("", "reference")
        self.reference.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        col.addWidget(self.title)
        col.addWidget(self.message)
        col.addSpacing(8)
        col.addWidget(self.reference)
        col.addSpacing(16)
        self.done = button("", "primary")
        self.done.setMinimumWidth(320)
        col.addWidget(self.done, 0, Qt.AlignmentFlag.AlignHCenter)
        self.countdown = label("", "muted")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.countdown)
        self.setLayout(_centered(body))
        self.done.clicked.connect(self.done_clicked.emit)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count)
        self.retranslate()

    def show_outcome(self, outcome: CustomerOutcome, seconds: int) -> None:
        self.outcome = outcome
        self.seconds_left = seconds
        icon, colour = _OUTCOME_LOOK.get(outcome.outcome, _OUTCOME_LOOK["error"])
        self.icon.set_icon(icon, colour)
        self.retranslate()

    def retranslate(self) -> None:
        o = self.outcome
        if o is not None:
            self.title.setText(headline(o.outcome))
            self.message.setText(reason(o.reason))
            self.reference.setText(tr("Reference: %1").replace("%1", o.reference))
            self.setAccessibleDescription(f"{headline(o.outcome)}. {reason(o.reason)}")
        self.done.setText(tr("Done"))
        self.done.setAccessibleName(tr("Done, back to the start"))
        self.countdown.setText(
            tr("This screen closes in %n seconds.", "", self.seconds_left)
            if self.seconds_left > 0
            else ""
        )

    def _count(self) -> None:
        self.seconds_left = max(0, self.seconds_left - 1)
        self.retranslate()

    def on_enter(self) -> None:
        self._tick.start()
        self.done.setFocus()
        _reveal(self.done)

    def on_leave(self) -> None:
        self._tick.stop()
        self.outcome = None
        self.title.clear()
        self.message.clear()
        self.reference.clear()


class NoticeScreen(Screen):
    """The kiosk cannot serve customers: a plain message, and for the operator at set-up
    the way out (demo mode when there is no camera, the staff console)."""

    demo_clicked = Signal()
    staff_clicked = Signal()

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(themes, parent)
        self.kind = "unavailable"
        body = card()
        col = QVBoxLayout(body)
        col.setContentsMargins(64, 56, 64, 56)
        col.setSpacing(18)
        self.icon = IconView(Icon.STAFF, "warning", themes, size=130)
        col.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignHCenter)
        self.title = label("", "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.message = label("", "subtitle")
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(self.title)
        col.addWidget(self.message)
        col.addSpacing(16)
        row = QHBoxLayout()
        row.addStretch(1)
        self.staff = button("", "")
        self.demo = button("", "primary")
        row.addWidget(self.staff)
        row.addWidget(self.demo)
        row.addStretch(1)
        col.addLayout(row)
        self.setLayout(_centered(body))
        self.demo.clicked.connect(self.demo_clicked.emit)
        self.staff.clicked.connect(self.staff_clicked.emit)
        self.set_kind("unavailable")

    def set_kind(self, kind: str) -> None:
        """``no_camera`` (offers demo mode) or ``unavailable`` (staff needed)."""
        self.kind = kind
        self.icon.set_icon(Icon.CAMERA_OFF if kind == "no_camera" else Icon.STAFF, "warning")
        self.demo.setVisible(kind == "no_camera")
        self.retranslate()

    def retranslate(self) -> None:
        if self.kind == "no_camera":
            self.title.setText(tr("No camera found"))
            self.message.setText(
                tr(
                    "Connect a camera and bind it in the staff console, or try "
                    "the kiosk in demo mode with a simulated customer."
                )
            )
        else:
            self.title.setText(tr("This kiosk is not available right now"))
            self.message.setText(tr("Please ask a member of staff for help."))
        self.demo.setText(tr("Start demo mode"))
        self.staff.setText(tr("Staff console"))

    def on_enter(self) -> None:
        (self.demo if self.demo.isVisible() else self.staff).setFocus()
