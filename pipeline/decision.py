"""The auditable decision: case signals + site policy -> approved, manual_review or rejected.

Hard rejects come first (no face, sanctions hit, expired document, failed MRZ checks
where required, under age, document type not accepted, a liveness attack, a clear face
mismatch). Then explicit weighted rules: each soft finding adds its policy weight to a
risk score with a reason; at or above the policy's review score the case goes to
manual review. A signal a branch could not produce is *unknown*, and the policy says
what unknown means. The same signals and policy always give the same decision, so a
recorded case can be replayed (``kiosk decide --replay``).
"""

from __future__ import annotations

import enum
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import PolicyError

SIGNALS_SCHEMA = 1


class Outcome(enum.Enum):
    APPROVED = "approved"
    MANUAL_REVIEW = "manual_review"
    REJECTED = "rejected"


class Severity(enum.Enum):
    REJECT = "reject"
    REVIEW = "review"


# ---- signals -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentSignals:
    """What the document branch established (no personal data: no names or numbers).

    Attributes:
        available: the branch produced a reading; False with ``error_code`` otherwise.
        mrz_found, mrz_valid: a machine-readable zone was read; all its checks passed.
        mrz_format: TD1, TD2, TD3, MRV-A, MRV-B.
        document_code: the MRZ document code (``P``, ``I``, ``ID``, ``V``...).
        expired: the document has expired (None: unknown).
        age_years: the holder's age from the MRZ date of birth (None: unknown).
        viz_mismatch: an MRZ field disagrees with the visual zone.
        names_trusted: names and nationality are confirmed (visual zone or confidence).
        quality_issues: capture problems (glare, blur, cut_off, ...).
        portrait_found: a portrait face was found on the document.
        national_id_invalid: a national ID number on the page fails its own checksum.
        error_code: why the branch failed, when it did.
    """

    available: bool
    mrz_found: bool = False
    mrz_valid: bool = False
    mrz_format: str | None = None
    document_code: str | None = None
    expired: bool | None = None
    age_years: int | None = None
    viz_mismatch: bool = False
    names_trusted: bool = False
    quality_issues: tuple[str, ...] = ()
    portrait_found: bool = False
    national_id_invalid: bool = False
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class FaceSignals:
    """The selfie-to-portrait comparison.

    Attributes:
        available: a similarity was computed.
        similarity: cosine similarity (None when not available).
        threshold: the model's calibrated threshold used.
        model: registry name of the recogniser.
        selfie_quality_issues: quality codes of the selfie face.
        error_code: why no similarity (``no_face``, ``multiple_faces``...).
    """

    available: bool
    similarity: float | None = None
    threshold: float | None = None
    model: str = ""
    selfie_quality_issues: tuple[str, ...] = ()
    error_code: str = ""


LIVENESS_DECISIONS = ("pass", "review", "fail")
SCREENING_OUTCOMES = ("clear", "review", "hit")


@dataclass(frozen=True, slots=True)
class LivenessSignals:
    """The fused liveness verdict: ``decision`` pass, review or fail, and its reason codes."""

    available: bool
    decision: str | None = None
    score: float | None = None
    reason_codes: tuple[str, ...] = ()
    error_code: str = ""

    def __post_init__(self) -> None:
        if self.decision is not None and self.decision not in LIVENESS_DECISIONS:
            raise PolicyError(f"Unknown liveness decision {self.decision!r}.")


@dataclass(frozen=True, slots=True)
class ScreeningSignals:
    """Sanctions/PEP screening: ``outcome`` clear, review or hit, and the lists used."""

    available: bool
    outcome: str | None = None
    lists: tuple[str, ...] = ()
    error_code: str = ""

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in SCREENING_OUTCOMES:
            raise PolicyError(f"Unknown screening outcome {self.outcome!r}.")


