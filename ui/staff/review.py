"""The review queue: ``manual_review`` cases with their evidence, signals and reasons;
approve or reject with a mandatory note (audited by the store)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.errors import KioskError
from ui.ops import Lane, Op, TaskManager
from ui.screens.base import Screen
from ui.session import case_reference
from ui.store_service import CaseDetail, KioskStore
from ui.text import tr
from ui.theme import ThemeManager
from ui.widgets.common import button, card, label

MIN_NOTE_CHARS = 5
EVIDENCE_HEIGHT = 150


class ReviewPage(Screen):
    """Queue on the left, the selected case on the right."""

    queue_changed = Signal(int)

    def __init__(
        self,
        themes: ThemeManager,
        tasks: TaskManager,
        store: KioskStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(themes, parent)
        self.tasks, self.store = tasks, store
        self.actor = ""
        self.cases: tuple[Any, ...] = ()
        self.detail: CaseDetail | None = None
        self.busy = False
        self._loading = 0  # which case load may still show its evidence
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(20)
        left = QVBoxLayout()
        self.queue_title = label("", "subtitle")
        self.table = QTableWidget(0, 3)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.itemSelectionChanged.connect(self._selected)
        self.refresh_button = button("", "")
        left.addWidget(self.queue_title)
        left.addWidget(self.table, 1)
        left.addWidget(self.refresh_button)
        row.addLayout(left, 4)

        right = card()
        outer = QVBoxLayout(right)
        outer.setContentsMargins(24, 20, 24, 20)
        outer.setSpacing(10)
        panel = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(panel)
        col = QVBoxLayout(panel)
        col.setContentsMargins(0, 0, 8, 0)
        col.setSpacing(10)
        self.case_title = label("", "subtitle")
        self.evidence_row = QHBoxLayout()
        self.evidence_row.setSpacing(12)
        self.evidence_note = label("", "muted")
        self.facts = QLabel()
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.reasons = label("", "code")
        col.addWidget(self.case_title)
        col.addLayout(self.evidence_row)
        col.addWidget(self.evidence_note)
        col.addWidget(self.facts)
        col.addWidget(self.reasons)
        col.addStretch(1)
        outer.addWidget(scroll, 1)
        # the decision stays in view however long the case details are
        self.note_label = label("", "muted")
        self.note = QPlainTextEdit()
        self.note.setFixedHeight(84)
        self.note.setTabChangesFocus(True)
        self.status = label("", "body")
        actions = QHBoxLayout()
        self.approve = button("", "success")
        self.reject = button("", "danger")
        actions.addWidget(self.approve)
        actions.addWidget(self.reject)
        actions.addStretch(1)
        outer.addWidget(self.note_label)
        outer.addWidget(self.note)
        outer.addLayout(actions)
        outer.addWidget(self.status)
        row.addWidget(right, 6)
        self.note.textChanged.connect(self._update_buttons)
        self.approve.clicked.connect(lambda: self._decide("approved"))
        self.reject.clicked.connect(lambda: self._decide("rejected"))
        self.refresh_button.clicked.connect(self.refresh)
        self._message = ""
        self.retranslate()
        self._show_detail(None)

    def retranslate(self) -> None:
        self.queue_title.setText(tr("Waiting for a staff check: %n", "", len(self.cases)))
        self.table.setHorizontalHeaderLabels([tr("Time (UTC)"), tr("Reference"), tr("Reasons")])
        self.table.setAccessibleName(tr("Review queue"))
        self.refresh_button.setText(tr("Refresh"))
        self.refresh_button.setAccessibleName(tr("Refresh the review queue"))
        self.note_label.setText(tr("Note (required, stays encrypted on this kiosk)"))
        self.note.setAccessibleName(tr("Review note"))
        self.approve.setText(tr("Approve"))
        self.approve.setAccessibleName(tr("Approve the case"))
        self.reject.setText(tr("Reject"))
        self.reject.setAccessibleName(tr("Reject the case"))
        self.status.setText(self._message)
        self._show_detail(self.detail)

    # ---- queue ----

    def refresh(self) -> None:
        if not self.store.available:
            self.cases = ()
            self._fill()
            self._message = tr("The store is locked; unlock it under Status.")
            self.status.setText(self._message)
            return
        Op("review queue", self.store.review_queue, lane=Lane.STORE).success(self._queued).failure(
            self._failed
        ).run(self.tasks)

    def _queued(self, cases: tuple[Any, ...]) -> None:
        self.cases = cases
        self._fill()
        self.queue_changed.emit(len(cases))

    def _fill(self) -> None:
        self.table.setRowCount(len(self.cases))
        for i, c in enumerate(self.cases):
            when = c.created_at.strftime("%d.%m. %H:%M")
            for j, text in enumerate((when, case_reference(c.case_id), ", ".join(c.reasons))):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, c.case_id)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.queue_title.setText(tr("Waiting for a staff check: %n", "", len(self.cases)))
        if not self.cases:
            self._show_detail(None)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        case_id = self.cases[rows[0].row()].case_id
        self._show_detail(None)
        self.case_title.setText(tr("Loading…"))
        self._loading += 1
        ticket = self._loading

        def loaded(detail: CaseDetail) -> None:
            if ticket == self._loading:  # not cleared, locked or reselected meanwhile
                self._show_detail(detail)

        actor = self.actor
        Op("load case", lambda: self.store.case_detail(case_id, actor), lane=Lane.STORE).success(
            loaded
        ).failure(self._failed).run(self.tasks)

    # ---- detail ----

    def clear(self) -> None:
        """Forget the evidence on screen (on lock and when leaving), also a case still
        loading."""
        self._loading += 1
        self.table.clearSelection()
        self.note.clear()
        self._message = ""
        self._show_detail(None)

    def _show_detail(self, detail: CaseDetail | None) -> None:
        self.detail = detail
        while self.evidence_row.count():
            item = self.evidence_row.takeAt(0)
            if item is not None and (w := item.widget()) is not None:
                if isinstance(w, QLabel):
                    w.clear()  # the picture goes now, not when the event loop deletes it
                w.hide()
                w.deleteLater()
        if detail is None:
            self.case_title.setText(tr("Select a case in the queue."))
            self.facts.clear()
            self.reasons.setText("")
            self.evidence_note.setText("")
            self._update_buttons()
            return
        s = detail.stored
        self.case_title.setText(
            tr("Case %1, decided %2")
            .replace("%1", case_reference(s.case_id))
            .replace("%2", s.decision.value)
        )
        for i, ev in enumerate(detail.evidence):
            image = QImage.fromData(ev.data)
            view = QLabel()
            view.setAccessibleName(f"{ev.kind} {i + 1}")
            if not image.isNull():
                view.setPixmap(
                    QPixmap.fromImage(image).scaledToHeight(
                        EVIDENCE_HEIGHT, Qt.TransformationMode.SmoothTransformation
                    )
                )
            self.evidence_row.addWidget(view)
        self.evidence_row.addStretch(1)
        self.evidence_note.setText(
            ""
            if detail.evidence
            else tr("No evidence images (%1).").replace("%1", detail.evidence_note or "none")
        )
        self.facts.setText(case_facts_html(detail.case_data))
        self.reasons.setText(
            "\n".join(
                f"{r.get('code')}: {r.get('message')}"
                for r in (detail.case_data or {}).get("reasons", [])
            )
            or tr("No reasons recorded.")
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        ok = (
            self.detail is not None
            and not self.busy
            and len(self.note.toPlainText().strip()) >= MIN_NOTE_CHARS
        )
        self.approve.setEnabled(ok)
        self.reject.setEnabled(ok)

    def _decide(self, decision: str) -> None:
        detail = self.detail
        note = self.note.toPlainText().strip()
        if detail is None or len(note) < MIN_NOTE_CHARS or not self.actor:
            return
        case_id = detail.stored.case_id
        self.busy = True
        self._update_buttons()

        def done(_record: Any) -> None:
            self.busy = False
            self.note.clear()
            self._message = (
                tr("Case %1: %2 recorded.")
                .replace("%1", case_reference(case_id))
                .replace("%2", decision)
            )
            self.status.setText(self._message)
            self._show_detail(None)
            self.refresh()

        Op(
            "review",
            lambda: self.store.set_review(case_id, decision, note, self.actor),
            lane=Lane.STORE,
        ).success(done).failure(self._failed).run(self.tasks)

    def _failed(self, error: KioskError) -> None:
        self.busy = False
        self._message = f"{error.code}: {error.message}"
        self.status.setText(self._message)
        self._update_buttons()


def case_facts(data: Any) -> list[tuple[str, str]]:
    """The signals of a stored case as (topic, facts) rows for staff: codes and numbers."""
    if not isinstance(data, dict):
        return [("", tr("The case data was erased under the retention policy."))]
    sig = data.get("signals") or {}
    doc, face = sig.get("document") or {}, sig.get("face") or {}
    live, scr = sig.get("liveness") or {}, sig.get("screening") or {}
    policy = data.get("policy") or {}
    rows = [
        (
            "decision",
            f"{data.get('decision')} · policy {policy.get('name')} {policy.get('version')}",
        ),
        (
            "document",
            f"mrz_valid {_fact(doc.get('mrz_valid'))} · format {_fact(doc.get('mrz_format'))} · "
            f"expired {_fact(doc.get('expired'))} · age {_fact(doc.get('age_years'))} · "
            f"quality {','.join(doc.get('quality_issues') or []) or '-'}"
            + (f" · {doc.get('error_code')}" if doc.get("error_code") else ""),
        ),
        (
            "face",
            f"similarity {_num(face.get('similarity'))} · threshold "
            f"{_num(face.get('threshold'))} · {face.get('model') or '-'}"
            + (f" · {face.get('error_code')}" if face.get("error_code") else ""),
        ),
        (
            "liveness",
            f"{_fact(live.get('decision'))} · score {_num(live.get('score'))} · "
            f"{','.join(live.get('reason_codes') or []) or '-'}",
        ),
        (
            "screening",
            f"{_fact(scr.get('outcome'))} · lists {','.join(scr.get('lists') or []) or '-'}"
            + (f" · {scr.get('error_code')}" if scr.get("error_code") else ""),
        ),
    ]
    liveness = data.get("liveness") or {}
    signals = " · ".join(
        f"{s.get('name')} {s.get('verdict')} {_num(s.get('value'))}"
        for s in liveness.get("signals", []) or []
    )
    if signals:
        rows.append(("signals", signals))
    return rows


def case_facts_html(data: Any) -> str:
    """:func:`case_facts` as a two-column table (values escaped)."""
    cells = "".join(
        f"<tr><td style='padding:3px 14px 3px 0; font-weight:600'>{html.escape(k)}</td>"
        f"<td style='padding:3px 0'>{html.escape(v)}</td></tr>"
        for k, v in case_facts(data)
    )
    return f"<table>{cells}</table>"


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _fact(value)
    return f"{value:.3f}"


def _fact(value: Any) -> str:
    """A recorded value as staff read it: yes/no, "unknown" for a value never established."""
    if value is None:
        return tr("unknown")
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    return str(value)
