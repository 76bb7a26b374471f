"""Where the kiosk keeps things when there is no home directory (a bundle under ``env -i``,
a service user), and where a bundle finds its models."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.config import kiosk_paths
from kiosk.errors import ConfigError
from models.registry import default_models_dir

KIOSK_VARS = ("KIOSK_DATA_DIR", "KIOSK_CONFIG_DIR", "KIOSK_CACHE_DIR", "KIOSK_MODELS_DIR")


@pytest.fixture
def homeless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME names a directory that does not exist; the temp dir is ``tmp_path``.

    Returns the fallback root the kiosk should use.
    """
    for name in (*KIOSK_VARS, "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path / f"kiosk-{os.getuid()}"


def test_without_a_home_every_default_is_in_a_private_temp_folder(homeless: Path) -> None:
    paths = kiosk_paths()

    assert paths.data_dir == homeless / "data"
    assert paths.log_dir == homeless / "data" / "logs"
    assert paths.config_dir == homeless / "config"
    assert paths.cache_dir == homeless / "cache"
    assert paths.models_dir == homeless / "data" / "models"
    assert homeless.stat().st_mode & 0o777 == 0o700
    assert kiosk_paths() == paths  # the second call accepts the folder it made


def test_without_a_home_the_environment_still_wins(
    homeless: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in KIOSK_VARS:
        monkeypatch.setenv(name, str(tmp_path / name.lower()))

    paths = kiosk_paths()

    assert paths.data_dir == tmp_path / "kiosk_data_dir"
    assert paths.config_dir == tmp_path / "kiosk_config_dir"
    assert paths.cache_dir == tmp_path / "kiosk_cache_dir"
    assert paths.models_dir == tmp_path / "kiosk_models_dir"


def test_a_fallback_folder_others_can_enter_is_refused(homeless: Path) -> None:
    homeless.mkdir(mode=0o755)
    homeless.chmod(0o755)

    with pytest.raises(ConfigError) as refused:
        kiosk_paths()

    assert str(homeless) in refused.value.message
    assert "HOME" in refused.value.hint


def test_a_fallback_symlink_is_refused(homeless: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    homeless.symlink_to(target)

    with pytest.raises(ConfigError):
        kiosk_paths()


def test_with_a_home_nothing_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*KIOSK_VARS, "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))

    paths = kiosk_paths()

    assert paths.data_dir == tmp_path / ".local" / "share" / "kiosk"
    assert paths.config_dir == tmp_path / ".config" / "kiosk"
    assert paths.models_dir == tmp_path / ".local" / "share" / "kiosk" / "models"
    assert not (tmp_path / "tmp").exists()


def test_a_bundle_reads_its_own_models_even_without_a_home(
    homeless: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)

    assert default_models_dir() == tmp_path / "bundle" / "models_data"
    assert kiosk_paths().models_dir == tmp_path / "bundle" / "models_data"
