"""Fixtures for the store tests: a temporary data directory and a fresh store in it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KIOSK_DATA_DIR; no passphrase file and no keyring leak in from the host."""
    path = tmp_path / "data"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(path))
    monkeypatch.delenv("KIOSK_PASSPHRASE_FILE", raising=False)
    return path


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    """A new store (cheap Argon2id), closed after the test."""
    opened = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    yield opened
    opened.close()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A generator seeded from the test's name: reruns see the same bytes."""
    return random.Random(request.node.name)
