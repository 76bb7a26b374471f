"""The Op helper, the frame worker (latest frame wins) and the capture thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QThread

from kiosk.capture.frames import Frame, VideoFileSource
from kiosk.errors import InternalError, KioskError
from tests.ui.helpers import wait_for
from ui.capture import CaptureThread
from ui.latest import LatestSlot
from ui.ops import Lane, Op, TaskManager
from ui.worker import FrameFailure, FrameResult, FrameWorker


def test_the_slot_keeps_only_the_newest_value() -> None:
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is True
    assert slot.put(2) is False and slot.put(3) is False
    assert slot.take() == 3 and slot.take() is None
    assert (slot.put_count, slot.dropped) == (3, 2)


def test_op_callbacks_run_on_the_gui_thread(qtbot: Any) -> None:
    tasks = TaskManager()
    gui = QThread.currentThread()
    seen: dict[str, Any] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread().name
        return 41 + 1

    def done(value: int) -> None:
        seen["value"] = value
        seen["on_gui"] = QThread.currentThread() is gui

    Op("add", work, lane=Lane.STORE).success(done).run(tasks)
    wait_for(qtbot, lambda: "value" in seen, 10, "the callback")
    assert seen == {"worker": seen["worker"], "value": 42, "on_gui": True}
    assert seen["worker"].startswith("ui-store")
    tasks.shutdown()


def test_op_failures_arrive_typed_and_bugs_become_internal_errors(qtbot: Any) -> None:
    tasks = TaskManager()
    errors: list[KioskError] = []

    def bug() -> None:
        raise ValueError("a bug with personal data: LINDQVIST")

    Op("typed", lambda: (_ for _ in ()).throw(KioskError("nope"))).failure(errors.append).run(tasks)
    Op("bug", bug).failure(errors.append).run(tasks)
    wait_for(qtbot, lambda: len(errors) == 2, 10, "two failures")
    assert {type(e) for e in errors} == {KioskError, InternalError}
    assert all("LINDQVIST" not in e.message for e in errors)
    handle = (
        Op("slow", lambda: time.sleep(0.2))
        .success(lambda _r: errors.append(KioskError("must not run")))
        .run(tasks)
    )
    handle.cancel()
    wait_for(qtbot, lambda: tasks.busy() == 0, 10, "the cancelled job")
    assert len(errors) == 2
    tasks.shutdown()


class SlowProcessor:
    """Takes ``ms`` per frame; records the frames it saw and any overlap."""

    def __init__(self, ms: float, fail_on: int = -1) -> None:
        self.ms = ms
        self.fail_on = fail_on
        self.seen: list[int] = []
        self.busy = threading.Lock()
        self.overlap = False

    def process(self, frame: Frame) -> int:
        if not self.busy.acquire(blocking=False):
            self.overlap = True
            return -1
        try:
            time.sleep(self.ms / 1000)
            self.seen.append(frame.index)
            if frame.index == self.fail_on:
                raise KioskError("this frame is bad")
            return frame.index
        finally:
            self.busy.release()


def frame(i: int) -> Frame:
    return Frame(np.zeros((4, 4, 3), np.uint8), i / 30, i)


def test_the_worker_takes_the_newest_frame_and_drops_stale_ones(qtbot: Any) -> None:
    worker = FrameWorker()
    results: list[FrameResult] = []
    failures: list[FrameFailure] = []
    worker.result.connect(results.append)
    worker.failed.connect(failures.append)
    worker.start()
    proc = SlowProcessor(ms=40, fail_on=10)
    worker.attach(proc, token=1)
    for i in range(60):  # a 200 fps stream against a 25 fps worker
        worker.submit(frame(i))
        time.sleep(0.005)
    wait_for(qtbot, lambda: proc.seen and proc.seen[-1] == 59, 10, "the last frame")
    stats = worker.stats()
    assert stats.processed < 30 and stats.dropped > 20
    assert proc.seen == sorted(proc.seen)  # never an older frame after a newer one
    assert not proc.overlap
    if 10 in proc.seen:  # the failing frame was reached: reported, and the worker went on
        assert [f.error.message for f in failures] == ["this frame is bad"]
    qtbot.wait(100)
    assert all(r.token == 1 for r in results)

    detached: list[int] = []
    worker.detached.connect(detached.append)
    worker.submit(frame(60))
    worker.detach(1)
    wait_for(qtbot, lambda: detached == [1], 5, "the detach")
    count = len(proc.seen)
    worker.submit(frame(61))
    qtbot.wait(150)
    assert len(proc.seen) == count  # nothing runs after the detach
    worker.stop()


def _video(path: Path, n: int, fps: float) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(n):
        writer.write(np.full((48, 64, 3), i % 255, np.uint8))
    writer.release()
    return path


def test_a_recording_is_played_at_its_own_pace_and_its_end_reported(tmp_path: Path) -> None:
    got: list[Frame] = []
    ended = threading.Event()
    capture = CaptureThread(
        on_frame=lambda f, t: got.append(f),
        on_end=lambda t: ended.set(),
        on_error=lambda e, t: None,
    )
    capture.start()
    source = VideoFileSource(_video(tmp_path / "clip.avi", 20, 20.0))
    t0 = time.monotonic()
    capture.set_source(source, token=7)
    assert ended.wait(10)
    elapsed = time.monotonic() - t0
    assert len(got) == 20
    assert 0.8 < elapsed < 3.0  # 20 frames at 20 fps: about a second, not instantly
    assert capture.stats().fps == pytest.approx(20.0, rel=0.25)
    capture.stop()


def test_the_processor_is_told_about_dropped_frames_in_order(qtbot: Any) -> None:
    class Noting(SlowProcessor):
        def __init__(self) -> None:
            super().__init__(ms=30)
            self.order: list[tuple[str, int]] = []

        def skipped(self, frames: list[Frame]) -> None:
            self.order += [("skipped", f.index) for f in frames]

        def process(self, frame: Frame) -> int:
            self.order.append(("analysed", frame.index))
            return super().process(frame)

    worker = FrameWorker()
    worker.start()
    proc = Noting()
    worker.attach(proc, token=1)
    for i in range(40):
        worker.submit(frame(i))
        time.sleep(0.004)
    wait_for(qtbot, lambda: proc.seen and proc.seen[-1] == 39, 10, "the last frame")
    worker.stop()
    indices = [i for _, i in proc.order]
    assert indices == sorted(indices)  # every frame once, in camera order
    assert {i for _, i in proc.order} == set(range(indices[0], 40))
    assert any(kind == "skipped" for kind, _ in proc.order)
