"""Customer-facing words for codes: challenge prompts, face and document hints, outcomes.

Every text is marked for Qt's translation tools (``QT_TRANSLATE_NOOP`` in the tables,
translated when shown), so the English source strings here are what ``pyside6-lupdate``
extracts into ``translations/kiosk_*.ts``. Customers never see a raw code.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from pipeline.liveness.challenge import Action
from ui.session import CustomerReason

TABLE_CONTEXT = "Kiosk"


def tr(source: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``source`` in the current language (``%n`` replaced by ``n`` with the plural form).

    ``pyside6-lupdate`` files a bare ``tr("...")`` call under the empty context, so that
    is the context looked up here."""
    return QCoreApplication.translate("", source, disambiguation, n)


def _table(source: object) -> str:
    """A table entry marked with ``QT_TRANSLATE_NOOP("Kiosk", ...)`` (which returns its
    text, typed ``object`` in the stubs), translated."""
    return QCoreApplication.translate(TABLE_CONTEXT, str(source))


PROMPTS: dict[Action, object] = {
    Action.TURN_LEFT: QT_TRANSLATE_NOOP("Kiosk", "Slowly turn your head to your left"),
    Action.TURN_RIGHT: QT_TRANSLATE_NOOP("Kiosk", "Slowly turn your head to your right"),
    Action.LOOK_UP: QT_TRANSLATE_NOOP("Kiosk", "Look up a little"),
    Action.CENTER: QT_TRANSLATE_NOOP("Kiosk", "Look straight at the camera"),
    Action.BLINK: QT_TRANSLATE_NOOP("Kiosk", "Blink slowly"),
    Action.SMILE: QT_TRANSLATE_NOOP("Kiosk", "Smile"),
}

FACE_HINTS: dict[str, object] = {
    "multiple_faces": QT_TRANSLATE_NOOP("Kiosk", "Only one person in front of the camera, please"),
    "no_face": QT_TRANSLATE_NOOP("Kiosk", "Move your face into the oval"),
    "face_cut_off": QT_TRANSLATE_NOOP("Kiosk", "Move your face into the oval"),
    "too_small": QT_TRANSLATE_NOOP("Kiosk", "Move closer"),
    "too_close": QT_TRANSLATE_NOOP("Kiosk", "Move back a little"),
    "off_center": QT_TRANSLATE_NOOP("Kiosk", "Move your face into the oval"),
    "too_dark": QT_TRANSLATE_NOOP("Kiosk", "Too dark: face the light"),
    "too_bright": QT_TRANSLATE_NOOP("Kiosk", "Too bright: step out of direct light"),
}

DOCUMENT_HINTS: dict[str, object] = {
    "no_document": QT_TRANSLATE_NOOP("Kiosk", "Place your ID inside the frame"),
    "cut_off": QT_TRANSLATE_NOOP("Kiosk", "Keep the whole document in view"),
    "too_small": QT_TRANSLATE_NOOP("Kiosk", "Move the document closer"),
    "glare": QT_TRANSLATE_NOOP("Kiosk", "Tilt the document to avoid reflections"),
    "blur": QT_TRANSLATE_NOOP("Kiosk", "Hold still: the picture is blurred"),
    "moving": QT_TRANSLATE_NOOP("Kiosk", "Hold still"),
}

HEADLINES: dict[str, object] = {
    "approved": QT_TRANSLATE_NOOP("Kiosk", "You are verified"),
    "manual_review": QT_TRANSLATE_NOOP("Kiosk", "Almost done"),
    "rejected": QT_TRANSLATE_NOOP("Kiosk", "We could not verify you"),
    "error": QT_TRANSLATE_NOOP("Kiosk", "Please ask a member of staff"),
}

REASONS: dict[CustomerReason, object] = {
    CustomerReason.VERIFIED: QT_TRANSLATE_NOOP(
        "Kiosk", "Thank you. Your identity has been confirmed."
    ),
    CustomerReason.STAFF_CHECK: QT_TRANSLATE_NOOP(
        "Kiosk",
        "A member of staff will check your details shortly. Please wait here or go to the counter.",
    ),
    CustomerReason.DOCUMENT_UNREADABLE: QT_TRANSLATE_NOOP(
        "Kiosk",
        "We could not read your ID document. You can try again, or a member of staff can help you.",
    ),
    CustomerReason.DOCUMENT_EXPIRED: QT_TRANSLATE_NOOP(
        "Kiosk", "Your ID document has expired. Please use a valid passport or ID card."
    ),
    CustomerReason.DOCUMENT_NOT_ACCEPTED: QT_TRANSLATE_NOOP(
        "Kiosk",
        "This type of document is not accepted here. Please use a passport or a national ID card.",
    ),
    CustomerReason.UNDER_AGE: QT_TRANSLATE_NOOP(
        "Kiosk", "This service is not available for your age group. A member of staff can help you."
    ),
    CustomerReason.FACE_NOT_CAPTURED: QT_TRANSLATE_NOOP(
        "Kiosk",
        "We could not take a clear picture of your face. Make sure you are alone "
        "in front of the camera and try again.",
    ),
    CustomerReason.FACE_NOT_MATCHED: QT_TRANSLATE_NOOP(
        "Kiosk",
        "We could not confirm that the photo in the document is you. A member of "
        "staff can help you.",
    ),
    CustomerReason.LIVENESS: QT_TRANSLATE_NOOP(
        "Kiosk",
        "The live check did not succeed. You can try again, or a member of staff can help you.",
    ),
    CustomerReason.SEE_STAFF: QT_TRANSLATE_NOOP(
        "Kiosk", "We cannot complete your check at this kiosk. A member of staff can help you."
    ),
    CustomerReason.NOT_RECORDED: QT_TRANSLATE_NOOP(
        "Kiosk",
        "Something went wrong on our side. Nothing was decided. A member of staff can help you.",
    ),
}

STEP_NAMES = (
    QT_TRANSLATE_NOOP("Kiosk", "Document"),
    QT_TRANSLATE_NOOP("Kiosk", "Face"),
    QT_TRANSLATE_NOOP("Kiosk", "Result"),
)


def prompt(action: Action | None) -> str:
    return _table(PROMPTS[action]) if action is not None else ""


def face_hint(code: str) -> str:
    return _table(FACE_HINTS.get(code, FACE_HINTS["no_face"]))


def document_hint(code: str) -> str:
    return _table(DOCUMENT_HINTS.get(code, DOCUMENT_HINTS["no_document"]))


def headline(outcome: str) -> str:
    return _table(HEADLINES.get(outcome, HEADLINES["error"]))


def reason(reason: CustomerReason) -> str:
    return _table(REASONS[reason])


def step_names() -> tuple[str, ...]:
    return tuple(_table(name) for name in STEP_NAMES)
