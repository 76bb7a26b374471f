"""No work at import time: importing the packages loads no runtime, no model, no Qt."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("onnxruntime", "mediapipe", "PySide6", "onnx", "pytesseract", "sqlcipher3", "numpy", "cv2")


def test_importing_the_packages_is_cheap() -> None:
    code = (
        "import json, sys; import models, pipeline, kiosk, kiosk.cli, kiosk.errors; "
        "kiosk.cli.build_parser(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
