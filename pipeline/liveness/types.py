"""Types shared by every liveness component: verdicts, signals and their errors.

Every liveness cue (rPPG pulse, passive presentation-attack cues, and later the
head-turn challenge, 3D motion and camera integrity) reports one
:class:`LivenessSignal`; the fusion combines them. A signal's ``value`` keeps the
cue's own unit, stated in the ``name``'s documentation of the component that
produced it (for example ``rppg_snr`` is in dB).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from pipeline.errors import LivenessError


class Verdict(enum.Enum):
    """What one cue says about the presentation.

    PASS: evidence of a live person. FAIL: evidence of a presentation attack.
    WEAK: the cue ran but its evidence is inconclusive or weak. UNKNOWN: there
    was not enough data to run the cue (too short, face too small, no face).
    """

    PASS = "pass"
    FAIL = "fail"
    WEAK = "weak"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LivenessSignal:
    """One cue's evidence, ready for fusion.

    Attributes:
        name: stable identifier of the cue, e.g. ``rppg_snr`` or ``pad_moire``.
        value: the cue's measurement in its own unit (documented by the component
            that produced it); NaN when the cue could not be measured.
        verdict: what the measurement says (see :class:`Verdict`).
        weight: the cue's weight in the fusion, >= 0, from the component's options.
        explanation: one sentence for an operator; never contains personal data.
    """

    name: str
    value: float
    verdict: Verdict
    weight: float
    explanation: str

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidLivenessOptions("A liveness signal needs a name.")
        if not (self.weight >= 0.0 and math.isfinite(self.weight)):
            raise InvalidLivenessOptions(f"Signal {self.name}: weight must be finite and >= 0.")


class InvalidLivenessOptions(LivenessError, ValueError):
    """A liveness options object (thresholds, weights, windows) with an impossible value."""

    code = "liveness_options_invalid"
    default_message = "The liveness settings are invalid."


class SampleOrderError(LivenessError):
    """Samples of a stream were not given in strictly increasing time order."""

    code = "liveness_timestamp_order"
    default_message = "Liveness samples must have strictly increasing timestamps."


class LandmarksUnavailable(LivenessError):
    """A full-face video needs face landmarks, and the landmarker cannot be used."""

    code = "liveness_landmarks_unavailable"
    default_message = "Face landmarks are needed for this video and are not available."


__all__ = [
    "InvalidLivenessOptions",
    "LandmarksUnavailable",
    "LivenessSignal",
    "SampleOrderError",
    "Verdict",
]
