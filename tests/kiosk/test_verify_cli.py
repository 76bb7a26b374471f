from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from models import ModelRegistry
from tests.kiosk.test_cli import run_cli

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def passport_truth(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A synthetic TD3 passport page carrying a photo of the first fixture person."""
    from pipeline.face import detect_faces
    from pipeline.image import SELFIE_MAX_SIDE, load_image
    from pipeline.synthetic.documents import render_document
    from pipeline.synthetic.portraits import crop_portrait

    photo = load_image(
        shared_data / "faces" / "face_recognition" / "obama.jpg", max_side=SELFIE_MAX_SIDE
    )
    portrait = crop_portrait(photo.pixels, detect_faces(photo)[0])
    doc = render_document("TD3", 11, portrait=portrait)
    path = tmp_path_factory.mktemp("doc") / "passport.png"
    cv2.imwrite(str(path), doc.image)
    return path, doc.truth.identity


@pytest.fixture(scope="module")
def passport(passport_truth: tuple) -> Path:
    return passport_truth[0]


@pytest.fixture(scope="module")
def same_person_case(model_registry: ModelRegistry, shared_data: Path, passport: Path) -> dict:
    selfie = shared_data / "faces" / "face_recognition" / "obama2.jpg"
    proc = run_cli("verify", "--document", str(passport), "--selfie", str(selfie), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_verify_contract(same_person_case: dict) -> None:
    case = same_person_case
    assert {
        "decision",
        "reasons",
        "signals",
        "document",
        "match",
        "liveness",
        "screening",
        "policy_hash",
        "models",
        "timings_ms",
    } <= case.keys()
    assert case["match"]["match"] is True
    assert case["document"]["mrz"]["valid"] is True
    # a still selfie gives no liveness evidence, and no list was given: both are unknown
    assert case["decision"] == "manual_review"
    codes = [r["code"] for r in case["reasons"]]
    assert "liveness_unknown" in codes and "screening_unknown" in codes
    assert len(case["policy_hash"]) == 64
    assert {"sface", "yunet", "tesseract_eng"} <= case["models"].keys()
    stages = case["timings_ms"]["stages"]
    assert {"document_read", "selfie_embed", "decision"} <= stages.keys()


def test_replay_reproduces_and_detects_tampering(same_person_case: dict, tmp_path: Path) -> None:
    recorded = tmp_path / "case.json"
    recorded.write_text(json.dumps(same_person_case))
    proc = run_cli("decide", "--replay", str(recorded), "--json")
    assert proc.returncode == 0, proc.stdout
    out = json.loads(proc.stdout)
    assert out["reproduced"] and out["same_policy"]
    edited = dict(same_person_case, decision="approved")
    recorded.write_text(json.dumps(edited))
    proc = run_cli("decide", "--replay", str(recorded), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["reproduced"] is False
    assert "decision" in json.loads(proc.stdout)["differences"]
    # a reason's severity edited is a difference too
    flipped = {"review": "reject", "reject": "review"}
    reasons = [dict(r, severity=flipped[r["severity"]]) for r in same_person_case["reasons"]]
    assert reasons  # a still selfie and no list: at least two unknowns
    recorded.write_text(json.dumps(dict(same_person_case, reasons=reasons)))
    proc = run_cli("decide", "--replay", str(recorded), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["differences"] == ["reasons"]
    # under another policy file the replay is a what-if, not a reproduction
    recorded.write_text(json.dumps(same_person_case))
    other = tmp_path / "other.toml"
    other.write_text('[policy]\nname = "other"\n')
    proc = run_cli("decide", "--replay", str(recorded), "--policy", str(other), "--json")
    out = json.loads(proc.stdout)
    assert proc.returncode == 1 and out["same_policy"] is False and out["differences"] == ["policy"]


def test_another_person_is_rejected(
    model_registry: ModelRegistry, shared_data: Path, passport: Path
) -> None:
    selfie = shared_data / "faces" / "face_recognition" / "biden.jpg"
    proc = run_cli("verify", "--document", str(passport), "--selfie", str(selfie), "--json")
    case = json.loads(proc.stdout)
    assert case["decision"] == "rejected"
    assert case["reasons"][0]["code"] == "face_mismatch"


def test_an_unreadable_document_is_kept_as_manual_review(
    model_registry: ModelRegistry, shared_data: Path, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((700, 1000, 3), 235, np.uint8))
    selfie = shared_data / "faces" / "face_recognition" / "obama2.jpg"
    proc = run_cli("verify", "--document", str(blank), "--selfie", str(selfie), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    case = json.loads(proc.stdout)
    assert case["decision"] == "manual_review"
    codes = [r["code"] for r in case["reasons"]]
    assert "mrz_not_found" in codes or "document_unknown" in codes
    assert case["match"]["similarity"] is None


@pytest.mark.parametrize("problem", ["policy_typo", "missing_selfie", "missing_document"])
def test_bad_inputs_are_named(
    model_registry: ModelRegistry, shared_data: Path, passport: Path, tmp_path: Path, problem: str
) -> None:
    selfie = shared_data / "faces" / "face_recognition" / "obama2.jpg"
    args = ["verify", "--document", str(passport), "--selfie", str(selfie), "--json"]
    expected = {
        "policy_typo": "policy_invalid",
        "missing_selfie": "input_not_found",
        "missing_document": "input_not_found",
    }[problem]
    if problem == "policy_typo":
        bad = tmp_path / "site.toml"
        bad.write_text("[documents]\nminimum_age = 18\n")
        args += ["--policy", str(bad)]
    elif problem == "missing_selfie":
        args[4] = str(tmp_path / "nobody.mp4")
    else:
        args[2] = str(tmp_path / "nothing.jpg")
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == expected


def _ftm_list(path: Path, people: list[tuple[str, str]]) -> Path:
    lines = [
        json.dumps(
            {
                "id": f"t-{i}",
                "schema": "Person",
                "properties": {"name": [name], "birthDate": [dob], "topics": ["sanction"]},
            }
        )
        for i, (name, dob) in enumerate(people)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_screening_clear_and_hit(
    model_registry: ModelRegistry, shared_data: Path, passport_truth: tuple, tmp_path: Path
) -> None:
    path, identity = passport_truth
    selfie = shared_data / "faces" / "face_recognition" / "obama2.jpg"
    unrelated = _ftm_list(tmp_path / "clear.jsonl", [("Boris Kalganov", "1961-02-03")])
    proc = run_cli(
        "verify",
        "--document",
        str(path),
        "--selfie",
        str(selfie),
        "--sanctions",
        str(unrelated),
        "--json",
    )
    case = json.loads(proc.stdout)
    assert case["screening"]["outcome"] == "clear"
    assert "screening_unknown" not in [r["code"] for r in case["reasons"]]
    assert case["signals"]["screening"]["lists"], "the decision cites the list it used"

    listed = _ftm_list(
        tmp_path / "hit.jsonl",
        [
            ("Boris Kalganov", "1961-02-03"),
            (f"{identity.given_names} {identity.surname}", identity.date_of_birth.isoformat()),
        ],
    )
    proc = run_cli(
        "verify",
        "--document",
        str(path),
        "--selfie",
        str(selfie),
        "--sanctions",
        str(listed),
        "--json",
    )
    case = json.loads(proc.stdout)
    assert case["decision"] == "rejected"
    assert case["reasons"][0]["code"] == "sanctions_hit"
