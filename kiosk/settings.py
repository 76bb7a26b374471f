"""The kiosk application's own settings: devices, policy file, language, display, time-outs.

Stored as a small TOML file, ``<config dir>/app.toml`` (``KIOSK_CONFIG_DIR`` overrides the
platform default), written atomically. Qt-free: the staff console edits these values and
the app reads them at start and between cases. Sync settings live in ``kiosk.toml``
(:mod:`kiosk.sync.config`); this file never holds a secret.
"""

from __future__ import annotations

import enum
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError

SETTINGS_FILE_NAME = "app.toml"
LANGUAGES = ("en", "de")
FONT_SCALES = (1.0, 1.25, 1.5)


class DocumentSourceKind(enum.Enum):
    """Where the ID document comes from."""

    CAMERA = "camera"  # a camera used as a document camera (live guidance, auto capture)
    SCANNER = "scanner"  # a SANE flatbed or sheet-fed scanner
    FOLDER = "folder"  # a watched folder a scanner drops files into


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """The bound selfie camera: found by its kernel name, opened at this resolution.

    Attributes:
        name: the V4L2 device name (``/sys/class/video4linux/videoN/name``); empty = unbound.
        index: the last known ``/dev/videoN`` number (a hint; the name decides).
        width, height: the capture resolution the camera was bound with, in pixels.
        mirror: show the preview mirrored, as customers expect of a selfie.
    """

    name: str = ""
    index: int = 0
    width: int = 640
    height: int = 480
    mirror: bool = True

    @property
    def bound(self) -> bool:
        return bool(self.name)


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """The document source.

    Attributes:
        kind: camera, scanner or watched folder.
        scanner: SANE device name (e.g. ``genesys:libusb:001:004``).
        resolution_dpi: scan resolution.
        folder: the watched folder (absolute path).
        consume: delete a file from the watched folder once it is read.
        camera_index: ``/dev/videoN`` of a separate document camera; -1 = the selfie camera.
    """

    kind: DocumentSourceKind = DocumentSourceKind.CAMERA
    scanner: str = ""
    resolution_dpi: int = 300
    folder: str = ""
    consume: bool = True
    camera_index: int = -1


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """How the screens look: language, high contrast, text scale (1.0-1.5)."""

    language: str = "en"
    high_contrast: bool = False
    font_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Everything the kiosk application reads from ``app.toml``.

    Attributes:
        camera: the bound selfie camera.
        document: the document source.
        display: language and accessibility defaults for each new customer.
        policy_path: site policy file; empty = the bundled default policy.
        sanctions_lists: sanctions list files (UN XML, OFAC CSV, OpenSanctions JSONL).
        idle_timeout_s: a customer screen left untouched this long wipes the session.
        result_timeout_s: the result screen returns to the start after this long.
        staff_idle_timeout_s: the staff console locks itself after this long.
    """

    camera: CameraSettings = field(default_factory=CameraSettings)
    document: DocumentSettings = field(default_factory=DocumentSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    policy_path: str = ""
    sanctions_lists: tuple[str, ...] = ()
    idle_timeout_s: int = 60
    result_timeout_s: int = 20
    staff_idle_timeout_s: int = 120

    def __post_init__(self) -> None:
        _check_settings(self)

    @property
    def policy_file(self) -> Path | None:
        return Path(self.policy_path) if self.policy_path else None


def settings_path() -> Path:
    """``<config dir>/app.toml``."""
    from kiosk.config import kiosk_paths

    return kiosk_paths().config_dir / SETTINGS_FILE_NAME


def load_settings(path: Path | None = None) -> AppSettings:
    """Read the settings; defaults for a missing file or missing keys.

    Raises:
        ConfigError: unreadable TOML, an unknown key, or a value out of range (named).
    """
    path = path or settings_path()
    if not path.is_file():
        return AppSettings()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name} is not readable TOML: {exc}.") from None
    return settings_from_table(raw, where=path.name)


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write ``settings`` atomically (temp file, fsync, rename); returns the path.

    Raises:
        ConfigError: the directory cannot be written.
    """
    path = path or settings_path()
    text = to_toml(settings_to_table(settings))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".app-", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"The settings cannot be saved: {exc.strerror}.") from None
    return path


