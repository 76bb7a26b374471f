from __future__ import annotations

import numpy as np

from pipeline.liveness.motion3d import (
    RIGID_LANDMARKS,
    Motion3dOptions,
    motion_consistency,
    motion_signal,
)
from pipeline.liveness.types import Verdict


def _head(rng: np.random.Generator) -> np.ndarray:
    """A rough 478-point head: an ellipsoid cap, nose forward, in pixels at 640x480."""
    n = 478
    theta = rng.uniform(-1.2, 1.2, n)
    phi = rng.uniform(-1.0, 1.0, n)
    pts = np.column_stack(
        [90 * np.sin(theta) * np.cos(phi), 110 * np.sin(phi), -70 * np.cos(theta) * np.cos(phi)]
    )
    pts[[1, 2, 4, 5, 6, 19, 94, 168, 195, 197]] += [0, 0, -35]  # nose ridge towards the camera
    return pts


def _project(points: np.ndarray, yaw_deg: float, f: float = 700.0) -> np.ndarray:
    r = np.radians(yaw_deg)
    rot = np.array([[np.cos(r), 0, np.sin(r)], [0, 1, 0], [-np.sin(r), 0, np.cos(r)]])
    cam = points @ rot.T + [0, 0, 600]
    xy = f * cam[:, :2] / cam[:, 2:3] + [320, 240]
    return np.column_stack([xy, cam[:, 2] - 600])


def test_a_rigid_3d_turn_has_parallax_and_a_plane_does_not() -> None:
    rng = np.random.default_rng(0)
    head = _head(rng)
    flat = head * [1, 1, 0]  # the same face printed on a sheet
    yaws = np.linspace(-30, 30, 41)
    noise = 0.6  # pixels of landmark jitter
    for shape, expected in ((head, Verdict.PASS), (flat, Verdict.FAIL)):
        snaps = []
        for yaw in yaws:
            pts = _project(shape, yaw)
            pts[:, :2] += rng.normal(0, noise, (len(pts), 2))
            snaps.append((float(yaw), pts[list(RIGID_LANDMARKS)]))
        result = motion_consistency(snaps)
        assert result.pairs > 0
        signal = motion_signal(result)
        assert signal.verdict is expected, (expected, result)


def test_too_little_rotation_is_no_evidence() -> None:
    rng = np.random.default_rng(1)
    head = _head(rng)
    snaps = [(float(y), _project(head, y)[list(RIGID_LANDMARKS)]) for y in np.linspace(-4, 4, 9)]
    result = motion_consistency(snaps, Motion3dOptions())
    assert np.isnan(result.residual_ratio)
    assert motion_signal(result).verdict is Verdict.UNKNOWN
