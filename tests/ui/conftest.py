"""Qt offscreen, a private data and config directory per test, SANE's test scanner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# before any QApplication exists (pytest-qt creates it on first use)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.kiosk.capture.sane_env import use_sane_test_backend


@pytest.fixture(scope="session", autouse=True)
def sane_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return use_sane_test_backend(tmp_path_factory.mktemp("sane"))


@pytest.fixture(autouse=True)
def kiosk_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(data))
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_PASSPHRASE_FILE", raising=False)
    for key in [k for k in os.environ if k.startswith("KIOSK_SYNC_")]:
        monkeypatch.delenv(key, raising=False)
    yield data
