"""Colours, type sizes and the style sheet: a standard theme and a high-contrast one,
both scaled by the text-size setting. Custom-painted widgets read the same colours."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

FONT_FAMILIES = ("Inter", "DejaVu Sans")
ASSETS = Path(__file__).resolve().parent / "assets"
MIN_TOUCH_PX = 72  # touch targets: at least ~15 mm on a 15" kiosk screen


@dataclass(frozen=True, slots=True)
class Palette:
    """Named colours (hex)."""

    background: str
    surface: str
    surface_alt: str
    text: str
    muted: str
    primary: str
    primary_text: str
    primary_pressed: str
    border: str
    focus: str
    success: str
    warning: str
    danger: str
    overlay: str  # the veil around the face guide (with alpha)
    guide: str  # face/document guide lines over the camera image


STANDARD = Palette(
    background="#EEF2F6",
    surface="#FFFFFF",
    surface_alt="#F6F8FA",
    text="#132333",
    muted="#4F6072",
    primary="#0B4F8A",
    primary_text="#FFFFFF",
    primary_pressed="#083A66",
    border="#C9D3DD",
    focus="#F2A900",
    success="#17784A",
    warning="#A55A00",
    danger="#B3261E",
    overlay="#B0101820",
    guide="#FFFFFF",
)

HIGH_CONTRAST = Palette(
    background="#000000",
    surface="#000000",
    surface_alt="#111111",
    text="#FFFFFF",
    muted="#FFFFFF",
    primary="#FFE500",
    primary_text="#000000",
    primary_pressed="#C8B400",
    border="#FFFFFF",
    focus="#00E5FF",
    success="#4DFF88",
    warning="#FFE500",
    danger="#FF7070",
    overlay="#D0000000",
    guide="#FFE500",
)


@dataclass(frozen=True, slots=True)
class Theme:
    """A palette at a text scale."""

    palette: Palette
    scale: float = 1.0
    high_contrast: bool = False

    def px(self, size: float) -> int:
        """``size`` pixels at this scale."""
        return round(size * self.scale)

    def color(self, name: str) -> QColor:
        return QColor(getattr(self.palette, name))


def font_family() -> str:
    """The first installed family of :data:`FONT_FAMILIES` (Qt's default otherwise)."""
    installed = set(QFontDatabase.families())
    return next((f for f in FONT_FAMILIES if f in installed), QFont().defaultFamily())


def style_sheet(theme: Theme) -> str:
    """The application style sheet for ``theme``."""
    p, px = theme.palette, theme.px
    border_w = 3 if theme.high_contrast else 2
    # buttons keep one border width in every state (a wider focus border would shrink
    # the text area and clip the label); focus changes only the colour
    focus_w = border_w + 2
    brand = p.primary if theme.high_contrast else p.text
    assets = ASSETS.as_posix()
    ink = "light" if theme.high_contrast else "dark"
    check_focus = p.focus if theme.high_contrast else p.primary
    return f"""
* {{ font-family: "{font_family()}"; color: {p.text}; }}
QWidget#Root, QStackedWidget, QWidget[screen="true"] {{ background: {p.background}; }}
QFrame[role="card"] {{
  background: {p.surface}; border: {border_w - 1}px solid {p.border}; border-radius: 20px;
}}
QFrame[role="header"] {{
  background: {p.surface}; border-bottom: {border_w - 1}px solid {p.border};
}}
QLabel {{ font-size: {px(22)}px; background: transparent; }}
QLabel[role="brand"] {{ font-size: {px(22)}px; font-weight: 700; color: {brand}; }}
QLabel[role="display"] {{ font-size: {px(50)}px; font-weight: 700; }}
QLabel[role="title"] {{ font-size: {px(40)}px; font-weight: 700; }}
QLabel[role="subtitle"] {{ font-size: {px(25)}px; color: {p.muted}; }}
QLabel[role="body"] {{ font-size: {px(22)}px; }}
QLabel[role="muted"] {{ font-size: {px(18)}px; color: {p.muted}; }}
QLabel[role="prompt"] {{ font-size: {px(38)}px; font-weight: 700; }}
QLabel[role="hint"] {{
  font-size: {px(24)}px; font-weight: 600; color: {p.warning if theme.high_contrast else p.text};
  background: {p.surface_alt}; border-radius: 14px; padding: {px(10)}px {px(18)}px;
}}
QLabel[role="code"] {{ font-family: "DejaVu Sans Mono"; font-size: {px(17)}px; }}
QLabel[role="reference"] {{ font-size: {px(22)}px; font-weight: 600; letter-spacing: 1px; }}
QPushButton {{
  font-size: {px(24)}px; font-weight: 600; min-height: {max(MIN_TOUCH_PX, px(72))}px;
  padding: 0 {px(34)}px; border-radius: {px(16)}px;
  background: {p.surface}; border: {focus_w}px solid {p.border}; color: {p.text};
}}
QPushButton:pressed {{ background: {p.surface_alt}; }}
QPushButton:disabled {{ color: {p.muted}; border-style: dashed; }}
QPushButton:focus {{ border-color: {p.focus}; }}
QPushButton[role="primary"] {{
  background: {p.primary}; color: {p.primary_text}; border: {focus_w + 1}px solid {p.primary};
  font-size: {px(28)}px; min-height: {px(88)}px; padding: 0 {px(48)}px;
}}
QPushButton[role="primary"]:pressed {{ background: {p.primary_pressed}; }}
QPushButton[role="primary"]:focus {{ border-color: {p.focus}; }}
QPushButton[role="primary"]:disabled {{
  background: {p.border}; border-color: {p.border}; color: {p.muted};
}}
QPushButton[role="danger"] {{
  background: {p.danger}; color: #FFFFFF; border-color: {p.danger};
}}
QPushButton[role="success"] {{
  background: {p.success}; color: #FFFFFF; border-color: {p.success};
}}
QPushButton[role="toolbar"] {{
  font-size: {px(19)}px; min-height: {MIN_TOUCH_PX}px; min-width: {MIN_TOUCH_PX}px;
  padding: 0 {px(18)}px; border-radius: {px(14)}px;
}}
QPushButton[role="toolbar"]:checked {{
  background: {p.primary}; color: {p.primary_text}; border-color: {p.primary};
}}
QPushButton[role="quiet"] {{
  font-size: {px(16)}px; font-weight: 500; min-height: 48px; color: {p.muted};
  border: {focus_w}px solid transparent; background: transparent; padding: 0 {px(12)}px;
}}
QPushButton[role="quiet"]:focus {{ border-color: {p.focus}; }}
QPushButton[role="nav"] {{
  text-align: left; font-size: {px(20)}px; min-height: 60px; border-radius: 12px;
  border: {focus_w}px solid transparent; background: transparent;
}}
QPushButton[role="nav"]:checked {{ background: {p.primary}; color: {p.primary_text}; }}
QPushButton[role="nav"]:focus {{ border-color: {p.focus}; }}
QLineEdit, QPlainTextEdit, QComboBox, QSpinBox {{
  font-size: {px(20)}px; background: {p.surface}; border: {border_w}px solid {p.border};
  border-radius: 10px; padding: 8px 12px; min-height: 44px; selection-background-color: {p.primary};
  selection-color: {p.primary_text};
}}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QSpinBox:focus {{
  border-color: {p.focus};
}}
QCheckBox, QRadioButton {{ font-size: {px(20)}px; min-height: 44px; spacing: 12px; }}
QCheckBox::indicator {{ width: 30px; height: 30px; }}
QComboBox::drop-down {{ border: none; width: 40px; }}
QComboBox::down-arrow {{ image: url({assets}/chevron-down-{ink}.svg); width: 20px; height: 20px; }}
QSpinBox::up-button, QSpinBox::down-button {{ width: 36px; border: none; }}
QSpinBox::up-arrow {{ image: url({assets}/chevron-up-{ink}.svg); width: 16px; height: 16px; }}
QSpinBox::down-arrow {{ image: url({assets}/chevron-down-{ink}.svg); width: 16px; height: 16px; }}
QCheckBox:focus, QRadioButton:focus {{ color: {check_focus}; }}
QTableWidget, QListWidget {{
  font-size: {px(18)}px; background: {p.surface}; border: {border_w - 1}px solid {p.border};
  border-radius: 10px; gridline-color: {p.border}; selection-background-color: {p.primary};
  selection-color: {p.primary_text}; alternate-background-color: {p.surface_alt};
}}
QTableWidget:focus, QListWidget:focus {{ border: {border_w}px solid {p.focus}; }}
QHeaderView::section {{
  font-size: {px(16)}px; font-weight: 700; background: {p.surface_alt}; border: none;
  border-bottom: 1px solid {p.border}; padding: 8px;
}}
QScrollArea {{ border: none; background: transparent; }}
QProgressBar {{
  border: none; background: {p.border}; border-radius: 6px; max-height: 12px; min-height: 12px;
}}
QProgressBar::chunk {{ background: {p.success}; border-radius: 6px; }}
QSlider {{ min-height: 44px; }}
QScrollBar:vertical {{ width: 22px; background: {p.surface_alt}; border: none; }}
QScrollBar::handle:vertical {{ background: {p.border}; border-radius: 11px; min-height: 60px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QToolTip {{ font-size: {px(16)}px; }}
"""


class ThemeManager(QObject):
    """The current theme; ``changed`` fires after the style sheet was applied."""

    changed = Signal(object)

    def __init__(self, theme: Theme, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def apply(self, theme: Theme | None = None) -> None:
        """Apply ``theme`` (or re-apply the current one) to the application."""
        if theme is not None:
            self.theme = theme
        app = QApplication.instance()
        if isinstance(app, QApplication):
            font = QFont(font_family())
            font.setPixelSize(self.theme.px(20))
            app.setFont(font)
            app.setStyleSheet(style_sheet(self.theme))
        self.changed.emit(self.theme)

    def set_high_contrast(self, on: bool) -> None:
        self.apply(Theme(HIGH_CONTRAST if on else STANDARD, self.theme.scale, on))

    def set_scale(self, scale: float) -> None:
        self.apply(Theme(self.theme.palette, scale, self.theme.high_contrast))


def make_theme(*, high_contrast: bool, scale: float) -> Theme:
    return Theme(HIGH_CONTRAST if high_contrast else STANDARD, scale, high_contrast)
