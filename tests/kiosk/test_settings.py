"""The app settings file: round trip, validation, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import ConfigError
from kiosk.settings import (
    AppSettings,
    CameraSettings,
    DisplaySettings,
    DocumentSettings,
    DocumentSourceKind,
    load_settings,
    save_settings,
    settings_from_table,
)


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "app.toml") == AppSettings()


def test_settings_round_trip_including_awkward_text(tmp_path: Path) -> None:
    settings = AppSettings(
        camera=CameraSettings("Logitech BRIO", 2, 1280, 720, mirror=False),
        document=DocumentSettings(DocumentSourceKind.FOLDER, folder='/srv/scans "in"\\box'),
        display=DisplaySettings("de", True, 1.25),
        policy_path="/etc/kiosk/policy.toml",
        sanctions_lists=("/lists/un.xml", "/lists/ofac sdn.csv"),
        idle_timeout_s=45,
    )
    path = save_settings(settings, tmp_path / "sub" / "app.toml")
    assert load_settings(path) == settings
    assert not list(path.parent.glob(".app-*"))  # no temp file left behind


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"camera": {"nmae": "x"}}, "camera.nmae"),
        ({"document": {"kind": "fax"}}, "one of"),
        ({"display": {"language": "xx"}}, "language"),
        ({"display": {"font_scale": 9.0}}, "font_scale"),
        ({"idle_timeout_s": 1}, "idle_timeout_s"),
        ({"idle_timeout_s": True}, "idle_timeout_s"),
        ({"camera": {"width": "wide"}}, "camera.width"),
        ({"document": {"kind": "folder"}}, "folder"),
        ({"sanctions_lists": "one.csv"}, "sanctions_lists"),
    ],
)
def test_bad_settings_are_named(table: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_table(table)
    assert fragment in err.value.message


def test_unreadable_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "app.toml"
    path.write_text("camera = [", "utf-8")
    with pytest.raises(ConfigError):
        load_settings(path)
