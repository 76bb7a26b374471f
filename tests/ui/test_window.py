"""The window without models: accessibility, keyboard, touch targets, themes, languages,
the idle time-out. Customer and staff screens are both checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from kiosk.settings import AppSettings
from tests.ui.helpers import wait_for

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QPlainTextEdit,
    QAbstractItemView,
)


class NoToolkit:
    """Stands in for the face toolkit where no face is analysed."""

    def close(self) -> None:
        pass


@pytest.fixture
def window(qtbot: Any) -> Iterator[Any]:
    from kiosk.policy import load_policy
    from ui.controller import AppOptions, KioskWindow
    from ui.runtime import Runtime

    w = KioskWindow(AppOptions(store=False, fullscreen=False), AppSettings())
    qtbot.addWidget(w)
    w.runtime = Runtime(load_policy(), NoToolkit(), None, None, 0.0)
    w.kiosk_state = "ready"
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


def controls(root: QWidget) -> list[QWidget]:
    """Interactive widgets, leaving out the inner parts of combo boxes, spin boxes and
    tables (their owner carries the name)."""
    out = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, INTERACTIVE):
            continue
        parent = w.parentWidget()
        inner = False
        while parent is not None:
            if isinstance(parent, QComboBox | QAbstractSpinBox | QAbstractItemView):
                inner = True
                break
            parent = parent.parentWidget()
        if not inner:
            out.append(w)
    return out


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology is given (Qt's accessibility interface)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_control_has_an_accessible_name(window: Any, language: str) -> None:
    assert window.staff is not None  # the console is built on first use
    window._set_language(language)
    QApplication.processEvents()  # LanguageChange is delivered through the event loop
    found = controls(window)
    assert len(found) > 40  # customer screens, header, sign-in, review, settings, status
    nameless = [
        f"{type(w).__name__} {w.objectName()}" for w in found if not accessible_name(w).strip()
    ]
    assert nameless == []
    # the names follow the language
    assert accessible_name(window.welcome.start) == (
        "Identitätsprüfung starten" if language == "de" else "Start the identity check"
    )


def test_the_customer_flow_works_from_the_keyboard(window: Any, qtbot: Any) -> None:
    from ui.session import Step

    window.screens[window.session.step].on_enter()
    assert window.welcome.start.hasFocus()
    qtbot.keyClick(window.welcome.start, Qt.Key.Key_Space)
    assert window.session.step is Step.CONSENT
    assert window.consent.agree.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.session.step is Step.WELCOME
    window.screens[window.session.step].on_enter()
    qtbot.keyClick(window.welcome.start, Qt.Key.Key_Return)  # a kiosk keypad's Enter
    assert window.session.step is Step.CONSENT
    qtbot.keyClick(window.consent.agree, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert window.consent.cancel.hasFocus()
    qtbot.keyClick(window.consent.cancel, Qt.Key.Key_Enter)
    assert window.session.step is Step.WELCOME
    # every control on the consent screen can take the keyboard focus
    for w in controls(window.consent):
        assert w.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_customer_buttons_are_large_touch_targets(window: Any) -> None:
    from ui.theme import MIN_TOUCH_PX

    for screen in (window.welcome, window.consent, window.result, window.header):
        for b in screen.findChildren(QAbstractButton):
            if b.property("role") == "quiet":  # the discreet staff link on the welcome screen
                continue
            b.ensurePolished()
            assert b.sizeHint().height() >= MIN_TOUCH_PX, b.accessibleName()
    window.welcome.start.ensurePolished()
    assert window.welcome.start.sizeHint().height() >= 88


def test_high_contrast_and_larger_text(window: Any) -> None:
    before = window.welcome.title.font().pixelSize()
    window.header.text_size.click()
    window.header.contrast.click()
    window.welcome.title.ensurePolished()
    assert window.themes.theme.high_contrast
    assert window.welcome.title.font().pixelSize() >= round(before * 1.2)
    assert "#000000" in window.styleSheet() or "#000000" in _app_style()
    window.wipe()  # a new customer starts with the kiosk's defaults again
    assert not window.themes.theme.high_contrast and window.themes.theme.scale == 1.0


def _app_style() -> str:
    app = QApplication.instance()
    return app.styleSheet() if isinstance(app, QApplication) else ""


def test_switching_the_language_retranslates_every_screen(window: Any) -> None:
    english = window.welcome.start.text()
    window.header.language.click()
    QApplication.processEvents()
    assert window.languages.current == "de"
    assert window.welcome.start.text() == "Starten" != english
    assert window.consent.agree.text() == "Einverstanden, weiter"
    assert window.header.language.text() == "English"
    window.header.language.click()
    QApplication.processEvents()
    assert window.welcome.start.text() == english


def test_the_idle_time_out_wipes_a_half_finished_session(
    window: Any, qtbot: Any, tmp_path: Path
) -> None:
    from dataclasses import replace

    from ui.session import Step

    scans = tmp_path / "scans"
    scans.mkdir()
    window.options = replace(window.options, document=f"folder:{scans}")
    window.idle.set_timeout(0.3)
    window.welcome.start.click()
    window.consent.agree.click()
    assert window.session.step is Step.DOCUMENT and window.session.case is not None
    wait_for(qtbot, lambda: window.session.step is Step.WELCOME, 5, "the idle time-out")
    assert window.session.case is None and not window.session.holds_biometrics()


def test_the_compiled_catalogue_matches_its_source_and_nothing_is_untranslated(
    tmp_path: Path,
) -> None:
    from ui.translations.build import compile_qm, tool, ui_sources, unfinished

    here = Path(__file__).resolve().parents[2] / "ui" / "translations"
    ts = tmp_path / "kiosk_de.ts"
    shutil.copy(here / "kiosk_de.ts", ts)
    subprocess.run(
        [
            tool("pyside6-lupdate"),
            *ui_sources(),
            "-no-obsolete",
            "-locations",
            "none",
            "-ts",
            str(ts),
        ],
        cwd=here.parent,
        check=True,
        capture_output=True,
    )
    assert unfinished(ts) == []
    assert ts.read_text("utf-8") == (here / "kiosk_de.ts").read_text("utf-8"), (
        "run: python -m ui.translations.build"
    )
    compile_qm(ts, tmp_path / "kiosk_de.qm")
    assert (tmp_path / "kiosk_de.qm").read_bytes() == (here / "kiosk_de.qm").read_bytes()
    assert sys.executable


@pytest.mark.parametrize(
    ("outcome", "reason", "codes"),
    [
        ("approved", "verified", ()),
        ("manual_review", "staff_check", ("screening_review",)),
        ("rejected", "document_expired", ("document_expired",)),
        ("rejected", "see_staff", ("sanctions_hit",)),
        ("error", "not_recorded", ()),
    ],
)
def test_the_result_screen_speaks_plainly(
    window: Any, outcome: str, reason: str, codes: tuple[str, ...]
) -> None:
    from tests.ui.test_flow import images_on_screen, shot
    from ui.session import CustomerOutcome, CustomerReason, Step

    window.session.outcome = CustomerOutcome(
        outcome, CustomerReason(reason), "3F9A-21C0", codes, outcome != "error"
    )
    window.session.go(Step.RESULT)
    QApplication.processEvents()
    text = " ".join((window.result.title.text(), window.result.message.text()))
    assert text.strip() and "3F9A-21C0" in window.result.reference.text()
    assert not any(code in text for code in codes)  # never a code
    assert "sanction" not in text.lower() and "list" not in text.lower()  # no tipping-off
    assert images_on_screen(window) == []
    shot(window, f"06c-result-{outcome.replace('_', '-')}-{reason.replace('_', '-')}")
