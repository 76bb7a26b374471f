"""The Qt-free customer session: steps, what the customer is told, wiping."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from kiosk.capture.documents import DocumentPage, DocumentSourceInfo
from ui.session import (
    CaseServices,
    CustomerReason,
    CustomerSession,
    Step,
    case_reference,
    customer_reason,
)


@pytest.mark.parametrize(
    ("outcome", "codes", "expected"),
    [
        ("approved", (), CustomerReason.VERIFIED),
        ("manual_review", ("mrz_not_found",), CustomerReason.STAFF_CHECK),
        ("rejected", ("document_expired", "liveness_failed"), CustomerReason.DOCUMENT_EXPIRED),
        ("rejected", ("liveness_failed",), CustomerReason.LIVENESS),
        ("rejected", ("face_mismatch",), CustomerReason.FACE_NOT_MATCHED),
        ("rejected", ("document_unknown",), CustomerReason.DOCUMENT_UNREADABLE),
        ("rejected", ("something_new",), CustomerReason.SEE_STAFF),
        # a list match must never be hinted at (tipping-off), whatever else was found
        ("rejected", ("document_expired", "sanctions_hit"), CustomerReason.SEE_STAFF),
        ("manual_review", ("screening_review",), CustomerReason.STAFF_CHECK),
    ],
)
def test_what_the_customer_is_told(
    outcome: str, codes: tuple[str, ...], expected: CustomerReason
) -> None:
    assert customer_reason(outcome, codes) is expected


def test_the_reference_is_short_and_carries_only_the_random_id() -> None:
    assert case_reference("3f9a21c0e5d74f1b9c0d8e7f6a5b4c3d") == "3F9A-21C0"


@dataclass
class FakeCase:
    case_id: str = "0123456789abcdef0123456789abcdef"
    calls: list[str] = field(default_factory=list)
    closed: bool = False

    def start_document(self, image: Any) -> None:
        self.calls.append("document")

    def start_selfie(self, seed: int, *, device_name: str = "") -> None:
        self.calls.append(f"selfie:{seed}:{device_name}")

    def finish(self) -> Any:
        from types import SimpleNamespace

        from pipeline.decision import Outcome

        self.calls.append("finish")
        decision = SimpleNamespace(outcome=Outcome.MANUAL_REVIEW, reason_codes=("mrz_not_found",))
        return SimpleNamespace(case_id=self.case_id, decision=decision)

    def close(self) -> None:
        self.closed = True


def page() -> DocumentPage:
    return DocumentPage(
        np.zeros((40, 60, 3), np.uint8), DocumentSourceInfo("still", "t", False), 0.0
    )


def test_a_session_runs_its_case_and_lets_go_of_it() -> None:
    cases: list[FakeCase] = []
    disposed: list[str] = []

    def new_case() -> FakeCase:
        cases.append(FakeCase())
        return cases[-1]

    def dispose(job: Any) -> None:
        disposed.append("job")
        job()

    session = CustomerSession(CaseServices(new_case, seed=lambda: 42, dispose=dispose))
    steps: list[Step] = []
    session.step_changed.connect(lambda c: steps.append(c.step))
    session.start()
    session.accept_consent()
    session.document_captured(page())
    session.go(Step.SELFIE)
    processor = session.prepare_selfie("Logitech BRIO")
    assert session.holds_biometrics()
    result = session.finish()
    session.conclude(result, stored=True, payload={"decision": "manual_review"})
    assert steps == [Step.CONSENT, Step.DOCUMENT, Step.SELFIE, Step.RESULT]
    assert cases[0].calls == ["document", "selfie:42:Logitech BRIO", "finish"]
    assert cases[0].closed and disposed == ["job"]
    assert not session.holds_biometrics()
    assert session.outcome is not None and session.outcome.reason is CustomerReason.STAFF_CHECK
    assert session.outcome.reference == "0123-4567"
    with pytest.raises(Exception, match="ended"):
        processor.process(None)  # type: ignore[arg-type]
    session.wipe()
    assert session.step is Step.WELCOME and session.outcome is None and session.payload is None


def test_wiping_mid_case_closes_it() -> None:
    case = FakeCase()
    session = CustomerSession(CaseServices(lambda: case))
    session.start()
    session.accept_consent()
    session.document_captured(page())
    session.wipe()
    assert case.closed and not session.holds_biometrics() and session.step is Step.WELCOME


def test_the_session_and_processors_do_not_need_qt() -> None:
    code = (
        "import sys, ui.session, ui.processors, ui.latest, ui.capture, ui.runtime, "
        "ui.store_service; print('PySide6' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


def test_importing_the_ui_creates_no_application_and_loads_no_model() -> None:
    code = (
        "import sys, json; import ui, ui.app, ui.controller, ui.autorun, ui.staff.console; "
        "from PySide6.QtCore import QCoreApplication; "
        "print(json.dumps([QCoreApplication.instance() is None, "
        "[m for m in ('onnxruntime', 'mediapipe', 'sqlcipher3') if m in sys.modules]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[true, []]"


def test_errors_map_to_one_effect_each() -> None:
    from kiosk.errors import CaptureError, InputError, KioskError, StoreLocked
    from ui.errors import Effect, IncidentLog, classify

    class CameraCheckFailed(CaptureError):
        code = "camera_check_failed"

    assert classify(CameraCheckFailed(), "selfie") is Effect.OUT_OF_SERVICE
    assert classify(StoreLocked(), "store") is Effect.OUT_OF_SERVICE
    assert classify(InputError("unreadable scan"), "document") is Effect.RETRY_STEP
    assert classify(CaptureError(), "selfie") is Effect.END_SESSION
    assert classify(KioskError(), "finish") is Effect.END_SESSION
    assert classify(KioskError(), "background") is Effect.STAFF_NOTICE
    log = IncidentLog(size=2)
    for where in ("a", "b", "c"):
        log.record(KioskError(), where)
    assert [i.where for i in log.items()] == ["c", "b"]
