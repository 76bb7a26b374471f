"""What every screen shares: re-translation on a language change, enter/leave hooks."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QWidget

from ui.theme import ThemeManager


class Screen(QWidget):
    """A full-window page. Subclasses set texts in :meth:`retranslate`."""

    def __init__(self, themes: ThemeManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.themes = themes
        self.setProperty("screen", True)

    def retranslate(self) -> None:
        """Set every visible text (called on creation and on each language change)."""

    def on_enter(self) -> None:
        """The screen became current."""

    def on_leave(self) -> None:
        """Another screen became current."""

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
