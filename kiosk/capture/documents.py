"""Document sources: SANE scanners, a camera used as a document camera, a watched folder.

Every source hands over one :class:`DocumentPage` from :meth:`DocumentSource.acquire`.
A camera also streams frames for live guidance; :class:`DocumentGuide` turns each frame
into hints (glare, blur, too small, cut off, moving) and decides when the page is sharp
and still enough to be captured automatically.

Scanners go through SANE: the ``python-sane`` extension when it is installed, else the
``scanimage`` program. SANE is not thread-safe, so every SANE call is serialised.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk.capture.frames import IMAGE_SUFFIXES, Frame, FrameSource
from kiosk.errors import CaptureError, InputError
from pipeline.image import DOCUMENT_MAX_SIDE, MAX_PIXELS, decode_image, load_image
from pipeline.types import Box

log = logging.getLogger("kiosk.capture")

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
OptionValue = str | int | float
_SANE_LOCK = threading.Lock()


class CaptureCancelled(CaptureError):
    code = "capture_cancelled"
    default_message = "The capture was cancelled."


class CaptureTimeout(CaptureError):
    code = "capture_timeout"
    default_message = "No document arrived in time."


class ScannerUnavailable(CaptureError):
    code = "scanner_unavailable"
    default_message = "The scanner is not available."


@dataclass(frozen=True, slots=True)
class DocumentSourceInfo:
    """What a document source is.

    Attributes:
        kind: ``scanner``, ``camera``, ``folder`` or ``still``.
        name: device name, folder name or a label (no customer data).
        live: it streams frames for a live preview (a camera).
    """

    kind: str
    name: str
    live: bool


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One captured page (pixels in memory only).

    Attributes:
        pixels: HxWx3 uint8 BGR.
        source: where it came from.
        captured_s: monotonic time of the capture.
        sharpness: variance of the Laplacian at <= 1000 px (as the reader measures it).
    """

    pixels: Pixels
    source: DocumentSourceInfo
    captured_s: float
    sharpness: float = float("nan")


