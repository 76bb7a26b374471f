"""The whole customer flow in the real app, offscreen: a recorded selfie played as a
camera (paced like one), SANE's test scanner as the document source, the encrypted
store. Then the privacy checks after the result screen times out."""

from __future__ import annotations

import gc
import statistics
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget

from kiosk.settings import AppSettings, DocumentSettings, DocumentSourceKind
from tests.ui.helpers import (
    Tracked,
    TrackingSource,
    quick_policy,
    wait_for,
    write_challenge_video,
)

SEED = 11


@pytest.fixture(scope="session")
def challenge_video(tmp_path_factory: pytest.TempPathFactory, model_registry: Any) -> Path:
    return write_challenge_video(tmp_path_factory.mktemp("video") / "selfie.avi", SEED)


@pytest.fixture
def store_credential(kiosk_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.store import Store
    from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE

    Store.create(kiosk_dirs, PASSPHRASE, kdf=FAST_KDF).close()
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))


def images_on_screen(root: QWidget) -> list[str]:
    """Every widget under ``root`` that shows a picture right now."""
    from ui.widgets.camera_view import CameraView

    found = []
    for w in root.findChildren(QWidget):
        if isinstance(w, CameraView) and w.has_image():
            found.append(f"camera view {w.accessibleName()}")
        if isinstance(w, QLabel) and w.pixmap() is not None and not w.pixmap().isNull():
            found.append(f"label {w.accessibleName() or w.objectName()}")
    return found


def test_customer_flow_with_a_video_camera_and_the_sane_test_scanner(
    qtbot: Any, challenge_video: Path, store_credential: None, tmp_path: Path
) -> None:
    from kiosk.capture.frames import VideoFileSource
    from kiosk.store import Store
    from kiosk.store.unlock import passphrase_from_env
    from ui.controller import AppOptions, KioskWindow
    from ui.session import Step

    settings = AppSettings(
        document=DocumentSettings(DocumentSourceKind.SCANNER, scanner="test:0", resolution_dpi=150),
        result_timeout_s=5,
    )
    options = AppOptions(
        camera=str(challenge_video),
        policy=quick_policy(tmp_path / "p.toml"),
        seed=SEED,
        fullscreen=False,
    )
    window = KioskWindow(options, settings)
    qtbot.addWidget(window)
    sources: list[TrackingSource] = []

    def tracked_camera(run: Any) -> TrackingSource:
        sources.append(TrackingSource(VideoFileSource(challenge_video)))
        return sources[-1]

    window._open_selfie_source = tracked_camera  # type: ignore[method-assign]
    steps: list[Step] = []
    window.session.step_changed.connect(lambda change: steps.append(change.step))
    window.resize(1280, 800)
    window.show()
    try:
        window.start()
        wait_for(qtbot, lambda: window.kiosk_state == "ready", 120, "models and store")
        window.welcome.start.click()
        window.consent.agree.click()
        wait_for(qtbot, lambda: window._doc_source is not None, 30, "the scanner")
        assert window.document.scan.isVisible()
        shot(window, "03b-document-scanner")
        window.document.scan.click()
        wait_for(qtbot, lambda: window.session.step is Step.SELFIE, 60, "the selfie step")
        wait_for(qtbot, lambda: window.selfie.view.has_image(), 30, "the camera preview")
        wait_for(qtbot, lambda: window.session.step is Step.RESULT, 120, "the result")

        assert steps == [Step.CONSENT, Step.DOCUMENT, Step.SELFIE, Step.PROCESSING, Step.RESULT]
        outcome = window.session.outcome
        assert outcome is not None and outcome.stored
        assert outcome.outcome in ("approved", "manual_review", "rejected")
        qtbot.wait(300)
        shot(window, f"06b-result-{outcome.outcome.replace('_', '-')}")
        assert window.session.payload is None  # case data goes to the store, nowhere else
        # a colour test pattern is no ID document: never a clean approval
        assert outcome.outcome != "approved"
        assert "mrz_not_found" in outcome.staff_codes or "document_unknown" in outcome.staff_codes
        # the customer reads a sentence, not a code
        shown = window.result.message.text()
        assert shown and not any(code in shown for code in outcome.staff_codes)
        assert images_on_screen(window) == []

        # the pipeline analysed fewer frames than the camera delivered, the preview showed
        # more than were analysed, and GUI-thread frame handling stayed within a 60 Hz frame
        stats = window.worker.stats()
        assert stats.processed >= 10
        painted = len(window.selfie.view.painted_at)
        assert painted > stats.processed
        handle = statistics.median(window.preview_handle_ms)
        paint = statistics.median(window.selfie.view.paint_ms)
        assert handle + paint < 16.0, (handle, paint)

        secret = passphrase_from_env()
        assert secret is not None
        window.store.close()  # the test reads the store itself now
        with Store.open(window.settings and Path(_data_dir()), secret) as store:
            case = store.get_case(store.list_cases()[0].case_id)
            kinds = {e.kind.value for e in case.evidence}
            assert {"document_image", "selfie_frame"} <= kinds
            assert case.decision.value == outcome.outcome

        # the result screen times out: back to welcome, nothing of the customer is left
        wait_for(qtbot, lambda: window.session.step is Step.WELCOME, 15, "the result time-out")
        assert window.session.outcome is None and not window.session.holds_biometrics()
        assert images_on_screen(window) == []
        assert sources and sources[0].handed_out > 0
        qtbot.wait(500)  # the case is closed on a background thread
        try:
            wait_for(qtbot, lambda: _no_tracked_frames(), 15, "every frame to be released")
        except AssertionError:
            raise AssertionError(_holders()) from None
    finally:
        window.shutdown()


def shot(window: QWidget, name: str) -> None:
    """Save a screenshot when ``KIOSK_SCREENSHOTS`` names a folder (``make screenshots``)."""
    import os

    from PySide6.QtWidgets import QApplication

    target = os.environ.get("KIOSK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        window.grab().save(str(Path(target) / f"{name}.png"))


def _data_dir() -> str:
    import os

    return os.environ["KIOSK_DATA_DIR"]


def _holders() -> str:
    """Who still references a tracked frame (for the failure message)."""
    lines = []
    for ref in list(Tracked.refs.values()):
        arr = ref()
        if arr is None:
            continue
        for holder in gc.get_referrers(arr):
            if isinstance(holder, list | dict | tuple):
                owners = [type(o).__name__ for o in gc.get_referrers(holder)][:6]
                lines.append(f"{arr.shape} in {type(holder).__name__} held by {owners}")
            else:
                lines.append(f"{arr.shape} in {type(holder).__name__}")
        del arr
    return "frames still referenced:\n" + "\n".join(sorted(set(lines))[:30])


def _no_tracked_frames() -> bool:
    gc.collect()
    return Tracked.alive() == 0
