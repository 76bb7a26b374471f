"""Fixtures of the sync tests: the session-wide wire tap, a store, a loopback receiver.

The privacy test (``test_wire_privacy.py``) is moved to the end of the run so
that it inspects every payload the sender put on the wire during the session.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE
from tests.kiosk.sync.helpers import RunningReceiver, write_secret
from tests.kiosk.sync.wiretap import WIRE, WireLog

PRIVACY_MODULE = "test_wire_privacy.py"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    last = [i for i in items if i.nodeid.split("::")[0].endswith(PRIVACY_MODULE)]
    if last:
        items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session", autouse=True)
def wire_log() -> Iterator[WireLog]:
    """Every request the sender makes in this session is recorded here."""
    WIRE.install()
    yield WIRE
    WIRE.uninstall()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(path))
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_PASSPHRASE_FILE", raising=False)
    for name in (
        "URL",
        "SECRET_FILE",
        "SITE_ID",
        "DEVICE_ID",
        "ED25519_KEY_FILE",
        "PIN_SHA256",
        "CA_FILE",
        "REFERENCE_SECRET_FILE",
        "ALLOW_INSECURE_HTTP",
        "TIMEOUT_S",
        "CONCURRENCY",
    ):
        monkeypatch.delenv(f"KIOSK_SYNC_{name}", raising=False)
    return path


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    yield opened
    opened.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    return write_secret(tmp_path / "device.secret")


@pytest.fixture
def receiver(tmp_path: Path, secret_file: Path) -> Iterator[RunningReceiver]:
    with RunningReceiver(tmp_path / "receiver.db", secret_file) as running:
        yield running


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(request.node.name)
