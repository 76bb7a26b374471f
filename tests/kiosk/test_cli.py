from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from models import ModelRegistry

FIELDS = {"name", "task", "license", "sha256", "present", "profiles"}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a fresh process, as a user would run it."""
    kiosk = Path(sys.executable).with_name("kiosk")
    return subprocess.run(
        [str(kiosk), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_models_list_json_has_the_contract_fields() -> None:
    proc = run_cli("models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["profile"] in ("commercial", "research")
    names = {m["name"] for m in payload["models"]}
    assert {"sface", "yunet", "face_landmarker", "arcface_mbf", "tesseract_eng"} <= names
    for model in payload["models"]:
        assert model.keys() >= FIELDS
        assert isinstance(model["present"], bool)
    mbf = next(m for m in payload["models"] if m["name"] == "arcface_mbf")
    assert mbf["profiles"] == ["research"]


def test_usage_errors_are_json_without_traceback() -> None:
    proc = run_cli("models", "frobnicate", "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "usage"
    assert "Traceback" not in proc.stderr + proc.stdout


def test_unknown_model_is_a_typed_error() -> None:
    proc = run_cli("models", "fetch", "no_such_model", "--json")
    assert proc.returncode == 2
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "model_unknown"
    assert "no_such_model" in err["message"]


def test_human_errors_go_to_stderr(tmp_path: Path) -> None:
    proc = run_cli(
        "models",
        "add",
        str(tmp_path / "absent.onnx"),
        "--name",
        "x",
        "--task",
        "face_embedding",
        "--license",
        "MIT",
        env={"KIOSK_MODELS_DIR": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_unexpected_exceptions_never_reach_the_user(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path))
    import kiosk.cli.models_cmd as models_cmd

    def boom(*_: object) -> int:
        raise RuntimeError("secret detail P<UTOERIKSSON<<ANNA")

    monkeypatch.setattr(models_cmd, "_list", boom)
    assert main(["models", "list", "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["error"]["code"] == "internal_error"
    assert "Traceback" not in out + err and "secret detail" not in out + err
    log = (tmp_path / "logs" / "kiosk.log").read_text()
    assert "RuntimeError" in log, "the details go to the log"
    assert "ERIKSSON" not in log, "and personal data is redacted there"


def test_version_and_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--version", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["version"]


def test_models_add_then_list(tmp_path: Path) -> None:
    weights = tmp_path / "r50.onnx"
    weights.write_bytes(b"operator weights")
    env = {"KIOSK_MODELS_DIR": str(tmp_path / "models")}
    proc = run_cli(
        "models",
        "add",
        str(weights),
        "--name",
        "arcface_r50",
        "--task",
        "face_embedding",
        "--license",
        "Vendor EULA",
        "--commercial",
        "--threshold",
        "cosine=0.31",
        "--json",
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = json.loads(proc.stdout)
    assert row["present"] and row["profiles"] == ["commercial", "research"]
    assert row["thresholds"] == {"cosine": 0.31}
    listed = json.loads(run_cli("models", "list", "--json", env=env).stdout)
    assert next(m for m in listed["models"] if m["name"] == "arcface_r50")["present"]
    bad = run_cli(
        "models",
        "add",
        str(weights),
        "--name",
        "y",
        "--task",
        "face_embedding",
        "--license",
        "x",
        "--threshold",
        "cosine",
        "--json",
        env=env,
    )
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["code"] == "usage"


@pytest.mark.models
def test_corrupted_model_is_named_by_verify_and_doctor(
    model_registry: ModelRegistry, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    shutil.copytree(model_registry.models_dir, models_dir)
    victim = models_dir / "face_detection_yunet_2023mar_int8bq.onnx"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    env = {"KIOSK_MODELS_DIR": str(models_dir), "KIOSK_DATA_DIR": str(tmp_path / "data")}

    verify = run_cli("models", "verify", "--json", env=env)
    assert verify.returncode == 1
    assert json.loads(verify.stdout)["corrupt"] == ["yunet"]

    doctor = run_cli("doctor", "--json", env=env)
    assert doctor.returncode == 1
    failing = [c for c in json.loads(doctor.stdout)["checks"] if c["status"] == "fail"]
    assert len(failing) == 1
    assert str(victim) in failing[0]["fix"] and "kiosk models fetch" in failing[0]["fix"]


@pytest.mark.models
def test_doctor_is_green_here(model_registry: ModelRegistry, tmp_path: Path) -> None:
    proc = run_cli("doctor", "--json", env={"KIOSK_DATA_DIR": str(tmp_path)})
    payload = json.loads(proc.stdout)
    failing = [c for c in payload["checks"] if c["status"] == "fail"]
    assert proc.returncode == 0 and payload["ok"], failing
    names = {c["name"] for c in payload["checks"]}
    assert {
        "tesseract library",
        "legacy engine (--oem 0)",
        "language mrz",
        "one OpenCV build",
    } <= names


def test_doctor_names_missing_models_and_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk import doctor
    from kiosk.config import kiosk_paths

    monkeypatch.setenv("KIOSK_MODELS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(
        doctor, "REQUIRED_DISTRIBUTIONS", (("numpy", "numpy"), ("no-such-dist-kiosk", "nosuch"))
    )
    report = doctor.run_doctor(kiosk_paths(), ModelRegistry.default(), doctor.Profile.COMMERCIAL)
    assert not report.ok
    by_name = {c.name: c for c in report.checks}
    assert by_name["no-such-dist-kiosk"].status is doctor.Status.FAIL
    assert "make setup" in by_name["no-such-dist-kiosk"].fix
    assert by_name["sface (face_embedding)"].status is doctor.Status.FAIL
    assert by_name["sface (face_embedding)"].fix == "run: kiosk models fetch"
    # research-only weights are not required under the commercial profile
    assert by_name["arcface_mbf (face_embedding)"].status is doctor.Status.WARN
