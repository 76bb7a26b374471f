from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.liveness.fusion import FusionOptions, LivenessDecision, fuse
from pipeline.liveness.integrity import IntegrityMonitor, is_virtual_camera
from pipeline.liveness.types import InvalidLivenessOptions, LivenessSignal, Verdict


def _camera_frames(n: int, rng: np.random.Generator, shape: tuple[int, int, int] = (48, 64, 3)):
    base = rng.integers(40, 200, shape).astype(np.int16)
    t = 0.0
    for _ in range(n):
        t += 1 / 30 + float(rng.normal(0, 0.002))  # a USB camera's clock wobbles
        noise = rng.normal(0, 2.0, shape)
        yield np.clip(base + noise, 0, 255).astype(np.uint8), t


def _by_name(signals: tuple[LivenessSignal, ...]) -> dict[str, LivenessSignal]:
    return {s.name: s for s in signals}


def test_a_normal_camera_passes() -> None:
    mon = IntegrityMonitor("HD Pro Webcam C920")
    for frame, t in _camera_frames(60, np.random.default_rng(0)):
        mon.add(frame, t)
    sig = _by_name(mon.signals())
    assert all(s.verdict is Verdict.PASS for s in sig.values()), sig


@pytest.mark.parametrize(
    "name",
    [
        "OBS Virtual Camera",
        "Dummy video device (0x0000)",
        "ManyCam Virtual Webcam",
        "v4l2loopback: Fake",
    ],
)
def test_virtual_cameras_are_denied(name: str) -> None:
    assert is_virtual_camera(name)
    mon = IntegrityMonitor(name)
    assert _by_name(mon.signals())["camera_device"].verdict is Verdict.FAIL


def test_format_change_repeats_and_bad_timing() -> None:
    rng = np.random.default_rng(1)
    frames = list(_camera_frames(40, rng))
    changed = IntegrityMonitor()
    for i, (frame, t) in enumerate(frames):
        changed.add(frame if i < 20 else np.zeros((96, 128, 3), np.uint8), t)
    assert _by_name(changed.signals())["stream_format"].verdict is Verdict.FAIL

    looped = IntegrityMonitor()
    for i, (_, t) in enumerate(frames):
        looped.add(frames[i % 10][0], t)  # a 10-frame loop injected as the camera
    assert _by_name(looped.signals())["repeated_frames"].verdict is Verdict.FAIL

    erratic = IntegrityMonitor()
    t = 0.0
    for frame, _ in frames:
        t += float(rng.choice([0.005, 0.2]))
        erratic.add(frame, t)
    assert _by_name(erratic.signals())["frame_timing"].verdict is Verdict.FAIL

    paced = IntegrityMonitor()
    for i, (frame, _) in enumerate(frames):
        paced.add(frame, i / 30)
    assert _by_name(paced.signals())["frame_timing"].verdict is Verdict.WEAK


def test_too_few_frames_is_unknown() -> None:
    mon = IntegrityMonitor()
    mon.add(np.zeros((4, 4, 3), np.uint8), 0.0)
    assert _by_name(mon.signals())["repeated_frames"].verdict is Verdict.UNKNOWN


def sig(name: str, verdict: Verdict, weight: float = 1.0) -> LivenessSignal:
    return LivenessSignal(name, 0.0, verdict, weight, f"{name} {verdict.value}")


def test_fusion_rules() -> None:
    good = (
        sig("challenge", Verdict.PASS, 3),
        sig("motion3d_ratio", Verdict.PASS),
        sig("rppg_snr", Verdict.WEAK),
    )
    v = fuse(good)
    assert v.decision is LivenessDecision.PASS and v.live
    assert any(r.code == "liveness_rppg_snr_weak" for r in v.reasons)

    decisive = fuse((*good, sig("camera_device", Verdict.FAIL, 0.1)))
    assert decisive.decision is LivenessDecision.FAIL
    assert decisive.reasons[0].code == "liveness_camera_device_failed"

    # a weak pulse never rejects on its own, however heavily weighted
    for weight in (1, 5, 50):
        pulse_bad = fuse((sig("challenge", Verdict.PASS, 3), sig("rppg_snr", Verdict.FAIL, weight)))
        assert pulse_bad.decision is not LivenessDecision.FAIL
        assert pulse_bad.score >= 0

    no_challenge = fuse((sig("challenge", Verdict.UNKNOWN, 3), sig("motion3d_ratio", Verdict.PASS)))
    assert no_challenge.decision is LivenessDecision.REVIEW
    assert any(r.code == "liveness_challenge_missing" for r in no_challenge.reasons)

    attacked = fuse(
        (
            sig("challenge", Verdict.PASS, 1),
            sig("pad_moire", Verdict.FAIL, 3),
            sig("pad_halftone", Verdict.FAIL, 3),
        )
    )
    assert attacked.decision is LivenessDecision.FAIL
    assert {"liveness_pad_moire_attack", "liveness_pad_halftone_attack"} <= {
        r.code for r in attacked.reasons
    }

    # a high score never outvotes an attack cue into a pass
    outvoted = fuse((*good, sig("multiple_faces", Verdict.FAIL)))
    assert outvoted.score >= 0.5 and outvoted.decision is LivenessDecision.REVIEW
    assert any(r.code == "liveness_multiple_faces_attack" for r in outvoted.reasons)

    nothing = fuse((sig("challenge", Verdict.UNKNOWN),))
    assert nothing.decision is LivenessDecision.REVIEW and math.isnan(nothing.score)


def test_fusion_options_validated() -> None:
    with pytest.raises(InvalidLivenessOptions):
        FusionOptions(pass_score=0.1, fail_score=0.2)
