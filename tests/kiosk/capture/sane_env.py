"""A SANE configuration that enables only SANE's built-in ``test`` backend (a real
virtual scanner), for tests of the scanner source."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SYSTEM_TEST_CONF = Path("/etc/sane.d/test.conf")


def use_sane_test_backend(config_dir: Path) -> Path:
    """Write ``dll.conf`` (``test`` only) and ``test.conf`` into ``config_dir`` and point
    ``SANE_CONFIG_DIR`` at it. SANE reads it once per process, at its first init, so call
    this before any scanner is touched."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "dll.conf").write_text("test\n", "utf-8")
    if SYSTEM_TEST_CONF.is_file():
        shutil.copy(SYSTEM_TEST_CONF, config_dir / "test.conf")
    else:
        (config_dir / "test.conf").write_text("number_of_devices 2\n", "utf-8")
    os.environ["SANE_CONFIG_DIR"] = str(config_dir)
    return config_dir


def sane_available() -> bool:
    """Whether SANE can be reached at all (python-sane or scanimage)."""
    try:
        import sane  # noqa: F401
    except ImportError:
        return shutil.which("scanimage") is not None
    return True
