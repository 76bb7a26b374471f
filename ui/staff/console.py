"""The staff console: sign-in behind a PIN, then review queue, settings and status, with
the sync/offline indicator; it locks itself after a few idle minutes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.settings import AppSettings
from kiosk.staff_pin import StaffPins, StaffSignIn
from ui.idle import IdleWatcher
from ui.screens.base import Screen
from ui.staff.review import ReviewPage
from ui.staff.settings_page import SettingsPage
from ui.staff.signin import SignInPage
from ui.staff.status_page import StatusPage, sync_summary
from ui.store_service import SyncView
from ui.text import tr
from ui.widgets.common import button, label, restyle

SYNC_POLL_MS = 30_000


class ConsolePage(Screen):
    """Navigation on the left, the pages on the right, who is signed in on top."""

    lock_clicked = Signal()

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(window.themes, parent)
        self.window_ = window
        self.staff_id = ""
        self.queue_size = 0
        self.sync: SyncView | None = None
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        top = QFrame()
        top.setProperty("role", "header")
        bar = QHBoxLayout(top)
        bar.setContentsMargins(28, 10, 20, 10)
        self.title = label("", "brand", wrap=False)
        self.who = label("", "muted", wrap=False)
        self.sync_label = label("", "body", wrap=False)
        self.sync_label.setAccessibleName("sync status")
        self.lock = button("", "toolbar")
        bar.addWidget(self.title)
        bar.addSpacing(18)
        bar.addWidget(self.who)
        bar.addStretch(1)
        bar.addWidget(self.sync_label)
        bar.addSpacing(12)
        bar.addWidget(self.lock)
        col.addWidget(top)
        body = QHBoxLayout()
        body.setContentsMargins(24, 20, 24, 20)
        body.setSpacing(20)
        nav = QVBoxLayout()
        nav.setSpacing(6)
        self.nav_group = QButtonGroup(self)
        self.nav_buttons = []
        for i in range(3):
            b = button("", "nav")
            b.setCheckable(True)
            b.setMinimumWidth(230)
            self.nav_group.addButton(b, i)
            nav.addWidget(b)
            self.nav_buttons.append(b)
        nav.addStretch(1)
        body.addLayout(nav)
        self.pages = QStackedWidget()
        tasks, store = window.tasks, window.store
        self.review = ReviewPage(window.themes, tasks, store)
        self.settings_page = SettingsPage(window.themes, tasks)
        self.status = StatusPage(window.themes, tasks, store, window)
        for page in (self.review, self.settings_page, self.status):
            self.pages.addWidget(page)
        body.addWidget(self.pages, 1)
        col.addLayout(body, 1)
        self.nav_group.idClicked.connect(self.show_page)
        self.lock.clicked.connect(self.lock_clicked.emit)
        self.review.queue_changed.connect(self._queue_changed)
        self.status.sync_changed.connect(self._sync_changed)
        self.status.store_unlocked.connect(self.review.refresh)
        self.settings_page.saved.connect(self._settings_saved)
        self._poll = QTimer(self)
        self._poll.setInterval(SYNC_POLL_MS)
        self._poll.timeout.connect(self.status.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Staff console"))
        self.who.setText(tr("Signed in: %1").replace("%1", self.staff_id) if self.staff_id else "")
        self.lock.setText(tr("Lock"))
        self.lock.setAccessibleName(tr("Lock the console"))
        names = (tr("Review queue (%n)", "", self.queue_size), tr("Settings"), tr("Status"))
        for b, name in zip(self.nav_buttons, names, strict=True):
            b.setText(name)
            b.setAccessibleName(name)
        text, role = sync_summary(self.sync)
        self.sync_label.setText("● " + text)
        self.sync_label.setMinimumWidth(self.sync_label.sizeHint().width())
        self.sync_label.setStyleSheet(f"color: {getattr(self.themes.theme.palette, role)};")

    def open_for(self, sign_in: StaffSignIn) -> None:
        self.staff_id = sign_in.staff_id
        self.review.actor = sign_in.staff_id
        self.settings_page.load(self.window_.settings)
        self.show_page(0)
        self.review.refresh()
        self.status.refresh()
        self._poll.start()
        self.retranslate()

    def close_down(self) -> None:
        """Forget the signed-in person and every image on screen."""
        self._poll.stop()
        self.review.clear()
        self.review.cases = ()
        self.review.table.setRowCount(0)
        self.staff_id = ""
        self.review.actor = ""

    def show_page(self, index: int) -> None:
        self.nav_buttons[index].setChecked(True)
        self.pages.setCurrentIndex(index)
        if index == 2:
            self.status.refresh()
        self.nav_buttons[index].setFocus()

    def _queue_changed(self, size: int) -> None:
        self.queue_size = size
        self.retranslate()

    def _sync_changed(self, view: SyncView) -> None:
        self.sync = view
        self.retranslate()
        restyle(self.sync_label)

    def _settings_saved(self, settings: AppSettings, policy_changed: bool) -> None:
        self.window_.apply_settings(settings)
        if policy_changed:
            self.window_.reload_runtime()


class StaffArea(QWidget):
    """Sign-in page, then the console; ``closed`` when staff leave or it locks."""

    closed = Signal()

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.pins = StaffPins()
        self.signin = SignInPage(window.themes, window.tasks, self.pins)
        self.console = ConsolePage(window)
        self.stack.addWidget(self.signin)
        self.stack.addWidget(self.console)
        self.signin.signed_in.connect(self._signed_in)
        self.signin.back_clicked.connect(self.lock)
        self.console.lock_clicked.connect(self.lock)
        self.idle = IdleWatcher(window.settings.staff_idle_timeout_s, self)
        self.idle.timed_out.connect(self.lock)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    @property
    def signed_in(self) -> bool:
        return self.stack.currentWidget() is self.console

    def on_open(self) -> None:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.idle.set_timeout(self.window_.settings.staff_idle_timeout_s)
        self.idle.arm()
        self.stack.setCurrentWidget(self.signin)
        self.signin.on_enter()

    def _signed_in(self, sign_in: StaffSignIn) -> None:
        self.stack.setCurrentWidget(self.console)
        self.console.open_for(sign_in)
        self.idle.arm()

    def lock(self) -> None:
        """Sign out, clear the evidence from the screen, back to the customer side."""
        from PySide6.QtWidgets import QApplication

        self.idle.disarm()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        self.console.close_down()
        self.signin.reset()
        self.stack.setCurrentWidget(self.signin)
        self.closed.emit()

    def escape(self) -> None:
        self.lock()
