"""Document capture: the live document camera with guidance and automatic capture, or
the scanner (press to scan), or a watched folder (the clerk scans)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk.capture.documents import DocumentGuidance
from kiosk.settings import DocumentSourceKind
from ui.screens.base import Screen
from ui.text import document_hint, tr
from ui.theme import ThemeManager
from ui.widgets.camera_view import CameraView, PreviewMaker
from ui.widgets.common import Icon, IconView, Spinner, button, card, label, restyle
from ui.widgets.overlays import DocumentOverlay, DocumentState


class DocumentScreen(Screen):
    """Shows the document source and what to do next."""

    scan_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(
        self, themes: ThemeManager, maker: PreviewMaker, parent: QWidget | None = None
    ) -> None:
        super().__init__(themes, parent)
        self.kind = DocumentSourceKind.CAMERA
        self.busy = False
        self.captured = False
        self._hint_code = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(32, 28, 32, 28)
        row.setSpacing(28)
        self.stage = QStackedWidget()
        self.view = CameraView(maker)
        self.overlay = DocumentOverlay(themes.theme)
        self.view.overlay = self.overlay
        self.view.setAccessibleName("document camera")
        self.stage.addWidget(self.view)
        illustration = card()
        ill = QVBoxLayout(illustration)
        ill.addStretch(1)
        self.device_icon = IconView(Icon.SCANNER, "primary", themes, size=220)
        ill.addWidget(self.device_icon, 0, Qt.AlignmentFlag.AlignHCenter)
        self.spinner = Spinner(themes, size=90)
        ill.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        ill.addStretch(1)
        self.stage.addWidget(illustration)
        row.addWidget(self.stage, 62)
        panel = card()
        col = QVBoxLayout(panel)
        col.setContentsMargins(36, 40, 36, 36)
        col.setSpacing(18)
        self.title = label("", "title")
        self.instruction = label("", "subtitle")
        self.hint = label("", "hint")
        self.hint.setAccessibleName("hint")
        self.status = label("", "body")
        col.addWidget(self.title)
        col.addWidget(self.instruction)
        col.addSpacing(6)
        col.addWidget(self.hint)
        col.addWidget(self.status)
        col.addStretch(1)
        self.scan = button("", "primary")
        self.cancel = button("", "")
        col.addWidget(self.scan)
        col.addWidget(self.cancel)
        row.addWidget(panel, 38)
        self.scan.clicked.connect(self.scan_clicked.emit)
        self.cancel.clicked.connect(self.cancel_clicked.emit)
        themes.changed.connect(self._theme_changed)
        self.set_mode(DocumentSourceKind.CAMERA)

    def _theme_changed(self, theme: object) -> None:
        self.overlay.theme = self.themes.theme
        self.view.update()

    def set_mode(self, kind: DocumentSourceKind) -> None:
        """Show the camera, the scanner or the folder variant; resets the state."""
        self.kind = kind
        self.busy = False
        self.captured = False
        self._hint_code = ""
        self.overlay.state = DocumentState()
        self.view.clear()
        self.stage.setCurrentIndex(0 if kind is DocumentSourceKind.CAMERA else 1)
        self.scan.setVisible(kind is DocumentSourceKind.SCANNER)
        self.spinner.setVisible(kind is DocumentSourceKind.FOLDER)
        self.retranslate()

    def set_busy(self, busy: bool) -> None:
        """A scan is running (scanner) or the page is being taken over."""
        self.busy = busy
        self.scan.setEnabled(not busy)
        self.spinner.setVisible(busy or self.kind is DocumentSourceKind.FOLDER)
        self.retranslate()

    def show_guidance(self, guidance: DocumentGuidance) -> None:
        """Update the overlay and the hint from one processed frame."""
        self.overlay.state = DocumentState(
            guidance.box, not guidance.issues, guidance.progress, guidance.ready
        )
        self.captured = guidance.ready
        code = guidance.issues[0] if guidance.issues else ""
        if code != self._hint_code:
            self._hint_code = code
            self.retranslate()
        self.view.update()

    def mark_captured(self) -> None:
        self.captured = True
        self.overlay.state = DocumentState(captured=True)
        self.retranslate()
        self.view.update()

    def retranslate(self) -> None:
        self.title.setText(tr("Your ID document"))
        if self.kind is DocumentSourceKind.CAMERA:
            self.instruction.setText(
                tr(
                    "Place the photo page of your passport or ID card in "
                    "the frame. It is captured automatically."
                )
            )
        elif self.kind is DocumentSourceKind.SCANNER:
            self.instruction.setText(
                tr(
                    "Place the photo page face down on the scanner glass, "
                    "close the lid and press Scan."
                )
            )
        else:
            self.instruction.setText(tr("Please hand your document to the clerk for scanning."))
        if self.captured:
            self.hint.setText(tr("Got it. Thank you."))
            self.hint.setProperty("state", "ok")
        elif self.kind is DocumentSourceKind.CAMERA:
            self.hint.setText(
                document_hint(self._hint_code) if self._hint_code else tr("Hold still")
            )
            self.hint.setProperty("state", "")
        else:
            self.hint.setText(
                tr("Scanning…")
                if self.busy or self.kind is DocumentSourceKind.FOLDER
                else tr("Ready to scan")
            )
        self.hint.setAccessibleDescription(self.hint.text())
        restyle(self.hint)
        self.status.setText("")
        self.scan.setText(tr("Scan"))
        self.scan.setAccessibleName(tr("Scan the document"))
        self.cancel.setText(tr("Cancel"))
        self.cancel.setAccessibleName(tr("Cancel and go back to the start"))

    def on_enter(self) -> None:
        (self.scan if self.scan.isVisible() else self.cancel).setFocus()

    def on_leave(self) -> None:
        self.view.clear()
        self.overlay.state = DocumentState()
