"""The capture thread: reads the current frame source and hands every frame on (Qt-free).

Reading a camera blocks for up to a frame period, so it gets a thread of its own; the
frame worker and the preview each take the newest frame from their own one-slot buffer.
Recorded sources (video files, image folders) are paced by their timestamps, so a
recording behaves like the camera it stands in for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.capture.frames import Frame, FrameSource
from kiosk.errors import CaptureError, InternalError, KioskError

log = logging.getLogger("ui.capture")

RECORDED_KINDS = ("video", "images")


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Frames read from the current source and its measured rate (frames per second)."""

    frames: int
    fps: float


class CaptureThread:
    """One long-lived thread that reads whichever source is set.

    Args:
        on_frame: called on the capture thread with each frame and the source token.
        on_end: called once when a source ends (end of file, device gone), with its token.
        on_error: called with a :class:`KioskError` when a source fails.
    """

    def __init__(
        self,
        *,
        on_frame: Callable[[Frame, int], None],
        on_end: Callable[[int], None],
        on_error: Callable[[KioskError, int], None],
    ) -> None:
        self._on_frame = on_frame
        self._on_end = on_end
        self._on_error = on_error
        self._lock = threading.Lock()
        self._source: FrameSource | None = None
        self._token = 0
        self._retired: list[FrameSource] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ui-capture", daemon=True)
        self._frames = 0
        self._first_s = 0.0
        self._last_s = 0.0

    def start(self) -> None:
        self._thread.start()

    def set_source(self, source: FrameSource | None, token: int = 0) -> None:
        """Read ``source`` from now on (None: stop reading). The previous source is
        closed on the capture thread, after its current read."""
        with self._lock:
            if self._source is not None:
                self._retired.append(self._source)
            self._source, self._token = source, token
            if source is not None:  # the stats describe the last source until a new one
                self._frames = 0
        self._wake.set()

    @property
    def source(self) -> FrameSource | None:
        with self._lock:
            return self._source

    def stats(self) -> CaptureStats:
        with self._lock:
            span = self._last_s - self._first_s
            fps = (self._frames - 1) / span if self._frames > 1 and span > 0 else 0.0
            return CaptureStats(self._frames, fps)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and close every source."""
        self._stop.set()
        self.set_source(None)
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._close_retired()

    def _close_retired(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        for source in retired:
            try:
                source.close()
            except Exception:  # closing a broken device must not stop the thread
                log.exception("closing a frame source failed")

    def _run(self) -> None:
        paced_from: float | None = None
        current: FrameSource | None = None
        while not self._stop.is_set():
            self._close_retired()
            with self._lock:
                source, token = self._source, self._token
            if source is not current:
                current, paced_from = source, None
            if source is None:
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            paced_from = self._read_one(source, token, paced_from)

    def _read_one(self, source: FrameSource, token: int, paced_from: float | None) -> float | None:
        """Read one frame and hand it on; returns the pacing origin of recorded sources.
        A method of its own so no frame outlives its hand-over in a loop variable."""
        try:
            frame = source.read()
        except KioskError as exc:
            self._fail(source, exc.with_traceback(None), token)
            return paced_from
        except Exception:
            log.exception("frame source failed")
            self._fail(source, InternalError(), token)
            return paced_from
        with self._lock:
            if self._source is not source:
                return paced_from  # swapped while reading: the frame belongs to the old one
        if frame is None:
            with self._lock:
                if self._source is source:
                    self._retired.append(source)
                    self._source = None
            self._on_end(token)
            return paced_from
        if source.info.kind in RECORDED_KINDS:
            now = time.monotonic()
            if paced_from is None:
                paced_from = now - frame.t_s
            delay = paced_from + frame.t_s - now
            if delay > 0 and self._stop.wait(delay):
                return paced_from
        now = time.monotonic()
        with self._lock:
            if self._frames == 0:
                self._first_s = now
            self._frames += 1
            self._last_s = now
        try:
            self._on_frame(frame, token)
        except Exception:  # a consumer bug must not stop the camera
            log.exception("frame consumer failed")
        return paced_from

    def _fail(self, source: FrameSource, error: KioskError, token: int) -> None:
        with self._lock:
            if self._source is source:
                self._retired.append(source)
                self._source = None
        if not isinstance(error, CaptureError):
            log.warning("frame source failed: %s", error.code)
        self._on_error(error, token)
