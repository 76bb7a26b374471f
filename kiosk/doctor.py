"""``kiosk doctor``: is this machine ready to verify customers, and if not, what to do."""

from __future__ import annotations

import contextlib
import enum
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from kiosk.config import KioskPaths
from models import ModelRegistry, ModelState, Profile

REQUIRED_DISTRIBUTIONS: tuple[tuple[str, str], ...] = (
    # (distribution, module to import)
    ("numpy", "numpy"),
    ("opencv-contrib-python", "cv2"),
    ("onnxruntime", "onnxruntime"),
    ("onnx", "onnx"),
    ("mediapipe", "mediapipe"),
    ("pyclipper", "pyclipper"),
    ("shapely", "shapely"),
    ("cryptography", "cryptography"),
    ("argon2-cffi", "argon2"),
    ("sqlcipher3", "sqlcipher3"),
    ("PySide6-Essentials", "PySide6.QtGui"),
    ("platformdirs", "platformdirs"),
    ("rich", "rich"),
    ("rapidfuzz", "rapidfuzz"),
)
OPENCV_DISTRIBUTIONS = (
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
)
MIN_PYTHON = (3, 11)


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"  # optional part missing; the kiosk still works
    FAIL = "fail"  # required part missing or broken


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's report.

    Attributes:
        group: python, packages, models, tesseract, devices, storage.
        name: what was checked.
        status: ok, warn or fail.
        detail: what was found (a version, a path, a count).
        fix: what to do when it is not ok; empty when ok.
    """

    group: str
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class DoctorReport:
    profile: Profile
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.status is not Status.FAIL for c in self.checks)


def run_doctor(paths: KioskPaths, registry: ModelRegistry, profile: Profile) -> DoctorReport:
    """Run every check; none raises, each failure becomes a ``FAIL`` line with its fix."""
    checks: list[Check] = []
    for probe in (
        lambda: [check_python()],
        check_packages,
        lambda: check_models(registry, profile),
        lambda: check_tesseract(registry),
        check_cameras,
        check_scanners,
        lambda: [check_writable(paths.data_dir, "data dir"), check_font()],
    ):
        checks.extend(_guard(probe))
    return DoctorReport(profile, tuple(checks))


def _guard(probe: Callable[[], list[Check]]) -> list[Check]:
    try:
        return probe()
    except Exception as exc:  # a doctor must report, not crash
        return [
            Check(
                "doctor",
                getattr(probe, "__name__", "check"),
                Status.FAIL,
                repr(exc)[:200],
                "report this as a bug",
            )
        ]


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", "python", Status.OK, f"{version} at {sys.executable}")
    return Check(
        "python", "python", Status.FAIL, version, "use Python 3.11 (make setup creates .venv)"
    )


def check_packages() -> list[Check]:
    checks = []
    for dist, module in REQUIRED_DISTRIBUTIONS:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            checks.append(
                Check(
                    "packages",
                    dist,
                    Status.FAIL,
                    "not installed",
                    "run make setup (or: pip install -e .)",
                )
            )
            continue
        try:
            importlib.import_module(module)
        except Exception as exc:
            checks.append(
                Check(
                    "packages",
                    dist,
                    Status.FAIL,
                    f"{version} installed but import {module} fails: {str(exc)[:120]}",
                    "run make setup; it installs the system libraries it needs",
                )
            )
            continue
        checks.append(Check("packages", dist, Status.OK, version))
    installed = []
    for dist in OPENCV_DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            installed.append(f"{dist}=={metadata.version(dist)}")
    if len(installed) > 1:
        others = [
            d.split("==")[0] for d in installed if not d.startswith("opencv-contrib-python==")
        ]
        checks.append(
            Check(
                "packages",
                "one OpenCV build",
                Status.FAIL,
                ", ".join(installed),
                f"pip uninstall -y {' '.join(others)}; then pip install --force-reinstall "
                "opencv-contrib-python",
            )
        )
    else:
        checks.append(
            Check("packages", "one OpenCV build", Status.OK, ", ".join(installed) or "none")
        )
    return checks


def check_models(registry: ModelRegistry, profile: Profile) -> list[Check]:
    checks = []
    for st in registry.statuses():
        spec = st.spec
        needed = spec.required and spec.allowed_in(profile)
        label = f"{spec.name} ({spec.task.value})"
        if st.state is ModelState.OK:
            note = "" if spec.allowed_in(profile) else f"; not allowed under {profile.value}"
            checks.append(Check("models", label, Status.OK, f"sha256 ok{note}"))
        elif st.state is ModelState.CORRUPT:
            checks.append(
                Check(
                    "models",
                    label,
                    Status.FAIL,
                    f"{st.path} sha256 {st.actual_sha256[:12] if st.actual_sha256 else '?'}"
                    f"... != pinned {spec.sha256[:12] if spec.sha256 else '?'}...",
                    f"delete {st.path} and run: kiosk models fetch",
                )
            )
        elif st.state is ModelState.EMPTY_SLOT:
            checks.append(
                Check(
                    "models",
                    label,
                    Status.WARN,
                    "operator slot not filled",
                    f"optional: kiosk models add PATH --name {spec.name} "
                    f"--task {spec.task.value} --license TEXT",
                )
            )
        else:
            checks.append(
                Check(
                    "models",
                    label,
                    Status.FAIL if needed else Status.WARN,
                    f"missing: {st.path}",
                    "run: kiosk models fetch",
                )
            )
    return checks


def check_tesseract(registry: ModelRegistry) -> list[Check]:
    """libtesseract and the verified models, loaded as the MRZ reader loads them."""
    from kiosk.errors import KioskError
    from pipeline.document.ocr_tesseract import TesseractEngine, tesseract_version

    try:
        version = tesseract_version()
    except KioskError as exc:
        return [Check("tesseract", "tesseract library", Status.FAIL, exc.message, exc.hint)]
    checks = [
        Check("tesseract", "tesseract library", Status.OK, f"{version} {_loaded_from('tesseract')}")
    ]
    for lang, legacy in (("eng", True), ("mrz", False)):
        try:
            tessdata = registry.path(f"tesseract_{lang}").parent
            with TesseractEngine(tessdata, lang, legacy=legacy) as engine:
                line = engine.read_line(_mrz_line_image()) if legacy else None
        except KioskError as exc:
            checks.append(
                Check(
                    "tesseract",
                    f"language {lang}",
                    Status.FAIL,
                    exc.message[:160],
                    exc.hint or "run: kiosk models fetch",
                )
            )
            continue
        checks.append(Check("tesseract", f"language {lang}", Status.OK, str(tessdata)))
        if line is not None:
            checks.append(
                Check("tesseract", "legacy engine (--oem 0)", Status.OK, "available")
                if line.chars
                else Check(
                    "tesseract",
                    "legacy engine (--oem 0)",
                    Status.FAIL,
                    "read nothing from a test line",
                    "the eng traineddata lacks the legacy engine: run kiosk models fetch",
                )
            )
    return checks


def _mrz_line_image() -> Any:
    """A rendered line of MRZ-like text, dark on light."""
    import cv2
    import numpy as np

    image = np.full((60, 420), 255, np.uint8)
    cv2.putText(image, "P<UTOERIKSSON<<ANNA", (8, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return image


def _loaded_from(name: str) -> str:
    """Where the loaded ``lib<name>`` is (Linux): a bundle's copy or the host's."""
    with contextlib.suppress(OSError), Path("/proc/self/maps").open() as maps:
        for line in maps:
            path = line.split(maxsplit=5)[-1].strip()
            if Path(path).name.startswith(f"lib{name}."):
                return f"at {path}"
    return ""


def check_cameras() -> list[Check]:
    devices = sorted(Path("/dev").glob("video*")) if sys.platform.startswith("linux") else []
    names = []
    for dev in devices:
        name_file = Path("/sys/class/video4linux") / dev.name / "name"
        try:
            names.append(f"{dev}: {name_file.read_text().strip()}")
        except OSError:
            names.append(str(dev))
    if names:
        return [Check("devices", "cameras", Status.OK, "; ".join(names))]
    return [
        Check(
            "devices",
            "cameras",
            Status.WARN,
            "none found",
            "connect a camera, or use a video file / demo mode",
        )
    ]


def check_scanners() -> list[Check]:
    scanimage = shutil.which("scanimage")
    if scanimage is None:
        return [
            Check(
                "devices",
                "scanners (SANE)",
                Status.WARN,
                "scanimage not installed",
                "sudo apt-get install sane-utils (make setup does)",
            )
        ]
    try:
        proc = subprocess.run([scanimage, "-L"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return [
            Check(
                "devices",
                "scanners (SANE)",
                Status.WARN,
                "scanimage -L timed out",
                "check the scanner's connection",
            )
        ]
    found = re.findall(r"device `([^']+)'", proc.stdout)
    if found:
        return [Check("devices", "scanners (SANE)", Status.OK, ", ".join(found))]
    return [
        Check(
            "devices",
            "scanners (SANE)",
            Status.WARN,
            "none found",
            "connect a scanner, or use a document camera or a watched folder",
        )
    ]


def check_writable(directory: Path, label: str) -> Check:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".doctor-")
        os.close(fd)
        Path(tmp).unlink()
    except OSError as exc:
        return Check(
            "storage",
            label,
            Status.FAIL,
            f"{directory}: {exc.strerror}",
            f"make {directory} writable, or set KIOSK_DATA_DIR",
        )
    return Check("storage", label, Status.OK, f"{directory} writable")


def check_font() -> Check:
    candidates = [Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # the PyInstaller bundle carries a copy (packaging/kiosk.spec)
        candidates.append(Path(bundle) / "fonts" / "OCRB.otf")
    for path in candidates:
        if path.is_file():
            return Check("storage", "OCR-B font", Status.OK, str(path))
    return Check(
        "storage",
        "OCR-B font",
        Status.WARN,
        "not found (needed for synthetic documents)",
        "sudo apt-get install fonts-ocr-b (make setup does)",
    )
