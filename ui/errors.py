"""Errors to screens, in one place (after Anki's ``aqt/errors.py``).

A customer never sees a traceback or a code: an error in their session ends it on the
result screen with "please ask staff", or leaves them on the step with a hint. Staff
see the code and the message in the console's status page. The log gets the code only
(messages may name files; no personal data goes to the log).
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from dataclasses import dataclass

from kiosk.errors import CaptureError, InputError, KioskError, StoreError

log = logging.getLogger("ui.errors")


class Effect(enum.Enum):
    """What the app does about an error."""

    RETRY_STEP = "retry_step"  # stay on the step, show a hint (a scan that cannot be read)
    END_SESSION = "end_session"  # end the customer's session: "please ask staff"
    OUT_OF_SERVICE = "out_of_service"  # the kiosk cannot serve customers until staff act
    STAFF_NOTICE = "staff_notice"  # nothing for the customer; staff see it


@dataclass(frozen=True, slots=True)
class Incident:
    """An error as staff see it: when, where, the stable code and the message."""

    at: float
    where: str
    code: str
    message: str
    effect: Effect


_OUT_OF_SERVICE_CODES = (
    "store_locked",
    "store_wrong_passphrase",
    "store_unlock_throttled",
    "store_no_credential",
    "store_not_initialized",
    "store_busy",
    "store_key_mismatch",
    "store_schema_too_new",
    "store_keyfile_corrupt",
    "model_missing",
    "policy_invalid",
    "camera_missing",
)


def classify(error: KioskError, where: str) -> Effect:
    """The effect of ``error`` raised during ``where`` (a step or job name)."""
    if error.code in _OUT_OF_SERVICE_CODES or error.code.startswith("camera_"):
        return Effect.OUT_OF_SERVICE
    if where == "document" and isinstance(error, InputError):
        return Effect.RETRY_STEP
    if where in ("document", "selfie", "finish", "save") or isinstance(
        error, CaptureError | StoreError
    ):
        return Effect.END_SESSION
    return Effect.STAFF_NOTICE


class IncidentLog:
    """The last incidents, newest first, for the staff console (in memory only)."""

    def __init__(self, size: int = 50) -> None:
        self._items: deque[Incident] = deque(maxlen=size)

    def record(self, error: KioskError, where: str) -> Incident:
        effect = classify(error, where)
        incident = Incident(time.time(), where, error.code, error.message, effect)
        self._items.appendleft(incident)
        log.warning("%s: %s -> %s", where, error.code, effect.value)
        return incident

    def items(self) -> tuple[Incident, ...]:
        return tuple(self._items)

    def clear(self) -> None:
        self._items.clear()
