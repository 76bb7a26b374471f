"""Liveness: rPPG pulse, passive presentation-attack cues and (later) the active
challenge, 3D motion, camera integrity and their fusion.

Every cue reports a :class:`~pipeline.liveness.types.LivenessSignal`. Import the
components from their modules (``pipeline.liveness.rppg``, ``pipeline.liveness.cues``);
nothing heavy loads at import time.
"""

from pipeline.liveness.types import LivenessSignal, Verdict

__all__ = ["LivenessSignal", "Verdict"]
