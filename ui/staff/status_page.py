"""Status: the kiosk's state, the store, upstream sync (with the offline indicator's
reason), the camera and recent problems. Staff see codes here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from kiosk.errors import KioskError
from ui.ops import Lane, Op, TaskManager
from ui.screens.base import Screen
from ui.store_service import KioskStore, SyncView
from ui.text import tr
from ui.theme import ThemeManager
from ui.widgets.common import button, card, label


def sync_summary(view: SyncView | None) -> tuple[str, str]:
    """(indicator text, colour role) for the console's top bar."""
    if view is None:
        return tr("Sync: checking…"), "muted"
    if not view.configured:
        return tr("Sync not configured"), "muted"
    if view.problem:
        return tr("Sync problem: %1").replace("%1", view.problem), "danger"
    waiting = tr("%n decision(s) waiting", "", view.queue_length)
    if view.online is False:
        return tr("Offline") + " · " + waiting, "danger"
    return tr("Online") + " · " + waiting, "success"


class StatusPage(Screen):
    """Read-only status with a refresh and the store unlock."""

    store_unlocked = Signal()
    sync_changed = Signal(object)  # SyncView

    def __init__(
        self,
        themes: ThemeManager,
        tasks: TaskManager,
        store: KioskStore,
        window: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(themes, parent)
        self.tasks, self.store, self.window_ = tasks, store, window
        self.sync: SyncView | None = None
        self.store_status: Any = None
        body = card()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        col = QVBoxLayout(body)
        col.setContentsMargins(28, 24, 28, 24)
        col.setSpacing(10)
        self.kiosk_title = label("", "subtitle")
        self.kiosk_text = label("", "code")
        self.store_title = label("", "subtitle")
        self.store_text = label("", "code")
        unlock_row = QHBoxLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.unlock = button("", "")
        unlock_row.addWidget(self.passphrase, 1)
        unlock_row.addWidget(self.unlock)
        self.sync_title = label("", "subtitle")
        self.sync_text = label("", "code")
        self.problems_title = label("", "subtitle")
        self.problems_text = label("", "code")
        self.refresh_button = button("", "")
        self.recheck = button("", "")
        for w in (self.kiosk_title, self.kiosk_text):
            col.addWidget(w)
        col.addWidget(self.recheck)
        for w in (self.store_title, self.store_text):
            col.addWidget(w)
        col.addLayout(unlock_row)
        for w in (self.sync_title, self.sync_text, self.problems_title, self.problems_text):
            col.addWidget(w)
        col.addWidget(self.refresh_button)
        col.addStretch(1)
        self.unlock.clicked.connect(self._unlock)
        self.passphrase.returnPressed.connect(self._unlock)
        self.refresh_button.clicked.connect(self.refresh)
        self.recheck.clicked.connect(self._recheck)
        self.retranslate()

    def retranslate(self) -> None:
        self.kiosk_title.setText(tr("Kiosk"))
        self.store_title.setText(tr("Encrypted store"))
        self.sync_title.setText(tr("Upstream sync"))
        self.problems_title.setText(tr("Recent problems"))
        self.passphrase.setAccessibleName(tr("Store passphrase"))
        self.passphrase.setPlaceholderText(tr("Store passphrase"))
        self.unlock.setText(tr("Unlock store"))
        self.unlock.setAccessibleName(tr("Unlock the store"))
        self.refresh_button.setText(tr("Refresh"))
        self.refresh_button.setAccessibleName(tr("Refresh the status"))
        self.recheck.setText(tr("Check the kiosk again"))
        self.recheck.setAccessibleName(tr("Run the start-up checks again"))
        self._render()

    def refresh(self) -> None:
        self._render()
        if self.store.available:
            Op("store status", self.store.status, lane=Lane.STORE).success(self._got_store).failure(
                self._store_failed
            ).run(self.tasks)
        Op("sync status", self.store.sync_view, lane=Lane.NETWORK).success(self._got_sync).failure(
            lambda e: None
        ).run(self.tasks)

    def _got_store(self, status: Any) -> None:
        self.store_status = status
        self._render()

    def _store_failed(self, error: KioskError) -> None:
        self.store_status = None
        self.store_text.setText(f"{error.code}: {error.message}")

    def _got_sync(self, view: SyncView) -> None:
        self.sync = view
        self.sync_changed.emit(view)
        self._render()

    def _recheck(self) -> None:
        self.window_.recheck()
        self._render()

    def _unlock(self) -> None:
        secret = self.passphrase.text()
        self.passphrase.clear()
        if not secret:
            return
        self.store_text.setText(tr("Unlocking…"))

        def opened(status: Any) -> None:
            self.store_status = status
            self.store_unlocked.emit()
            self.refresh()

        Op(
            "unlock store", lambda: self.store.open_with_passphrase(secret), lane=Lane.STORE
        ).success(opened).failure(self._store_failed).run(self.tasks)

    def _render(self) -> None:
        w = self.window_
        rt = w.runtime
        cam = w.settings.camera
        kiosk = [
            f"state        {w.kiosk_state} {w.unavailable_code}",
            f"mode         {'demo' if w.options.demo else 'live'}",
            f"camera       {cam.name or '-'} {cam.width}x{cam.height}"
            + (f" (override {w.options.camera})" if w.options.camera else ""),
            f"document     {w.settings.document.kind.value} {w.settings.document.scanner}",
            "policy       "
            + (
                f"{rt.policy.decision.name} {rt.policy.decision.version} "
                f"{rt.policy.content_hash[:16]}"
                if rt
                else "-"
            ),
            "models       " + (f"loaded in {rt.load_ms:.0f} ms" if rt else "loading"),
        ]
        self.kiosk_text.setText("\n".join(kiosk))
        s = self.store_status
        show_unlock = not self.store.available and not w.options.demo
        self.passphrase.setVisible(show_unlock)
        self.unlock.setVisible(show_unlock)
        self.recheck.setVisible(w.kiosk_state != "ready")
        if s is not None and self.store.available:
            self.store_text.setText(
                "\n".join(
                    [
                        f"cases        {s.cases}",
                        f"evidence     {s.evidence_blobs} blobs",
                        f"audit        {s.audit_entries} entries",
                        f"install      {s.install_id}",
                        f"retention    evidence {s.retention.evidence.days} days",
                    ]
                )
            )
        elif not self.store.available:
            self.store_text.setText(
                tr("Not open.") if not w.options.demo else tr("Demo mode: cases are not stored.")
            )
        v = self.sync
        if v is None:
            self.sync_text.setText(tr("checking…"))
        else:
            text, _role = sync_summary(v)
            self.sync_text.setText(
                "\n".join(
                    [
                        text,
                        f"endpoint     {v.endpoint or '-'}",
                        f"queue        {v.queue_length} waiting, {v.rejected} refused",
                        f"last success {_when(v.last_success_at)}",
                        f"last error   {_when(v.last_error_at)} {v.last_error or ''}",
                    ]
                )
            )
        items = w.incidents.items()[:10]
        self.problems_text.setText(
            "\n".join(
                f"{dt.datetime.fromtimestamp(i.at, dt.UTC):%H:%M:%S} {i.where:<10} {i.code}: "
                f"{i.message}"
                for i in items
            )
            or tr("None.")
        )


def _when(at: dt.datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "-"
