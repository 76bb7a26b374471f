"""Where the kiosk keeps things, and its one configuration file.

Paths follow each platform's conventions (platformdirs); environment variables
override them for automation and tests. The configuration file is
``<config dir>/kiosk.toml``; ``kiosk/data/kiosk.toml`` documents every key with its
default (``kiosk config init`` writes it). The ``[sync]`` table is read by
:mod:`kiosk.sync.config`; the app's device bindings live in ``app.toml``
(:mod:`kiosk.settings`), which the staff console writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import ConfigError
from models import Profile
from models.fetch import default_cache_dir
from models.registry import default_models_dir

APP_NAME = "kiosk"


@dataclass(frozen=True, slots=True)
class KioskPaths:
    """Directories used by this installation (absolute paths)."""

    data_dir: Path
    models_dir: Path
    cache_dir: Path
    config_dir: Path
    log_dir: Path


def kiosk_paths() -> KioskPaths:
    """Resolve directories: ``KIOSK_DATA_DIR``, ``KIOSK_MODELS_DIR``, ``KIOSK_CACHE_DIR``,
    ``KIOSK_CONFIG_DIR`` override the platform defaults.

    Without a home directory (none in the environment or the password database,
    or one that does not exist: a service user, ``env -i`` in a container) the
    defaults are ``data``, ``config`` and ``cache`` in ``<temp dir>/kiosk-<uid>``.

    Raises:
        ConfigError: that fallback cannot be made, or is not a private directory of
            this user.
    """
    import platformdirs

    fallback = None if _home_exists() else _homeless_root()
    data = Path(
        os.environ.get("KIOSK_DATA_DIR")
        or (
            fallback / "data" if fallback else platformdirs.user_data_dir(APP_NAME, appauthor=False)
        )
    ).expanduser()
    config = Path(
        os.environ.get("KIOSK_CONFIG_DIR")
        or (
            fallback / "config"
            if fallback
            else platformdirs.user_config_dir(APP_NAME, appauthor=False)
        )
    ).expanduser()
    return KioskPaths(
        data_dir=data,
        models_dir=default_models_dir(fallback / "data" if fallback else None),
        cache_dir=(
            fallback / "cache"
            if fallback and not os.environ.get("KIOSK_CACHE_DIR")
            else default_cache_dir()
        ),
        config_dir=config,
        log_dir=data / "logs",
    )


def _home_exists() -> bool:
    try:
        home = Path("~").expanduser()  # HOME, else the password database
    except RuntimeError:  # neither names one
        return False
    return home.is_absolute() and home.is_dir()


def _homeless_root() -> Path:
    """``<temp dir>/kiosk-<uid>``, created private; refused if someone else made it."""
    import stat
    import tempfile

    root = Path(tempfile.gettempdir()) / f"kiosk-{os.getuid()}"
    hint = "set HOME to an existing directory of this user"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.lstat()
    except OSError as exc:
        raise ConfigError(
            f"There is no home directory and {root} cannot be made: {exc.strerror}.", hint=hint
        ) from None
    # the temp dir is shared: another user could have taken this name first
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ConfigError(
            f"There is no home directory and {root} is not a private directory of this user.",
            hint=hint,
        )
    return root


CONFIG_FILE_NAME = "kiosk.toml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "kiosk": {"profile": str, "policy_file": str},
    "logging": {"level": str, "max_bytes": int, "backups": int},
    "retention": {
        "evidence_days": int,
        "case_data_days": int,
        "decision_days": int,
        "delivered_outbox_days": int,
        "review_hold_days": int,
    },
    "sync": {},  # validated by kiosk.sync.config
}


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """The validated configuration file (defaults where a key is absent).

    Attributes:
        profile: licence profile name from the file ("" when unset).
        policy_file: the site policy, or None for the bundled default.
        log_level, log_max_bytes, log_backups: logging.
        evidence_days, case_data_days, decision_days, delivered_outbox_days,
            review_hold_days: retention.
        path: the file read, or None when there is none.
    """

    profile: str = ""
    policy_file: Path | None = None
    log_level: str = "INFO"
    log_max_bytes: int = 5_000_000
    log_backups: int = 5
    evidence_days: int = 30
    case_data_days: int = 1826
    decision_days: int = 1826
    delivered_outbox_days: int = 30
    review_hold_days: int = 90
    path: Path | None = None


def config_file_path() -> Path:
    return kiosk_paths().config_dir / CONFIG_FILE_NAME


def default_config_text() -> str:
    """The documented default configuration (every key at its default)."""
    from importlib import resources

    return resources.files("kiosk").joinpath("data/kiosk.toml").read_text("utf-8")


def load_config(path: Path | None = None) -> KioskConfig:
    """Read ``kiosk.toml`` (default location when ``path`` is None); defaults if absent.

    Raises:
        ConfigError: unreadable TOML, an unknown section or key (with a suggestion),
            a wrong type or an out-of-range value.
    """
    import difflib
    import tomllib

    path = path or config_file_path()
    if not path.is_file():
        return KioskConfig()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not readable TOML: {exc}.") from None
    values: dict[str, object] = {}
    for section, table in raw.items():
        if section not in _SCHEMA:
            close = difflib.get_close_matches(section, list(_SCHEMA), n=1)
            raise ConfigError(
                f"{path}: unknown section [{section}]"
                + (f" (did you mean [{close[0]}]?)" if close else "")
                + "."
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table.")
        if section == "sync":
            continue
        for key, value in table.items():
            expected = _SCHEMA[section].get(key)
            if expected is None:
                close = difflib.get_close_matches(key, list(_SCHEMA[section]), n=1)
                raise ConfigError(
                    f"{path}: unknown key {section}.{key}"
                    + (f" (did you mean '{close[0]}'?)" if close else "")
                    + "."
                )
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f"{path}: {section}.{key} has the wrong type.")
            values[f"{section}.{key}"] = value
    level = str(values.get("logging.level", "INFO")).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{path}: logging.level must be one of {', '.join(LOG_LEVELS)}.")
    profile = str(values.get("kiosk.profile", ""))
    if profile and profile not in (p.value for p in Profile):
        raise ConfigError(f"{path}: kiosk.profile must be commercial or research.")
    days = {}
    for key in (
        "evidence_days",
        "case_data_days",
        "decision_days",
        "delivered_outbox_days",
        "review_hold_days",
    ):
        value = values.get(f"retention.{key}", getattr(KioskConfig(), key))
        if not isinstance(value, int) or not 1 <= value <= 36500:
            raise ConfigError(f"{path}: retention.{key} must be a number of days, 1-36500.")
        days[key] = value
    for key, lo in (("max_bytes", 10_000), ("backups", 0)):
        value = values.get(f"logging.{key}", getattr(KioskConfig(), f"log_{key}"))
        if not isinstance(value, int) or value < lo:
            raise ConfigError(f"{path}: logging.{key} must be at least {lo}.")
    policy = str(values.get("kiosk.policy_file", "")).strip()
    return KioskConfig(
        profile=profile,
        policy_file=(path.parent / Path(policy).expanduser()).resolve() if policy else None,
        log_level=level,
        log_max_bytes=int(values.get("logging.max_bytes", 5_000_000)),  # type: ignore[call-overload]
        log_backups=int(values.get("logging.backups", 5)),  # type: ignore[call-overload]
        path=path,
        **days,
    )


def policy_path(override: Path | None = None) -> Path | None:
    """The site policy to use: ``override``, ``KIOSK_POLICY_FILE``, the config file's, or
    None for the bundled default."""
    if override is not None:
        return override
    env = os.environ.get("KIOSK_POLICY_FILE")
    if env:
        return Path(env).expanduser()
    return load_config().policy_file


def active_profile(override: str | None = None) -> Profile:
    """The licence profile: ``override``, ``KIOSK_PROFILE``, the config file, else
    ``commercial``.

    Raises:
        ConfigError: an unknown profile name.
    """
    name = (
        override
        or os.environ.get("KIOSK_PROFILE")
        or load_config().profile
        or Profile.COMMERCIAL.value
    )
    try:
        return Profile(name)
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise ConfigError(
            f"Unknown licence profile '{name}'.", hint=f"use one of: {allowed}"
        ) from None
