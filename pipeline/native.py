"""Keep native libraries' start-up chatter (absl/glog, OpenCV) off the user's terminal."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (C/C++ writers only).

    MediaPipe and TensorFlow Lite print warnings when a graph is created or first
    run; they are not errors and would read as failures on a kiosk terminal.
    Python-level errors are unaffected: they are raised, not printed.
    """
    with _lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except OSError:
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def quiet_opencv() -> None:
    """Only errors from OpenCV's own logger."""
    import cv2

    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
