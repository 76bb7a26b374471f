"""Where the kiosk keeps things, and which licence profile it runs under.

Paths follow each platform's conventions (platformdirs); environment
variables override them for automation and tests.
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
    ``KIOSK_CONFIG_DIR`` override the platform defaults."""
    import platformdirs

    data = Path(
        os.environ.get("KIOSK_DATA_DIR") or platformdirs.user_data_dir(APP_NAME, appauthor=False)
    ).expanduser()
    config = Path(
        os.environ.get("KIOSK_CONFIG_DIR")
        or platformdirs.user_config_dir(APP_NAME, appauthor=False)
    ).expanduser()
    return KioskPaths(
        data_dir=data,
        models_dir=default_models_dir(),
        cache_dir=default_cache_dir(),
        config_dir=config,
        log_dir=data / "logs",
    )


def active_profile(override: str | None = None) -> Profile:
    """The licence profile: ``override``, else ``KIOSK_PROFILE``, else ``commercial``.

    Raises:
        ConfigError: an unknown profile name.
    """
    name = override or os.environ.get("KIOSK_PROFILE") or Profile.COMMERCIAL.value
    try:
        return Profile(name)
    except ValueError:
        allowed = ", ".join(p.value for p in Profile)
        raise ConfigError(
            f"Unknown licence profile '{name}'.", hint=f"use one of: {allowed}"
        ) from None
