"""``kiosk app --demo --autorun --screenshots DIR``: the self-test, as CI runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SCREENS = (
    "01-welcome",
    "01b-welcome-de-contrast-large",
    "02-consent",
    "03-document",
    "04-selfie-challenge",
    "05-processing",
    "06-result",
    "07-after-result",
)


def test_the_demo_runs_itself_offscreen_and_prints_the_decision(
    tmp_path: Path, model_registry: Any
) -> None:
    from PySide6.QtGui import QImage

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    shots = tmp_path / "screens"
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "app", "--demo", "--autorun", "--screenshots", str(shots)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    assert payload["decision"] in ("approved", "manual_review", "rejected")
    assert payload["signals"]["document"]["mrz_valid"] is True  # the demo card was read
    assert payload["liveness"]["challenge"]["steps"]
    assert "Traceback" not in proc.stderr
    for name in SCREENS:
        image = QImage(str(shots / f"{name}.png"))
        assert not image.isNull() and image.width() >= 1280, name
    # after the result the welcome screen is back, pixel for pixel below the header
    after = QImage(str(shots / "07-after-result.png")).copy(0, 120, 1280, 680)
    before = QImage(str(shots / "01-welcome.png")).copy(0, 120, 1280, 680)
    assert after == before
