"""The staff console: PIN sign-in with lock-out, the review queue with evidence decrypted
in memory, approve/reject with a mandatory note (audited), settings, lock."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from kiosk.settings import AppSettings, load_settings
from tests.ui.helpers import wait_for
from tests.ui.test_flow import images_on_screen

PIN = "582947"


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", pixels)
    assert ok
    return buf.tobytes()


def _case_json() -> bytes:
    payload = {
        "decision": "manual_review",
        "reasons": [{"code": "mrz_not_found", "message": "No machine-readable zone was read."}],
        "signals": {
            "document": {"available": True, "mrz_valid": False, "quality_issues": ["glare"]},
            "face": {"available": True, "similarity": 0.61, "threshold": 0.373, "model": "sface"},
            "liveness": {"available": True, "decision": "pass", "score": 0.8, "reason_codes": []},
            "screening": {"available": True, "outcome": "clear", "lists": ["demo:1"]},
        },
        "policy": {"name": "default", "version": "1"},
        "liveness": {"signals": [{"name": "challenge", "verdict": "pass", "value": 1.0}]},
    }
    return json.dumps(payload).encode()


@pytest.fixture
def staffed_store(kiosk_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store holding one case waiting for review, and a staff member."""
    from kiosk.staff_pin import StaffPins
    from kiosk.store import CaseDecision, CaseRecord, EvidenceItem, EvidenceKind, Store
    from tests.kiosk.store.helpers import FAST_KDF, PASSPHRASE

    rng = np.random.default_rng(1)
    document = np.full((320, 500, 3), 220, np.uint8)
    cv2.putText(document, "ID CARD", (30, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (40, 40, 40), 3)
    selfie = rng.integers(0, 255, (240, 240, 3), dtype=np.uint8)
    record = CaseRecord(
        case_id="3f9a21c0e5d74f1b9c0d8e7f6a5b4c3d",
        created_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        decision=CaseDecision.MANUAL_REVIEW,
        reasons=("mrz_not_found",),
        policy_hash="3" * 64,
        model_hashes=(),
        case_json=_case_json(),
        evidence=(
            EvidenceItem(EvidenceKind.DOCUMENT_IMAGE, _jpeg(document), "image/jpeg"),
            EvidenceItem(EvidenceKind.SELFIE_FRAME, _jpeg(selfie), "image/jpeg"),
        ),
    )
    with Store.create(kiosk_dirs, PASSPHRASE, kdf=FAST_KDF) as store:
        store.save_case(record, actor="kiosk")
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))
    StaffPins().enroll("clerk01", PIN)
    return record.case_id


@pytest.fixture
def window(qtbot: Any, staffed_store: str) -> Iterator[Any]:
    from ui.controller import AppOptions, KioskWindow

    w = KioskWindow(AppOptions(fullscreen=False), AppSettings())
    qtbot.addWidget(w)
    w.store.open()
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


def sign_in(qtbot: Any, w: Any, pin: str) -> None:
    page = w.staff.signin
    page.staff_id.setText("clerk01")
    page.pin.setText(pin)
    page.sign_in.click()
    wait_for(qtbot, lambda: not page.checking, 20, "the PIN check")


