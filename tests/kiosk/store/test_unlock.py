"""Unlocking: wrong passphrases change nothing, failures back off, keyring and passphrase files."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from jaraco.classes.properties import classproperty

from kiosk.errors import ConfigError, StoreLocked
from kiosk.store import (
    BackoffPolicy,
    Passphrase,
    RememberedKey,
    Store,
    read_backoff,
    read_store_keyfile,
)
from kiosk.store.errors import KeyringUnavailable, NoCredential, UnlockThrottled, WrongPassphrase
from kiosk.store.unlock import (
    forget_master_key,
    read_passphrase_file,
    recall_master_key,
    resolve_credential,
    resolve_new_passphrase,
)
from tests.kiosk.store.helpers import PASSPHRASE, file_hashes, make_record


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_passphrase_is_refused_and_changes_nothing(
    data_dir: Path, store: Store, rng: random.Random
) -> None:
    record = make_record(rng)
    store.save_case(record, outbox_payload=b"m", actor="kiosk")
    store.close()
    before = file_hashes(data_dir)
    with pytest.raises(WrongPassphrase) as excinfo:
        Store.open(data_dir, Passphrase("not the passphrase"))
    assert isinstance(excinfo.value, StoreLocked)
    assert excinfo.value.code == "store_wrong_passphrase"
    after = file_hashes(data_dir, exclude=("unlock_state.json",))
    assert after == before  # the failure counter is the only file written
    assert read_backoff(data_dir).failures == 1
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.load_evidence(record.case_id) == record.evidence
    assert read_backoff(data_dir).failures == 0  # success resets the counter


def test_repeated_failures_back_off(data_dir: Path, store: Store) -> None:
    store.close()
    clock = FakeClock()
    policy = BackoffPolicy(free_failures=2, base_delay_s=10.0, max_delay_s=60.0)

    def attempt(secret: str) -> Store:
        return Store.open(data_dir, Passphrase(secret), backoff=policy, wall=clock)

    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            attempt("wrong one")
    # The second failure reached free_failures: the next try must wait 10 s, even the right one.
    with pytest.raises(UnlockThrottled) as excinfo:
        attempt(PASSPHRASE)
    assert excinfo.value.retry_after_s == pytest.approx(10.0)
    assert isinstance(excinfo.value, StoreLocked)
    assert "10 s" in excinfo.value.message
    clock.now += 10.0
    with pytest.raises(WrongPassphrase):
        attempt("wrong again")
    with pytest.raises(UnlockThrottled) as excinfo:
        attempt(PASSPHRASE)
    assert excinfo.value.retry_after_s == pytest.approx(20.0)  # doubled
    clock.now += 25.0
    attempt(PASSPHRASE).close()
    assert read_backoff(data_dir).failures == 0
    with pytest.raises(WrongPassphrase):
        attempt("wrong")  # after a success the count starts over: no wait yet
    attempt(PASSPHRASE).close()


def test_backoff_caps_and_survives_clock_going_backwards(data_dir: Path, store: Store) -> None:
    store.close()
    clock = FakeClock()
    policy = BackoffPolicy(free_failures=1, base_delay_s=100.0, max_delay_s=150.0)
    with pytest.raises(WrongPassphrase):
        Store.open(data_dir, Passphrase("wrong"), backoff=policy, wall=clock)
    clock.now -= 10_000.0  # clock set back: the wait stays bounded by the cap
    with pytest.raises(UnlockThrottled) as excinfo:
        Store.open(data_dir, Passphrase(PASSPHRASE), backoff=policy, wall=clock)
    assert excinfo.value.retry_after_s == pytest.approx(150.0)
    assert policy.delay_after(10) == 150.0


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory backend, installed explicitly by the fixture only."""

    @classproperty
    def priority(cls) -> float:  # noqa: N805
        # keyring auto-discovers every subclass; raising keeps this one out of discovery.
        raise RuntimeError("installed explicitly by the fixture only")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring() -> Any:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_no_keyring_backend_is_handled(data_dir: Path, store: Store) -> None:
    """This machine has no OS keyring: remembering fails clearly, unlocking falls back."""
    with pytest.raises(KeyringUnavailable):
        store.remember_in_keyring()
    assert recall_master_key(store.install_id) is None
    assert not forget_master_key(store.install_id)
    with pytest.raises(NoCredential):
        resolve_credential(store.install_id, interactive=False)
    prompted = resolve_credential(store.install_id, interactive=True, prompt=lambda _: "typed")
    assert prompted == Passphrase("typed")


