"""Staff sign-in: staff id and PIN, an on-screen keypad, lock-out with a count-down."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from kiosk.staff_pin import NoStaffEnrolled, StaffLockedOut, StaffPins, StaffSignIn, WrongPin
from ui.ops import Op, TaskManager
from ui.screens.base import Screen
from ui.text import tr
from ui.theme import ThemeManager
from ui.widgets.common import Icon, IconView, button, card, label


class SignInPage(Screen):
    """Asks for the staff id and PIN; the check runs off the GUI thread (Argon2id)."""

    signed_in = Signal(object)  # StaffSignIn
    back_clicked = Signal()

    def __init__(
        self,
        themes: ThemeManager,
        tasks: TaskManager,
        pins: StaffPins,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(themes, parent)
        self.tasks = tasks
        self.pins = pins
        self.checking = False
        self.retry_after = 0.0
        self._message = ""
        body = card()
        row = QHBoxLayout(body)
        row.setContentsMargins(56, 48, 56, 48)
        row.setSpacing(48)
        col = QVBoxLayout()
        col.setSpacing(14)
        col.addWidget(IconView(Icon.LOCK, "primary", themes, size=84))
        self.title = label("", "title")
        self.staff_label = label("", "muted")
        self.staff_id = QLineEdit()
        self.staff_id.setMaxLength(64)
        self.pin_label = label("", "muted")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.pin.setValidator(QRegularExpressionValidator(r"[0-9]{0,12}"))
        self.pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.status = label("", "body")
        self.status.setAccessibleName("sign-in status")
        self.sign_in = button("", "primary")
        self.back = button("", "")
        for w in (
            self.title,
            self.staff_label,
            self.staff_id,
            self.pin_label,
            self.pin,
            self.status,
        ):
            col.addWidget(w)
        col.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.back)
        actions.addStretch(1)
        actions.addWidget(self.sign_in)
        col.addLayout(actions)
        row.addLayout(col, 3)
        pad = QGridLayout()
        pad.setSpacing(12)
        self.keys: list[QWidget] = []
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]):
            b = button(key, "toolbar")
            b.setMinimumSize(96, 84)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard types into the field
            b.clicked.connect(lambda _c=False, k=key: self._key(k))
            pad.addWidget(b, i // 3, i % 3)
            self.keys.append(b)
        row.addLayout(pad, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(80, 40, 80, 40)
        outer.addStretch(1)
        outer.addWidget(body)
        outer.addStretch(1)
        self.sign_in.clicked.connect(self.submit)
        self.back.clicked.connect(self.back_clicked.emit)
        self.pin.returnPressed.connect(self.submit)
        self.staff_id.returnPressed.connect(self.pin.setFocus)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Staff sign-in"))
        self.staff_label.setText(tr("Staff id"))
        self.staff_id.setAccessibleName(tr("Staff id"))
        self.pin_label.setText(tr("PIN"))
        self.pin.setAccessibleName(tr("PIN"))
        self.sign_in.setText(tr("Sign in"))
        self.sign_in.setAccessibleName(tr("Sign in"))
        self.back.setText(tr("Back"))
        self.back.setAccessibleName(tr("Back to the customer screen"))
        names = {"C": tr("Clear"), "⌫": tr("Delete last digit")}
        for b in self.keys:
            text = b.property("text") or ""
            b.setAccessibleName(names.get(str(text), str(text)))
        self._show_status()

    def on_enter(self) -> None:
        self.reset()
        self.staff_id.setFocus()

    def reset(self) -> None:
        self.pin.clear()
        self._message = ""
        self._refresh_lockout()
        self._show_status()

    def _key(self, key: str) -> None:
        if key == "C":
            self.pin.clear()
        elif key == "⌫":
            self.pin.backspace()
        else:
            self.pin.insert(key)

    def submit(self) -> None:
        """Check the PIN in the background."""
        staff_id, pin = self.staff_id.text().strip(), self.pin.text()
        if self.checking or self.retry_after > 0:
            return
        if not staff_id or not pin:
            self._message = tr("Enter your staff id and PIN.")
            self._show_status()
            return
        self.checking = True
        self.sign_in.setEnabled(False)
        self._message = tr("Checking…")
        self._show_status()
        self.pin.clear()
        Op("staff sign-in", lambda: self.pins.verify(staff_id, pin)).success(self._ok).failure(
            self._failed
        ).run(self.tasks)

    def _ok(self, result: StaffSignIn) -> None:
        self.checking = False
        self.sign_in.setEnabled(True)
        self._message = ""
        self.signed_in.emit(result)

    def _failed(self, error: KioskError) -> None:
        self.checking = False
        self.sign_in.setEnabled(True)
        if isinstance(error, StaffLockedOut):
            self._start_lockout(error.retry_after_s)
            return
        if isinstance(error, WrongPin):
            self._message = tr(
                "Wrong staff id or PIN. %n attempt(s) left before a pause.", "", error.attempts_left
            )
        elif isinstance(error, NoStaffEnrolled):
            self._message = tr("No staff PIN is set on this kiosk. Run: kiosk staff add <id>")
        else:
            self._message = tr("Sign-in is not possible right now (%1).").replace("%1", error.code)
        self._show_status()
        self.pin.setFocus()

    def _refresh_lockout(self) -> None:
        try:
            wait = self.pins.state().retry_after_s
        except KioskError:
            wait = 0.0
        if wait > 0:
            self._start_lockout(wait)

    def _start_lockout(self, seconds: float) -> None:
        self.retry_after = math.ceil(seconds)
        self.sign_in.setEnabled(False)
        self._tick.start()
        self._show_status()

    def _count_down(self) -> None:
        self.retry_after = max(0.0, self.retry_after - 1)
        if self.retry_after <= 0:
            self._tick.stop()
            self.sign_in.setEnabled(True)
            self._message = ""
        self._show_status()

    def _show_status(self) -> None:
        if self.retry_after > 0:
            text = tr("Too many wrong PINs. Try again in %n second(s).", "", int(self.retry_after))
        else:
            text = self._message
        self.status.setText(text)
        self.status.setAccessibleDescription(text)