class DocumentSource(Protocol):
    """Anything that delivers a document page."""

    @property
    def info(self) -> DocumentSourceInfo: ...

    def acquire(
        self, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> DocumentPage:
        """Block until a page is captured.

        Raises:
            CaptureError (and subclasses): the device failed, timed out or was cancelled.
            InputError: what arrived is not a usable image.
        """
        ...

    def close(self) -> None: ...


# ---- live guidance --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuideOptions:
    """When a document-camera frame is good enough to keep.

    Attributes:
        analysis_side: frames are analysed at this long side (pixels).
        stable_frames: consecutive good frames before the automatic capture.
        max_motion: largest move of the document box between frames, as a share of
            the frame's long side, that still counts as held still.
        min_sharpness: variance of the Laplacian (reader's scale) a capture needs.
    """

    analysis_side: int = 800
    stable_frames: int = 4
    max_motion: float = 0.015
    min_sharpness: float = 60.0


@dataclass(frozen=True, slots=True)
class DocumentGuidance:
    """What the document screen shows after one frame.

    Attributes:
        issues: hint codes, most important first: ``no_document``, ``cut_off``,
            ``too_small``, ``glare``, ``blur``, ``moving``.
        box: the document's outline in pixels of the frame, or None.
        sharpness: variance of the Laplacian of the frame (reader's scale).
        progress: 0-1 towards the automatic capture.
        capture: the page, once captured (pixels of the sharpest stable frame).
        elapsed_ms: time this frame took.
    """

    issues: tuple[str, ...]
    box: Box | None
    sharpness: float
    progress: float
    capture: DocumentPage | None
    elapsed_ms: float

    @property
    def ready(self) -> bool:
        return self.capture is not None


_ISSUE_ORDER = ("no_document", "cut_off", "too_small", "glare", "blur", "moving")


class DocumentGuide:
    """Follows a document-camera stream; one thread. ``assess`` each frame until
    :attr:`DocumentGuidance.capture` is set."""

    def __init__(self, info: DocumentSourceInfo, options: GuideOptions | None = None) -> None:
        self.options = options or GuideOptions()
        self._info = info
        self._good: list[tuple[float, Frame]] = []
        self._last_box: Box | None = None
        self._captured: DocumentPage | None = None

    def assess(self, frame: Frame) -> DocumentGuidance:
        """Hints for ``frame``; captures when enough consecutive frames are good."""
        import cv2

        from pipeline.document.quality import QualityOptions, assess_document_quality

        t0 = time.perf_counter()
        if self._captured is not None:
            return DocumentGuidance((), None, self._captured.sharpness, 1.0, self._captured, 0.0)
        o = self.options
        pixels = frame.pixels
        h, w = pixels.shape[:2]
        scale = min(1.0, o.analysis_side / max(h, w))
        small = (
            cv2.resize(pixels, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            if scale < 1.0
            else pixels
        )
        quality = assess_document_quality(small, QualityOptions(min_sharpness=o.min_sharpness))
        issues = set(quality.issues)
        box = quality.document_box
        if box is None:
            issues.add("no_document")
            issues.discard("too_small")
        else:
            box = Box(box.x / scale, box.y / scale, box.w / scale, box.h / scale)
            last = self._last_box
            if last is not None:
                moved = max(abs(box.x - last.x), abs(box.y - last.y), abs(box.w - last.w))
                if moved > o.max_motion * max(h, w):
                    issues.add("moving")
        self._last_box = box
        ordered = tuple(code for code in _ISSUE_ORDER if code in issues)
        if ordered:
            self._good.clear()
        else:
            self._good.append((quality.sharpness, frame))
        progress = min(1.0, len(self._good) / o.stable_frames)
        if len(self._good) >= o.stable_frames:
            sharp, best = max(self._good, key=lambda e: e[0])
            self._captured = DocumentPage(best.pixels.copy(), self._info, time.monotonic(), sharp)
            self._good.clear()
        elapsed = (time.perf_counter() - t0) * 1000.0
        return DocumentGuidance(ordered, box, quality.sharpness, progress, self._captured, elapsed)

    def reset(self) -> None:
        """Forget the capture and the stable frames (for a retake)."""
        self._good.clear()
        self._captured = None
        self._last_box = None


# ---- sources --------------------------------------------------------------------------


class StillDocumentSource:
    """A page already in memory (the demo card, a test image)."""

    def __init__(self, pixels: Pixels, *, name: str = "still image") -> None:
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise CaptureError("A document page must be 8-bit BGR.")
        self._pixels = pixels
        self._info = DocumentSourceInfo("still", name, live=False)

    @property
    def info(self) -> DocumentSourceInfo:
        return self._info

    def acquire(
        self, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> DocumentPage:
        return DocumentPage(self._pixels.copy(), self._info, time.monotonic())

    def close(self) -> None:
        pass


class CameraDocumentSource:
    """A camera used as a document camera: frames until the guide captures a page.

    Args:
        frames: the camera (or a video/demo stream).
        options: guide thresholds.
    """

    def __init__(self, frames: FrameSource, options: GuideOptions | None = None) -> None:
        self.frames = frames
        self._info = DocumentSourceInfo("camera", frames.info.name, live=True)
        self._options = options

    @property
    def info(self) -> DocumentSourceInfo:
        return self._info

    def guide(self) -> DocumentGuide:
        """A fresh guide for this source (the UI runs it on its frame worker)."""
        return DocumentGuide(self._info, self._options)

    def acquire(
        self, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> DocumentPage:
        guide = self.guide()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while (frame := self.frames.read()) is not None:
            if cancel is not None and cancel.is_set():
                raise CaptureCancelled()
            if deadline is not None and time.monotonic() > deadline:
                raise CaptureTimeout()
            guidance = guide.assess(frame)
            if guidance.capture is not None:
                return guidance.capture
        raise CaptureError("The document camera stopped delivering frames.")

    def close(self) -> None:
        self.frames.close()


class WatchedFolderSource:
    """Pages a scanner drops into a folder. Files present when the source opens are
    stale (an earlier customer's) and never used; a new file is read once its size has
    stopped changing, and deleted after reading when ``consume`` is set.

    Raises on open:
        CaptureError: the folder does not exist.
    """

    def __init__(self, folder: Path, *, consume: bool = True, poll_s: float = 0.25) -> None:
        if not folder.is_dir():
            raise CaptureError(
                "The scan folder does not exist.", hint="check the document source settings"
            )
        self.folder = folder
        self.consume = consume
        self.poll_s = poll_s
        self._stale = {p.name for p in self._images()}
        if self._stale:
            log.warning(
                "watched folder holds %d earlier file(s); they are ignored", len(self._stale)
            )
        self._info = DocumentSourceInfo("folder", folder.name, live=False)

    @property
    def info(self) -> DocumentSourceInfo:
        return self._info

    def _images(self) -> list[Path]:
        try:
            return [
                p
                for p in self.folder.iterdir()
                if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            ]
        except OSError as exc:
            raise CaptureError(f"The scan folder cannot be read: {exc.strerror}.") from None

    def acquire(
        self, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> DocumentPage:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        sizes: dict[str, int] = {}
        while True:
            if cancel is not None and cancel.is_set():
                raise CaptureCancelled()
            if deadline is not None and time.monotonic() > deadline:
                raise CaptureTimeout()
            fresh = sorted(
                (p for p in self._images() if p.name not in self._stale),
                key=lambda p: p.stat().st_mtime,
            )
            for path in fresh:
                size = path.stat().st_size
                if size > 0 and sizes.get(path.name) == size:
                    return self._take(path)
                sizes[path.name] = size
            if cancel is not None:
                cancel.wait(self.poll_s)
            else:
                time.sleep(self.poll_s)

    def _take(self, path: Path) -> DocumentPage:
        self._stale.add(path.name)
        try:
            image = load_image(path, max_side=DOCUMENT_MAX_SIDE)
        finally:
            if self.consume:
                path.unlink(missing_ok=True)
        return DocumentPage(image.pixels, self._info, time.monotonic())

    def close(self) -> None:
        pass


# ---- SANE -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScannerInfo:
    """A SANE device: ``name`` to open it with, and what it says it is."""

    name: str
    vendor: str
    model: str
    kind: str


class ScannerBackend(Protocol):
    """How SANE is reached: the python-sane extension or the scanimage program."""

    name: str

    def devices(self) -> tuple[ScannerInfo, ...]: ...

    def scan(
        self,
        device: str,
        *,
        resolution_dpi: int,
        mode: str,
        options: Sequence[tuple[str, OptionValue]],
    ) -> Pixels: ...


@contextlib.contextmanager
def _sigpipe_kept() -> Iterator[None]:
    """Give SIGPIPE back the disposition it had before a SANE call.

    SANE's backends (the ``test`` backend's reader among them) set SIGPIPE to its
    default, which kills the whole process on the next write to a closed socket or
    pipe, such as a sync receiver that hangs up. Python ignores SIGPIPE and turns it
    into ``BrokenPipeError``; this keeps it so. libc is called directly because
    :func:`signal.signal` works only on the main thread and scans run on workers.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc_signal = libc.signal
    except (OSError, AttributeError):  # no libc signal(): nothing to keep
        yield
        return
    libc_signal.restype = ctypes.c_void_p
    libc_signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
    # signal() only reads by writing: ignore for a moment (harmless), keep the old one
    before = libc_signal(signal.SIGPIPE, ctypes.c_void_p(1))  # SIG_IGN
    libc_signal(signal.SIGPIPE, before)
    try:
        yield
    finally:
        libc_signal(signal.SIGPIPE, before)


class PySaneBackend:
    """SANE through the ``python-sane`` C extension (initialised once per process)."""

    name = "python-sane"
    _initialised = False

    def __init__(self) -> None:
        try:
            import sane
        except ImportError:
            raise ScannerUnavailable(
                "python-sane is not installed.", hint="pip install python-sane"
            ) from None
        self._sane = sane
        with _SANE_LOCK, _sigpipe_kept():
            if not PySaneBackend._initialised:
                sane.init()
                PySaneBackend._initialised = True

    def devices(self) -> tuple[ScannerInfo, ...]:
        with _SANE_LOCK, _sigpipe_kept():
            found = self._sane.get_devices()
        return tuple(ScannerInfo(str(n), str(v), str(m), str(k)) for n, v, m, k in found)

    def scan(
        self,
        device: str,
        *,
        resolution_dpi: int,
        mode: str,
        options: Sequence[tuple[str, OptionValue]],
    ) -> Pixels:
        with _SANE_LOCK, _sigpipe_kept():
            try:
                dev = self._sane.open(device)
            except Exception as exc:  # python-sane raises _sane.error (a RuntimeError)
                raise ScannerUnavailable(f"The scanner {device} does not open: {exc}.") from None
            try:
                _set_option(dev, "mode", mode)
                _set_option(dev, "resolution", resolution_dpi)
                for key, value in options:
                    _set_option(dev, key, value)
                params = dev.get_parameters()
                w, h = int(params[2][0]), int(params[2][1])
                if w > 0 and h > 0 and w * h > MAX_PIXELS:
                    raise CaptureError(
                        f"A {w}x{h} scan is larger than this kiosk accepts.",
                        hint="lower the scan resolution",
                    )
                image = dev.scan()
            except CaptureError:
                raise
            except Exception as exc:
                raise ScannerUnavailable(f"The scan failed: {exc}.") from None
            finally:
                dev.close()
        rgb = np.asarray(image.convert("RGB"))
        return np.ascontiguousarray(rgb[..., ::-1])


def _set_option(dev: Any, key: str, value: OptionValue) -> None:
    attr = key.replace("-", "_")
    if attr not in dev.opt:
        if key in ("mode", "resolution"):
            return  # a scanner without the option scans at its fixed setting
        raise ScannerUnavailable(f"The scanner has no option {key!r}.")
    setattr(dev, attr, value)


class ScanimageBackend:
    """SANE through the ``scanimage`` program (when python-sane is not installed)."""

    name = "scanimage"
    _DEVICE_RE = re.compile(r"^device `(?P<name>[^']+)' is a (?P<rest>.*)$")

    def __init__(self, program: str = "scanimage", *, timeout_s: float = 180.0) -> None:
        path = shutil.which(program)
        if path is None:
            raise ScannerUnavailable(
                "SANE's scanimage is not installed.", hint="apt-get install sane-utils"
            )
        self._program = path
        self._timeout = timeout_s

    def devices(self) -> tuple[ScannerInfo, ...]:
        out = self._run(["-L"], text=True)
        found = []
        for line in out.splitlines():
            if m := self._DEVICE_RE.match(line.strip()):
                found.append(ScannerInfo(m["name"], "", m["rest"], ""))
        return tuple(found)

    def scan(
        self,
        device: str,
        *,
        resolution_dpi: int,
        mode: str,
        options: Sequence[tuple[str, OptionValue]],
    ) -> Pixels:
        args = ["-d", device, "--format=png", f"--resolution={resolution_dpi}", f"--mode={mode}"]
        args += [f"--{key.replace('_', '-')}={value}" for key, value in options]
        data = self._run(args, text=False)
        return decode_image(data, name="scan").pixels

    def _run(self, args: list[str], *, text: bool) -> Any:
        with _SANE_LOCK:
            try:
                proc = subprocess.run(
                    [self._program, *args],
                    capture_output=True,
                    timeout=self._timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise ScannerUnavailable("The scanner did not answer in time.") from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ScannerUnavailable(
                f"The scan failed: {detail[-1] if detail else proc.returncode}."
            )
        return proc.stdout.decode("utf-8", "replace") if text else proc.stdout


def scanner_backend(prefer: str | None = None) -> ScannerBackend:
    """python-sane when importable (or ``prefer="scanimage"``), else scanimage.

    Raises:
        ScannerUnavailable: neither is available.
    """
    if prefer != "scanimage":
        try:
            return PySaneBackend()
        except ScannerUnavailable:
            if prefer == "python-sane":
                raise
    return ScanimageBackend()


def list_scanners(backend: ScannerBackend | None = None) -> tuple[ScannerInfo, ...]:
    """SANE devices (may take seconds: SANE probes USB and the network)."""
    return (backend or scanner_backend()).devices()


class SaneScannerSource:
    """A SANE scanner: :meth:`acquire` scans one page (cancel is not supported mid-scan).

    Args:
        device: SANE device name (``test:0`` for SANE's virtual test scanner).
        resolution_dpi: scan resolution.
        mode: SANE scan mode (``Color``).
        options: further SANE options as (name, value) pairs.
        backend: python-sane or scanimage (default: :func:`scanner_backend`).
    """

    def __init__(
        self,
        device: str,
        *,
        resolution_dpi: int = 300,
        mode: str = "Color",
        options: Sequence[tuple[str, OptionValue]] = (),
        backend: ScannerBackend | None = None,
    ) -> None:
        if not device:
            raise ScannerUnavailable(
                "No scanner is selected.", hint="choose one in the staff settings"
            )
        self.device = device
        self.resolution_dpi = resolution_dpi
        self.mode = mode
        self.options = tuple(options)
        self.backend = backend or scanner_backend()
        self._info = DocumentSourceInfo("scanner", device, live=False)

    @property
    def info(self) -> DocumentSourceInfo:
        return self._info

    def acquire(
        self, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> DocumentPage:
        if cancel is not None and cancel.is_set():
            raise CaptureCancelled()
        pixels = self.backend.scan(
            self.device, resolution_dpi=self.resolution_dpi, mode=self.mode, options=self.options
        )
        if pixels.ndim != 3 or min(pixels.shape[:2]) < 16:
            raise InputError("The scan is empty.")
        return DocumentPage(pixels, self._info, time.monotonic())

    def close(self) -> None:
        pass
