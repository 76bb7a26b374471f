"""Running the retention purge on a schedule inside the app.

The policy itself is :class:`kiosk.store.types.RetentionPolicy`; the work is
:meth:`kiosk.store.Store.purge`. This module only repeats it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from kiosk.errors import KioskError
from kiosk.store.store import Store
from kiosk.store.types import PurgeReport

log = logging.getLogger("kiosk.store")


class PurgeSchedule:
    """Calls ``store.purge()`` now and then every ``interval`` on a daemon thread.

    Errors are logged by code and reported to ``on_error``; the schedule keeps
    going. ``stop()`` waits for a purge in progress to finish.

    Args:
        store: an open store.
        interval: time between purges (default 6 hours).
        on_report: called with each :class:`PurgeReport` (on the schedule's thread).
        on_error: called with each :class:`KioskError` a purge raised.
    """

    def __init__(
        self,
        store: Store,
        *,
        interval: timedelta = timedelta(hours=6),
        on_report: Callable[[PurgeReport], None] | None = None,
        on_error: Callable[[KioskError], None] | None = None,
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError("interval must be positive")
        self._store = store
        self._interval = interval.total_seconds()
        self._on_report = on_report
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> PurgeReport | None:
        """One purge now; None when it failed (the error went to ``on_error`` and the log)."""
        try:
            report = self._store.purge()
        except KioskError as exc:
            log.error("scheduled retention purge failed: %s", exc.code)
            if self._on_error is not None:
                self._on_error(exc)
            return None
        if self._on_report is not None:
            self._on_report(report)
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._interval)
