"""What goes into the outbox when a case is saved, even when the sync configuration is broken.

A decision is never lost to a configuration mistake. :func:`plan_outbox` gives
one of three answers, and never raises for configuration:

* ``OFF``: sync is not configured; the case is saved without an outbox row.
* ``READY``: the payload (:func:`kiosk.sync.payload.payload_for_case`).
* ``BLOCKED``: the settings or the policy could not be used (a typo in
  ``kiosk.toml``, a secret file readable by others, a short reference key...).
  The case is saved with a *draft* row that records why; the sender turns the
  draft into a payload with the settings and the site policy it has once they
  load, and sends it. A draft is not a payload (its ``_draft`` key is outside
  the schema), so nothing can send it as it is.

A draft holds only what needs no configuration: the case id, time, outcome,
reason codes, policy hash, models, timings and the non-personal extra fields.
It never holds personal data, so a message sent from a draft has no customer
reference and none of the personal extra fields, whatever the policy names.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import KioskError
from kiosk.sync.errors import PayloadInvalid
from kiosk.sync.payload import (
    EXTRA_FIELDS,
    DecisionPayload,
    ExtraField,
    build_payload,
    canonical_json,
    case_extras,
    case_payload,
    payload_for_case,
)
from pipeline.types import Timings

if TYPE_CHECKING:
    from kiosk.case import CaseResult
    from kiosk.sync.config import SyncSettings

log = logging.getLogger("kiosk.sync.queueing")

DRAFT_KIND = "kiosk.sync.draft.v1"
# Canonical JSON sorts keys and "_" sorts before every lower-case letter.
DRAFT_PREFIX = b'{"_draft":"' + DRAFT_KIND.encode() + b'"'
MAX_REASON_CHARS = 300
_NON_PERSONAL = tuple(spec.name for spec in EXTRA_FIELDS if not spec.personal)


class OutboxState(enum.Enum):
    """What saving a case puts in the outbox."""

    OFF = "off"
    READY = "ready"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class OutboxPlan:
    """The outbox row for one case.

    Attributes:
        state: off (no row), ready (a payload) or blocked (a draft, or no row
            when even the draft could not be built).
        outbox_bytes: the row's bytes: payload, draft, or None for no row.
        error_code: why it is blocked (the error's stable code); "" otherwise.
        error_message: the error's message for staff (no personal data); "" otherwise.
    """

    state: OutboxState
    outbox_bytes: bytes | None = None
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True, slots=True)
class Draft:
    """A message queued while sync was misconfigured (see the module docstring).

    Attributes:
        case_id: the case.
        blocked_code, blocked_message: the configuration error at the time.
        wire: the payload's configuration-free keys, as on the wire.
        extra: the non-personal extra fields' values.
    """

    case_id: str
    blocked_code: str
    blocked_message: str
    wire: dict[str, Any]
    extra: dict[str, Any]


def plan_outbox(result: CaseResult, policy_path: Path | None) -> OutboxPlan:
    """The outbox row for a finished case; never raises for a configuration problem.

    Args:
        result: the finished case.
        policy_path: the site policy the case was decided with (None: the configured one).

    Returns:
        ``OFF`` when sync is not configured, ``READY`` with the payload, or
        ``BLOCKED`` with a draft and the error (which is also logged, without
        personal data).
    """
    from kiosk.policy import load_policy
    from kiosk.sync.config import load_sync_settings

    try:
        settings = load_sync_settings()
        if settings is None:
            return OutboxPlan(OutboxState.OFF)
        payload = payload_for_case(result, load_policy(policy_path), settings)
    except KioskError as exc:
        return _blocked(result, exc)
    return OutboxPlan(OutboxState.READY, payload.to_json_bytes())


def build_draft(result: CaseResult, error: KioskError) -> bytes:
    """The draft bytes for ``result``, recording ``error`` as the reason.

    Raises:
        PayloadInvalid: the case's own fields are outside the schema.
    """
    core = case_payload(result, site_id="draft", device_id="draft", customer_ref=None)
    wire = json.loads(core.to_json_bytes())
    for key in ("site_id", "device_id", "customer_ref", "extra"):
        del wire[key]  # filled in from the configuration when the draft is finished
    extras = {e.name: e.value for e in case_extras(result, _NON_PERSONAL)}
    return canonical_json(
        {
            "_draft": DRAFT_KIND,
            "blocked": {"code": error.code, "message": error.message[:MAX_REASON_CHARS]},
            "extra": extras,
            "wire": wire,
        }
    )


def is_draft(outbox_bytes: bytes) -> bool:
    """Whether an outbox row holds a draft rather than a payload."""
    return outbox_bytes.startswith(DRAFT_PREFIX)


def read_draft(outbox_bytes: bytes) -> Draft:
    """Parse a draft.

    Raises:
        PayloadInvalid: not a draft, or a malformed one.
    """
    try:
        raw = json.loads(outbox_bytes.decode("utf-8"))
        blocked, wire, extra = raw["blocked"], raw["wire"], raw["extra"]
        ok = (
            raw.get("_draft") == DRAFT_KIND
            and isinstance(wire, dict)
            and isinstance(extra, dict)
            and isinstance(wire.get("case_id"), str)
        )
        code, message = str(blocked["code"]), str(blocked["message"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise PayloadInvalid("The queued draft is malformed.")
    return Draft(wire["case_id"], code, message, wire, extra)


def finish_draft(
    outbox_bytes: bytes, settings: SyncSettings, allowed_fields: Collection[str]
) -> DecisionPayload:
    """The payload of a draft, with the site and device ids of ``settings`` and the
    extra fields ``allowed_fields`` names (never a customer reference or personal field).

    The same draft, settings and fields always give the same bytes.

    Raises:
        PayloadInvalid: a malformed draft, or values outside the schema.
    """
    draft = read_draft(outbox_bytes)
    wire = draft.wire
    try:
        created_at = dt.datetime.strptime(wire["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.UTC
        )
        models = [(str(name), digest) for name, digest in dict(wire["models"]).items()]
        timings = Timings(tuple((str(s), float(ms)) for s, ms in dict(wire["timings_ms"]).items()))
        reasons = [str(code) for code in wire["reason_codes"]]
        extras = tuple(
            ExtraField(name, value)
            for name, value in sorted(draft.extra.items())
            if name in allowed_fields and name in _NON_PERSONAL
        )
        return build_payload(
            case_id=draft.case_id,
            created_at=created_at,
            decision=str(wire["decision"]),
            reason_codes=reasons,
            policy_hash=str(wire["policy_hash"]),
            models=models,
            timings=timings,
            site_id=settings.site_id,
            device_id=settings.device_id,
            customer_ref=None,
            extra=extras,
            allowed_extra=[e.name for e in extras],
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        raise PayloadInvalid("The queued draft is malformed.") from None


def _blocked(result: CaseResult, error: KioskError) -> OutboxPlan:
    log.warning(
        "sync: case %s saved, but its upstream message is blocked by the sync "
        "configuration (%s); it is sent once the configuration loads",
        result.case_id,
        error.code,
    )
    try:
        draft = build_draft(result, error)
    except Exception as exc:  # the decision is saved regardless; only the type is logged
        log.error(
            "sync: case %s: no draft message could be built (%s)",
            result.case_id,
            type(exc).__name__,
        )
        return OutboxPlan(OutboxState.BLOCKED, None, error.code, error.message)
    return OutboxPlan(OutboxState.BLOCKED, draft, error.code, error.message)
