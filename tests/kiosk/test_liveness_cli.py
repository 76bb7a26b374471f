"""``kiosk rppg`` and ``kiosk pad``: JSON contract, synthetic videos with a known pulse,
the shared fixtures, and bad input (typed errors, exit 2, never a traceback)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models import ModelRegistry
from tests.kiosk.test_cli import run_cli

PULSE_BPM = 72.0


def write_video(path: Path, frames: list[np.ndarray[Any, Any]], fps: float = 30.0) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def pulsing(
    base: np.ndarray[Any, Any], seconds: float, fps: float = 30.0, seed: int = 0
) -> list[np.ndarray[Any, Any]]:
    """``base`` (BGR) with a 72 bpm pulse (2 % in green, less in red and blue) and noise."""
    rng = np.random.default_rng(seed)
    gain = np.array([0.53, 0.77, 0.33]) / 0.77 * 0.02  # B, G, R
    frames = []
    for k in range(int(seconds * fps)):
        wave = math.sin(2 * math.pi * PULSE_BPM / 60.0 * k / fps)
        frame = base.astype(np.float32) * (1 + gain * wave)
        frame += rng.normal(0, 1.0, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


def skin_crop_video(tmp_path: Path, seconds: float) -> Path:
    base = np.empty((48, 64, 3), np.uint8)
    base[...] = (110, 140, 190)
    return write_video(tmp_path / "crop.avi", pulsing(base, seconds))


def rppg(*args: str) -> tuple[int, dict[str, Any], str]:
    proc = run_cli("rppg", *args, "--json")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_skin_crop_video_gives_the_pulse(tmp_path: Path) -> None:
    code, payload, _ = rppg(str(skin_crop_video(tmp_path, 14.0)))
    assert code == 0
    assert abs(payload["bpm"] - PULSE_BPM) <= 3.0
    assert payload["snr"] >= payload["signal"]["value"] - 0.01  # the signal carries the SNR
    assert payload["verdict"] == "pass" and payload["signal"]["name"] == "rppg_snr"
    assert payload["mode"] == "frame" and payload["fs_hz"] == pytest.approx(30.0, abs=0.5)
    assert payload["frames"] == 420 and payload["regions"][0]["region"] == "frame"
    assert {"decode", "sample", "estimate"} <= payload["timings_ms"].keys()


def test_too_short_for_a_pulse_is_unknown_not_an_error(tmp_path: Path) -> None:
    code, payload, _ = rppg(str(skin_crop_video(tmp_path, 3.0)))
    assert code == 0
    assert payload["bpm"] is None and payload["snr"] is None
    assert payload["verdict"] == "unknown" and payload["reason"]


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "folder"])
def test_bad_video_is_a_typed_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "clip.avi"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a video at all")
    elif kind == "folder":
        path.mkdir()
    code, payload, _ = rppg(str(path))
    assert code == 2
    expected = {
        "missing": "input_not_found",
        "empty": "input_empty",
        "text": "capture_failed",
        "folder": "input_corrupt",
    }
    assert payload["error"]["code"] == expected[kind]


def test_shared_skin_crop_clip(shared_data: Path) -> None:
    clip = shared_data / "rppg" / "videos" / "India_video1_leftcheek.avi"
    code, payload, _ = rppg(str(clip), "--region", "frame")
    assert code == 0 and payload["mode"] == "frame" and payload["frames"] == 480
    assert 42.0 <= payload["bpm"] <= 210.0
    assert payload["verdict"] in ("pass", "weak")  # a weak pulse is never a failure


@pytest.mark.models
def test_auto_mode_takes_a_faceless_small_video_as_a_skin_crop(
    model_registry: ModelRegistry, shared_data: Path
) -> None:
    clip = shared_data / "rppg" / "videos" / "Sierra_Leone_video1_forehead.avi"  # 200x200
    code, payload, _ = rppg(str(clip))
    assert code == 0 and payload["mode"] == "frame" and payload["frames"] == 865
    assert payload["timings_ms"]["landmarks"] > 0  # it looked for a face first


@pytest.mark.models
def test_face_video_samples_forehead_and_cheeks(
    model_registry: ModelRegistry, shared_data: Path, tmp_path: Path
) -> None:
    from pipeline.face import detect_faces
    from pipeline.image import load_image
    from pipeline.synthetic.attacks import capture_live

    photo = load_image(shared_data / "faces" / "openface" / "adams.jpg", max_side=1600)
    frame = capture_live(photo.pixels, detect_faces(photo)[0].box, 3).pixels
    video = write_video(tmp_path / "face.avi", pulsing(frame, 10.0, fps=15.0), fps=15.0)
    code, payload, _ = rppg(str(video))
    assert code == 0 and payload["mode"] == "face"
    assert {r["region"] for r in payload["regions"]} == {"forehead", "left_cheek", "right_cheek"}
    assert payload["frames_with_skin"] >= 0.9 * payload["frames"]
    assert abs(payload["bpm"] - PULSE_BPM) <= 3.0 and payload["verdict"] == "pass"


@pytest.mark.models
def test_forcing_face_mode_on_a_skin_crop_finds_no_face(
    model_registry: ModelRegistry, tmp_path: Path
) -> None:
    code, payload, _ = rppg(str(skin_crop_video(tmp_path, 2.0)), "--region", "face")
    assert code == 2 and payload["error"]["code"] == "no_face"


# --- kiosk pad ----------------------------------------------------------------------------


@pytest.mark.models
@pytest.mark.parametrize(("name", "attack"), [("image_T1.jpg", False), ("image_F2.jpg", True)])
def test_pad_on_the_fixtures(
    model_registry: ModelRegistry, shared_data: Path, name: str, attack: bool
) -> None:
    proc = run_cli("pad", str(shared_data / "antispoof" / name), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["is_attack"] is attack and 0.0 <= payload["score"] <= 1.0
    assert payload["face_source"] == "detector" and payload["image_size"] == [480, 640]
    names = [s["name"] for s in payload["signals"]]
    assert names == ["pad_moire", "pad_bezel", "pad_glare", "pad_colour", "pad_texture"]
    assert payload["signal"]["name"] == "pad_score" and "timings_ms" in payload


@pytest.mark.models
def test_pad_prints_for_people_too(model_registry: ModelRegistry, shared_data: Path) -> None:
    proc = run_cli("pad", str(shared_data / "antispoof" / "image_F1.jpg"))
    assert proc.returncode == 0 and "passive attack score" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["missing", "text", "empty"])
def test_pad_bad_input_is_a_typed_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "photo.jpg"
    if kind == "text":
        path.write_text("not an image")
    elif kind == "empty":
        path.write_bytes(b"")
    proc = run_cli("pad", str(path), "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    expected = {"missing": "input_not_found", "text": "input_corrupt", "empty": "input_empty"}
    assert json.loads(proc.stdout)["error"]["code"] == expected[kind]


@pytest.mark.models
def test_pad_without_a_face(model_registry: ModelRegistry, tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "wall.png"
    cv2.imwrite(str(path), np.full((480, 640, 3), 128, np.uint8))
    proc = run_cli("pad", str(path), "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "no_face"
