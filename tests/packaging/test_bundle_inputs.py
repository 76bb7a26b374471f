"""The bundle's model staging: every fetched model copied and re-verified, or no build."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from models import ModelRegistry, Profile
from tests.models.helpers import make_wheel, manifest_for

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bi = _load("bundle_inputs")


def _registry(tmp_path: Path) -> ModelRegistry:
    """Two models: ``core`` (required) and ``optional`` (research-only)."""
    wheel = make_wheel(tmp_path / "wheels", "p", "1", {"p/a": b"core", "p/b": b"extra"})
    manifest = manifest_for(
        wheel,
        "p",
        "1",
        {"core": ("p/a", b"core"), "optional": ("p/b", b"extra")},
        optional={"required": False, "commercial_use": False},
    )
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "core.bin").write_bytes(b"core")
    (models_dir / "core.bin").chmod(0o600)
    (models_dir / "optional.bin").write_bytes(b"extra")
    return ModelRegistry(manifest, models_dir)


def test_every_fetched_model_is_copied_readable_and_verified(tmp_path: Path) -> None:
    dest = tmp_path / "stage"
    dest.mkdir()
    (dest / "stale.onnx").write_bytes(b"old")

    staged = bi.stage_models(dest, registry=_registry(tmp_path))

    assert [(m.name, m.included) for m in staged] == [("core", True), ("optional", True)]
    assert (dest / "core.bin").read_bytes() == b"core"
    assert (dest / "core.bin").stat().st_mode & 0o777 == 0o644
    assert not (dest / "stale.onnx").exists()


def test_a_profile_leaves_out_the_models_it_may_not_use(tmp_path: Path) -> None:
    staged = bi.stage_models(
        tmp_path / "stage", registry=_registry(tmp_path), profile=Profile.COMMERCIAL
    )

    assert [(m.name, m.included, m.note) for m in staged] == [
        ("core", True, ""),
        ("optional", False, "not commercial"),
    ]
    assert not (tmp_path / "stage" / "optional.bin").exists()


def test_a_missing_optional_model_is_left_out(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    (registry.models_dir / "optional.bin").unlink()

    staged = bi.stage_models(tmp_path / "stage", registry=registry)

    assert [(m.name, m.included, m.note) for m in staged][1] == ("optional", False, "not fetched")


def test_a_missing_required_model_stops_the_build(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    (registry.models_dir / "core.bin").unlink()

    with pytest.raises(bi.BundleError, match="required model core is missing"):
        bi.stage_models(tmp_path / "stage", registry=registry)


def test_a_corrupt_model_stops_the_build_even_when_optional(tmp_path: Path) -> None:
    registry = _registry(tmp_path)
    (registry.models_dir / "optional.bin").write_bytes(b"tampered")

    with pytest.raises(bi.BundleError, match=r"optional .* does not match its pinned sha256"):
        bi.stage_models(tmp_path / "stage", registry=registry)


def test_the_bundle_profile_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_BUNDLE_PROFILE", raising=False)
    assert bi.bundle_profile() is Profile.COMMERCIAL, "non-commercial weights stay out by default"
    monkeypatch.setenv("KIOSK_BUNDLE_PROFILE", "all")
    assert bi.bundle_profile() is None
    monkeypatch.setenv("KIOSK_BUNDLE_PROFILE", "cheap")
    with pytest.raises(bi.BundleError, match="commercial, research"):
        bi.bundle_profile()


def test_the_doctors_packages_travel_with_their_metadata() -> None:
    from kiosk.doctor import REQUIRED_DISTRIBUTIONS

    assert bi.metadata_distributions()[0] == "kiosk-kyc"
    assert set(bi.metadata_distributions()[1:]) == {d for d, _ in REQUIRED_DISTRIBUTIONS}
    assert "cv2" in bi.doctor_modules()
