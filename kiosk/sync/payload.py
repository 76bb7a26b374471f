"""The decision payload: the only thing that leaves the device, as an explicit allow-list.

Wire shape (schema version 1), canonical JSON (sorted keys, no whitespace,
UTF-8), so the signature covers exact bytes::

    {"case_id": "...", "created_at": "2026-01-31T09:15:02.123456Z",
     "customer_ref": "cr1_<64 hex>" | null, "decision": "approved",
     "device_id": "...", "extra": {}, "models": {"sface": "<sha256>"},
     "policy_hash": "<sha256>", "reason_codes": ["..."], "schema_version": 1,
     "site_id": "...", "timings_ms": {"document_read": 812.5}}

Every key is always present; nothing else is accepted. ``extra`` holds only
fields from :data:`EXTRA_FIELDS` that the site policy names in
``[sync] fields``. Images, embeddings and landmarks are not in that list and
cannot be sent at all; names, the document number and the date of birth are,
marked ``personal``, and leave only when the policy names them.

:func:`parse_payload` is the receiver's strict reader: duplicate keys, NaN,
unknown keys, wrong types and out-of-range values (however large) are refused
with a message that names a schema field at most, never a key or value the
input made up. Every pattern must match the whole text (``fullmatch``), and
coded extras (liveness, screening, document code and format, states, dates)
take only their fixed values or shapes.

:func:`validate_field_names` checks a policy's ``[sync] fields`` when it loads.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.store.types import CASE_ID_RE, MODEL_NAME_RE, REASON_RE, SHA256_HEX_RE, CaseDecision
from kiosk.sync.errors import FieldNotAllowed, PayloadInvalid
from kiosk.sync.reference import REFERENCE_RE, reference_for_reading
from pipeline.types import Timings

if TYPE_CHECKING:
    from kiosk.case import CaseResult
    from kiosk.policy import SitePolicy
    from kiosk.sync.config import SyncSettings

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024
MAX_REASONS = 64
MAX_MODELS = 32
MAX_STAGES = 64
MAX_TEXT_CHARS = 128
MAX_STAGE_MS = 1e9
# Apply every pattern with fullmatch: under match, "$" also accepts a trailing newline.
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
STAGE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,47}$")
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# ICAO 9303 document code: a letter, then a letter or the filler.
DOCUMENT_CODE_RE = re.compile(r"^[A-Z][A-Z<]?$")
_STATE_RE = re.compile(r"^[A-Z<]{1,3}$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The wire schema's own copies, so a pipeline change cannot widen what is sent
# (tests check they still agree with pipeline.decision).
LIVENESS_DECISIONS = ("pass", "review", "fail")
SCREENING_OUTCOMES = ("clear", "review", "hit")
DOCUMENT_FORMATS = ("TD1", "TD2", "TD3", "MRV-A", "MRV-B")
KEYS = frozenset(
    {
        "case_id",
        "created_at",
        "customer_ref",
        "decision",
        "device_id",
        "extra",
        "models",
        "policy_hash",
        "reason_codes",
        "schema_version",
        "site_id",
        "timings_ms",
    }
)


class ExtraKind(enum.Enum):
    """The JSON type of an extra field's value (every extra may also be null)."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class ExtraSpec:
    """An extra field a site policy may allow upstream.

    Attributes:
        name: the key in ``extra`` and in the policy's ``[sync] fields``.
        kind: JSON type of the value.
        personal: personal data (or a quasi-identifier) of the customer.
        description: what it is, for the operator.
        choices: for text, the only values accepted (empty: see ``pattern``).
        pattern: for text, the shape a value must have (fullmatch); None with no
            ``choices``: any text of up to 128 characters without control characters.
    """

    name: str
    kind: ExtraKind
    personal: bool
    description: str
    choices: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None


