from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import ModelRegistry
from tests.kiosk.test_cli import run_cli

pytestmark = pytest.mark.models


def test_replay_of_the_shared_clip(model_registry: ModelRegistry, shared_data: Path) -> None:
    proc = run_cli(
        "liveness",
        str(shared_data / "video" / "short_hamilton_clip.mp4"),
        "--challenge-seed",
        "11",
        "--json",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["decision"] != "pass" and payload["live"] is False
    assert payload["challenge"]["seed"] == 11
    assert any(r["code"] == "liveness_challenge_failed" for r in payload["reasons"])
    names = {s["name"] for s in payload["signals"]}
    assert {"challenge", "rppg_snr", "motion3d_ratio", "frame_timing"} <= names
    assert payload["timings_ms"]["median_per_frame"] > 0


@pytest.mark.parametrize("kind", ["missing", "text"])
def test_bad_videos(model_registry: ModelRegistry, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "session.mp4"
    if kind == "text":
        path.write_text("not a video")
    proc = run_cli("liveness", str(path), "--json")
    assert proc.returncode == 2
    code = json.loads(proc.stdout)["error"]["code"]
    assert code == ("input_not_found" if kind == "missing" else "capture_failed")
    assert "Traceback" not in proc.stderr
