"""The idle time-out: no touch, click or key for a while wipes the customer's session."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

_INPUT_EVENTS = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.KeyPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.Wheel,
}


class IdleWatcher(QObject):
    """Fires ``timed_out`` after ``timeout_s`` without user input, while armed.

    Installed as an application event filter, so every widget's input counts.
    """

    timed_out = Signal()

    def __init__(self, timeout_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.timed_out.emit)
        self.set_timeout(timeout_s)

    def set_timeout(self, timeout_s: float) -> None:
        self._timer.setInterval(round(timeout_s * 1000))

    def arm(self) -> None:
        """Start (or restart) counting."""
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()

    @property
    def armed(self) -> bool:
        return self._timer.isActive()

    def poke(self) -> None:
        """Activity that is not an input event (a document held up to the camera)."""
        if self._timer.isActive():
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT_EVENTS:
            self.poke()
        return False