def shot(w: Any, name: str) -> None:
    target = os.environ.get("KIOSK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        w.grab().save(str(Path(target) / f"{name}.png"))


def test_review_with_evidence_and_an_audited_decision(
    qtbot: Any, window: Any, staffed_store: str
) -> None:
    from kiosk.store import Store
    from kiosk.store.unlock import passphrase_from_env

    w = window
    w.open_staff()
    shot(w, "08-staff-signin")
    sign_in(qtbot, w, "000000")
    assert "Wrong staff id or PIN" in w.staff.signin.status.text()
    assert not w.staff.signed_in
    sign_in(qtbot, w, PIN)
    assert w.staff.signed_in
    review = w.staff.console.review
    wait_for(qtbot, lambda: review.table.rowCount() == 1, 20, "the review queue")
    assert review.table.item(0, 1).text() == "3F9A-21C0"
    review.table.selectRow(0)
    wait_for(qtbot, lambda: review.detail is not None, 20, "the case")
    assert len(images_on_screen(w)) == 2  # document and selfie, decrypted in memory
    assert "similarity 0.610" in review.facts.text()
    assert "mrz_not_found" in review.reasons.text()  # staff see codes
    assert not review.approve.isEnabled()  # a note is mandatory
    review.note.setPlainText("Passport checked by hand at the counter.")
    assert review.approve.isEnabled() and review.reject.isEnabled()
    shot(w, "09-staff-review")
    review.approve.click()
    wait_for(qtbot, lambda: review.table.rowCount() == 0, 20, "the queue to empty")
    assert images_on_screen(w) == []

    w.staff.console.show_page(2)
    status = w.staff.console.status
    wait_for(qtbot, lambda: "cases        1" in status.store_text.text(), 20, "store status")
    assert "Sync not configured" in status.sync_text.text()
    shot(w, "11-staff-status")
    w.staff.lock()
    assert w.areas.currentIndex() == 0 and not w.staff.signed_in
    w.shutdown()

    secret = passphrase_from_env()
    assert secret is not None
    with Store.open(Path(os.environ["KIOSK_DATA_DIR"]), secret) as store:
        case = store.get_case(staffed_store)
        assert case.final_decision.value == "approved"
        review_record = case.reviews[-1]
        assert review_record.actor == "clerk01"
        assert review_record.note == "Passport checked by hand at the counter."
        assert store.verify_audit().ok
        viewed = [e for e in store.audit_entries() if e.action == "case.viewed"]
        assert viewed and all(e.actor == "clerk01" for e in viewed)  # staff reads audited


def test_the_console_locks_itself_and_clears_the_evidence(qtbot: Any, window: Any) -> None:
    w = window
    w.open_staff()
    sign_in(qtbot, w, PIN)
    review = w.staff.console.review
    wait_for(qtbot, lambda: review.table.rowCount() == 1, 20, "the review queue")
    review.table.selectRow(0)
    wait_for(qtbot, lambda: review.detail is not None, 20, "the case")
    assert images_on_screen(w)
    w.staff.idle.set_timeout(0.3)
    w.staff.idle.arm()
    wait_for(qtbot, lambda: not w.staff.signed_in, 5, "the automatic lock")
    assert w.areas.currentIndex() == 0
    assert images_on_screen(w) == [] and review.detail is None


def test_a_case_still_loading_when_the_console_locks_never_shows(
    qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    w = window
    w.open_staff()
    sign_in(qtbot, w, PIN)
    review = w.staff.console.review
    wait_for(qtbot, lambda: review.table.rowCount() == 1, 20, "the review queue")
    release, loaded = threading.Event(), threading.Event()
    real_detail = w.store.case_detail

    def slow_detail(case_id: str, actor: str) -> Any:
        release.wait(10)
        try:
            return real_detail(case_id, actor)
        finally:
            loaded.set()

    monkeypatch.setattr(w.store, "case_detail", slow_detail)
    review.table.selectRow(0)
    w.staff.lock()  # while the store worker is still decrypting the evidence
    release.set()
    assert loaded.wait(10)
    qtbot.wait(300)  # the load's success callback runs on the GUI thread
    assert review.detail is None and images_on_screen(w) == []


def test_repeated_wrong_pins_lock_the_sign_in(qtbot: Any, window: Any) -> None:
    w = window
    w.open_staff()
    for _ in range(3):
        sign_in(qtbot, w, "000000")
    page = w.staff.signin
    assert page.retry_after > 0 and not page.sign_in.isEnabled()
    assert "Too many wrong PINs" in page.status.text()
    sign_in(qtbot, w, PIN)  # refused without a check while locked
    assert not w.staff.signed_in


def test_settings_are_validated_saved_and_applied(qtbot: Any, window: Any) -> None:
    from kiosk.settings import DocumentSourceKind

    w = window
    w.open_staff()
    sign_in(qtbot, w, PIN)
    w.staff.console.show_page(1)
    page = w.staff.console.settings_page
    page.doc_kind.setCurrentIndex(list(DocumentSourceKind).index(DocumentSourceKind.FOLDER))
    page.folder.setText("")
    page.save.click()
    assert "document.folder" in page.status.text()  # refused, named
    page.folder.setText("/srv/scans")
    page.policy.setText("/nonexistent/policy.toml")
    page.save.click()
    wait_for(qtbot, lambda: "policy_invalid" in page.status.text(), 10, "the policy check")
    assert load_settings() == AppSettings()  # nothing was saved
    page.policy.setText("")
    page.idle.setValue(45)
    shot(w, "10-staff-settings")
    page.save.click()
    wait_for(qtbot, lambda: w.settings.idle_timeout_s == 45, 10, "the settings to apply")
    saved = load_settings()
    assert saved.document.kind is DocumentSourceKind.FOLDER and saved.idle_timeout_s == 45