# ---- (de)serialisation -----------------------------------------------------------------

_SECTIONS: dict[str, type] = {
    "camera": CameraSettings,
    "document": DocumentSettings,
    "display": DisplaySettings,
}
_TOP_KEYS = (
    "policy_path",
    "sanctions_lists",
    "idle_timeout_s",
    "result_timeout_s",
    "staff_idle_timeout_s",
)


def settings_to_table(settings: AppSettings) -> dict[str, Any]:
    """The settings as a TOML-ready table (enums as their values)."""
    table: dict[str, Any] = {key: getattr(settings, key) for key in _TOP_KEYS}
    table["sanctions_lists"] = list(settings.sanctions_lists)
    for name in _SECTIONS:
        section = getattr(settings, name)
        table[name] = {
            f.name: (v.value if isinstance(v := getattr(section, f.name), enum.Enum) else v)
            for f in fields(section)
        }
    return table


def settings_from_table(raw: dict[str, Any], *, where: str = "settings") -> AppSettings:
    """Validate a decoded table (see :func:`load_settings`)."""
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table.")
            kwargs[key] = _section(key, value, where)
        elif key == "sanctions_lists":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: sanctions_lists must be a list of file paths.")
            kwargs[key] = tuple(value)
        elif key in _TOP_KEYS:
            expected = str if key == "policy_path" else int
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be a {expected.__name__}.")
            kwargs[key] = value
        else:
            raise ConfigError(f"{where}: unknown key {key!r}.")
    return AppSettings(**kwargs)


def _section(name: str, body: dict[str, Any], where: str) -> Any:
    cls = _SECTIONS[name]
    defaults = cls()
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown key {name}.{key}.")
        default = getattr(defaults, key)
        if isinstance(default, enum.Enum):
            try:
                value = type(default)(value)
            except ValueError:
                allowed = ", ".join(m.value for m in type(default))
                raise ConfigError(f"{where}: {name}.{key} must be one of: {allowed}.") from None
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {name}.{key} must be true or false.")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where}: {name}.{key} must be a number.")
            value = float(value)
        elif not isinstance(value, type(default)) or isinstance(value, bool):
            raise ConfigError(f"{where}: {name}.{key} must be a {type(default).__name__}.")
        values[key] = value
    return cls(**values)


def _check_settings(s: AppSettings) -> None:
    c, d, disp = s.camera, s.document, s.display
    if not (16 <= c.width <= 4096 and 16 <= c.height <= 4096) or c.index < 0:
        raise ConfigError("camera width/height must be 16-4096 pixels and index >= 0.")
    if not 75 <= d.resolution_dpi <= 1200:
        raise ConfigError("document.resolution_dpi must be 75-1200.")
    if d.kind is DocumentSourceKind.FOLDER and not d.folder:
        raise ConfigError("document.folder must be set for a watched-folder source.")
    if disp.language not in LANGUAGES:
        raise ConfigError(f"display.language must be one of: {', '.join(LANGUAGES)}.")
    if not (math.isfinite(disp.font_scale) and 0.75 <= disp.font_scale <= 2.0):
        raise ConfigError("display.font_scale must be between 0.75 and 2.0.")
    for name in ("idle_timeout_s", "result_timeout_s", "staff_idle_timeout_s"):
        if not 5 <= getattr(s, name) <= 3600:
            raise ConfigError(f"{name} must be between 5 and 3600 seconds.")


def to_toml(table: dict[str, Any]) -> str:
    """A flat-sections TOML document: top-level scalars, then one ``[section]`` per dict."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for name, body in table.items():
        if isinstance(body, dict):
            lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        if any(ord(ch) < 0x20 for ch in escaped):
            raise ConfigError("Settings text must not contain control characters.")
        return f'"{escaped}"'
    raise ConfigError(f"A setting of type {type(value).__name__} cannot be saved.")


def with_changes(settings: AppSettings, **changes: Any) -> AppSettings:
    """A copy with top-level fields replaced (validated again)."""
    return replace(settings, **changes)
