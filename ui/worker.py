"""The frame worker: one long-lived QThread that runs the per-frame pipeline.

It keeps a one-slot, latest-wins buffer, so while it spends ~30 ms on a frame the
camera's newer frames replace each other and the worker always picks up the newest.
Results leave through ``Signal(object)`` as dataclasses; an exception in one frame is
caught and reported through ``failed`` without stopping the thread. It holds no widget.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal

from kiosk.capture.frames import Frame
from kiosk.errors import InternalError, KioskError
from ui.latest import LatestSlot

log = logging.getLogger("ui.worker")

MAX_SKIPPED = 16  # dropped frames remembered between two analysed ones (~0.5 s at 30 fps)


class FrameProcessor(Protocol):
    """Per-frame work: runs on the worker thread only, one frame at a time.

    A processor may also define ``skipped(frames)``: it is then told, oldest first and
    before the frame it analyses, about the frames the worker dropped as stale.
    """

    def process(self, frame: Frame) -> Any: ...


@dataclass(frozen=True, slots=True)
class FrameResult:
    """One processed frame: the token of the processor that made it, and its output."""

    token: int
    frame_index: int
    t_s: float
    output: Any
    busy_ms: float


@dataclass(frozen=True, slots=True)
class FrameFailure:
    """A frame whose processing raised: the error (typed) and the processor's token."""

    token: int
    error: KioskError


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """Frames offered, processed and dropped (replaced before the worker got to them)."""

    offered: int
    processed: int
    dropped: int
    median_ms: float


class FrameWorker(QThread):
    """Processes the newest frame with the attached processor."""

    result = Signal(object)  # FrameResult
    failed = Signal(object)  # FrameFailure
    detached = Signal(int)  # the token whose processor will never run again

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frame-worker")
        self._slot: LatestSlot[Frame] = LatestSlot(keep_dropped=MAX_SKIPPED)
        self._lock = threading.Lock()
        self._processor: FrameProcessor | None = None
        self._token = 0
        self._detach: list[int] = []
        self._stop = threading.Event()
        self._processed = 0
        self._busy_ms: list[float] = []

    # ---- called from other threads ----

    def submit(self, frame: Frame) -> None:
        """Offer a frame (any thread); replaces an unprocessed one."""
        with self._lock:
            active = self._processor is not None
        if active:
            self._slot.put(frame)

    def attach(self, processor: FrameProcessor, token: int) -> None:
        """Run ``processor`` on the frames from now on (GUI thread)."""
        with self._lock:
            self._processor, self._token = processor, token
            self._processed = 0
            self._busy_ms = []
        self._slot.clear()

    def detach(self, token: int) -> None:
        """Stop the processor of ``token``. ``detached(token)`` follows once no frame of
        it is in progress, so its state may then be used from another thread."""
        with self._lock:
            self._detach.append(token)
        self._slot.wake()

    def stop(self, timeout_ms: int = 5000) -> None:
        self._stop.set()
        self._slot.wake()
        self.wait(timeout_ms)

    def stats(self) -> WorkerStats:
        import statistics

        with self._lock:
            busy = list(self._busy_ms)
            processed = self._processed
        return WorkerStats(
            self._slot.put_count,
            processed,
            self._slot.dropped,
            statistics.median(busy) if busy else 0.0,
        )

    # ---- the thread ----

    def run(self) -> None:
        while not self._stop.is_set():
            self._handle_detach()
            if not self._slot.wait(0.1):
                continue
            self._process_one()
        self._handle_detach()

    def _process_one(self) -> None:
        """Take the newest frame and run the processor on it. A method of its own so
        the frame is released on return, not kept by the loop while it waits."""
        frame, skipped = self._slot.take_with_dropped()
        self._handle_detach()
        with self._lock:
            processor, token = self._processor, self._token
        if frame is None or processor is None:
            return
        start = time.perf_counter()
        try:
            note = getattr(processor, "skipped", None)
            if skipped and note is not None:
                note(skipped)
            del skipped
            output = processor.process(frame)
        except KioskError as exc:
            # the traceback's frames would hold the pixels: report the error without it
            self.failed.emit(FrameFailure(token, exc.with_traceback(None)))
            return
        except Exception:
            log.exception("frame processing failed")
            self.failed.emit(FrameFailure(token, InternalError()))
            return
        busy = (time.perf_counter() - start) * 1000.0
        with self._lock:
            self._processed += 1
            self._busy_ms.append(busy)
        self.result.emit(FrameResult(token, frame.index, frame.t_s, output, busy))

    def _handle_detach(self) -> None:
        with self._lock:
            tokens, self._detach = self._detach, []
            for token in tokens:
                if token == self._token:
                    self._processor = None
        if tokens:
            self._slot.clear()
        for token in tokens:
            self.detached.emit(token)
