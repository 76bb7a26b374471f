from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import ModelRegistry
from tests.kiosk.test_cli import run_cli

pytestmark = pytest.mark.models

MATCH_KEYS = {
    "similarity",
    "threshold",
    "match",
    "model",
    "document_face",
    "selfie_face",
    "quality",
    "timings_ms",
}


def test_match_contract_and_exit_codes(
    model_registry: ModelRegistry, shared_data: Path, tmp_path: Path
) -> None:
    fr = shared_data / "faces" / "face_recognition"
    same = run_cli("match", str(fr / "obama.jpg"), str(fr / "obama2.jpg"), "--json")
    assert same.returncode == 0, same.stdout + same.stderr
    payload = json.loads(same.stdout)
    assert payload.keys() >= MATCH_KEYS
    assert payload["match"] is True and payload["similarity"] >= payload["threshold"]
    assert payload["model"] == "sface"  # the commercial profile's default
    assert {"x", "y", "w", "h"} <= payload["selfie_face"]["box"].keys()
    assert {"document", "selfie"} <= payload["quality"].keys()
    assert payload["timings_ms"]["total"] > 0

    other = run_cli("match", str(fr / "obama.jpg"), str(fr / "biden.jpg"), "--json")
    assert other.returncode == 0, "a non-match is a result, not an error"
    assert json.loads(other.stdout)["match"] is False

    research = run_cli(
        "match", str(fr / "obama.jpg"), str(fr / "obama2.jpg"), "--json", "--model", "arcface_mbf"
    )
    assert research.returncode == 2, "research-only weights are refused under commercial"
    assert json.loads(research.stdout)["error"]["code"] == "manifest_invalid"


@pytest.mark.parametrize(
    ("selfie", "code"),
    [
        ("two_people.jpg", "multiple_faces"),
        ("TEXT", "input_corrupt"),
        ("MISSING", "input_not_found"),
        ("EMPTY", "input_empty"),
        ("BLANK", "no_face"),
    ],
)
def test_bad_selfies_are_typed_errors(
    model_registry: ModelRegistry, shared_data: Path, tmp_path: Path, selfie: str, code: str
) -> None:
    import numpy as np
    from PIL import Image

    fr = shared_data / "faces" / "face_recognition"
    path = fr / selfie
    if selfie == "TEXT":
        path = tmp_path / "selfie.jpg"
        path.write_text("not a photo")
    elif selfie == "MISSING":
        path = tmp_path / "absent.jpg"
    elif selfie == "EMPTY":
        path = tmp_path / "empty.jpg"
        path.write_bytes(b"")
    elif selfie == "BLANK":
        path = tmp_path / "blank.png"
        Image.fromarray(np.full((480, 640, 3), 90, np.uint8)).save(path)
    proc = run_cli("match", str(fr / "obama.jpg"), str(path), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == code
    assert "Traceback" not in proc.stderr


def test_face_command(model_registry: ModelRegistry, shared_data: Path) -> None:
    proc = run_cli("face", str(shared_data / "antispoof" / "image_T1.jpg"), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["image"]["exif_orientation"] == 6
    assert (payload["image"]["width"], payload["image"]["height"]) == (480, 640)
    assert len(payload["faces"]) == 1
    face = payload["faces"][0]
    assert len(face["landmarks5"]) == 5 and 0 < face["score"] <= 1
    assert set(payload["pose"]) == {"yaw_deg", "pitch_deg", "roll_deg", "source"}
    assert payload["quality"][0]["issues"] is not None


def test_calibrate_faces_prints_metrics_and_plots(
    model_registry: ModelRegistry, shared_data: Path, tmp_path: Path
) -> None:
    of = shared_data / "faces" / "openface"
    plot = tmp_path / "det.png"
    proc = run_cli(
        "calibrate",
        "faces",
        "--pairs",
        str(of / "pairs.csv"),
        "--images",
        str(of),
        "--plot",
        str(plot),
        "--model",
        "sface",
        "--json",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    (model,) = report["models"]
    m = model["metrics"]
    assert (m["n_genuine"], m["n_impostor"]) == (2, 4)
    assert m["auc"] == 1.0 and m["eer"] == 0.0
    assert all(not t["resolvable"] and "too few impostor" in t["note"] for t in m["tar_at_far"])
    assert plot.read_bytes()[:4] == b"\x89PNG"
