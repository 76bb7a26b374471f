"""The randomised active challenge: a per-session sequence of head poses and expressions.

The sequence is drawn from a seed stored with the evidence, so a recording of an
earlier session performs the wrong moves at the wrong times. Each step must be held
for ``hold_s`` seconds (and at least ``hold_frames`` analysed frames) within its time
window, whatever the analysis frame rate, cannot be satisfied
faster than a human reacts to a prompt, and a pose that jumps faster than a head
can turn counts as tampering. Yaw and pitch come from the FaceLandmarker transform.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

from pipeline.face.types import FaceLandmarks
from pipeline.liveness.types import InvalidLivenessOptions, LivenessSignal, Verdict


class Action(enum.Enum):
    """One thing the customer is asked to do."""

    TURN_LEFT = "turn_left"  # the customer's left: towards the image's right (yaw > 0)
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"
    CENTER = "center"
    BLINK = "blink"
    SMILE = "smile"


PROMPTS = {
    Action.TURN_LEFT: "Turn your head to your left",
    Action.TURN_RIGHT: "Turn your head to your right",
    Action.LOOK_UP: "Look up",
    Action.CENTER: "Look straight at the camera",
    Action.BLINK: "Blink",
    Action.SMILE: "Smile",
}
POSE_ACTIONS = (Action.TURN_LEFT, Action.TURN_RIGHT, Action.LOOK_UP)
EXPRESSIONS = (Action.BLINK, Action.SMILE)


class ChallengeStatus(enum.Enum):
    WAITING = "waiting"  # no frame yet
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class FailureReason(enum.Enum):
    TIMEOUT = "timeout"  # too slow: a step's window closed
    WRONG_ACTION = "wrong_action"  # a different prompted move: wrong order, e.g. a replay
    TOO_FAST = "too_fast"  # satisfied before a human could react, or a physically impossible jump
    FACE_LOST = "face_lost"
    FROZEN = "frozen"  # the pose stopped changing at all, as in a still image
    TOTAL_TIMEOUT = "total_timeout"


@dataclass(frozen=True, slots=True)
class ChallengeOptions:
    """Thresholds of the challenge. Angles in degrees, times in seconds.

    Attributes:
        pose_steps: how many head-pose actions (each followed by CENTER).
        expression: add a blink or smile step.
        hold_s: how long a pose must be held, in stream time.
        hold_frames: the fewest consecutive analysed frames that make a hold (so a single
            frame cannot pass a step however far apart frames are).
        step_timeout_s: time allowed per step.
        total_timeout_s: time allowed for the whole challenge.
        retries: failed steps allowed (the step restarts) before the challenge fails.
        min_reaction_s: a head move sooner than this after its prompt is too fast (a
            failure); an expression that soon is not counted (people blink on their own).
        max_angular_speed_dps: faster pose change between frames is not a human head.
        face_lost_s: longer without a face fails the step.
        turn_deg: |yaw| needed for a turn; look_up_deg: pitch needed to look up.
        center_deg: |yaw| and |pitch| within which the head counts as centred.
        wrong_deg: a prompt-opposite move beyond this is a wrong action.
        blink_score, smile_score: blendshape scores that count as a blink or smile.
        frozen_frames: this many frames with an identical pose mean a frozen stream.
    """

    pose_steps: int = 2
    expression: bool = True
    hold_s: float = 0.3
    hold_frames: int = 2
    step_timeout_s: float = 7.0
    total_timeout_s: float = 40.0
    retries: int = 1
    min_reaction_s: float = 0.25
    max_angular_speed_dps: float = 600.0
    face_lost_s: float = 1.5
    turn_deg: float = 20.0
    look_up_deg: float = 12.0
    center_deg: float = 10.0
    wrong_deg: float = 18.0
    blink_score: float = 0.45
    smile_score: float = 0.6
    frozen_frames: int = 45

    def __post_init__(self) -> None:
        if not 1 <= self.pose_steps <= len(POSE_ACTIONS):
            raise InvalidLivenessOptions("pose_steps must be between 1 and 3.")
        if (
            self.hold_frames < 1
            or self.retries < 0
            or self.step_timeout_s <= 0
            or not (0 <= self.hold_s < self.step_timeout_s)
        ):
            raise InvalidLivenessOptions(
                "hold_frames >= 1, retries >= 0, step_timeout_s > 0, 0 <= hold_s < step_timeout_s."
            )


@dataclass(frozen=True, slots=True)
class ChallengeStep:
    action: Action
    prompt: str


def draw_challenge(seed: int, options: ChallengeOptions | None = None) -> tuple[ChallengeStep, ...]:
    """The sequence for ``seed``: distinct pose actions in random order, each followed by
    a return to centre, then optionally a blink or a smile. Same seed, same sequence."""
    options = options or ChallengeOptions()
    rng = np.random.default_rng(seed)
    poses = [POSE_ACTIONS[i] for i in rng.permutation(len(POSE_ACTIONS))[: options.pose_steps]]
    actions: list[Action] = []
    for pose in poses:
        actions += [pose, Action.CENTER]
    if options.expression:
        actions.append(EXPRESSIONS[int(rng.integers(0, len(EXPRESSIONS)))])
    return tuple(ChallengeStep(a, PROMPTS[a]) for a in actions)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """When a step was prompted and completed (seconds on the stream's clock)."""

    action: Action
    prompted_s: float
    completed_s: float | None
    attempts: int


@dataclass(frozen=True, slots=True)
class ChallengeState:
    """What the UI shows after a frame.

    Attributes:
        status: waiting, running, passed or failed.
        step_index: index of the current step (== number of steps when passed).
        n_steps: length of the sequence.
        prompt: what to ask the customer now ("" when finished).
        action: the current action, None when finished.
        hold_progress: 0-1, how much of the hold is done for the current step.
        seconds_left: until the current step times out.
        retries_left: failed steps still allowed.
        failure: why it failed, when it did.
        failure_detail: one sentence for staff.
    """

    status: ChallengeStatus
    step_index: int
    n_steps: int
    prompt: str
    action: Action | None
    hold_progress: float
    seconds_left: float
    retries_left: int
    failure: FailureReason | None = None
    failure_detail: str = ""


@dataclass
class ChallengeTracker:
    """Follows one challenge frame by frame (one stream, one thread)."""

    seed: int
    options: ChallengeOptions = field(default_factory=ChallengeOptions)
    steps: tuple[ChallengeStep, ...] = ()
    _index: int = 0
    _held: int = 0
    _held_since: float = 0.0
    _retries_left: int = 0
    _started_s: float | None = None
    _step_started_s: float = 0.0
    _last_face_s: float | None = None
    _last_pose: tuple[float, float, float] | None = None
    _same_pose: int = 0
    _attempts: int = 1
    _rest_seen: bool = False
    _records: list[StepRecord] = field(default_factory=list)
    _state: ChallengeState | None = None

    def __post_init__(self) -> None:
        self.steps = draw_challenge(self.seed, self.options)
        self._retries_left = self.options.retries

    @property
    def records(self) -> tuple[StepRecord, ...]:
        return tuple(self._records)

    def state(self) -> ChallengeState:
        if self._state is None:
            return ChallengeState(
                ChallengeStatus.WAITING,
                0,
                len(self.steps),
                self.steps[0].prompt,
                self.steps[0].action,
                0.0,
                self.options.step_timeout_s,
                self._retries_left,
            )
        return self._state

    def update(self, t_s: float, face: FaceLandmarks | None) -> ChallengeState:
        """Advance with one frame at time ``t_s`` (seconds, increasing); ``face`` None = no face."""
        if self._state is not None and self._state.status in (
            ChallengeStatus.PASSED,
            ChallengeStatus.FAILED,
        ):
            return self._state
        o = self.options
        if self._started_s is None:
            self._started_s = self._step_started_s = t_s
            self._last_face_s = t_s
        if t_s - self._started_s > o.total_timeout_s:
            return self._fail(FailureReason.TOTAL_TIMEOUT, "The challenge took too long.", t_s)
        if face is None:
            self._held = 0
            if self._last_face_s is not None and t_s - self._last_face_s > o.face_lost_s:
                return self._fail(FailureReason.FACE_LOST, "The face left the camera's view.", t_s)
            return self._running(t_s)
        pose = (face.pose.yaw_deg, face.pose.pitch_deg, face.pose.roll_deg)
        dt = t_s - (t_s if self._last_face_s is None else self._last_face_s)
        if self._last_pose is not None and dt > 0:
            speed = max(abs(a - b) for a, b in zip(pose, self._last_pose, strict=True)) / dt
            if speed > o.max_angular_speed_dps and dt < 0.5:
                return self._fail(
                    FailureReason.TOO_FAST, f"The head pose jumped at {speed:.0f} deg/s.", t_s
                )
            same = max(abs(a - b) for a, b in zip(pose, self._last_pose, strict=True)) < 1e-4
            self._same_pose = self._same_pose + 1 if same else 0
            if self._same_pose >= o.frozen_frames:
                return self._fail(FailureReason.FROZEN, "The face did not move at all.", t_s)
        self._last_pose, self._last_face_s = pose, t_s
        step = self.steps[self._index]
        if self._is_wrong(step.action, face):
            return self._retry_or_fail(
                FailureReason.WRONG_ACTION,
                f"A different move was made while asked to {step.action.value}.",
                t_s,
            )
        if step.action in EXPRESSIONS and self._at_rest(step.action, face):
            self._rest_seen = True
        early = t_s - self._step_started_s < o.min_reaction_s
        if self._satisfies(step.action, face) and (
            step.action not in EXPRESSIONS or (self._rest_seen and not early)
        ):
            if self._held == 0 and early and step.action is not Action.CENTER:
                return self._fail(
                    FailureReason.TOO_FAST,
                    "The move came before the prompt could have been seen.",
                    t_s,
                )
            if self._held == 0:
                self._held_since = t_s
            self._held += 1
            if self._held >= o.hold_frames and t_s - self._held_since >= o.hold_s - 1e-6:
                self._records.append(
                    StepRecord(step.action, self._step_started_s, t_s, self._attempts)
                )
                self._index += 1
                self._held, self._attempts, self._rest_seen = 0, 1, False
                self._step_started_s = t_s
                if self._index == len(self.steps):
                    self._state = ChallengeState(
                        ChallengeStatus.PASSED,
                        self._index,
                        len(self.steps),
                        "",
                        None,
                        1.0,
                        0.0,
                        self._retries_left,
                    )
                    return self._state
        else:
            self._held = 0
        if t_s - self._step_started_s > o.step_timeout_s:
            return self._retry_or_fail(
                FailureReason.TIMEOUT, f"Step '{step.action.value}' was not completed in time.", t_s
            )
        return self._running(t_s)

    def signal(self, weight: float = 3.0) -> LivenessSignal:
        """The challenge as fusion evidence: PASS, FAIL, or UNKNOWN when unfinished."""
        st = self.state()
        if st.status is ChallengeStatus.PASSED:
            return LivenessSignal(
                "challenge",
                1.0,
                Verdict.PASS,
                weight,
                f"All {len(self.steps)} prompted moves were made in order.",
            )
        if st.status is ChallengeStatus.FAILED:
            return LivenessSignal(
                "challenge",
                0.0,
                Verdict.FAIL,
                weight,
                f"Challenge failed ({st.failure.value if st.failure else '?'}): "
                f"{st.failure_detail}",
            )
        return LivenessSignal(
            "challenge",
            st.step_index / max(len(self.steps), 1),
            Verdict.UNKNOWN,
            weight,
            "The challenge was not finished.",
        )

    # internals

    def _satisfies(self, action: Action, face: FaceLandmarks) -> bool:
        o, p = self.options, face.pose
        if action is Action.TURN_LEFT:
            return p.yaw_deg >= o.turn_deg
        if action is Action.TURN_RIGHT:
            return p.yaw_deg <= -o.turn_deg
        if action is Action.LOOK_UP:
            return p.pitch_deg >= o.look_up_deg and abs(p.yaw_deg) < o.turn_deg
        if action is Action.CENTER:
            return abs(p.yaw_deg) <= o.center_deg and abs(p.pitch_deg) <= o.center_deg
        if action is Action.BLINK:
            # the mean of both eyes: MediaPipe scores the two lids unevenly once the head turns
            both = face.blendshape("eyeBlinkLeft") + face.blendshape("eyeBlinkRight")
            return both / 2 >= o.blink_score
        return (face.blendshape("mouthSmileLeft") + face.blendshape("mouthSmileRight")) / 2 >= (
            o.smile_score
        )

    def _at_rest(self, action: Action, face: FaceLandmarks) -> bool:
        """The expression is clearly absent: it must be seen absent, then present.

        Someone who already smiles when asked to smile has not reacted to the prompt.
        """
        if action is Action.BLINK:
            return max(face.blendshape("eyeBlinkLeft"), face.blendshape("eyeBlinkRight")) < 0.25
        smile = (face.blendshape("mouthSmileLeft") + face.blendshape("mouthSmileRight")) / 2
        return smile < self.options.smile_score - 0.3

    def _is_wrong(self, action: Action, face: FaceLandmarks) -> bool:
        """A clear move that belongs to a different prompt (only pose moves are judged)."""
        o, p = self.options, face.pose
        if action is Action.TURN_LEFT:
            return p.yaw_deg <= -o.wrong_deg
        if action is Action.TURN_RIGHT:
            return p.yaw_deg >= o.wrong_deg
        if action is Action.LOOK_UP:
            return abs(p.yaw_deg) >= o.wrong_deg + 5
        return False

    def _running(self, t_s: float) -> ChallengeState:
        step = self.steps[self._index]
        self._state = ChallengeState(
            ChallengeStatus.RUNNING,
            self._index,
            len(self.steps),
            step.prompt,
            step.action,
            self._hold_progress(t_s),
            max(0.0, self.options.step_timeout_s - (t_s - self._step_started_s)),
            self._retries_left,
        )
        return self._state

    def _hold_progress(self, t_s: float) -> float:
        if self._held == 0:
            return 0.0
        o = self.options
        by_time = (t_s - self._held_since + 1e-6) / o.hold_s if o.hold_s > 0 else 1.0
        return min(1.0, by_time, self._held / o.hold_frames)

    def _retry_or_fail(self, reason: FailureReason, detail: str, t_s: float) -> ChallengeState:
        if self._retries_left > 0:
            self._retries_left -= 1
            self._attempts += 1
            self._held = 0
            self._step_started_s = t_s
            return self._running(t_s)
        return self._fail(reason, detail, t_s)

    def _fail(self, reason: FailureReason, detail: str, t_s: float) -> ChallengeState:
        step = self.steps[min(self._index, len(self.steps) - 1)]
        self._records.append(StepRecord(step.action, self._step_started_s, None, self._attempts))
        self._state = ChallengeState(
            ChallengeStatus.FAILED,
            self._index,
            len(self.steps),
            "",
            None,
            0.0,
            0.0,
            self._retries_left,
            reason,
            detail,
        )
        return self._state


def angular_speed(a: tuple[float, float, float], b: tuple[float, float, float], dt: float) -> float:
    """Largest of the three angle changes per second between two poses."""
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) / dt if dt > 0 else math.inf