def test_remembered_key_unlocks_and_follows_rotation(
    data_dir: Path, store: Store, memory_keyring: MemoryKeyring, rng: random.Random
) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    store.remember_in_keyring()
    assert store.status().keyring_remembered
    rotation = store.rotate_master_key(actor="operator")
    assert rotation.keyring_updated
    install_id = store.install_id
    store.close()
    credential = resolve_credential(install_id, interactive=False)
    assert isinstance(credential, RememberedKey)
    assert credential.key_id == rotation.new_key_id
    with Store.open(data_dir, credential) as reopened:
        assert reopened.load_evidence(record.case_id) == record.evidence
        with pytest.raises(StoreLocked):  # the keyring is not the passphrase
            reopened.change_passphrase("another long passphrase", actor="operator")
    assert forget_master_key(install_id)
    with pytest.raises(NoCredential):
        resolve_credential(install_id, interactive=False)


def test_a_stale_remembered_key_is_refused(data_dir: Path, store: Store) -> None:
    store.close()
    with pytest.raises(StoreLocked) as excinfo:
        Store.open(data_dir, RememberedKey("0" * 16, b"\x00" * 32))
    assert "keyring" in excinfo.value.message


def test_passphrase_file_wins_and_is_read_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes("  spaced pässphrase \r\n".encode())
    assert read_passphrase_file(secret) == "  spaced pässphrase "
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))
    assert resolve_credential("x", interactive=True, prompt=lambda _: "typed") == Passphrase(
        "  spaced pässphrase "
    )
    secret.write_bytes(b"\n")
    with pytest.raises(ConfigError):
        resolve_credential("x", interactive=False)
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError):
        resolve_credential("x", interactive=False)


def test_new_passphrase_must_be_typed_twice_alike() -> None:
    answers = iter(["first long passphrase", "second long passphrase"])
    with pytest.raises(ConfigError):
        resolve_new_passphrase(None, interactive=True, prompt=lambda _: next(answers))
    with pytest.raises(NoCredential):
        resolve_new_passphrase(None, interactive=False)


def test_composed_and_decomposed_accents_are_the_same_passphrase(data_dir: Path) -> None:
    from tests.kiosk.store.helpers import FAST_KDF

    Store.create(data_dir, "caf\u00e9 au lait please", kdf=FAST_KDF).close()
    Store.open(data_dir, Passphrase("cafe\u0301 au lait please")).close()


@pytest.mark.parametrize(
    ("mode", "dir_mode", "refused"),
    [
        (0o600, 0o755, False),
        (0o400, 0o755, False),
        (0o640, 0o755, True),
        (0o604, 0o755, True),
        (0o644, 0o751, True),  # others may enter the directory without listing it
        (0o640, 0o701, False),  # its group cannot enter the directory
        (0o644, 0o700, False),  # nobody else can reach the file
    ],
)
def test_a_passphrase_file_others_can_read_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: int,
    dir_mode: int,
    refused: bool,
) -> None:
    from kiosk.store.errors import PassphraseFileExposed

    folder = tmp_path / "etc"
    folder.mkdir()
    secret = folder / "passphrase"
    secret.write_text(PASSPHRASE)
    secret.chmod(mode)
    folder.chmod(dir_mode)
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))
    try:
        if refused:
            with pytest.raises(PassphraseFileExposed) as excinfo:
                resolve_credential("x", interactive=False)
            assert isinstance(excinfo.value, ConfigError)
            assert excinfo.value.hint == f"chmod 600 {secret}"
            assert PASSPHRASE not in excinfo.value.message
            with pytest.raises(PassphraseFileExposed):
                resolve_new_passphrase(secret)
        else:
            assert resolve_credential("x", interactive=False) == Passphrase(PASSPHRASE)
    finally:
        folder.chmod(0o700)


def test_weak_argon2_parameters_are_refused_for_real_stores(data_dir: Path, tmp_path: Path) -> None:
    from kiosk.store import KdfParams
    from kiosk.store.errors import KdfTooWeak
    from tests.kiosk.store.helpers import FAST_KDF

    for weak in (
        KdfParams(time_cost=1, memory_kib=64 * 1024, parallelism=1),
        KdfParams(time_cost=3, memory_kib=19 * 1024 - 1, parallelism=1),
    ):
        with pytest.raises(KdfTooWeak):
            Store.create(data_dir, PASSPHRASE, kdf=weak)
    assert not (data_dir / "store").exists()
    floor = KdfParams(time_cost=2, memory_kib=19 * 1024, parallelism=1)
    with Store.create(data_dir, PASSPHRASE, kdf=floor) as store:
        with pytest.raises(KdfTooWeak):
            store.change_passphrase(
                "another long passphrase", actor="operator", kdf=replace(floor, time_cost=1)
            )
        assert store.kdf.time_cost == 2
    # the test-only parameters say what they are; the keyfile does not remember it
    Store.create(tmp_path / "test-store", PASSPHRASE, kdf=FAST_KDF).close()
    written = read_store_keyfile(tmp_path / "test-store").kdf
    assert written.time_cost == 1 and not written.weak_for_tests
