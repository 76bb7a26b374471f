"""Sync settings from kiosk.toml and KIOSK_SYNC_* with clear errors; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import ConfigError
from kiosk.sync.config import SyncSettings, check_url, load_sync_settings
from kiosk.sync.signing import Secret
from tests.kiosk.sync.helpers import DEVICE_SECRET, REFERENCE_SECRET, write_secret


@pytest.fixture
def secrets(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_secret(tmp_path / "device.secret"),
        write_secret(tmp_path / "ref.secret", REFERENCE_SECRET),
    )


def _env(secret: Path, **more: str) -> dict[str, str]:
    return {
        "KIOSK_SYNC_URL": "http://127.0.0.1:8787",
        "KIOSK_SYNC_SECRET_FILE": str(secret),
        "KIOSK_SYNC_SITE_ID": "branch-1",
        "KIOSK_SYNC_DEVICE_ID": "kiosk-1",
        **more,
    }


def test_unconfigured_means_none(tmp_path: Path) -> None:
    assert load_sync_settings(environ={}, config_path=tmp_path / "none.toml") is None


def test_environment(secrets: tuple[Path, Path], tmp_path: Path) -> None:
    settings = load_sync_settings(
        environ=_env(
            secrets[0],
            KIOSK_SYNC_REFERENCE_SECRET_FILE=str(secrets[1]),
            KIOSK_SYNC_PIN_SHA256="",
            KIOSK_SYNC_TIMEOUT_S="2.5",
            KIOSK_SYNC_CONCURRENCY="2",
        ),
        config_path=tmp_path / "none.toml",
    )
    assert settings is not None
    assert settings.endpoint == "http://127.0.0.1:8787/v1/decisions"
    assert settings.secret.value == DEVICE_SECRET.encode()
    assert settings.reference_secret is not None
    assert settings.timeout_s == 2.5 and settings.concurrency == 2
    text = repr(settings)
    assert DEVICE_SECRET not in text and REFERENCE_SECRET not in text


def test_config_file_with_relative_paths_and_env_override(
    secrets: tuple[Path, Path], tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        "[other]\nx = 1\n[sync]\n"
        'url = "https://bank.example/kyc/"\n'
        'secret_file = "device.secret"\n'
        'site_id = "branch-9"\n'
        'device_id = "kiosk-9"\n'
        'pin_sha256 = ["AB:CD' + ":00" * 30 + '"]\n'
        "timeout_s = 3\n"
    )
    settings = load_sync_settings(environ={}, config_path=config)
    assert settings is not None
    assert settings.endpoint == "https://bank.example/kyc/v1/decisions"
    assert settings.pins == ("abcd" + "00" * 30,)
    assert settings.secret.source == str(secrets[0])
    overridden = load_sync_settings(environ={"KIOSK_SYNC_SITE_ID": "env-site"}, config_path=config)
    assert overridden is not None and overridden.site_id == "env-site"


def test_unknown_and_mistyped_keys_are_named(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[sync]\nurll = "http://127.0.0.1"\n')
    with pytest.raises(ConfigError, match="did you mean 'url'"):
        load_sync_settings(environ={}, config_path=config)
    config.write_text("[sync]\nconcurrency = true\n")
    with pytest.raises(ConfigError, match=r"sync\.concurrency has the wrong type"):
        load_sync_settings(environ={}, config_path=config)
    config.write_text("[sync\n")
    with pytest.raises(ConfigError, match="not readable TOML"):
        load_sync_settings(environ={}, config_path=config)


def test_missing_pieces_are_named(secrets: tuple[Path, Path], tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    env = _env(secrets[0])
    del env["KIOSK_SYNC_SECRET_FILE"]
    with pytest.raises(ConfigError, match="secret file"):
        load_sync_settings(environ=env, config_path=none)
    env = _env(secrets[0])
    del env["KIOSK_SYNC_SITE_ID"]
    with pytest.raises(ConfigError, match="site id"):
        load_sync_settings(environ=env, config_path=none)


def test_device_id_defaults_to_the_store_install_id(
    secrets: tuple[Path, Path], tmp_path: Path, store: object
) -> None:
    env = _env(secrets[0])
    del env["KIOSK_SYNC_DEVICE_ID"]
    settings = load_sync_settings(environ=env, config_path=tmp_path / "none.toml")
    assert settings is not None
    assert settings.device_id == store.install_id  # type: ignore[attr-defined]


def test_a_readable_secret_file_is_refused(secrets: tuple[Path, Path], tmp_path: Path) -> None:
    secrets[0].chmod(0o640)
    with pytest.raises(ConfigError, match="other users"):
        load_sync_settings(environ=_env(secrets[0]), config_path=tmp_path / "none.toml")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://127.0.0.1", "http:// or https://"),
        ("http://", "with a host"),
        ("http://user:pw@127.0.0.1", "credentials"),
        ("http://127.0.0.1/x?y=1", "query"),
        ("http://10.0.0.5:8787", "not loopback"),
        ("http://bank.example", "not loopback"),
        ("http://127.0.0.1:99999", "valid URL"),
    ],
)
def test_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_url(url)


def test_plain_http_only_for_loopback_unless_allowed() -> None:
    for url in ("http://127.0.0.1:1", "http://localhost", "http://[::1]:8080", "http://127.9.9.9"):
        check_url(url)
    check_url("http://10.0.0.5:8787", allow_insecure_http=True)


def test_settings_validate_when_built_directly() -> None:
    secret = Secret(b"x" * 32)
    with pytest.raises(ConfigError, match="needs an https"):
        SyncSettings("http://127.0.0.1", secret, "s", "d", pins=("a" * 64,))
    with pytest.raises(ConfigError, match="64 hex"):
        SyncSettings("https://h", secret, "s", "d", pins=("abc",))
    with pytest.raises(ConfigError, match="site_id"):
        SyncSettings("https://h", secret, "Branch Office", "d")
    with pytest.raises(ConfigError, match="concurrency"):
        SyncSettings("https://h", secret, "s", "d", concurrency=0)


def test_the_reference_key_must_differ_from_the_device_secret(
    secrets: tuple[Path, Path], tmp_path: Path
) -> None:
    env = _env(secrets[0], KIOSK_SYNC_REFERENCE_SECRET_FILE=str(secrets[0]))
    with pytest.raises(ConfigError, match="same as the device secret"):
        load_sync_settings(environ=env, config_path=tmp_path / "none.toml")
    copy = write_secret(tmp_path / "copy.secret", DEVICE_SECRET)  # same bytes, other file
    env = _env(secrets[0], KIOSK_SYNC_REFERENCE_SECRET_FILE=str(copy))
    with pytest.raises(ConfigError, match="same as the device secret"):
        load_sync_settings(environ=env, config_path=tmp_path / "none.toml")


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 40,
        "abcd" * 10,
        "0123456789abcdef" * 2,
        "passwordpasswordpasswordpassword1",
        "0123456789abcdef01234567",  # 24 characters
    ],
)
def test_a_weak_reference_key_is_refused_without_showing_it(
    secrets: tuple[Path, Path], tmp_path: Path, weak: str
) -> None:
    ref = write_secret(tmp_path / "weak.secret", weak)
    env = _env(secrets[0], KIOSK_SYNC_REFERENCE_SECRET_FILE=str(ref))
    with pytest.raises(ConfigError) as err:
        load_sync_settings(environ=env, config_path=tmp_path / "none.toml")
    assert "customer-reference" in err.value.message and weak not in str(err.value)


def test_random_reference_keys_are_accepted(secrets: tuple[Path, Path], tmp_path: Path) -> None:
    import base64
    import secrets as random_source

    for value in (
        random_source.token_hex(32),
        base64.b64encode(random_source.token_bytes(32)).decode(),
        REFERENCE_SECRET,
    ):
        ref = write_secret(tmp_path / "ref.secret", value)
        env = _env(secrets[0], KIOSK_SYNC_REFERENCE_SECRET_FILE=str(ref))
        settings = load_sync_settings(environ=env, config_path=tmp_path / "none.toml")
        assert settings is not None and settings.reference_secret is not None


def test_identifiers_with_a_trailing_newline_are_refused() -> None:
    secret = Secret(b"x" * 32)
    with pytest.raises(ConfigError, match="site_id"):
        SyncSettings("https://h", secret, "branch-1\n", "d")
    with pytest.raises(ConfigError, match="64 hex"):
        SyncSettings("https://h", secret, "s", "d", pins=("a" * 64 + "\n",))
