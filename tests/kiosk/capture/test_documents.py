"""Document sources: SANE's test scanner through both backends, the watched folder, the
document camera's guidance and automatic capture."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from kiosk.capture.documents import (
    CameraDocumentSource,
    CaptureCancelled,
    CaptureTimeout,
    DocumentGuide,
    DocumentSourceInfo,
    PySaneBackend,
    SaneScannerSource,
    ScanimageBackend,
    ScannerUnavailable,
    StillDocumentSource,
    WatchedFolderSource,
    list_scanners,
    scanner_backend,
)
from kiosk.capture.frames import Frame, SourceInfo
from kiosk.errors import CaptureError, InputError
from tests.kiosk.capture.sane_env import sane_available


def _backends() -> list[Any]:
    out = []
    try:
        import sane  # noqa: F401

        out.append(pytest.param("python-sane", id="python-sane"))
    except ImportError:
        out.append(
            pytest.param(
                "python-sane",
                id="python-sane",
                marks=pytest.mark.skip(reason="python-sane not installed"),
            )
        )
    out.append(pytest.param("scanimage", id="scanimage"))
    return out


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> Any:
    if not sane_available():
        pytest.skip("SANE is not installed")
    return PySaneBackend() if request.param == "python-sane" else ScanimageBackend()


# ---- SANE ----------------------------------------------------------------------------


def test_the_test_backend_lists_its_virtual_scanners(backend: Any) -> None:
    names = [s.name for s in list_scanners(backend)]
    assert "test:0" in names


def test_a_colour_scan_arrives_as_bgr_pixels_of_the_requested_size(backend: Any) -> None:
    source = SaneScannerSource(
        "test:0",
        resolution_dpi=100,
        options=(("test-picture", "Color pattern"),),
        backend=backend,
    )
    page = source.acquire()
    h, w = page.pixels.shape[:2]
    # the test backend scans 80 x 100 mm by default: 315 x 393 px at 100 dpi
    assert abs(w - 80 / 25.4 * 100) <= 3 and abs(h - 100 / 25.4 * 100) <= 3
    assert page.pixels.dtype == np.uint8 and page.pixels.shape[2] == 3
    assert page.source == DocumentSourceInfo("scanner", "test:0", live=False)
    # a colour pattern, not a blank page: several distinct hues
    hues = np.unique(cv2.cvtColor(page.pixels, cv2.COLOR_BGR2HSV)[..., 0] // 20)
    assert len(hues) >= 3


def _sigpipe_ignored() -> bool:
    status = Path("/proc/self/status").read_text()
    ignored = next(line for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_scan_leaves_sigpipe_ignored(backend: Any) -> None:
    """SANE's test backend resets SIGPIPE to its default during a scan; left so, the
    next write to a closed socket (a sync receiver hanging up) kills the kiosk."""
    assert _sigpipe_ignored()  # as Python sets it
    SaneScannerSource("test:0", resolution_dpi=75, backend=backend).acquire()
    assert _sigpipe_ignored()


def test_a_black_and_a_white_scan_differ(backend: Any) -> None:
    def scan(picture: str) -> float:
        src = SaneScannerSource(
            "test:0", resolution_dpi=75, options=(("test-picture", picture),), backend=backend
        )
        return float(src.acquire().pixels.mean())

    assert scan("Solid black") < 10 < 245 < scan("Solid white")


def test_an_unknown_scanner_is_a_typed_error(backend: Any) -> None:
    source = SaneScannerSource("test:nonexistent", resolution_dpi=75, backend=backend)
    with pytest.raises(ScannerUnavailable):
        source.acquire()


def test_no_scanner_selected_is_refused() -> None:
    with pytest.raises(ScannerUnavailable):
        SaneScannerSource("", backend=ScanimageBackend())


def test_without_python_sane_scanimage_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_sane(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sane":
            raise ImportError("no python-sane")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sane)
    assert scanner_backend().name == "scanimage"
    with pytest.raises(ScannerUnavailable):
        scanner_backend("python-sane")


# ---- watched folder ------------------------------------------------------------------


def _png(path: Path, value: int = 128) -> None:
    cv2.imwrite(str(path), np.full((120, 160, 3), value, np.uint8))


def test_the_folder_ignores_earlier_files_and_consumes_new_ones(tmp_path: Path) -> None:
    _png(tmp_path / "stale.png", 10)
    source = WatchedFolderSource(tmp_path, poll_s=0.05)
    threading.Timer(0.2, lambda: _png(tmp_path / "new.png", 200)).start()
    page = source.acquire(timeout_s=5)
    assert page.pixels.mean() > 150  # the new file, not the stale one
    assert not (tmp_path / "new.png").exists()  # consumed
    assert (tmp_path / "stale.png").exists()  # an earlier customer's file is left alone


def test_the_folder_keeps_files_when_told_to(tmp_path: Path) -> None:
    source = WatchedFolderSource(tmp_path, consume=False, poll_s=0.05)
    _png(tmp_path / "scan.png")
    source.acquire(timeout_s=5)
    assert (tmp_path / "scan.png").exists()


def test_an_unreadable_file_is_an_input_error_and_is_removed(tmp_path: Path) -> None:
    source = WatchedFolderSource(tmp_path, poll_s=0.05)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(InputError):
        source.acquire(timeout_s=5)
    assert not (tmp_path / "broken.jpg").exists()


def test_the_folder_wait_can_be_cancelled_and_times_out(tmp_path: Path) -> None:
    source = WatchedFolderSource(tmp_path, poll_s=0.05)
    cancel = threading.Event()
    threading.Timer(0.15, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(CaptureCancelled):
        source.acquire(cancel=cancel)
    assert time.monotonic() - t0 < 2
    with pytest.raises(CaptureTimeout):
        source.acquire(timeout_s=0.2)


def test_a_missing_folder_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        WatchedFolderSource(tmp_path / "nope")


def test_a_still_page_is_handed_over_as_a_copy() -> None:
    pixels = np.zeros((50, 80, 3), np.uint8)
    page = StillDocumentSource(pixels).acquire()
    page.pixels[...] = 255
    assert pixels.max() == 0
    with pytest.raises(CaptureError):
        StillDocumentSource(np.zeros((10, 10), np.uint8))


# ---- document camera guidance -----------------------------------------------------------


def _card_frame(*, blur: float = 0.0, shift: int = 0, present: bool = True) -> np.ndarray[Any, Any]:
    """A 960x720 frame: a dark desk with a light, text-covered ID-1 card on it."""
    rng = np.random.default_rng(3)
    frame = np.full((720, 960, 3), 45, np.uint8)
    if present:
        w, h = 620, round(620 / 1.586)
        x0, y0 = 170 + shift, 165
        card = np.full((h, w, 3), 225, np.uint8)
        for row in range(30, h - 20, 26):  # lines of "text"
            cols = rng.integers(20, w - 40, 30)
            for c in cols:
                cv2.rectangle(card, (int(c), row), (int(c) + 9, row + 12), (40, 40, 40), -1)
        frame[y0 : y0 + h, x0 : x0 + w] = card
    if blur:
        frame = cv2.GaussianBlur(frame, (0, 0), blur)
    noise = rng.integers(-3, 4, frame.shape, dtype=np.int16)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


INFO = DocumentSourceInfo("camera", "test camera", live=True)


def test_a_blurred_card_is_not_captured_and_says_so() -> None:
    guide = DocumentGuide(INFO)
    for i in range(8):
        g = guide.assess(Frame(_card_frame(blur=6.0), i / 15, i))
        assert "blur" in g.issues and g.capture is None


def test_no_card_in_view_asks_for_the_document() -> None:
    g = DocumentGuide(INFO).assess(Frame(_card_frame(present=False), 0.0, 0))
    assert g.issues[:1] == ("no_document",) and g.box is None


def test_a_moving_card_is_not_captured() -> None:
    guide = DocumentGuide(INFO)
    for i in range(8):
        g = guide.assess(Frame(_card_frame(shift=(i % 2) * 60), i / 15, i))
        if i:
            assert "moving" in g.issues
        assert g.capture is None


def test_a_sharp_still_card_is_captured_after_the_stable_frames() -> None:
    guide = DocumentGuide(INFO)
    results = [guide.assess(Frame(_card_frame(), i / 15, i)) for i in range(6)]
    stable = guide.options.stable_frames
    assert all(r.capture is None for r in results[: stable - 1])
    assert results[stable - 1].capture is not None
    assert results[stable - 1].progress == 1.0
    box = results[0].box
    assert box is not None and abs(box.x - 170) < 15 and abs(box.w - 620) < 25
    page = results[stable - 1].capture
    assert page is not None and page.pixels.shape == (720, 960, 3)
    guide.reset()
    assert guide.assess(Frame(_card_frame(), 1.0, 10)).capture is None


class _Frames:
    """A FrameSource over a list of pixel arrays."""

    def __init__(self, frames: list[np.ndarray[Any, Any]]) -> None:
        self._frames = frames
        self._i = 0
        self.info = SourceInfo("video", "clip", 960, 720, 15.0)

    def read(self) -> Frame | None:
        if self._i >= len(self._frames):
            return None
        frame = Frame(self._frames[self._i], self._i / 15, self._i)
        self._i += 1
        return frame

    def close(self) -> None:
        self._i = len(self._frames)

    def __iter__(self) -> Any:
        return iter(())


def test_the_document_camera_source_captures_headless() -> None:
    frames = [_card_frame(blur=6.0)] * 3 + [_card_frame()] * 6
    page = CameraDocumentSource(_Frames(frames)).acquire()
    assert page.sharpness > 60
    with pytest.raises(CaptureError):
        CameraDocumentSource(_Frames([_card_frame(blur=6.0)] * 3)).acquire()
