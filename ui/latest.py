"""A one-slot, latest-wins hand-over between two threads (Qt-free)."""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one value; a newer ``put`` replaces an unread one (counted as dropped).

    The producer never waits for the consumer, so a slow consumer sees the newest value
    and never a backlog.
    """

    def __init__(self, *, keep_dropped: int = 0) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._ready = threading.Event()
        self._dropped: deque[T] = deque(maxlen=max(keep_dropped, 1))
        self._keep = keep_dropped > 0
        self.put_count = 0
        self.dropped = 0

    def put(self, value: T) -> bool:
        """Store ``value``; True when the slot was empty (the consumer needs a nudge)."""
        with self._lock:
            was_empty = self._value is None
            if not was_empty:
                self.dropped += 1
                if self._keep and self._value is not None:
                    self._dropped.append(self._value)
            self._value = value
            self.put_count += 1
            self._ready.set()
        return was_empty

    def take(self) -> T | None:
        """The newest value, emptying the slot; None when empty."""
        return self.take_with_dropped()[0]

    def take_with_dropped(self) -> tuple[T | None, list[T]]:
        """The newest value and, oldest first, the values it replaced since the last take
        (at most ``keep_dropped`` of them), emptying the slot."""
        with self._lock:
            value, self._value = self._value, None
            dropped = list(self._dropped)
            self._dropped.clear()
            self._ready.clear()
        return value, dropped

    def wait(self, timeout_s: float) -> bool:
        """Block until a value is there (or ``wake`` is called); False on time-out."""
        return self._ready.wait(timeout_s)

    def wake(self) -> None:
        """Wake a waiting consumer without a value (to make it check for other work)."""
        self._ready.set()

    def clear(self) -> None:
        """Drop any unread value."""
        self.take()
