"""SANE's test backend for every test here (set before SANE is first initialised)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kiosk.capture.sane_env import use_sane_test_backend


@pytest.fixture(scope="session", autouse=True)
def sane_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return use_sane_test_backend(tmp_path_factory.mktemp("sane"))
