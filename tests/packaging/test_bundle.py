"""The PyInstaller bundle, run as a bare host runs it (slow: not in CI).

Uses ``dist/kiosk`` when it is there (``make bundle``), else builds it with
``packaging/kiosk.spec`` (about three minutes on two cores); ``KIOSK_BUNDLE_REBUILD=1``
always rebuilds. Needs PyInstaller in the venv (the dev extras).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "kiosk"
BUILD_TIMEOUT_S = 3600

pytestmark = [pytest.mark.slow, pytest.mark.timeout(BUILD_TIMEOUT_S)]


def _smoke() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smoke", ROOT / "packaging" / "smoke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["smoke"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


smoke = _smoke()


@pytest.fixture(scope="module")
def bundle() -> Path:
    if os.environ.get("KIOSK_BUNDLE_REBUILD") == "1" or not (BUNDLE / "kiosk").is_file():
        if importlib.util.find_spec("PyInstaller") is None:
            pytest.skip("PyInstaller is not installed (pip install -e '.[dev]')")
        proc = subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "packaging/kiosk.spec"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    return BUNDLE


def _assert_ok(finding: object) -> None:
    assert getattr(finding, "ok", False), getattr(finding, "detail", finding)


def test_the_bundle_carries_what_the_issue_names(bundle: Path) -> None:
    internal = bundle / "_internal"
    expected = [
        "models_data/tessdata/eng.traineddata",
        "models_data/tessdata/mrz.traineddata",
        "models_data/face_landmarker.task",
        "libtesseract.so.5",
        "liblept.so.5",
        "fonts/OCRB.otf",
        "fonts/DejaVuSans.ttf",
        "fonts/DejaVuSans-Bold.ttf",
        "skimage/data/astronaut.png",
        "kiosk/data/default_policy.toml",
        "models/manifest.toml",
        "mediapipe/tasks/c/libmediapipe.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
    ]
    missing = [name for name in expected if not (internal / name).is_file()]
    assert not missing
    assert list(internal.glob("onnxruntime/capi/onnxruntime_pybind11_state*.so"))
    assert list(internal.glob("cv2/cv2*.so"))
    assert list(internal.glob("sqlcipher3/_sqlite3*.so"))
    models = [p for p in (internal / "models_data").rglob("*") if p.is_file()]
    assert all(p.stat().st_mode & 0o444 == 0o444 for p in models)


def test_version_under_env_i(bundle: Path) -> None:
    run = smoke.run_bare(bundle, "--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == metadata.version("kiosk-kyc")


def test_doctor_is_ready_under_env_i_with_the_bundles_own_tesseract(bundle: Path) -> None:
    _assert_ok(smoke.check_doctor(bundle))


def test_demo_is_approved_under_env_i(bundle: Path) -> None:
    _assert_ok(smoke.check_demo(bundle))


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="hiding the host's libraries needs root and unshare",
)
def test_doctor_and_demo_without_the_hosts_python_tesseract_fonts_or_models(
    bundle: Path,
) -> None:
    _assert_ok(smoke.check_doctor(bundle, isolated=True))
    _assert_ok(smoke.check_demo(bundle, isolated=True))


def test_no_traceback_for_an_unknown_command(bundle: Path) -> None:
    run = smoke.run_bare(bundle, "no-such-command")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout


def test_the_app_runs_its_demo_offscreen_under_env_i(bundle: Path, tmp_path: Path) -> None:
    # kiosk app re-executes the bundle as "kiosk -m ui"; kiosk_main.py takes that
    env = {"KIOSK_DATA_DIR": str(tmp_path / "data"), "KIOSK_CONFIG_DIR": str(tmp_path / "cfg")}
    run = smoke.run_bare(bundle, "app", "--demo", "--autorun", env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"decision": "approved"' in run.stdout
    assert "Traceback" not in run.stderr
