"""Qt translations: English is the source language; others load a compiled ``.qm``.

The ``.ts`` sources in ``ui/translations`` are extracted with ``pyside6-lupdate`` and
compiled with ``pyside6-lrelease`` (both ship with PySide6-Essentials); the compiled
``.qm`` files are committed beside them and a test checks they match their sources.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger("ui.i18n")

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SOURCE_LANGUAGE = "en"


def qm_path(language: str) -> Path:
    return TRANSLATIONS_DIR / f"kiosk_{language}.qm"


def available_languages() -> tuple[str, ...]:
    """English plus every language with a compiled catalogue."""
    return (
        SOURCE_LANGUAGE,
        *sorted(p.stem.split("_", 1)[1] for p in TRANSLATIONS_DIR.glob("kiosk_*.qm")),
    )


class Languages:
    """Installs the translator of the current language (one at a time)."""

    def __init__(self) -> None:
        self._translator: QTranslator | None = None
        self.current = SOURCE_LANGUAGE

    def set(self, language: str) -> bool:
        """Switch to ``language``; widgets get a LanguageChange event. False when its
        catalogue is missing (English stays)."""
        app = QCoreApplication.instance()
        if app is None:
            return False
        if self._translator is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        if language != SOURCE_LANGUAGE:
            translator = QTranslator(app)
            if not translator.load(str(qm_path(language))):
                log.warning("no translation catalogue for %s", language)
                self.current = SOURCE_LANGUAGE
                return False
            app.installTranslator(translator)
            self._translator = translator
        else:
            # removing a translator already sent LanguageChange; English needs no catalogue
            pass
        self.current = language
        return True

    def close(self) -> None:
        """Remove the installed translator (the window is going away)."""
        app = QCoreApplication.instance()
        if app is not None and self._translator is not None:
            app.removeTranslator(self._translator)
        self._translator = None
        self.current = SOURCE_LANGUAGE
