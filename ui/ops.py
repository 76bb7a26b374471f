"""One-off background jobs with callbacks on the GUI thread (after Anki's ``taskman`` and
``operations``): document reading, finishing a case, store writes, sync checks.

Three lanes, each its own executor: ``POOL`` (two workers, CPU work), ``STORE`` (one
worker, so store calls never interleave) and ``NETWORK`` (one worker). A job's result
comes back through a queued Qt signal, so ``success`` and ``failure`` always run on the
GUI thread. Every failure reaches ``failure`` as a :class:`KioskError`: anything else is
logged with its traceback (to the log file only) and becomes ``InternalError``.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from kiosk.errors import InternalError, KioskError

log = logging.getLogger("ui.ops")

T = TypeVar("T")


class Lane(enum.Enum):
    POOL = "pool"
    STORE = "store"
    NETWORK = "network"


_WORKERS = {Lane.POOL: 2, Lane.STORE: 1, Lane.NETWORK: 1}


@dataclass(eq=False)
class OpHandle:
    """A submitted job: ``cancel()`` drops its callbacks (the job itself runs to its end)."""

    name: str
    future: Future[Any]
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()

    def done(self) -> bool:
        return self.future.done()


class TaskManager(QObject):
    """Owns the executors and delivers results on the GUI thread."""

    _finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executors = {
            lane: ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"ui-{lane.value}")
            for lane, n in _WORKERS.items()
        }
        self._pending: set[OpHandle] = set()
        self._lock = threading.Lock()
        self.default_failure: Callable[[KioskError], None] = _log_failure
        self._finished.connect(self._deliver)

    def submit(
        self,
        lane: Lane,
        name: str,
        fn: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[KioskError], None] | None,
    ) -> OpHandle:
        future = self._executors[lane].submit(_guarded, name, fn)
        handle = OpHandle(name, future)
        with self._lock:
            self._pending.add(handle)
        callbacks = (handle, on_success, on_failure or self.default_failure)
        future.add_done_callback(lambda _f: self._finished.emit(callbacks))
        return handle

    def busy(self) -> int:
        """Jobs submitted whose callbacks have not run yet."""
        with self._lock:
            return len(self._pending)

    def _deliver(
        self, callbacks: tuple[OpHandle, Callable[[Any], None], Callable[..., None]]
    ) -> None:
        handle, on_success, on_failure = callbacks
        with self._lock:
            self._pending.discard(handle)
        if handle.cancelled.is_set():
            return
        outcome = handle.future.result()  # _guarded never raises
        if isinstance(outcome, _Failed):
            on_failure(outcome.error)
        else:
            on_success(outcome)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let running ones finish."""
        for executor in self._executors.values():
            executor.shutdown(wait=wait, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class _Failed:
    error: KioskError


def _guarded(name: str, fn: Callable[[], T]) -> T | _Failed:
    try:
        return fn()
    except KioskError as exc:
        log.info("job %s failed: %s", name, exc.code)
        return _Failed(exc)
    except Exception:
        log.exception("job %s failed unexpectedly", name)
        return _Failed(InternalError())


def _log_failure(error: KioskError) -> None:
    log.warning("a background job failed: %s", error.code)


class Op(Generic[T]):
    """A typed one-off job::

        Op("read document", lambda: read(page)).success(show).failure(oops).run(tasks)

    Args:
        name: for the log (no personal data).
        fn: runs on the lane's worker thread; must not touch widgets.
        lane: which executor.
    """

    def __init__(self, name: str, fn: Callable[[], T], *, lane: Lane = Lane.POOL) -> None:
        self.name = name
        self._fn = fn
        self._lane = lane
        self._success: Callable[[T], None] = lambda _r: None
        self._failure: Callable[[KioskError], None] | None = None

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        """Run ``callback(result)`` on the GUI thread when the job succeeds."""
        self._success = callback
        return self

    def failure(self, callback: Callable[[KioskError], None]) -> Op[T]:
        """Run ``callback(error)`` on the GUI thread when it fails (default: the manager's)."""
        self._failure = callback
        return self

    def run(self, tasks: TaskManager) -> OpHandle:
        return tasks.submit(self._lane, self.name, self._fn, self._success, self._failure)
