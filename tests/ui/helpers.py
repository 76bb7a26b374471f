"""Test material for the UI: a recorded selfie that follows a known challenge, a quick
policy, windows that are shut down after each test, frames that can be tracked."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from kiosk.capture.frames import Frame, FrameSource, SourceInfo

# a short challenge: one head move and back to the centre
QUICK_POLICY_CHANGES = (
    ("pose_steps = 2", "pose_steps = 1"),
    ("expression = true", "expression = false"),
)
VIDEO_FPS = 15.0


def quick_policy(path: Path) -> Path:
    """The bundled policy with a two-step challenge (keeps the UI tests short)."""
    from kiosk.policy import default_policy_bytes

    text = default_policy_bytes().decode("utf-8")
    for old, new in QUICK_POLICY_CHANGES:
        assert old in text, f"the bundled policy no longer has {old!r}"
        text = text.replace(old, new)
    path.write_text(text, "utf-8")
    return path


def challenge_actions(seed: int) -> tuple[str, ...]:
    from pipeline.liveness.challenge import ChallengeOptions, draw_challenge

    opts = ChallengeOptions(pose_steps=1, expression=False)
    return tuple(s.action.value for s in draw_challenge(seed, opts))


def write_challenge_video(path: Path, seed: int, *, seconds: float = 11.0) -> Path:
    """A recorded customer performing the quick challenge of ``seed`` on a timeline:
    face the camera, make the pose move from 4.0 s to 7.0 s, face the camera again.

    The app starts the challenge about 1.5 s after the camera opens, so the move comes
    well after its prompt (not "too fast") and is held for three seconds."""
    import cv2

    from kiosk.capture.demo_source import face_crop
    from kiosk.demo import build_material

    material = build_material()
    person = material.person
    pose = challenge_actions(seed)[0]
    x, y, w, h = face_crop(person.renderer.skin_mask)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), VIDEO_FPS, (w, h))
    assert writer.isOpened()
    try:
        for i in range(round(seconds * VIDEO_FPS)):
            t = i / VIDEO_FPS
            action = pose if 4.0 <= t < 7.0 else None
            writer.write(np.ascontiguousarray(person.frame(t, action)[y : y + h, x : x + w]))
    finally:
        writer.release()
    return path


def wait_for(qtbot: Any, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Process events until ``predicate()`` holds (fails the test with ``what``)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        qtbot.wait(50)


class Tracked(np.ndarray):  # type: ignore[type-arg]
    """An ndarray whose every view and copy registers itself, so a test can check that
    nothing still holds a customer's frame."""

    refs: ClassVar[dict[int, weakref.ref[Any]]] = {}

    def __array_finalize__(self, obj: Any) -> None:
        key = id(self)
        Tracked.refs[key] = weakref.ref(self, lambda _r: Tracked.refs.pop(key, None))

    @classmethod
    def alive(cls) -> int:
        """Tracked arrays still referenced somewhere."""
        return sum(1 for r in list(cls.refs.values()) if r() is not None)


class TrackingSource:
    """Wraps a FrameSource; every frame it hands out is a :class:`Tracked` array."""

    def __init__(self, inner: FrameSource) -> None:
        self.inner = inner
        self.handed_out = 0

    @property
    def info(self) -> SourceInfo:
        return self.inner.info

    def read(self) -> Frame | None:
        frame = self.inner.read()
        if frame is None:
            return None
        self.handed_out += 1
        return Frame(frame.pixels.view(Tracked), frame.t_s, frame.index)

    def close(self) -> None:
        self.inner.close()

    def __iter__(self) -> Any:
        while (frame := self.read()) is not None:
            yield frame
