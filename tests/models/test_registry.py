from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import (
    ManifestError,
    ModelCorrupt,
    ModelMissing,
    ModelRegistry,
    ModelState,
    Profile,
    Task,
    UnknownModel,
    load_manifest,
)
from models.registry import OPERATOR_REGISTRY, default_models_dir
from tests.models.helpers import make_wheel, manifest_for, registry_for, sha


def test_missing_and_corrupt_models_name_the_file_and_the_fix(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "p", "1", {"p/m": b"good"})
    registry = registry_for(manifest_for(wheel, "p", "1", {"m": ("p/m", b"good")}), tmp_path / "md")
    with pytest.raises(ModelMissing) as missing:
        registry.path("m")
    assert "m.bin" in missing.value.message
    assert "kiosk models fetch" in missing.value.hint

    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "m.bin").write_bytes(b"bad!")
    with pytest.raises(ModelCorrupt) as corrupt:
        registry.path("m")
    assert str(tmp_path / "md" / "m.bin") in corrupt.value.message
    assert sha(b"bad!") in corrupt.value.message

    (tmp_path / "md" / "m.bin").write_bytes(b"good")
    assert registry.path("m") == (tmp_path / "md" / "m.bin").resolve()


def test_default_models_dir_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert default_models_dir() == tmp_path / "elsewhere"


def test_operator_model_fills_the_slot_and_is_pinned(tmp_path: Path) -> None:
    registry = ModelRegistry(load_manifest(), tmp_path)
    assert registry.status("arcface_r50").state is ModelState.EMPTY_SLOT
    with pytest.raises(ModelMissing, match="operator slot"):
        registry.path("arcface_r50")

    weights = tmp_path / "r50.onnx"
    weights.write_bytes(b"pretend onnx")
    spec = registry.add_operator_model(
        weights,
        name="arcface_r50",
        task=Task.FACE_EMBEDDING,
        license_text="Commercial licence #42",
        commercial_use=True,
        thresholds=[("cosine", 0.33)],
    )
    assert spec.sha256 == sha(b"pretend onnx")
    assert spec.threshold("cosine") == pytest.approx(0.33)
    assert spec.input.size == (112, 112), "the slot's input spec carries over"

    reopened = ModelRegistry(load_manifest(), tmp_path)  # persisted across restarts
    assert reopened.status("arcface_r50").state is ModelState.OK
    assert reopened.choose(Task.FACE_EMBEDDING, Profile.COMMERCIAL).name == "arcface_r50"

    (tmp_path / "operator" / "arcface_r50.onnx").write_bytes(b"swapped weights")
    with pytest.raises(ModelCorrupt):
        ModelRegistry(load_manifest(), tmp_path).path("arcface_r50")


def test_operator_cannot_replace_a_pinned_model_or_change_a_slot_task(tmp_path: Path) -> None:
    registry = ModelRegistry(load_manifest(), tmp_path)
    weights = tmp_path / "x.onnx"
    weights.write_bytes(b"x")
    with pytest.raises(ManifestError, match="cannot be replaced"):
        registry.add_operator_model(
            weights, name="sface", task=Task.FACE_EMBEDDING, license_text="MIT", commercial_use=True
        )
    with pytest.raises(ManifestError, match="is for face_embedding"):
        registry.add_operator_model(
            weights,
            name="arcface_r50",
            task=Task.FACE_DETECTION,
            license_text="MIT",
            commercial_use=True,
        )
    with pytest.raises(ManifestError, match="licence stated"):
        registry.add_operator_model(
            weights, name="mine", task=Task.FACE_EMBEDDING, license_text=" ", commercial_use=True
        )
    with pytest.raises(ModelMissing):
        registry.add_operator_model(
            tmp_path / "absent.onnx",
            name="mine",
            task=Task.FACE_EMBEDDING,
            license_text="MIT",
            commercial_use=False,
        )


def test_a_local_entry_never_shadows_a_pinned_model(tmp_path: Path) -> None:
    (tmp_path / OPERATOR_REGISTRY).write_text(
        json.dumps(
            {
                "schema": 1,
                "models": [
                    {
                        "name": "sface",
                        "task": "face_embedding",
                        "file": "evil.onnx",
                        "sha256": "0" * 64,
                        "license": "MIT",
                        "commercial_use": True,
                    }
                ],
            }
        )
    )
    registry = ModelRegistry(load_manifest(), tmp_path)
    assert registry.spec("sface").sha256 == load_manifest().get("sface").sha256


def test_broken_operator_registry_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / OPERATOR_REGISTRY).write_text("{not json")
    with pytest.raises(ManifestError, match="operator model registry"):
        ModelRegistry(load_manifest(), tmp_path)


def test_choose_respects_licence_profiles(tmp_path: Path) -> None:
    registry = ModelRegistry(load_manifest(), tmp_path)
    with pytest.raises(ModelMissing, match="No face_embedding model"):
        registry.choose(Task.FACE_EMBEDDING, Profile.COMMERCIAL)
    with pytest.raises(ManifestError, match="may not be used under the commercial profile"):
        registry.choose(Task.FACE_EMBEDDING, Profile.COMMERCIAL, name="arcface_mbf")
    assert registry.choose(Task.FACE_EMBEDDING, Profile.RESEARCH, name="arcface_mbf").name == (
        "arcface_mbf"
    )
    with pytest.raises(UnknownModel, match="not face_embedding"):
        registry.choose(Task.FACE_EMBEDDING, Profile.RESEARCH, name="yunet")


@pytest.mark.models
def test_installed_models_verify(model_registry: ModelRegistry) -> None:
    for status in model_registry.statuses():
        if status.spec.sha256 is not None and status.spec.required:
            assert status.state is ModelState.OK, status.spec.name
    chosen = model_registry.choose(Task.FACE_EMBEDDING, Profile.COMMERCIAL)
    assert chosen.commercial_use