EXTRA_FIELDS: tuple[ExtraSpec, ...] = (
    ExtraSpec("risk_score", ExtraKind.NUMBER, False, "sum of the soft-finding weights"),
    ExtraSpec(
        "document_code",
        ExtraKind.TEXT,
        False,
        "MRZ document code (P, I, ID, ...)",
        pattern=DOCUMENT_CODE_RE,
    ),
    ExtraSpec(
        "document_format",
        ExtraKind.TEXT,
        False,
        "MRZ layout (TD1, TD2, TD3, MRV-A/B)",
        choices=DOCUMENT_FORMATS,
    ),
    ExtraSpec("document_expired", ExtraKind.BOOLEAN, False, "the document has expired"),
    ExtraSpec("mrz_valid", ExtraKind.BOOLEAN, False, "every MRZ check passed"),
    ExtraSpec("face_similarity", ExtraKind.NUMBER, False, "selfie-to-portrait cosine"),
    ExtraSpec("face_threshold", ExtraKind.NUMBER, False, "match threshold used"),
    ExtraSpec(
        "liveness_decision", ExtraKind.TEXT, False, "pass, review or fail", LIVENESS_DECISIONS
    ),
    ExtraSpec("liveness_score", ExtraKind.NUMBER, False, "fused liveness score"),
    ExtraSpec(
        "screening_outcome", ExtraKind.TEXT, False, "clear, review or hit", SCREENING_OUTCOMES
    ),
    ExtraSpec("age_years", ExtraKind.INTEGER, True, "holder's age in whole years"),
    ExtraSpec("issuing_state", ExtraKind.TEXT, True, "MRZ issuing state", pattern=_STATE_RE),
    ExtraSpec("nationality", ExtraKind.TEXT, True, "MRZ nationality", pattern=_STATE_RE),
    ExtraSpec(
        "expiry_date", ExtraKind.TEXT, True, "document expiry, ISO date", pattern=_ISO_DATE_RE
    ),
    ExtraSpec("surname", ExtraKind.TEXT, True, "MRZ surname"),
    ExtraSpec("given_names", ExtraKind.TEXT, True, "MRZ given names"),
    ExtraSpec("document_number", ExtraKind.TEXT, True, "MRZ document number"),
    ExtraSpec(
        "date_of_birth", ExtraKind.TEXT, True, "date of birth, ISO date", pattern=_ISO_DATE_RE
    ),
)
_EXTRA_BY_NAME = {spec.name: spec for spec in EXTRA_FIELDS}
PERSONAL_FIELDS = frozenset(spec.name for spec in EXTRA_FIELDS if spec.personal)

ExtraValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model that took part: registry name and the sha256 of its file (None if unpinned)."""

    name: str
    sha256: str | None


@dataclass(frozen=True, slots=True)
class StageTiming:
    """Wall-clock milliseconds of one case stage (repeated stage names are summed)."""

    stage: str
    ms: float


@dataclass(frozen=True, slots=True)
class ExtraField:
    """One extra field and its value (see :data:`EXTRA_FIELDS`)."""

    name: str
    value: ExtraValue


@dataclass(frozen=True, slots=True)
class DecisionPayload:
    """The allow-listed decision record sent upstream. Validated on construction.

    Attributes:
        case_id: the random case identifier; also the idempotency key.
        created_at: when the case started (aware, UTC on the wire, microseconds).
        decision: the automated outcome.
        reason_codes: stable reason codes, most important first.
        policy_hash: sha256 of the site policy that decided.
        models: models that took part, sorted by name.
        timings: per-stage milliseconds, sorted by stage.
        site_id, device_id: where the case was decided.
        customer_ref: pseudonymous reference (:mod:`kiosk.sync.reference`) or None.
        extra: policy-allowed extra fields, sorted by name.
        schema_version: always :data:`SCHEMA_VERSION` for payloads built here.
    """

    case_id: str
    created_at: dt.datetime
    decision: CaseDecision
    reason_codes: tuple[str, ...]
    policy_hash: str
    models: tuple[ModelRef, ...]
    timings: tuple[StageTiming, ...]
    site_id: str
    device_id: str
    customer_ref: str | None
    extra: tuple[ExtraField, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _check(self.schema_version == SCHEMA_VERSION, "schema_version", "must be 1")
        _check(_text_matches(self.case_id, CASE_ID_RE), "case_id", "is not a case id")
        _check(
            isinstance(self.created_at, dt.datetime) and self.created_at.utcoffset() is not None,
            "created_at",
            "must be a timezone-aware time",
        )
        _check(isinstance(self.decision, CaseDecision), "decision", "is not a known outcome")
        _check(len(self.reason_codes) <= MAX_REASONS, "reason_codes", "has too many entries")
        for code in self.reason_codes:
            _check(_text_matches(code, REASON_RE), "reason_codes", "holds a malformed code")
        _check(_text_matches(self.policy_hash, SHA256_HEX_RE), "policy_hash", "is not a sha256")
        _check(len(self.models) <= MAX_MODELS, "models", "has too many entries")
        names = [m.name for m in self.models]
        _check(names == sorted(set(names)), "models", "must be unique and sorted")
        for model in self.models:
            _check(_text_matches(model.name, MODEL_NAME_RE), "models", "holds a bad model name")
            _check(
                model.sha256 is None or _text_matches(model.sha256, SHA256_HEX_RE),
                "models",
                "holds a value that is not a sha256",
            )
        _check(len(self.timings) <= MAX_STAGES, "timings_ms", "has too many stages")
        stages = [t.stage for t in self.timings]
        _check(stages == sorted(set(stages)), "timings_ms", "must be unique and sorted")
        for timing in self.timings:
            _check(_text_matches(timing.stage, STAGE_RE), "timings_ms", "holds a bad stage name")
            _check(_number_in(timing.ms, 0.0, MAX_STAGE_MS), "timings_ms", "holds a bad time")
        _check(_text_matches(self.site_id, ID_RE), "site_id", "is not an identifier")
        _check(_text_matches(self.device_id, ID_RE), "device_id", "is not an identifier")
        _check(
            self.customer_ref is None or _text_matches(self.customer_ref, REFERENCE_RE),
            "customer_ref",
            "is not a cr1_ reference",
        )
        extra_names = [e.name for e in self.extra]
        _check(extra_names == sorted(set(extra_names)), "extra", "must be unique and sorted")
        unknown = [e.name for e in self.extra if e.name not in _EXTRA_BY_NAME]
        if unknown:
            # the names came from outside: count them, never repeat them
            raise FieldNotAllowed(
                f"Payload field extra holds {len(unknown)} field(s) that are never sent upstream.",
                hint="allowed: " + ", ".join(_EXTRA_BY_NAME),
            )
        for field in self.extra:
            spec = _EXTRA_BY_NAME[field.name]
            _check(_extra_ok(spec, field.value), f"extra.{field.name}", _expected(spec))

    def _to_wire(self) -> dict[str, Any]:
        """The JSON object of the wire shape."""
        return {
            "case_id": self.case_id,
            "created_at": self.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "customer_ref": self.customer_ref,
            "decision": self.decision.value,
            "device_id": self.device_id,
            "extra": {e.name: e.value for e in self.extra},
            "models": {m.name: m.sha256 for m in self.models},
            "policy_hash": self.policy_hash,
            "reason_codes": list(self.reason_codes),
            "schema_version": self.schema_version,
            "site_id": self.site_id,
            "timings_ms": {t.stage: t.ms for t in self.timings},
        }

    def to_json_bytes(self) -> bytes:
        """Canonical JSON: sorted keys, no whitespace, UTF-8. The bytes that get signed."""
        return canonical_json(self._to_wire())


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes (sorted keys, no whitespace, no NaN)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def extra_spec(name: str) -> ExtraSpec:
    """The spec of extra field ``name``.

    Raises:
        FieldNotAllowed: a name that is not in :data:`EXTRA_FIELDS`.
    """
    spec = _EXTRA_BY_NAME.get(name)
    if spec is None:
        import difflib

        close = difflib.get_close_matches(name, list(_EXTRA_BY_NAME), n=1)
        raise FieldNotAllowed(
            f"'{name}' is not a field that can be sent upstream"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + ".",
            hint="known fields: " + ", ".join(_EXTRA_BY_NAME),
        )
    return spec


def validate_field_names(names: Iterable[object]) -> tuple[str, ...]:
    """Check a site policy's ``[sync] fields`` list; for validation when the policy loads.

    Args:
        names: the list as read from the policy file.

    Returns:
        The names, in the given order.

    Raises:
        FieldNotAllowed: an entry that is not a string, or not a field of
            :data:`EXTRA_FIELDS` (named, with a suggestion), or a name given twice.
    """
    out: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise FieldNotAllowed(
                "Every entry of [sync] fields must be a field name (a string).",
                hint="known fields: " + ", ".join(_EXTRA_BY_NAME),
            )
        extra_spec(name)
        if name in out:
            raise FieldNotAllowed(f"[sync] fields names '{name}' twice.")
        out.append(name)
    return tuple(out)


def personal_fields(names: Iterable[str]) -> tuple[str, ...]:
    """The names among ``names`` that are marked personal, in :data:`EXTRA_FIELDS` order."""
    wanted = set(names)
    return tuple(spec.name for spec in EXTRA_FIELDS if spec.personal and spec.name in wanted)


def restrict_extras(
    payload: DecisionPayload, allowed: Iterable[str]
) -> tuple[DecisionPayload, tuple[str, ...]]:
    """``payload`` without the extra fields that ``allowed`` does not name.

    Returns:
        The payload (the same object when nothing was removed) and the removed names.
    """
    names = set(allowed)
    dropped = tuple(e.name for e in payload.extra if e.name not in names)
    if not dropped:
        return payload, ()
    kept = tuple(e for e in payload.extra if e.name in names)
    return replace(payload, extra=kept), dropped


def build_payload(
    *,
    case_id: str,
    created_at: dt.datetime,
    decision: CaseDecision | str,
    reason_codes: Sequence[str],
    policy_hash: str,
    models: Sequence[tuple[str, str | None]],
    timings: Timings,
    site_id: str,
    device_id: str,
    customer_ref: str | None,
    extra: Sequence[ExtraField] = (),
    allowed_extra: Sequence[str] = (),
) -> DecisionPayload:
    """Build and validate the payload of one decision.

    Args:
        case_id: the case's random id (the idempotency key upstream).
        created_at: when the case started; timezone-aware.
        decision: the outcome (enum or its value).
        reason_codes: reason codes in policy order.
        policy_hash: sha256 hex of the site policy.
        models: ``(name, sha256 or None)`` of the models that ran.
        timings: per-stage milliseconds; rounded to 0.1 ms, repeated stages summed.
        site_id, device_id: identifiers of the site and the kiosk.
        customer_ref: from :func:`kiosk.sync.reference.customer_reference`, or None.
        extra: extra fields; each must be named in ``allowed_extra``.
        allowed_extra: the site policy's ``[sync] fields``.

    Raises:
        FieldNotAllowed: an extra field the policy does not name, or an allowed
            name that is not a sendable field.
        PayloadInvalid: any value outside the schema (the field is named).
    """
    allowed = {extra_spec(name).name for name in allowed_extra}
    for field in extra:
        extra_spec(field.name)
        if field.name not in allowed:
            raise FieldNotAllowed(
                f"Payload field extra.{field.name} is not named in the site policy.",
                hint="add it to [sync] fields in the site policy to send it",
            )
    try:
        outcome = CaseDecision(decision)
    except ValueError:
        raise PayloadInvalid("Payload field decision is not a known outcome.") from None
    summed: dict[str, float] = {}
    for stage, ms in timings.stages:
        summed[stage] = summed.get(stage, 0.0) + float(ms)
    return DecisionPayload(
        case_id=case_id,
        created_at=created_at,
        decision=outcome,
        reason_codes=tuple(reason_codes),
        policy_hash=policy_hash,
        models=tuple(ModelRef(n, h or None) for n, h in sorted(dict(models).items())),
        timings=tuple(
            StageTiming(s, round(ms, 1) if math.isfinite(ms) else ms)
            for s, ms in sorted(summed.items())
        ),
        site_id=site_id,
        device_id=device_id,
        customer_ref=customer_ref,
        extra=tuple(sorted(extra, key=lambda f: f.name)),
    )


def parse_payload(body: bytes) -> DecisionPayload:
    """Read a payload strictly (the receiver side).

    Raises:
        PayloadInvalid: not UTF-8 JSON, duplicate keys, NaN or infinities, a
            missing or unknown key, a wrong type or an out-of-range value.
        FieldNotAllowed: an extra field that is never sent upstream.
    """
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadInvalid(f"The payload is larger than {MAX_PAYLOAD_BYTES} bytes.")
    try:
        raw = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except UnicodeDecodeError:
        raise PayloadInvalid("The payload is not UTF-8.") from None
    except _DuplicateKey:
        raise PayloadInvalid("The payload repeats a key.") from None
    except (ValueError, RecursionError):
        raise PayloadInvalid("The payload is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise PayloadInvalid("The payload is not a JSON object.")
    missing = sorted(KEYS - raw.keys())
    unknown = sorted(raw.keys() - KEYS)
    if unknown:
        # counted, not named: the names are the sender's text
        raise PayloadInvalid(
            f"The payload has {len(unknown)} key(s) outside the schema; allowed: "
            + ", ".join(sorted(KEYS))
            + "."
        )
    if missing:
        raise PayloadInvalid(f"Payload field {missing[0]} is missing.")
    _check(
        type(raw["schema_version"]) is int and raw["schema_version"] == SCHEMA_VERSION,
        "schema_version",
        "must be 1",
    )
    created = raw["created_at"]
    _check(
        isinstance(created, str) and bool(_TIME_RE.fullmatch(created)),
        "created_at",
        "is not a UTC time",
    )
    try:
        created_at = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise PayloadInvalid("Payload field created_at is not a calendar time.") from None
    decision = raw["decision"]
    _check(
        isinstance(decision, str) and decision in {d.value for d in CaseDecision},
        "decision",
        "is not a known outcome",
    )
    reasons = raw["reason_codes"]
    _check(
        isinstance(reasons, list) and all(isinstance(r, str) for r in reasons),
        "reason_codes",
        "must be a list of strings",
    )
    models = raw["models"]
    _check(isinstance(models, dict), "models", "must be an object")
    timings = raw["timings_ms"]
    _check(isinstance(timings, dict), "timings_ms", "must be an object")
    extra = raw["extra"]
    _check(isinstance(extra, dict), "extra", "must be an object")
    for key in ("case_id", "policy_hash", "site_id", "device_id"):
        _check(isinstance(raw[key], str), key, "must be a string")
    _check(
        raw["customer_ref"] is None or isinstance(raw["customer_ref"], str),
        "customer_ref",
        "must be a string or null",
    )
    for stage_ms in timings.values():
        _check(_number_in(stage_ms, 0.0, MAX_STAGE_MS), "timings_ms", "holds a bad time")
    return DecisionPayload(
        case_id=raw["case_id"],
        created_at=created_at,
        decision=CaseDecision(decision),
        reason_codes=tuple(reasons),
        policy_hash=raw["policy_hash"],
        models=tuple(ModelRef(n, h) for n, h in sorted(models.items())),
        timings=tuple(StageTiming(s, float(ms)) for s, ms in sorted(timings.items())),
        site_id=raw["site_id"],
        device_id=raw["device_id"],
        customer_ref=raw["customer_ref"],
        extra=tuple(ExtraField(n, v) for n, v in sorted(extra.items())),
    )


def case_extras(result: CaseResult, names: Sequence[str]) -> tuple[ExtraField, ...]:
    """The values of the extra fields ``names`` for a finished case.

    Raises:
        FieldNotAllowed: a name that is not in :data:`EXTRA_FIELDS`.
    """
    signals = result.signals
    record = getattr(getattr(result.document, "mrz", None), "record", None)

    def mrz_text(field: str) -> str | None:
        value = record.value(field).strip() if record is not None else ""
        return value or None

    def rounded(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else round(float(value), 4)

    def iso(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    getters: dict[str, Any] = {
        "risk_score": lambda: rounded(result.decision.risk_score),
        "document_code": lambda: signals.document.document_code,
        "document_format": lambda: signals.document.mrz_format,
        "document_expired": lambda: signals.document.expired,
        "mrz_valid": lambda: signals.document.mrz_valid if signals.document.available else None,
        "face_similarity": lambda: rounded(result.match.similarity),
        "face_threshold": lambda: rounded(result.match.threshold),
        "liveness_decision": lambda: signals.liveness.decision,
        "liveness_score": lambda: rounded(signals.liveness.score),
        "screening_outcome": lambda: signals.screening.outcome,
        "age_years": lambda: signals.document.age_years,
        "issuing_state": lambda: mrz_text("issuing_state"),
        "nationality": lambda: mrz_text("nationality"),
        "expiry_date": lambda: iso(record.expiry_date) if record is not None else None,
        "surname": lambda: mrz_text("surname"),
        "given_names": lambda: mrz_text("given_names"),
        "document_number": lambda: (mrz_text("document_number") or "").replace(" ", "") or None,
        "date_of_birth": lambda: iso(record.date_of_birth) if record is not None else None,
    }
    fields = []
    for name in names:
        spec = extra_spec(name)
        value = getters[name]()
        # a value the schema cannot carry (an odd OCR reading, say) is sent as unknown
        fields.append(ExtraField(name, value if _extra_ok(spec, value) else None))
    return tuple(fields)


def payload_for_case(
    result: CaseResult, policy: SitePolicy, settings: SyncSettings
) -> DecisionPayload:
    """The payload of a finished case, with the extras the site policy allows.

    The customer reference is computed from the case's MRZ (issuing state,
    document number, date of birth) under the site's reference secret; it is
    None when no secret is configured or the document was not read.

    Raises:
        FieldNotAllowed: the policy names a field that is never sent.
        PayloadInvalid: the policy is not the one that decided the case, or a value
            falls outside the schema.
    """
    decision = result.decision
    if policy.content_hash != decision.policy_hash:
        raise PayloadInvalid(
            "The site policy changed while the case ran; its payload was not built.",
            hint="run the case again",
        )
    reference = None
    if settings.reference_secret is not None:
        reference = reference_for_reading(settings.reference_secret.value, result.document)
    return case_payload(
        result,
        site_id=settings.site_id,
        device_id=settings.device_id,
        customer_ref=reference,
        extra=case_extras(result, policy.sync_fields),
        allowed_extra=policy.sync_fields,
    )


def case_payload(
    result: CaseResult,
    *,
    site_id: str,
    device_id: str,
    customer_ref: str | None,
    extra: Sequence[ExtraField] = (),
    allowed_extra: Sequence[str] = (),
) -> DecisionPayload:
    """:func:`build_payload` with the case's own fields taken from ``result``."""
    decision = result.decision
    return build_payload(
        case_id=result.case_id,
        created_at=result.created_at,
        decision=decision.outcome.value,
        reason_codes=decision.reason_codes,
        policy_hash=decision.policy_hash,
        models=result.models,
        timings=result.timings,
        site_id=site_id,
        device_id=device_id,
        customer_ref=customer_ref,
        extra=extra,
        allowed_extra=allowed_extra,
    )


