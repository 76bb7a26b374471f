"""The per-frame path on real video: the shared clip never performed a challenge."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.capture import VideoFileSource
from pipeline.face import FaceLandmarker, LandmarkerOptions, RunningMode
from pipeline.liveness.challenge import ChallengeStatus
from pipeline.liveness.fusion import LivenessDecision
from pipeline.liveness.session import LivenessSession

pytestmark = pytest.mark.models


@pytest.mark.parametrize("seed", [0, 5])
def test_the_shared_clip_does_not_pass_a_challenge(shared_data: Path, seed: int) -> None:
    source = VideoFileSource(shared_data / "video" / "short_hamilton_clip.mp4")
    with FaceLandmarker.from_options(
        LandmarkerOptions(running_mode=RunningMode.VIDEO, num_faces=2)
    ) as lm:
        session = LivenessSession(seed, lm)
        states = [session.feed(f.pixels, f.t_s).challenge for f in source]
        result = session.finish()
    source.close()
    assert result.frames == len(states) > 200
    assert states[-1].status is not ChallengeStatus.PASSED
    assert result.verdict.decision is not LivenessDecision.PASS
    assert result.seed == seed and result.steps
    assert result.frames_analysed < result.frames, "a 30 fps clip is analysed at 15 fps"
    assert result.frames_with_face > 50
    assert len(result.best_frames) == session.options.best_frames
