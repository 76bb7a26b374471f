"""Fuse liveness signals into one verdict with reasons.

Rules, in order: a FAIL on a signal marked decisive (a failed challenge, a virtual
camera, a format change mid-session) makes the verdict FAIL; otherwise the weighted
score over signals that gave evidence, +1 for PASS, -1 for FAIL, 0 for WEAK, decides
PASS, REVIEW or FAIL against the thresholds, and a session with any failed attack cue
is at best REVIEW (a high score never outvotes an attack into a pass). A signal with
UNKNOWN contributes nothing, and rPPG alone can never fail a session: its FAIL votes
are capped to WEAK.
Thresholds, weights and the decisive set come from the site policy.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from pipeline.liveness.types import InvalidLivenessOptions, LivenessSignal, Verdict


class LivenessDecision(enum.Enum):
    PASS = "pass"
    REVIEW = "review"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class FusionOptions:
    """How signals combine.

    Attributes:
        pass_score: weighted score in [-1, 1] at or above which the session passes.
        fail_score: at or below which it fails; in between goes to review.
        decisive: signal names whose FAIL alone fails the session.
        advisory: signal names that may never push towards FAIL (weak evidence only).
        required: signal names that must give evidence (not UNKNOWN) to pass.
    """

    pass_score: float = 0.5
    fail_score: float = -0.2
    decisive: tuple[str, ...] = ("challenge", "camera_device", "stream_format", "repeated_frames")
    advisory: tuple[str, ...] = ("rppg_snr",)
    required: tuple[str, ...] = ("challenge",)

    def __post_init__(self) -> None:
        if not -1.0 <= self.fail_score < self.pass_score <= 1.0:
            raise InvalidLivenessOptions("Need -1 <= fail_score < pass_score <= 1.")


@dataclass(frozen=True, slots=True)
class LivenessReason:
    """Why the verdict is what it is: a stable code and a sentence for staff."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class LivenessVerdict:
    """The fused result.

    Attributes:
        decision: pass, review or fail.
        score: weighted evidence in [-1, 1] (NaN when no signal gave evidence).
        reasons: most important first.
        signals: every input signal, as given.
    """

    decision: LivenessDecision
    score: float
    reasons: tuple[LivenessReason, ...]
    signals: tuple[LivenessSignal, ...]

    @property
    def live(self) -> bool:
        return self.decision is LivenessDecision.PASS


def fuse(
    signals: tuple[LivenessSignal, ...], options: FusionOptions | None = None
) -> LivenessVerdict:
    """Combine ``signals`` under ``options``; see the module docstring for the rules."""
    o = options or FusionOptions()
    reasons: list[LivenessReason] = []
    decisive_fail = [s for s in signals if s.name in o.decisive and s.verdict is Verdict.FAIL]
    # any other attack cue that failed keeps the session from a clean pass
    attacks = [
        s
        for s in signals
        if s.verdict is Verdict.FAIL and s not in decisive_fail and s.name not in o.advisory
    ]
    for s in decisive_fail:
        reasons.append(LivenessReason(f"liveness_{s.name}_failed", s.explanation))
    total, weight = 0.0, 0.0
    for s in signals:
        if s.verdict is Verdict.UNKNOWN or s.weight <= 0:
            continue
        vote = {Verdict.PASS: 1.0, Verdict.FAIL: -1.0, Verdict.WEAK: 0.0}[s.verdict]
        if s.name in o.advisory:
            vote = max(vote, 0.0)
        total += vote * s.weight
        weight += s.weight
    score = total / weight if weight > 0 else math.nan
    missing = [
        name
        for name in o.required
        if not any(s.name == name and s.verdict is not Verdict.UNKNOWN for s in signals)
    ]
    for name in missing:
        reasons.append(
            LivenessReason(
                f"liveness_{name}_missing", f"The {name.replace('_', ' ')} gave no evidence."
            )
        )
    if decisive_fail:
        decision = LivenessDecision.FAIL
    elif math.isnan(score):
        decision = LivenessDecision.REVIEW
        reasons.append(LivenessReason("liveness_no_evidence", "No liveness signal gave evidence."))
    elif score <= o.fail_score:
        decision = LivenessDecision.FAIL
    elif score >= o.pass_score and not missing and not attacks:
        decision = LivenessDecision.PASS
    else:
        decision = LivenessDecision.REVIEW
    for s in attacks:
        reasons.append(LivenessReason(f"liveness_{s.name}_attack", s.explanation))
    for s in signals:
        if s.verdict is Verdict.WEAK or (s.verdict is Verdict.FAIL and s.name in o.advisory):
            reasons.append(LivenessReason(f"liveness_{s.name}_weak", s.explanation))
    if decision is LivenessDecision.FAIL and not reasons:
        reasons.append(
            LivenessReason(
                "liveness_score_low", f"Weighted liveness evidence {score:+.2f} is too low."
            )
        )
    if decision is LivenessDecision.REVIEW and not reasons:
        reasons.append(
            LivenessReason(
                "liveness_score_uncertain",
                f"Weighted liveness evidence {score:+.2f} is inconclusive.",
            )
        )
    return LivenessVerdict(decision, score, tuple(reasons), signals)
