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


def test_a_second_person_in_view_is_an_attack_signal(shared_data: Path) -> None:
    """Faces are counted every few frames by the detector, not by tracking two faces."""
    import numpy as np

    from pipeline.face import FaceToolkit
    from pipeline.image import load_image
    from pipeline.liveness.session import selfie_face_counter
    from pipeline.liveness.types import Verdict

    two = load_image(
        shared_data / "faces" / "face_recognition" / "two_people.jpg", max_side=640
    ).pixels
    canvas = np.zeros((480, 640, 3), np.uint8)
    canvas[: two.shape[0], : two.shape[1]] = two[:480, :640]
    kit = FaceToolkit()
    with FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO)) as lm:
        session = LivenessSession(3, lm, count_faces=selfie_face_counter(kit.detector()))
        rng = np.random.default_rng(0)
        feedback = None
        for i in range(60):
            noisy = np.clip(canvas + rng.normal(0, 2, canvas.shape), 0, 255).astype(np.uint8)
            feedback = session.feed(noisy, i / 15)
        result = session.finish()
    kit.close()
    assert feedback is not None and feedback.multiple_faces
    crowd = [s for s in result.verdict.signals if s.name == "multiple_faces"]
    assert crowd and crowd[0].verdict is Verdict.FAIL
    assert result.verdict.decision is not LivenessDecision.PASS
