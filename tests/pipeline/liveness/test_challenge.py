from __future__ import annotations

import numpy as np
import pytest

from pipeline.face.types import FaceLandmarks, HeadPose
from pipeline.liveness.challenge import (
    Action,
    ChallengeOptions,
    ChallengeStatus,
    ChallengeTracker,
    FailureReason,
    draw_challenge,
)
from pipeline.liveness.types import Verdict

FPS = 30.0


def face(
    yaw: float = 0.0,
    pitch: float = 0.0,
    blink: float = 0.05,
    smile: float = 0.05,
    jitter: float = 0.0,
) -> FaceLandmarks:
    return FaceLandmarks(
        points=np.zeros((478, 3), np.float32),
        blendshapes=(
            ("eyeBlinkLeft", blink),
            ("eyeBlinkRight", blink),
            ("mouthSmileLeft", smile),
            ("mouthSmileRight", smile),
        ),
        pose=HeadPose(yaw + jitter, pitch + jitter / 2, jitter / 3),
        transform=np.eye(4, dtype=np.float32),
        frame_size=(640, 480),
    )


def target(action: Action) -> FaceLandmarks:
    return {
        Action.TURN_LEFT: face(yaw=28),
        Action.TURN_RIGHT: face(yaw=-28),
        Action.LOOK_UP: face(pitch=18),
        Action.CENTER: face(),
        Action.BLINK: face(blink=0.8),
        Action.SMILE: face(smile=0.85),
    }[action]


class Person:
    """A simulated customer: reacts after ``reaction_s``, moves smoothly, holds, with jitter."""

    def __init__(self, tracker: ChallengeTracker, reaction_s: float = 0.5, seed: int = 0):
        self.tracker = tracker
        self.reaction_s = reaction_s
        self.rng = np.random.default_rng(seed)

    def run(
        self, plan: list[Action] | None = None, max_s: float = 60.0, stop_at: int | None = None
    ) -> ChallengeStatus:
        t, step_seen, step_t = 0.0, -1, 0.0
        plan_i = 0
        yaw = pitch = 0.0
        rate = 150.0 / FPS  # a brisk head turn: 150 degrees per second
        while t < max_s:
            st = self.tracker.state()
            self.t = t
            if st.status in (ChallengeStatus.PASSED, ChallengeStatus.FAILED):
                return st.status
            if (
                stop_at is not None
                and st.step_index == stop_at
                and st.status is (ChallengeStatus.RUNNING)
            ):
                return st.status
            if st.step_index != step_seen:
                step_seen, step_t = st.step_index, t
            wanted = st.action if plan is None else plan[min(plan_i, len(plan) - 1)]
            if plan is not None and t - step_t > 1.2:
                plan_i, step_t = plan_i + 1, t
            j = float(self.rng.normal(0, 0.4))
            goal = target(wanted) if (t - step_t) >= self.reaction_s and wanted else face()
            yaw += float(np.clip(goal.pose.yaw_deg - yaw, -rate, rate))
            pitch += float(np.clip(goal.pose.pitch_deg - pitch, -rate, rate))
            shown = FaceLandmarks(
                goal.points,
                goal.blendshapes,
                HeadPose(yaw + j, pitch + j, j),
                goal.transform,
                goal.frame_size,
            )
            self.tracker.update(t, shown)
            t += 1 / FPS
        return self.tracker.state().status


def test_seeded_sequences() -> None:
    a, b = draw_challenge(1), draw_challenge(1)
    assert a == b
    orders = {tuple(s.action for s in draw_challenge(seed)) for seed in range(40)}
    assert len(orders) >= 6, "seeds must give different orders"
    for steps in orders:
        assert steps[1] is Action.CENTER and steps[3] is Action.CENTER
        assert steps[-1] in (Action.BLINK, Action.SMILE)


def test_a_person_following_the_prompts_passes() -> None:
    for seed in range(10):
        tracker = ChallengeTracker(seed)
        assert Person(tracker, seed=seed).run() is ChallengeStatus.PASSED, seed
        assert all(r.completed_s is not None for r in tracker.records)
        assert tracker.signal().verdict is Verdict.PASS


def test_a_recording_of_another_session_fails() -> None:
    """Replaying the moves of seed A to the prompts of seed B (a different order)."""
    failures = 0
    pairs = 0
    for a in range(12):
        moves_a = [s.action for s in draw_challenge(a)]
        for b in range(12):
            if [s.action for s in draw_challenge(b)] == moves_a:
                continue
            pairs += 1
            status = Person(ChallengeTracker(b), seed=a).run(plan=moves_a)
            failures += status is ChallengeStatus.FAILED
    assert failures == pairs


def test_wrong_order_uses_the_retry_then_fails() -> None:
    tracker = ChallengeTracker(3, ChallengeOptions(retries=0))
    first = tracker.steps[0].action
    opposite = {
        Action.TURN_LEFT: Action.TURN_RIGHT,
        Action.TURN_RIGHT: Action.TURN_LEFT,
        Action.LOOK_UP: Action.TURN_LEFT,
    }[first]
    t, yaw = 0.0, 0.0
    goal = target(opposite).pose.yaw_deg
    for _ in range(60):
        t += 1 / FPS
        if t > 0.5:
            yaw += float(np.clip(goal - yaw, -5, 5))
        st = tracker.update(t, face(yaw=yaw))
    assert st.status is ChallengeStatus.FAILED and st.failure is FailureReason.WRONG_ACTION


