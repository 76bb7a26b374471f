"""The customer session: steps, the case, captured evidence, the outcome (Qt-free).

A plain object that emits events; the screens subscribe (napari's ``components`` with
``_qt`` widgets). Methods that take time (:meth:`prepare_selfie`, :meth:`finish`,
:meth:`save`) are called by the controller through background jobs; step changes
happen on the GUI thread. :meth:`wipe` drops every image and the case, and is what
the idle time-out and the end of the result screen call.
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kiosk.capture.documents import DocumentPage
from kiosk.errors import KioskError
from ui.processors import LivenessProcessor

log = logging.getLogger("ui.session")

E = TypeVar("E")


class Emitter(Generic[E]):
    """A list of callbacks; ``connect`` returns the function that disconnects."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[E], None]] = []

    def connect(self, callback: Callable[[E], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def emit(self, event: E) -> None:
        for callback in list(self._callbacks):
            callback(event)


class Step(enum.Enum):
    """Where the customer is."""

    WELCOME = "welcome"
    CONSENT = "consent"
    DOCUMENT = "document"
    SELFIE = "selfie"
    PROCESSING = "processing"
    RESULT = "result"
    UNAVAILABLE = "unavailable"  # the kiosk cannot serve customers now (staff needed)


# steps during which a customer is at the kiosk: idle time-out applies
ACTIVE_STEPS = (Step.CONSENT, Step.DOCUMENT, Step.SELFIE, Step.RESULT)


class CustomerReason(enum.Enum):
    """The one sentence a customer is told (never a raw code; never a screening hint)."""

    VERIFIED = "verified"
    STAFF_CHECK = "staff_check"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DOCUMENT_EXPIRED = "document_expired"
    DOCUMENT_NOT_ACCEPTED = "document_not_accepted"
    UNDER_AGE = "under_age"
    FACE_NOT_CAPTURED = "face_not_captured"
    FACE_NOT_MATCHED = "face_not_matched"
    LIVENESS = "liveness"
    SEE_STAFF = "see_staff"
    NOT_RECORDED = "not_recorded"


_REJECT_REASONS: tuple[tuple[tuple[str, ...], CustomerReason], ...] = (
    (("document_expired",), CustomerReason.DOCUMENT_EXPIRED),
    (("document_type_not_accepted",), CustomerReason.DOCUMENT_NOT_ACCEPTED),
    (("under_min_age",), CustomerReason.UNDER_AGE),
    (("mrz_invalid", "document_unknown", "mrz_not_found"), CustomerReason.DOCUMENT_UNREADABLE),
    (("no_face", "multiple_faces", "face_unknown"), CustomerReason.FACE_NOT_CAPTURED),
    (("face_mismatch",), CustomerReason.FACE_NOT_MATCHED),
    (("liveness_failed", "liveness_unknown"), CustomerReason.LIVENESS),
)


def customer_reason(outcome: str, reason_codes: tuple[str, ...]) -> CustomerReason:
    """The customer's sentence for a decision.

    Anything touching sanctions or PEP screening gives the neutral "see staff": telling
    a customer about a list match would tip them off (AML rules forbid it).
    """
    if outcome == "approved":
        return CustomerReason.VERIFIED
    if any(code.startswith(("sanctions", "screening")) for code in reason_codes):
        return CustomerReason.SEE_STAFF if outcome == "rejected" else CustomerReason.STAFF_CHECK
    if outcome == "manual_review":
        return CustomerReason.STAFF_CHECK
    for code in reason_codes:
        for codes, reason in _REJECT_REASONS:
            if code in codes:
                return reason
    return CustomerReason.SEE_STAFF


@dataclass(frozen=True, slots=True)
class CustomerOutcome:
    """What the result screen shows: no image, no name, no raw code for the customer.

    Attributes:
        outcome: ``approved``, ``manual_review`` or ``rejected``.
        reason: the customer's sentence.
        reference: a short case reference to quote to staff (random, not personal).
        staff_codes: the decision's reason codes (staff see them, customers do not).
        stored: the case was saved in the encrypted store.
    """

    outcome: str
    reason: CustomerReason
    reference: str
    staff_codes: tuple[str, ...]
    stored: bool


def case_reference(case_id: str) -> str:
    """``ABCD-1234``: the first eight hex digits of the random case id."""
    head = case_id.replace("-", "")[:8].upper()
    return f"{head[:4]}-{head[4:]}"


@dataclass(frozen=True, slots=True)
class CaseServices:
    """What a session needs to run a case.

    Attributes:
        new_case: builds a ``VerificationCase`` (policy, toolkit, screener, evidence).
        save: stores a finished case; None when there is no store (demo without one).
        seed: draws the challenge seed.
        dispose: runs the clean-up of a dropped case; the app runs it on a background
            thread (closing waits for a document read in flight), tests run it inline.
    """

    new_case: Callable[[], Any]
    save: Callable[[Any], Any] | None = None
    seed: Callable[[], int] = field(default=lambda: secrets.randbelow(2**31))
    dispose: Callable[[Callable[[], None]], None] = field(default=lambda job: job())


@dataclass(frozen=True, slots=True)
class StepChanged:
    step: Step
    previous: Step


class CustomerSession:
    """One customer at a time, from welcome to result.

    Events: ``step_changed`` (:class:`StepChanged`), ``wiped`` (None).
    """

    def __init__(self, services: CaseServices) -> None:
        self.services = services
        self.step_changed: Emitter[StepChanged] = Emitter()
        self.wiped: Emitter[None] = Emitter()
        self._step = Step.WELCOME
        self._case: Any = None
        self._page: DocumentPage | None = None
        self._processor: LivenessProcessor | None = None
        self._result: Any = None
        self.outcome: CustomerOutcome | None = None
        self.payload: dict[str, Any] | None = None
        self.seed: int | None = None

    @property
    def step(self) -> Step:
        return self._step

    @property
    def case(self) -> Any:
        return self._case

    @property
    def document_page(self) -> DocumentPage | None:
        return self._page

    def go(self, step: Step) -> None:
        """Move to ``step`` (GUI thread) and tell the subscribers."""
        if step is self._step:
            return
        previous, self._step = self._step, step
        self.step_changed.emit(StepChanged(step, previous))

    # ---- the flow ----

    def start(self) -> None:
        """Welcome -> consent."""
        self.go(Step.CONSENT)

    def accept_consent(self) -> None:
        """Consent given: open the case, ask for the document."""
        self._drop_case()
        self._case = self.services.new_case()
        self.go(Step.DOCUMENT)

    def document_captured(self, page: DocumentPage) -> None:
        """Keep the page and start reading it in the case's pool (returns at once)."""
        from pipeline.image import DOCUMENT_MAX_SIDE, from_array

        if self._case is None:
            raise KioskError("No case is open.")
        self._page = page
        self._case.start_document(from_array(page.pixels, max_side=DOCUMENT_MAX_SIDE))

    def prepare_selfie(self, device_name: str) -> LivenessProcessor:
        """Open the liveness session (loads the landmarker: run it off the GUI thread)."""
        if self._case is None:
            raise KioskError("No case is open.")
        self.seed = self.services.seed()
        self._case.start_selfie(self.seed, device_name=device_name)
        self._processor = LivenessProcessor(self._case)
        return self._processor

    def finish(self) -> Any:
        """Decide the case (waits for the document; run it off the GUI thread, after the
        frame worker has detached the liveness processor)."""
        if self._case is None:
            raise KioskError("No case is open.")
        if self._processor is not None:
            self._processor.release()
        self._result = self._case.finish()
        return self._result

    def save(self, result: Any) -> bool:
        """Store the finished case (store lane); False when there is no store."""
        if self.services.save is None:
            return False
        self.services.save(result)
        return True

    def conclude(self, result: Any, *, stored: bool, payload: dict[str, Any] | None) -> None:
        """Show the outcome and let go of the case and every image (GUI thread)."""
        decision = result.decision
        codes = tuple(decision.reason_codes)
        reason = customer_reason(decision.outcome.value, codes)
        self.outcome = CustomerOutcome(
            decision.outcome.value, reason, case_reference(result.case_id), codes, stored
        )
        self.payload = payload
        self._drop_case()
        self.go(Step.RESULT)

    def fail(self, reason: CustomerReason = CustomerReason.NOT_RECORDED) -> None:
        """The case could not be decided or recorded: send the customer to staff."""
        case_id = getattr(self._case, "case_id", "") or "0" * 8
        self.outcome = CustomerOutcome("error", reason, case_reference(case_id), (), False)
        self._drop_case()
        self.go(Step.RESULT)

    def wipe(self) -> None:
        """Forget the customer: case, document page, frames, outcome; back to welcome."""
        self._drop_case()
        self.outcome = None
        self.payload = None
        self.seed = None
        self.wiped.emit(None)
        self.go(Step.WELCOME)

    def holds_biometrics(self) -> bool:
        """Whether any image or case of the customer is still referenced here."""
        return any(x is not None for x in (self._case, self._page, self._processor, self._result))

    def _drop_case(self) -> None:
        processor, case = self._processor, self._case
        self._case = self._page = self._processor = self._result = None
        if processor is None and case is None:
            return

        def clean_up() -> None:
            if processor is not None:
                processor.release()  # waits for a frame in flight; no feed after it
            if case is not None:
                try:
                    case.close()
                except Exception:  # closing must never keep the customer's data alive
                    log.exception("closing the case failed")

        self.services.dispose(clean_up)
