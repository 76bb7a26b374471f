"""``kiosk mrz`` and ``kiosk document`` as a user runs them: JSON contract, typed errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.document.mrz_format import MrzFormat
from pipeline.synthetic.documents import degrade_hard, render_document

MRZ_KEYS = {"found", "valid", "format", "lines", "fields", "checks", "confidence", "timings_ms"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    kiosk = Path(sys.executable).with_name("kiosk")
    return subprocess.run(
        [str(kiosk), *args], capture_output=True, text=True, timeout=180, env={**os.environ}
    )


@pytest.fixture(scope="module")
def td1_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, ...]]:
    doc = render_document(MrzFormat.TD1, 77)
    path = tmp_path_factory.mktemp("cli") / "card.jpg"
    cv2.imwrite(str(path), degrade_hard(doc.image, np.random.default_rng(77)))
    return path, doc.truth.mrz_lines


@pytest.mark.models
def test_kiosk_mrz_json_contract(td1_page: tuple[Path, tuple[str, ...]]) -> None:
    path, lines = td1_page
    proc = run_cli("mrz", str(path), "--json", "--today", "2026-01-01")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload.keys() >= MRZ_KEYS
    assert payload["found"] and payload["valid"]
    assert payload["format"] == "TD1"
    assert tuple(payload["lines"]) == lines
    assert payload["checks"]["composite"] is True
    assert set(payload["fields"]["surname"]) == {"value", "raw", "confidence", "trusted"}
    assert payload["timings_ms"]["locate"] > 0


@pytest.mark.models
def test_kiosk_document_json(td1_page: tuple[Path, tuple[str, ...]]) -> None:
    path, _ = td1_page
    proc = run_cli("document", str(path), "--json", "--today", "2026-01-01")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload.keys() >= {"mrz", "viz", "consistency", "flags", "portrait", "quality"}
    assert payload["mrz"]["valid"] is True
    assert payload["consistency"]["surname"] in ("agree", "uncertain", "missing", "disagree")
    assert "glare_fraction" in payload["quality"]


@pytest.mark.models
def test_blank_page_is_found_false(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((400, 600, 3), 240, np.uint8))
    proc = run_cli("mrz", str(blank), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["found"] is False and payload["valid"] is False


def test_bad_files_are_typed_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "x.jpg"
    garbage.write_bytes(b"\xff\xd8\xff garbage")
    for args, code in (
        (("mrz", str(tmp_path / "missing.png"), "--json"), "input_not_found"),
        (("mrz", str(garbage), "--json"), "input_corrupt"),
        (("document", str(garbage), "--json"), "input_corrupt"),
        (("mrz", str(garbage), "--json", "--today", "yesterday"), "usage"),
    ):
        proc = run_cli(*args)
        assert proc.returncode == 2, args
        assert json.loads(proc.stdout)["error"]["code"] == code
        assert "Traceback" not in proc.stdout + proc.stderr


def test_importing_the_document_package_loads_no_engine() -> None:
    code = (
        "import json, sys; import pipeline.document, pipeline.synthetic.documents, "
        "kiosk.cli.document_cmd; "
        "print(json.dumps([m for m in ('onnxruntime', 'pytesseract', 'cv2', 'onnx', 'mediapipe')"
        " if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