@dataclass(frozen=True, slots=True)
class CaseSignals:
    """Everything the decision looks at; recorded with the case so it can be replayed."""

    document: DocumentSignals
    face: FaceSignals
    liveness: LivenessSignals
    screening: ScreeningSignals
    schema: int = SIGNALS_SCHEMA

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CaseSignals:
        """Rebuild recorded signals.

        Raises:
            PolicyError: a missing or mistyped field, named.
        """
        if not isinstance(raw, Mapping) or raw.get("schema") != SIGNALS_SCHEMA:
            raise PolicyError("The recorded signals are missing or of an unknown schema.")
        try:
            return cls(
                document=_build(DocumentSignals, raw["document"]),
                face=_build(FaceSignals, raw["face"]),
                liveness=_build(LivenessSignals, raw["liveness"]),
                screening=_build(ScreeningSignals, raw["screening"]),
            )
        except KeyError as exc:
            raise PolicyError(f"The recorded signals are incomplete: {exc} is missing.") from exc
        except TypeError as exc:
            raise PolicyError(f"The recorded signals are malformed: {exc}.") from exc


def _build(kind: type[Any], raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        raise TypeError(f"{kind.__name__} must be an object")
    hints = typing.get_type_hints(kind)
    unknown = set(raw) - set(hints)
    if unknown:
        raise TypeError(f"{kind.__name__} has unknown fields {sorted(unknown)}")
    values = {}
    for name, value in raw.items():
        where = f"{kind.__name__}.{name}"
        values[name] = _checked(value, hints[name], where)
    return kind(**values)


def _checked(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it has the type ``hint`` (JSON lists become tuples), else TypeError."""
    args = typing.get_args(hint)
    if type(None) in args:  # X | None
        if value is None:
            return None
        (hint,) = [a for a in args if a is not type(None)]
        args = typing.get_args(hint)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(float(value))
        )
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif typing.get_origin(hint) is tuple:  # tuple[str, ...]
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:  # pragma: no cover - every signal field has one of the types above
        ok = False
    if not ok:
        raise TypeError(f"{where} must be {getattr(hint, '__name__', hint)}, not {value!r}")
    return value


# ---- policy --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnknownRules:
    """What a signal that could not be produced means, per branch."""

    document: Outcome = Outcome.MANUAL_REVIEW
    face: Outcome = Outcome.MANUAL_REVIEW
    liveness: Outcome = Outcome.MANUAL_REVIEW
    screening: Outcome = Outcome.MANUAL_REVIEW


DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("face_uncertain", 1.0),
    ("liveness_review", 1.0),
    ("screening_review", 1.0),
    ("mrz_viz_mismatch", 1.0),
    ("mrz_not_found", 1.0),
    ("portrait_not_found", 1.0),
    ("names_untrusted", 0.5),
    ("age_unknown", 1.0),
    ("expiry_unknown", 1.0),
    ("mrz_invalid", 1.0),
    ("national_id_invalid", 1.0),
    ("document_quality", 0.3),
    ("selfie_quality", 0.3),
)


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    """The decision part of a site policy (loaded and validated by ``kiosk.policy``).

    Attributes:
        name, version: identify the policy in reasons and reports.
        content_hash: sha256 of the policy file; goes with every decision.
        accepted_document_codes: MRZ document codes accepted (prefix match: ``I`` accepts ``ID``).
        accepted_formats: MRZ formats accepted.
        require_valid_mrz: a read MRZ that fails its checks is a hard reject.
        reject_expired: an expired document is a hard reject.
        min_age: customers younger are rejected.
        face_review_margin: a similarity within this margin below the threshold goes to
            review instead of being rejected.
        reject_liveness_fail: a failed liveness verdict is a hard reject (else review).
        weights: soft finding -> weight added to the risk score.
        review_score: risk score at or above which the case goes to manual review.
        unknown: what a missing signal means.
    """

    name: str = "default"
    version: str = "0"
    content_hash: str = ""
    accepted_document_codes: tuple[str, ...] = ("P", "I", "A", "C")
    accepted_formats: tuple[str, ...] = ("TD1", "TD2", "TD3")
    require_valid_mrz: bool = True
    reject_expired: bool = True
    min_age: int = 18
    face_review_margin: float = 0.05
    reject_liveness_fail: bool = True
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    review_score: float = 0.5
    unknown: UnknownRules = field(default_factory=UnknownRules)

    def weight(self, finding: str) -> float:
        return dict(self.weights).get(finding, 0.0)


# ---- decision ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: a stable code, a message for staff, its severity and weight (soft rules)."""

    code: str
    message: str
    severity: Severity
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome with ordered reasons (hard rejects first, then soft findings by weight).

    Attributes:
        outcome: approved, manual_review or rejected.
        reasons: why, most important first; empty only for a clean approval.
        risk_score: sum of the weights of the soft findings.
        policy_name, policy_version, policy_hash: which policy decided.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    risk_score: float
    policy_name: str
    policy_version: str
    policy_hash: str

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def decide(signals: CaseSignals, policy: DecisionPolicy) -> Decision:
    """Apply the policy to the signals. Pure and deterministic."""
    hard: list[Reason] = []
    soft: list[Reason] = []
    unknown: list[tuple[Reason, Outcome]] = []

    def reject(code: str, message: str) -> None:
        hard.append(Reason(code, message, Severity.REJECT))

    def flag(code: str, message: str) -> None:
        soft.append(Reason(code, message, Severity.REVIEW, policy.weight(code)))

    def missing(branch: str, rule: Outcome, message: str) -> None:
        sev = Severity.REJECT if rule is Outcome.REJECTED else Severity.REVIEW
        unknown.append((Reason(f"{branch}_unknown", message, sev), rule))

    _document_rules(signals.document, policy, reject, flag, missing)
    _face_rules(signals.face, policy, reject, flag, missing)
    _liveness_rules(signals.liveness, policy, reject, flag, missing)
    _screening_rules(signals.screening, policy, reject, flag, missing)

    risk = sum(r.weight for r in soft)
    unknown_reject = [r for r, rule in unknown if rule is Outcome.REJECTED]
    unknown_review = [r for r, rule in unknown if rule is Outcome.MANUAL_REVIEW]
    soft_sorted = sorted(soft, key=lambda r: -r.weight)
    if hard or unknown_reject:
        outcome = Outcome.REJECTED
    elif unknown_review or risk >= policy.review_score:
        outcome = Outcome.MANUAL_REVIEW
    else:
        outcome = Outcome.APPROVED
    reasons: list[Reason] = []
    for r in hard + unknown_reject + unknown_review + soft_sorted:
        if all(r.code != seen.code for seen in reasons):  # one reason per code, first wins
            reasons.append(r)
    return Decision(outcome, tuple(reasons), risk, policy.name, policy.version, policy.content_hash)


def _document_rules(
    d: DocumentSignals, p: DecisionPolicy, reject: Any, flag: Any, missing: Any
) -> None:
    if not d.available:
        missing(
            "document",
            p.unknown.document,
            f"The document could not be read ({d.error_code or 'unknown error'}).",
        )
        return
    if not d.mrz_found:
        flag("mrz_not_found", "No machine-readable zone was read on the document.")
    else:
        if d.mrz_format and d.mrz_format not in p.accepted_formats:
            reject(
                "document_type_not_accepted",
                f"{d.mrz_format} documents are not accepted by this site.",
            )
        elif not d.document_code:
            reject("document_type_not_accepted", "The document code could not be read.")
        elif not any(d.document_code.startswith(c) for c in p.accepted_document_codes):
            reject(
                "document_type_not_accepted",
                f"Document code {d.document_code} is not accepted by this site.",
            )
        if not d.mrz_valid:
            if p.require_valid_mrz:
                reject("mrz_invalid", "The machine-readable zone failed its checks.")
            else:
                flag("mrz_invalid", "The machine-readable zone failed its checks.")
        if d.expired is True and p.reject_expired:
            reject("document_expired", "The document has expired.")
        elif d.expired is None:
            flag("expiry_unknown", "The expiry date could not be established.")
        if d.age_years is not None and d.age_years < p.min_age:
            reject("under_min_age", f"The customer is under the minimum age of {p.min_age}.")
        elif d.age_years is None:
            flag("age_unknown", "The date of birth could not be established.")
        if d.viz_mismatch:
            flag(
                "mrz_viz_mismatch",
                "The machine-readable zone disagrees with the printed visual zone.",
            )
        if not d.names_trusted:
            flag("names_untrusted", "The name could not be confirmed from the visual zone.")
    if d.national_id_invalid:
        flag("national_id_invalid", "A national ID number on the document fails its checksum.")
    if not d.portrait_found:
        flag("portrait_not_found", "No portrait was found on the document.")
    if d.quality_issues:
        flag("document_quality", f"Document capture quality: {', '.join(d.quality_issues)}.")


def _face_rules(f: FaceSignals, p: DecisionPolicy, reject: Any, flag: Any, missing: Any) -> None:
    if not f.available or f.similarity is None or f.threshold is None:
        if f.error_code == "no_face":
            reject("no_face", "No face was found in the selfie.")
        elif f.error_code == "multiple_faces":
            reject("multiple_faces", "More than one face was in the selfie.")
        else:
            missing(
                "face",
                p.unknown.face,
                f"The faces could not be compared ({f.error_code or 'unknown error'}).",
            )
        return
    if not (math.isfinite(f.similarity) and math.isfinite(f.threshold)):
        missing("face", p.unknown.face, "The face comparison gave no usable number.")
        return
    if f.similarity < f.threshold - p.face_review_margin:
        reject(
            "face_mismatch",
            "The selfie does not match the document portrait "
            f"(similarity {f.similarity:.3f}, threshold {f.threshold:.3f}).",
        )
    elif f.similarity < f.threshold:
        flag(
            "face_uncertain",
            "The selfie is close to, but below, the match threshold "
            f"(similarity {f.similarity:.3f}, threshold {f.threshold:.3f}).",
        )
    if f.selfie_quality_issues:
        flag("selfie_quality", f"Selfie quality: {', '.join(f.selfie_quality_issues)}.")


def _liveness_rules(
    lv: LivenessSignals, p: DecisionPolicy, reject: Any, flag: Any, missing: Any
) -> None:
    if not lv.available or lv.decision is None:
        missing(
            "liveness",
            p.unknown.liveness,
            f"Liveness could not be assessed ({lv.error_code or 'no live capture'}).",
        )
        return
    detail = f" ({', '.join(lv.reason_codes[:3])})" if lv.reason_codes else ""
    attacks = [c for c in lv.reason_codes if c.endswith(("_attack", "_failed"))]
    if lv.decision == "fail":
        if p.reject_liveness_fail:
            reject("liveness_failed", f"The liveness check failed{detail}.")
        else:
            flag("liveness_review", f"The liveness check failed{detail}.")
    elif lv.decision != "pass":
        flag("liveness_review", f"The liveness evidence is inconclusive{detail}.")
    elif attacks:  # a pass outvoting an attack cue is not a clean pass
        flag(
            "liveness_review",
            f"Liveness passed against attack evidence ({', '.join(attacks[:3])}).",
        )


def _screening_rules(
    s: ScreeningSignals, p: DecisionPolicy, reject: Any, flag: Any, missing: Any
) -> None:
    if not s.available or s.outcome is None:
        missing(
            "screening",
            p.unknown.screening,
            f"Sanctions screening did not run ({s.error_code or 'no list'}).",
        )
        return
    if s.outcome == "hit":
        reject("sanctions_hit", "The customer matches an entry of a sanctions list.")
    elif s.outcome != "clear":
        flag("screening_review", "A possible sanctions or PEP match needs review.")
