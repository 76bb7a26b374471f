"""The customer header: brand, step indicator, language, text size and contrast."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QWidget

from ui.text import step_names, tr
from ui.theme import ThemeManager
from ui.widgets.common import Icon, IconView, StepIndicator, button, label

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


class Header(QFrame):
    """Top bar of the customer screens."""

    language_clicked = Signal()
    text_size_clicked = Signal()
    contrast_toggled = Signal(bool)

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "header")
        self.themes = themes
        row = QHBoxLayout(self)
        row.setContentsMargins(28, 10, 20, 10)
        row.setSpacing(14)
        self.logo = IconView(Icon.SHIELD, "primary", themes, size=46)
        self.brand = label("", "brand", wrap=False)
        self.steps = StepIndicator(themes)
        self.language = button("", "toolbar")
        self.text_size = button("A+", "toolbar")
        self.contrast = button("", "toolbar")
        self.contrast.setCheckable(True)
        row.addWidget(self.logo)
        row.addWidget(self.brand)
        row.addSpacing(24)
        row.addWidget(self.steps, 1)
        row.addWidget(self.language)
        row.addWidget(self.text_size)
        row.addWidget(self.contrast)
        self.language.clicked.connect(self.language_clicked.emit)
        self.text_size.clicked.connect(self.text_size_clicked.emit)
        self.contrast.toggled.connect(self.contrast_toggled.emit)
        self._step = -1
        self._other_language = "de"
        self.retranslate()

    def set_step(self, index: int) -> None:
        """Highlight step ``index`` (0-2), or hide the indicator with -1."""
        self._step = index
        self.steps.set_state(step_names(), index)

    def set_other_language(self, code: str) -> None:
        """The language the language button switches to (named in that language)."""
        self._other_language = code
        self.language.setText(LANGUAGE_NAMES.get(code, code))
        self.language.setAccessibleName(tr("Language") + ": " + LANGUAGE_NAMES.get(code, code))

    def retranslate(self) -> None:
        self.brand.setText(tr("Identity check"))
        self.text_size.setAccessibleName(tr("Larger text"))
        self.text_size.setToolTip(tr("Larger text"))
        self.contrast.setText(tr("Contrast"))
        self.contrast.setAccessibleName(tr("High contrast"))
        self.set_other_language(self._other_language)
        self.set_step(self._step)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