def test_too_fast_reaction_fails() -> None:
    tracker = ChallengeTracker(4)
    first = tracker.steps[0].action
    st = tracker.update(0.0, target(first))  # already in pose when the prompt appears
    assert st.status is ChallengeStatus.FAILED and st.failure is FailureReason.TOO_FAST


def test_impossible_head_speed_fails() -> None:
    tracker = ChallengeTracker(5)
    tracker.update(0.0, face())
    st = tracker.update(1 / FPS, face(yaw=45))  # 45 degrees in 33 ms
    assert st.failure is FailureReason.TOO_FAST


def test_too_slow_times_out_after_the_retry() -> None:
    tracker = ChallengeTracker(6, ChallengeOptions(step_timeout_s=2.0, retries=1))
    t, st = 0.0, tracker.state()
    while t < 10 and st.status is not ChallengeStatus.FAILED:
        st = tracker.update(t, face(jitter=float(np.sin(t * 7))))  # present, never moving on cue
        t += 1 / FPS
    assert st.failure is FailureReason.TIMEOUT
    assert 4.0 <= t <= 4.5, "two windows of 2 s: the step and its one retry"


def test_frozen_pose_fails() -> None:
    tracker = ChallengeTracker(7)
    t, st = 0.0, tracker.state()
    while t < 5 and st.status is not ChallengeStatus.FAILED:
        st = tracker.update(t, face(yaw=3.0))  # bit-identical pose, frame after frame
        t += 1 / FPS
    assert st.failure is FailureReason.FROZEN


def test_face_lost_fails() -> None:
    tracker = ChallengeTracker(8)
    tracker.update(0.0, face())
    st = tracker.state()
    t = 0.0
    while t < 3 and st.status is not ChallengeStatus.FAILED:
        t += 1 / FPS
        st = tracker.update(t, None)
    assert st.failure is FailureReason.FACE_LOST
    assert tracker.signal().verdict is Verdict.FAIL


def test_progress_for_the_ui() -> None:
    tracker = ChallengeTracker(9)
    st = tracker.update(0.0, face())
    assert st.status is ChallengeStatus.RUNNING
    assert st.prompt == tracker.steps[0].prompt and st.n_steps == len(tracker.steps)
    assert 0 < st.seconds_left <= tracker.options.step_timeout_s
    first = tracker.steps[0].action
    for i in range(1, 4):
        st = tracker.update(0.5 + i / FPS, target(first))
    assert 0 < st.hold_progress < 1


def test_options_are_validated() -> None:
    from pipeline.liveness.types import InvalidLivenessOptions

    with pytest.raises(InvalidLivenessOptions):
        ChallengeOptions(pose_steps=0)
    with pytest.raises(InvalidLivenessOptions):
        ChallengeOptions(hold_frames=0)


def _at_expression_step(seed_action: Action) -> tuple[ChallengeTracker, float]:
    """A tracker advanced by a simulated person to its final (expression) step."""
    seed = next(s for s in range(100) if draw_challenge(s)[-1].action is seed_action)
    tracker = ChallengeTracker(seed)
    person = Person(tracker, seed=seed)
    status = person.run(stop_at=len(tracker.steps) - 1)
    assert status is ChallengeStatus.RUNNING
    return tracker, person.t + 1 / FPS


def test_a_constant_smile_is_not_a_reaction_to_the_prompt() -> None:
    tracker, t = _at_expression_step(Action.SMILE)
    for i in range(60):  # smiling all along: never counts
        st = tracker.update(t + i / FPS, face(smile=0.9, jitter=0.1 * (i % 3)))
    assert st.status is ChallengeStatus.RUNNING and st.hold_progress == 0.0
    t += 2.0
    for i in range(10):  # relaxes, then smiles: passes
        tracker.update(t + i / FPS, face(smile=0.1, jitter=0.1 * (i % 3)))
    for i in range(10, 20):
        st = tracker.update(t + i / FPS, face(smile=0.9, jitter=0.1 * (i % 3)))
    assert st.status is ChallengeStatus.PASSED


def test_a_natural_blink_at_the_prompt_is_ignored_not_failed() -> None:
    tracker, t = _at_expression_step(Action.BLINK)
    st = tracker.update(t + 0.05, face(blink=0.05))
    for i in range(3):  # a blink 100 ms after the prompt: too early to count
        st = tracker.update(t + 0.1 + i / FPS, face(blink=0.9, jitter=0.1 * i))
    assert st.status is ChallengeStatus.RUNNING and st.hold_progress == 0.0
    for i in range(10):
        tracker.update(t + 0.5 + i / FPS, face(blink=0.05, jitter=0.1 * (i % 2)))
    for i in range(10):
        st = tracker.update(t + 1.0 + i / FPS, face(blink=0.9, jitter=0.1 * (i % 2)))
    assert st.status is ChallengeStatus.PASSED