def outbox_payload_for(result: CaseResult, policy_path: Path | None) -> bytes | None:
    """The outbox bytes for ``result``: the payload, a draft when the sync configuration
    is broken, or None when sync is not configured. Never raises for configuration.

    A thin wrapper of :func:`kiosk.sync.queueing.plan_outbox` (see there); used by
    ``kiosk verify --store``.
    """
    from kiosk.sync.queueing import plan_outbox

    return plan_outbox(result, policy_path).outbox_bytes


# ---- validation helpers -----------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey()
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _check(ok: bool, field: str, problem: str) -> None:
    if not ok:
        raise PayloadInvalid(f"Payload field {field} {problem}.")


def _text_matches(value: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and bool(pattern.fullmatch(value))


def _number_in(value: Any, lo: float, hi: float) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return lo <= value <= hi  # compared exactly: a huge int would overflow float()
    return isinstance(value, float) and math.isfinite(value) and lo <= value <= hi


def _expected(spec: ExtraSpec) -> str:
    if spec.choices:
        return "must be one of " + ", ".join(spec.choices) + " or null"
    if spec.pattern is not None:
        return "does not have the expected form"
    return f"must be {spec.kind.value}"


def _extra_ok(spec: ExtraSpec, value: Any) -> bool:
    if value is None:
        return True
    if spec.kind is ExtraKind.TEXT:
        if not isinstance(value, str):
            return False
        if spec.choices:
            return value in spec.choices
        if spec.pattern is not None:
            return bool(spec.pattern.fullmatch(value))
        return len(value) <= MAX_TEXT_CHARS and not _CONTROL_RE.search(value)
    if spec.kind is ExtraKind.INTEGER:
        return type(value) is int and -(2**31) <= value < 2**31
    if spec.kind is ExtraKind.NUMBER:
        return _number_in(value, -1e12, 1e12)
    return isinstance(value, bool)
