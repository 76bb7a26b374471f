"""The kiosk window and its controller: screens, the capture thread, the frame worker,
background jobs, the idle time-out and the staff console, wired to the customer session.

Threads: the GUI thread only moves widgets; the capture thread reads the camera and
prepares previews; the frame worker runs liveness or document guidance on the newest
frame; ``Op`` jobs do the rest (document reading, finishing, the store, sync).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.capture.documents import (
    CameraDocumentSource,
    DocumentGuidance,
    DocumentPage,
    DocumentSource,
)
from kiosk.capture.frames import Frame, FrameSource
from kiosk.errors import CaptureError, KioskError
from kiosk.settings import AppSettings, DocumentSourceKind
from ui.capture import CaptureThread
from ui.errors import Effect, IncidentLog
from ui.i18n import Languages, available_languages
from ui.idle import IdleWatcher
from ui.latest import LatestSlot
from ui.ops import Lane, Op, TaskManager
from ui.processors import DocumentProcessor, LivenessProcessor, SelfieFeedback
from ui.runtime import Runtime, load_runtime
from ui.screens.customer import (
    ConsentScreen,
    NoticeScreen,
    ProcessingScreen,
    ResultScreen,
    WelcomeScreen,
)
from ui.screens.document import DocumentScreen
from ui.screens.selfie import SelfieScreen
from ui.session import CaseServices, CustomerReason, CustomerSession, Step, StepChanged
from ui.store_service import KioskStore
from ui.theme import ThemeManager, make_theme
from ui.widgets.camera_view import CameraView, Fit, PreviewFrame, PreviewMaker
from ui.widgets.header import Header
from ui.worker import FrameFailure, FrameResult, FrameWorker

log = logging.getLogger("ui.controller")

READY_DELAY_S = 1.5  # "get ready" before the challenge starts
PULSE_TAIL_S = 1.0  # keep filming a still face after the challenge (rPPG)
CAPTURED_PAUSE_MS = 700
DEMO_CAMERA_FPS = 15.0  # the simulated customer costs ~50 ms a frame: leave CPU to liveness
STEP_INDEX = {Step.DOCUMENT: 0, Step.SELFIE: 1, Step.PROCESSING: 1, Step.RESULT: 2}


@dataclass(frozen=True, slots=True)
class AppOptions:
    """How the app was started.

    Attributes:
        demo: simulated customer and demo card instead of devices.
        camera: a frame-source spec overriding the bound camera (``camera:N``, a video
            file, a folder of images): tests and the benchmark.
        document: a document-source spec overriding the settings: ``scanner:DEVICE``,
            ``folder:PATH``, ``image:PATH`` or ``camera:SPEC``.
        policy: a policy file overriding the settings.
        store: save cases in the encrypted store (off only for demo and tests).
        fullscreen: take the whole screen.
        seed: fixed challenge seed (tests); None = random (demo: the demo's seed).
        report: keep the decision JSON after the result (the autorun prints it); off in
            service, where the case data goes to the store and nowhere else.
    """

    demo: bool = False
    camera: str | None = None
    document: str | None = None
    policy: Path | None = None
    store: bool = True
    fullscreen: bool = False
    seed: int | None = None
    report: bool = False


@dataclass
class _Run:
    """The frame pipeline of the current capture step."""

    token: int
    step: Step
    entered: float = field(default_factory=time.monotonic)
    processor: LivenessProcessor | None = None
    source_name: str = ""
    source_kind: str = ""
    finished_at: float | None = None
    ending: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)


class KioskWindow(QWidget):
    """The one window of the kiosk."""

    preview_ready = Signal()
    capture_ended = Signal(int)
    capture_failed = Signal(object)
    runtime_ready = Signal()

    def __init__(
        self, options: AppOptions, settings: AppSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Root")
        self.setWindowTitle("Identity check")
        self.options = options
        self.settings = settings
        self.themes = ThemeManager(
            make_theme(
                high_contrast=settings.display.high_contrast, scale=settings.display.font_scale
            ),
            self,
        )
        self.languages = Languages()
        self.tasks = TaskManager(self)
        self.tasks.default_failure = lambda error: self.handle_error(error, "background")
        self.incidents = IncidentLog()
        self.store = KioskStore(policy_path=options.policy or settings.policy_file)
        self.runtime: Runtime | None = None
        self.runtime_error: KioskError | None = None
        self.kiosk_state = "starting"  # starting, ready, no_camera, unavailable
        self.unavailable_code = ""
        self._tokens = itertools.count(1)
        self._run: _Run | None = None
        self._preview_slot: LatestSlot[tuple[int, PreviewFrame]] = LatestSlot()
        self._active_maker: PreviewMaker | None = None
        self._active_view: CameraView | None = None
        self.preview_handle_ms: deque[float] = deque(maxlen=5000)
        self._after_ready: list[Callable[[], None]] = []
        self._doc_source: DocumentSource | None = None
        self._devices_ok = False
        # The case's document branch (OCR, portrait) runs while the customer does the
        # selfie; on two cores it must not starve the frame worker, so its threads run
        # at a lower priority and catch up once the camera stops.
        self._case_pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="case-bg", initializer=lower_thread_priority
        )

        self.session = CustomerSession(
            CaseServices(
                new_case=self._new_case,
                save=self.store.save_case if options.store and not options.demo else None,
                seed=self._seed,
                dispose=self._dispose,
            )
        )
        self.session.step_changed.connect(self._on_step)

        self.worker = FrameWorker(self)
        self.worker.result.connect(self._on_frame_result)
        self.worker.failed.connect(self._on_frame_failed)
        self.worker.detached.connect(self._on_detached)
        self.capture = CaptureThread(
            on_frame=self._on_capture_frame,
            on_end=self.capture_ended.emit,
            on_error=lambda error, token: self.capture_failed.emit((error, token)),
        )
        self.preview_ready.connect(self._on_preview)
        self.capture_ended.connect(self._on_capture_ended)
        self.capture_failed.connect(self._on_capture_failed)

        self.idle = IdleWatcher(settings.idle_timeout_s, self)
        self.idle.timed_out.connect(self._on_idle)
        self._result_timer = QTimer(self)
        self._result_timer.setSingleShot(True)
        self._result_timer.timeout.connect(self.wipe)

        self.themes.apply()  # before building, so size hints see the style sheet's fonts
        self._build()
        self._set_language(settings.display.language)

    # ---- building ------------------------------------------------------------------

    def _build(self) -> None:
        t = self.themes
        self.areas = QStackedWidget(self)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(self.areas)
        customer = QWidget()
        col = QVBoxLayout(customer)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.header = Header(t)
        col.addWidget(self.header)
        self.stack = QStackedWidget()
        col.addWidget(self.stack, 1)
        self.areas.addWidget(customer)

        self.doc_maker = PreviewMaker(Fit.CONTAIN, mirrored=False)
        mirror = True if self.options.demo else self.settings.camera.mirror
        self.selfie_maker = PreviewMaker(Fit.COVER, mirrored=mirror)
        self.welcome = WelcomeScreen(t)
        self.consent = ConsentScreen(t)
        from kiosk.store.types import RetentionPolicy

        self.consent.retention_days = RetentionPolicy().evidence.days  # what the store keeps
        self.consent.retranslate()
        self.document = DocumentScreen(t, self.doc_maker)
        self.selfie = SelfieScreen(t, self.selfie_maker)
        self.processing = ProcessingScreen(t)
        self.result = ResultScreen(t)
        self.notice = NoticeScreen(t)
        self.screens: dict[Step, Any] = {
            Step.WELCOME: self.welcome,
            Step.CONSENT: self.consent,
            Step.DOCUMENT: self.document,
            Step.SELFIE: self.selfie,
            Step.PROCESSING: self.processing,
            Step.RESULT: self.result,
            Step.UNAVAILABLE: self.notice,
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)

        self.welcome.start_clicked.connect(self._start)
        self.welcome.staff_clicked.connect(self.open_staff)
        self.consent.agreed.connect(self._agree)
        self.consent.cancelled.connect(self.wipe)
        self.document.cancel_clicked.connect(self.cancel)
        self.document.scan_clicked.connect(self._scan)
        self.selfie.cancel_clicked.connect(self.cancel)
        self.result.done_clicked.connect(self.wipe)
        self.notice.demo_clicked.connect(self._switch_to_demo)
        self.notice.staff_clicked.connect(self.open_staff)
        self.header.language_clicked.connect(self._toggle_language)
        self.header.text_size_clicked.connect(self._cycle_text_size)
        self.header.contrast_toggled.connect(self._set_contrast)
        QShortcut(QKeySequence("Ctrl+Alt+S"), self, self.open_staff)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._escape)

        self._staff: Any = None  # built on first use: fewer widgets to restyle meanwhile
        self._show_step(Step.WELCOME)

    # ---- start-up --------------------------------------------------------------------

    def start(self) -> None:
        """Start the threads and load everything in the background (the welcome screen
        is already usable)."""
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.capture.start()
        self.worker.start()
        policy = self.options.policy
        Op(
            "load runtime",
            lambda: load_runtime(self.settings, demo=self.options.demo, policy_path=policy),
        ).success(self._runtime_loaded).failure(self._runtime_failed).run(self.tasks)
        if self.options.store and not self.options.demo:
            Op("open store", self.store.open, lane=Lane.STORE).success(
                lambda _status: self._check_ready()
            ).failure(lambda e: self._unavailable(e, "store")).run(self.tasks)
        Op("check devices", self._check_devices).success(self._devices_checked).failure(
            lambda e: self._unavailable(e, "devices")
        ).run(self.tasks)

    def _runtime_loaded(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.runtime_ready.emit()
        self._check_ready()
        waiting, self._after_ready = self._after_ready, []
        for callback in waiting:
            callback()

    def _runtime_failed(self, error: KioskError) -> None:
        self.runtime_error = error
        self._unavailable(error, "runtime")

    def _check_devices(self) -> str:
        """``ready`` or ``no_camera`` (runs in the pool: it lists devices)."""
        from kiosk.capture.devices import find_camera, list_cameras

        if self.options.demo or self.options.camera:
            return "ready"
        cam = self.settings.camera
        if not cam.bound:
            if not list_cameras():
                return "no_camera"
            raise _CameraUnbound()
        find_camera(cam.name, cam.index)
        return "ready"

    def _devices_checked(self, state: str) -> None:
        self._devices_ok = state == "ready"
        if state == "no_camera":
            self.kiosk_state = "no_camera"
            self.notice.set_kind("no_camera")
            if self.session.step is Step.WELCOME:
                self.session.go(Step.UNAVAILABLE)
            return
        self._check_ready()

    def _check_ready(self) -> None:
        if self.kiosk_state in ("unavailable", "no_camera"):
            return
        store_ok = self.store.available or not self.options.store or self.options.demo
        if self.runtime is not None and store_ok and self._devices_ok:
            self.kiosk_state = "ready"

    def _unavailable(self, error: KioskError, where: str) -> None:
        self.incidents.record(error, where)
        if self.kiosk_state == "no_camera":
            return  # "no camera, try the demo" stays: it is what a first start needs
        self.kiosk_state = "unavailable"
        self.unavailable_code = error.code
        self.notice.set_kind("unavailable")
        if self.session.step in (Step.WELCOME, Step.CONSENT):
            self.session.wipe()
            self.session.go(Step.UNAVAILABLE)

    def _switch_to_demo(self) -> None:
        """From "no camera": restart the kiosk's sources in demo mode."""
        self.options = replace(self.options, demo=True, store=False)
        self._devices_ok = True
        self.session.services = replace(self.session.services, save=None)
        self.selfie_maker.mirrored = True
        self.selfie.overlay.mirrored = True
        self.kiosk_state = "starting"
        self.runtime = None
        Op(
            "load demo",
            lambda: load_runtime(self.settings, demo=True, policy_path=self.options.policy),
        ).success(self._runtime_loaded).failure(self._runtime_failed).run(self.tasks)
        self.session.go(Step.WELCOME)

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the runtime is loaded (now if it is)."""
        if self.runtime is not None:
            callback()
        else:
            self._after_ready.append(callback)

    # ---- services for the session ------------------------------------------------------

    def _new_case(self) -> Any:
        from kiosk.case import VerificationCase

        rt = self.runtime
        if rt is None:
            raise KioskError("The kiosk is still starting.")
        keep = bool(self.options.store and not self.options.demo)
        return VerificationCase(
            rt.policy, toolkit=rt.toolkit, screener=rt.screener, keep_evidence=keep
        )

    def _seed(self) -> int:
        import secrets

        if self.options.seed is not None:
            return self.options.seed
        if self.options.demo and self.runtime is not None and self.runtime.demo is not None:
            return int(self.runtime.demo.seed)
        return secrets.randbelow(2**31)

    def _dispose(self, job: Callable[[], None]) -> None:
        threading.Thread(target=job, name="ui-dispose", daemon=True).start()

    # ---- steps -------------------------------------------------------------------------

    def _on_step(self, change: StepChanged) -> None:
        self._show_step(change.step, change.previous)

    def _show_step(self, step: Step, previous: Step | None = None) -> None:
        if previous is not None:
            self.screens[previous].on_leave()
        screen = self.screens[step]
        self.stack.setCurrentWidget(screen)
        self.header.set_step(STEP_INDEX.get(step, -1))
        if step in (Step.CONSENT, Step.DOCUMENT):
            self.idle.arm()
        else:
            self.idle.disarm()
        if step is Step.DOCUMENT:
            self._enter_document()
        elif step is Step.SELFIE:
            self._enter_selfie()
        elif step is Step.RESULT:
            outcome = self.session.outcome
            if outcome is not None:
                self.result.show_outcome(outcome, self.settings.result_timeout_s)
            self._result_timer.start(self.settings.result_timeout_s * 1000)
        if step is not Step.RESULT:
            self._result_timer.stop()
        screen.on_enter()

    def _start(self) -> None:
        if self.kiosk_state in ("unavailable", "no_camera"):
            self.session.go(Step.UNAVAILABLE)
            return
        self.session.start()

    def _agree(self) -> None:
        def go() -> None:
            try:
                self.session.accept_consent()
            except KioskError as exc:
                self.handle_error(exc, "consent")

        self.when_ready(go)

    def _escape(self) -> None:
        staff: Any = self._staff
        on_staff = staff is not None and self.areas.currentIndex() == self.areas.indexOf(staff)
        if on_staff:
            staff.escape()
        elif self.session.step is Step.CONSENT:
            self.wipe()
        elif self.session.step in (Step.DOCUMENT, Step.SELFIE):
            self.cancel()
        elif self.session.step is Step.RESULT:
            self.wipe()

    def cancel(self) -> None:
        """The customer cancels: stop capturing and forget everything."""
        self.wipe()

    def wipe(self) -> None:
        """End the customer's session: no image, no case, no outcome; back to the start."""
        self._stop_run()
        self.document.view.clear()
        self.selfie.reset()
        self.result.on_leave()
        self.session.wipe()
        self._reset_display()
        if self.kiosk_state in ("unavailable", "no_camera"):
            self.session.go(Step.UNAVAILABLE)

    def _on_idle(self) -> None:
        if self.session.step in (Step.CONSENT, Step.DOCUMENT):
            log.info("idle time-out: session wiped")
            self.wipe()

    def _stop_run(self) -> None:
        run, self._run = self._run, None
        self.capture.set_source(None)
        self._preview_slot.clear()
        self._active_maker = None
        self._active_view = None
        if run is not None:
            run.cancel.set()
            self.worker.detach(run.token)
        if self._doc_source is not None:
            source, self._doc_source = self._doc_source, None
            if not isinstance(source, CameraDocumentSource):
                source.close()

    # ---- capture plumbing ---------------------------------------------------------------

    def _start_capture(
        self, source: FrameSource, run: _Run, maker: PreviewMaker, view: CameraView
    ) -> None:
        self._active_maker, self._active_view = maker, view
        maker.set_target(view.width(), view.height())
        run.source_name = source.info.name if source.info.kind == "camera" else ""
        run.source_kind = source.info.kind
        self.capture.set_source(source, run.token)

    def _on_capture_frame(self, frame: Frame, token: int) -> None:
        """Capture thread: hand the frame to the worker and prepare its preview."""
        run, maker = self._run, self._active_maker
        if run is None or run.token != token or maker is None:
            return
        self.worker.submit(frame)
        if self._preview_slot.put((token, maker.make(frame))):
            self.preview_ready.emit()

    def _on_preview(self) -> None:
        start = time.perf_counter()
        item = self._preview_slot.take()
        run, view = self._run, self._active_view
        if item is not None and run is not None and view is not None and item[0] == run.token:
            view.show_preview(item[1])
        self.preview_handle_ms.append((time.perf_counter() - start) * 1000.0)

    def _on_capture_ended(self, token: int) -> None:
        run = self._run
        if run is None or run.token != token:
            return
        if run.source_kind == "camera":
            # a live camera does not end: it was unplugged or failed
            self.handle_error(_CameraLost(), run.step.value)
        elif run.step is Step.SELFIE:
            self._end_selfie()  # a recording ran out: decide with what was seen
        else:
            self.handle_error(CaptureError("The document camera stopped."), "document")

    def _on_capture_failed(self, item: tuple[KioskError, int]) -> None:
        error, token = item
        run = self._run
        if run is not None and run.token == token:
            self.handle_error(error, run.step.value)

    def _on_frame_result(self, result: FrameResult) -> None:
        run = self._run
        if run is None or result.token != run.token:
            return
        output = result.output
        if isinstance(output, SelfieFeedback):
            self.selfie.show_feedback(output)
            if output.finished and run.finished_at is None:
                run.finished_at = time.monotonic()
                QTimer.singleShot(round(PULSE_TAIL_S * 1000), lambda: self._end_selfie(run.token))
        elif isinstance(output, DocumentGuidance):
            if output.box is not None:
                self.idle.poke()
            self.document.show_guidance(output)
            if output.capture is not None:
                self.worker.detach(run.token)
                self.capture.set_source(None)
                self._document_captured(output.capture)

    def _on_frame_failed(self, failure: FrameFailure) -> None:
        run = self._run
        if run is None or failure.token != run.token:
            return
        self.handle_error(failure.error, run.step.value)

    def _on_detached(self, token: int) -> None:
        run = self._run
        if run is not None and run.token == token and run.ending:
            self._finish()

    # ---- document ------------------------------------------------------------------------

    def _doc_kind(self) -> DocumentSourceKind:
        spec = self.options.document
        if self.options.demo:
            return DocumentSourceKind.CAMERA
        if spec is not None:
            if spec.startswith("scanner:"):
                return DocumentSourceKind.SCANNER
            if spec.startswith("camera:"):
                return DocumentSourceKind.CAMERA
            return DocumentSourceKind.FOLDER  # folder:... and image:... arrive by themselves
        return self.settings.document.kind

    def _enter_document(self) -> None:
        kind = self._doc_kind()
        self.document.set_mode(kind)
        run = _Run(next(self._tokens), Step.DOCUMENT)
        self._run = run

        def opened(source: DocumentSource) -> None:
            if self._run is not run:
                source.close()
                return
            self._doc_source = source
            if isinstance(source, CameraDocumentSource):
                self.worker.attach(DocumentProcessor(source.guide()), run.token)
                self._start_capture(source.frames, run, self.doc_maker, self.document.view)
            elif kind is DocumentSourceKind.FOLDER:
                self._acquire(source, run)

        def open_source() -> None:
            Op("open document source", self._open_document_source).success(opened).failure(
                lambda e: self.handle_error(e, "document")
            ).run(self.tasks)

        self.when_ready(open_source)

    def _open_document_source(self) -> DocumentSource:
        from kiosk.capture.documents import (
            SaneScannerSource,
            StillDocumentSource,
            WatchedFolderSource,
        )
        from kiosk.capture.frames import CameraSource, open_frame_source

        spec = self.options.document
        if self.options.demo:
            from kiosk.capture.demo_source import DemoDocumentCamera

            assert self.runtime is not None and self.runtime.demo is not None
            return CameraDocumentSource(DemoDocumentCamera(self.runtime.demo.document))
        if spec is not None:
            kind, _, rest = spec.partition(":")
            if kind == "scanner":
                return SaneScannerSource(rest, resolution_dpi=self.settings.document.resolution_dpi)
            if kind == "folder":
                return WatchedFolderSource(Path(rest), consume=self.settings.document.consume)
            if kind == "image":
                from pipeline.image import DOCUMENT_MAX_SIDE, load_image

                return StillDocumentSource(
                    load_image(Path(rest), max_side=DOCUMENT_MAX_SIDE).pixels, name="image"
                )
            if kind == "camera":
                return CameraDocumentSource(open_frame_source(rest))
            raise CaptureError(f"Unknown document source {kind!r}.")
        d = self.settings.document
        if d.kind is DocumentSourceKind.SCANNER:
            return SaneScannerSource(d.scanner, resolution_dpi=d.resolution_dpi)
        if d.kind is DocumentSourceKind.FOLDER:
            return WatchedFolderSource(Path(d.folder), consume=d.consume)
        if d.camera_index >= 0:
            return CameraDocumentSource(CameraSource(d.camera_index, width=1280, height=960))
        source, _check = self._open_bound_camera()
        return CameraDocumentSource(source)

    def _scan(self) -> None:
        run, source = self._run, self._doc_source
        if run is None or source is None or self.document.busy:
            return
        self._acquire(source, run)

    def _acquire(self, source: DocumentSource, run: _Run) -> None:
        self.document.set_busy(True)

        def got(page: DocumentPage) -> None:
            if self._run is run:
                self.document.set_busy(False)
                self._document_captured(page)

        def failed(error: KioskError) -> None:
            if self._run is run:
                self.document.set_busy(False)
                self.handle_error(error, "document")

        Op("acquire document", lambda: source.acquire(cancel=run.cancel)).success(got).failure(
            failed
        ).run(self.tasks)

    def _document_captured(self, page: DocumentPage) -> None:
        run = self._run
        self.document.mark_captured()

        def started(_none: None) -> None:
            if self._run is run and self.session.step is Step.DOCUMENT:
                QTimer.singleShot(CAPTURED_PAUSE_MS, self._to_selfie)

        Op("start document", lambda: self.session.document_captured(page)).success(started).failure(
            lambda e: self.handle_error(e, "document")
        ).run(self.tasks)

    def _to_selfie(self) -> None:
        if self.session.step is Step.DOCUMENT:
            self._stop_run()
            self.session.go(Step.SELFIE)

    # ---- selfie --------------------------------------------------------------------------

    def _open_bound_camera(self) -> tuple[FrameSource, Any]:
        from kiosk.capture.devices import open_bound_camera

        cam = self.settings.camera
        if not cam.bound:
            raise _CameraUnbound()
        source, check = open_bound_camera(
            cam.name, width=cam.width, height=cam.height, hint_index=cam.index
        )
        if not check.ok:
            source.close()
            raise _CameraCheckFailed(", ".join(check.codes))
        return source, check

    def _open_selfie_source(self, run: _Run) -> FrameSource:
        from kiosk.capture.devices import CameraProblem, check_camera
        from kiosk.capture.frames import open_frame_source

        if self.options.demo:
            from kiosk.capture.demo_source import PromptFollowingCamera, face_crop

            assert self.runtime is not None and self.runtime.demo is not None
            person = self.runtime.demo.person

            def action() -> str | None:
                processor = run.processor
                return processor.current_action if processor is not None else None

            crop = face_crop(person.renderer.skin_mask)
            return PromptFollowingCamera(person.frame, action, fps=DEMO_CAMERA_FPS, crop=crop)
        if self.options.camera:
            # chosen on the command line (tests, a recording): no binding to compare with,
            # but a device that calls itself a virtual camera is still refused
            source = open_frame_source(self.options.camera)
            check = check_camera(source.info, name="", width=0, height=0)
            if CameraProblem.VIRTUAL in check.problems:
                source.close()
                raise _CameraCheckFailed(", ".join(check.codes))
            return source
        return self._open_bound_camera()[0]

    def _enter_selfie(self) -> None:
        self.selfie.reset()
        run = _Run(next(self._tokens), Step.SELFIE)
        self._run = run

        def opened(source: FrameSource) -> None:
            if self._run is not run:
                source.close()
                return
            self._start_capture(source, run, self.selfie_maker, self.selfie.view)
            Op("prepare selfie", lambda: self.session.prepare_selfie(run.source_name)).success(
                prepared
            ).failure(lambda e: self.handle_error(e, "selfie")).run(self.tasks)

        def prepared(processor: LivenessProcessor) -> None:
            if self._run is not run:
                return
            run.processor = processor
            wait = max(0.0, READY_DELAY_S - (time.monotonic() - run.entered))
            QTimer.singleShot(round(wait * 1000), lambda: attach())

        def attach() -> None:
            if self._run is run and run.processor is not None:
                self.selfie.set_phase("running")
                self.worker.attach(run.processor, run.token)

        Op("open camera", lambda: self._open_selfie_source(run)).success(opened).failure(
            lambda e: self.handle_error(e, "selfie")
        ).run(self.tasks)

    def _end_selfie(self, token: int | None = None) -> None:
        run = self._run
        if run is None or run.step is not Step.SELFIE or run.ending:
            return
        if token is not None and run.token != token:
            return
        run.ending = True
        self.capture.set_source(None)
        self.worker.detach(run.token)  # -> _on_detached -> _finish

    def _finish(self) -> None:
        self._run = None
        self._active_maker = None
        self._active_view = None
        self._preview_slot.clear()
        self.selfie.view.clear()
        self.session.go(Step.PROCESSING)
        want_payload = self.options.report

        def finish() -> tuple[Any, dict[str, Any] | None]:
            from kiosk.cli.verify_cmd import case_payload

            result = self.session.finish()
            return result, (case_payload(result) if want_payload else None)

        def finished(item: tuple[Any, dict[str, Any] | None]) -> None:
            result, payload = item
            if self.session.services.save is None:
                self.session.conclude(result, stored=False, payload=payload)
                return
            Op("save case", lambda: self.session.save(result), lane=Lane.STORE).success(
                lambda stored: self.session.conclude(result, stored=stored, payload=payload)
            ).failure(lambda e: self.handle_error(e, "save")).run(self.tasks)

        Op("finish case", finish).success(finished).failure(
            lambda e: self.handle_error(e, "finish")
        ).run(self.tasks)

    # ---- errors --------------------------------------------------------------------------

    def handle_error(self, error: KioskError, where: str) -> None:
        """The one place errors turn into what people see."""
        incident = self.incidents.record(error, where)
        if incident.effect is Effect.RETRY_STEP and self.session.step is Step.DOCUMENT:
            self.document.hint.setText(self.tr_unreadable())
            return
        if incident.effect is Effect.OUT_OF_SERVICE:
            self._stop_run()
            self.kiosk_state = "unavailable"
            self.unavailable_code = error.code
            self.notice.set_kind("unavailable")
            self.session.wipe()
            self.session.go(Step.UNAVAILABLE)
            return
        if incident.effect is Effect.END_SESSION and self.session.step in (
            Step.DOCUMENT,
            Step.SELFIE,
            Step.PROCESSING,
        ):
            self._stop_run()
            self.session.fail(CustomerReason.NOT_RECORDED)

    @staticmethod
    def tr_unreadable() -> str:
        from ui.text import tr

        return tr("The scan could not be read. Please try again.")

    # ---- display preferences -----------------------------------------------------------

    def _set_language(self, code: str) -> None:
        self.languages.set(code)
        others = [c for c in available_languages() if c != self.languages.current]
        self.header.set_other_language(others[0] if others else self.languages.current)

    def _toggle_language(self) -> None:
        langs = available_languages()
        i = langs.index(self.languages.current) if self.languages.current in langs else 0
        self._set_language(langs[(i + 1) % len(langs)])

    def _cycle_text_size(self) -> None:
        from kiosk.settings import FONT_SCALES

        scales = list(FONT_SCALES)
        now = self.themes.theme.scale
        nxt = next((s for s in scales if s > now + 1e-6), scales[0])
        self.themes.set_scale(nxt)

    def _set_contrast(self, on: bool) -> None:
        self.themes.set_high_contrast(on)

    def _reset_display(self) -> None:
        d = self.settings.display
        if self.languages.current != d.language:
            self._set_language(d.language)
        theme = make_theme(high_contrast=d.high_contrast, scale=d.font_scale)
        if theme != self.themes.theme:
            self.themes.apply(theme)
        self.header.contrast.blockSignals(True)
        self.header.contrast.setChecked(d.high_contrast)
        self.header.contrast.blockSignals(False)

    # ---- staff ---------------------------------------------------------------------------

    @property
    def staff(self) -> Any:
        """The staff console (created when first needed)."""
        if self._staff is None:
            from ui.staff.console import StaffArea

            self._staff = StaffArea(self)
            self.areas.addWidget(self._staff)
            self._staff.closed.connect(self.close_staff)
        return self._staff

    def open_staff(self) -> None:
        if self.session.step not in (Step.WELCOME, Step.UNAVAILABLE):
            return
        staff = self.staff
        self.areas.setCurrentWidget(staff)
        staff.on_open()

    def close_staff(self) -> None:
        self.areas.setCurrentIndex(0)
        if self.kiosk_state in ("unavailable", "no_camera"):
            self.session.go(Step.UNAVAILABLE)
        else:
            self.session.go(Step.WELCOME)
        self.screens[self.session.step].on_enter()

    def apply_settings(self, settings: AppSettings) -> None:
        """New settings from the console: used from the next customer on."""
        self.settings = settings
        self.idle.set_timeout(settings.idle_timeout_s)
        self.selfie_maker.mirrored = True if self.options.demo else settings.camera.mirror
        self.selfie.overlay.mirrored = self.selfie_maker.mirrored
        self.store.policy_path = self.options.policy or settings.policy_file
        if self.kiosk_state == "unavailable" and self.unavailable_code.startswith("camera"):
            self.kiosk_state = "starting"
            Op("check devices", self._check_devices).success(self._devices_checked).failure(
                lambda e: self._unavailable(e, "devices")
            ).run(self.tasks)
        self._reset_display()

    def recheck(self) -> None:
        """Run the start-up checks again (after staff fixed a camera, the store, ...)."""
        self.kiosk_state = "starting"
        self.unavailable_code = ""
        self._devices_ok = False
        if self.runtime is None:
            self.reload_runtime()
        if self.options.store and not self.options.demo and not self.store.available:
            Op("open store", self.store.open, lane=Lane.STORE).success(
                lambda _status: self._check_ready()
            ).failure(lambda e: self._unavailable(e, "store")).run(self.tasks)
        Op("check devices", self._check_devices).success(self._devices_checked).failure(
            lambda e: self._unavailable(e, "devices")
        ).run(self.tasks)

    def reload_runtime(self) -> None:
        """Reload the policy and lists (after the policy file changed)."""
        self.kiosk_state = "starting"
        Op(
            "reload runtime",
            lambda: load_runtime(
                self.settings, demo=self.options.demo, policy_path=self.options.policy
            ),
        ).success(self._runtime_loaded).failure(self._runtime_failed).run(self.tasks)

    # ---- shutdown ------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop threads, close the store and the models (idempotent)."""
        self._stop_run()
        self.session.wipe()
        self.capture.stop()
        self.worker.stop()
        self.tasks.shutdown(wait=True)
        self._case_pool.shutdown(wait=True, cancel_futures=True)
        self.store.close()
        self.languages.close()
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # outside dialogs Qt buttons take only Space; kiosk keypads send Enter
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = QApplication.focusWidget()
            if isinstance(focused, QAbstractButton) and focused.isEnabled():
                focused.click()
                return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def lower_thread_priority(niceness: int = 10) -> None:
    """Lower the calling thread's CPU priority (Linux: nice is per thread)."""
    # not Linux, or not permitted: the thread runs at normal priority
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


class _CameraLost(CaptureError):
    code = "camera_lost"
    default_message = "The camera stopped delivering pictures."

    def __init__(self) -> None:
        super().__init__(hint="check the camera's cable, then look at the staff console")


class _CameraUnbound(CaptureError):
    code = "camera_unbound"
    default_message = "No camera is bound to this kiosk."

    def __init__(self) -> None:
        super().__init__(hint="bind a camera in the staff console settings")


class _CameraCheckFailed(CaptureError):
    code = "camera_check_failed"
    default_message = "The camera is not the one bound to this kiosk."

    def __init__(self, problems: str) -> None:
        super().__init__(
            f"The camera is not the one bound to this kiosk ({problems}).",
            hint="check the camera, then bind it again in the staff console",
        )
