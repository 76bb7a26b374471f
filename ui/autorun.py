"""``--autorun``: drive the whole customer flow as a customer would (press the buttons,
let the simulated customer follow the prompts), save a screenshot of each screen, print
the decision JSON and quit. A self-test that runs offscreen in CI."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from pipeline.liveness.challenge import Action, ChallengeStatus
from ui.controller import KioskWindow
from ui.processors import SelfieFeedback
from ui.session import Step, StepChanged
from ui.worker import FrameResult

log = logging.getLogger("ui.autorun")

EXIT_OK = 0
EXIT_FAILED = 1


class Autorun(QObject):
    """Presses through the flow and records it.

    Args:
        window: the kiosk window (already shown and started).
        shots: where to save PNG screenshots (None: none).
        out: where the decision JSON goes.
        timeout_s: give up (exit status 1) if no decision by then.
        variants: also shoot the welcome screen in German and high contrast.
    """

    def __init__(
        self,
        window: KioskWindow,
        shots: Path | None,
        *,
        out: IO[str] = sys.stdout,
        timeout_s: float = 150.0,
        variants: bool = True,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.shots = shots
        self.out = out
        self.variants = variants
        self.saved: list[str] = []
        self.exit_code = EXIT_FAILED
        self._started = time.monotonic()
        self._shot_selfie = False
        self._shot_document = False
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._give_up)
        self._deadline.start(round(timeout_s * 1000))
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        w = self.window
        w.session.step_changed.connect(self._on_step)
        w.worker.result.connect(self._on_frame)
        QTimer.singleShot(400, self._when_settled)

    def _when_settled(self) -> None:
        """Start once the kiosk knows whether it can serve (models, store, devices)."""
        if self.window.kiosk_state == "starting":
            QTimer.singleShot(200, self._when_settled)
            return
        self._welcome()

    # ---- screens ----

    def shoot(self, name: str) -> None:
        """Save the window as ``<shots>/<name>.png``."""
        if self.shots is None:
            return
        QApplication.processEvents()
        path = self.shots / f"{name}.png"
        if self.window.grab().save(str(path)):
            self.saved.append(str(path))
        else:
            log.warning("screenshot %s could not be saved", name)

    def _welcome(self) -> None:
        w = self.window
        if w.session.step is Step.UNAVAILABLE or w.kiosk_state != "ready":
            self.shoot("00-unavailable")
            self._finish(EXIT_FAILED, f"kiosk unavailable: {w.unavailable_code or w.kiosk_state}")
            return
        self.shoot("01-welcome")
        if self.variants:
            w.header.language.click()
            w.header.contrast.click()
            w.header.text_size.click()
            self.shoot("01b-welcome-de-contrast-large")
            w.wipe()  # resets language, contrast and size to the settings
        w.welcome.start.click()

    def _on_step(self, change: StepChanged) -> None:
        w = self.window
        if change.step is Step.CONSENT:
            QTimer.singleShot(300, self._consent)
        elif change.step is Step.SELFIE:
            QTimer.singleShot(20_000, lambda: self._shoot_selfie(force=True))
        elif change.step is Step.PROCESSING:
            # at once: the decision can follow the capture within 150 ms, and the result
            # screen's own shot (400 ms after it) ends the run
            QTimer.singleShot(0, lambda: self.shoot("05-processing"))
        elif change.step is Step.RESULT:
            QTimer.singleShot(400, self._result)
        elif change.step is Step.DOCUMENT:
            QTimer.singleShot(8000, lambda: self._shoot_document(force=True))
        elif change.step is Step.UNAVAILABLE and change.previous is not Step.WELCOME:
            self.shoot("00-unavailable")
            self._finish(EXIT_FAILED, f"kiosk unavailable: {w.unavailable_code}")

    def _consent(self) -> None:
        self.shoot("02-consent")
        self.window.consent.agree.click()

    def _on_frame(self, result: FrameResult) -> None:
        out = result.output
        if isinstance(out, SelfieFeedback):
            st = out.feedback.challenge
            arrow = st.action in (Action.TURN_LEFT, Action.TURN_RIGHT, Action.LOOK_UP)
            if st.status is ChallengeStatus.RUNNING and arrow and st.hold_progress >= 0.4:
                self._shoot_selfie()
        elif getattr(out, "box", None) is not None and getattr(out, "progress", 0) > 0.3:
            self._shoot_document()

    def _shoot_selfie(self, *, force: bool = False) -> None:
        if not self._shot_selfie and (force is False or self.window.session.step is Step.SELFIE):
            self._shot_selfie = True
            self.shoot("04-selfie-challenge")

    def _shoot_document(self, *, force: bool = False) -> None:
        if not self._shot_document and (
            force is False or self.window.session.step is Step.DOCUMENT
        ):
            self._shot_document = True
            self.shoot("03-document")

    def _result(self) -> None:
        w = self.window
        self.shoot("06-result")
        payload: dict[str, Any] | None = w.session.payload
        if payload is None:
            outcome = w.session.outcome
            self._finish(EXIT_FAILED, f"no decision ({outcome.reason.value if outcome else '?'})")
            return
        from kiosk.jsonout import dumps

        payload = dict(payload)
        payload["app"] = {
            "screenshots": self.saved,
            "seconds": round(time.monotonic() - self._started, 1),
            "preview_fps": round(_preview_fps(w), 1),
            "frames_processed": w.worker.stats().processed,
        }
        self.out.write(dumps(payload) + "\n")
        self.out.flush()
        w.wipe()
        self.shoot("07-after-result")
        self._finish(EXIT_OK, "")

    def _give_up(self) -> None:
        self.shoot("99-timeout")
        self._finish(
            EXIT_FAILED, f"no decision within the time limit (at {self.window.session.step.value})"
        )

    def _finish(self, code: int, why: str) -> None:
        self._deadline.stop()
        self.exit_code = code
        if why:
            sys.stderr.write(
                json.dumps({"error": {"code": "autorun_failed", "message": why}}) + "\n"
            )
        app = QApplication.instance()
        if app is not None:
            QTimer.singleShot(0, lambda: app.exit(code))


def _preview_fps(window: KioskWindow) -> float:
    """Frames the selfie view painted per second while it showed the camera."""
    times = list(window.selfie.view.painted_at)
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])
