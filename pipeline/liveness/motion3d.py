"""3D motion consistency: is the turning head a rigid 3D face, or a plane (photo, screen)?

While the head turns, the 2D landmarks of a flat picture moved and tilted in front of
the camera follow one homography from frame to frame; a real face shows parallax (the
nose moves against the cheeks and ears) that no homography explains. For pairs of
frames far apart in yaw we fit, on rigid landmarks (no mouth or eyelids):

* a homography (8 degrees of freedom: the planar hypothesis), and
* an affine camera of the rigid 3D shape the landmarker reported in the first frame
  (8 degrees of freedom: the 3D hypothesis),

and report residual_ratio = the homography residual of far-apart poses over the
homography residual of near-identical poses (the landmarker's jitter), in units of
the inter-ocular distance. A real turn gives a ratio well above 1; a plane about 1.
Too little rotation gives no evidence (UNKNOWN), never a rejection.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.face.mesh import RIGID
from pipeline.face.types import FaceLandmarks
from pipeline.liveness.types import LivenessSignal, Verdict

RIGID_LANDMARKS = RIGID  # face oval, nose, eye corners, brows: rigid while the head turns
LEFT_EYE_OUTER, RIGHT_EYE_OUTER = 33, 263


@dataclass(frozen=True, slots=True)
class Motion3dOptions:
    """Thresholds.

    Attributes:
        min_yaw_span_deg: rotation needed between two frames before judging.
        near_pose_deg: frames this close in yaw measure the landmark noise floor.
        live_ratio: ratio at or above which motion counts as a 3D face.
        planar_ratio: ratio at or below which motion counts as a plane.
        weight: the signal's fusion weight.
        max_snapshots: frames kept (spread over the yaw range).
    """

    min_yaw_span_deg: float = 15.0
    near_pose_deg: float = 2.0
    live_ratio: float = 1.4
    planar_ratio: float = 1.15
    weight: float = 1.0
    max_snapshots: int = 60


@dataclass(frozen=True, slots=True)
class Motion3dResult:
    """Residuals in inter-ocular distances; the ratio is homography over rigid 3D.

    Attributes:
        yaw_span_deg: yaw range covered by the snapshots.
        pairs: number of far-apart frame pairs fitted.
        homography_residual: median RMS residual of the planar fit on those pairs.
        rigid3d_residual: the same for the rigid-3D (affine camera) fit.
        noise_floor: median homography residual between near-identical poses.
        residual_ratio: homography_residual / noise_floor (NaN without evidence).
    """

    yaw_span_deg: float
    pairs: int
    homography_residual: float
    rigid3d_residual: float
    noise_floor: float
    residual_ratio: float


@dataclass
class MotionRecorder:
    """Collects landmark snapshots during a session and judges them at the end."""

    options: Motion3dOptions = field(default_factory=Motion3dOptions)
    _snaps: list[tuple[float, np.ndarray[Any, Any]]] = field(default_factory=list)

    def add(self, face: FaceLandmarks) -> None:
        """Keep a snapshot (yaw, rigid points) when it widens or fills the yaw coverage."""
        pts = np.asarray(face.points, np.float64)[list(RIGID_LANDMARKS)]
        yaw = float(face.pose.yaw_deg)
        if len(self._snaps) < self.options.max_snapshots:
            self._snaps.append((yaw, pts))
            return
        # full: replace the snapshot nearest in yaw to another one (keep the spread)
        yaws = np.array([y for y, _ in self._snaps])
        order = np.argsort(yaws)
        gaps = np.diff(yaws[order])
        victim = int(order[int(np.argmin(gaps)) + 1]) if gaps.size else 0
        if yaw < yaws.min() or yaw > yaws.max() or np.min(np.abs(yaws - yaw)) > gaps.min():
            self._snaps[victim] = (yaw, pts)

    def result(self) -> Motion3dResult:
        return motion_consistency(self._snaps, self.options)

    def signal(self) -> LivenessSignal:
        return motion_signal(self.result(), self.options)


def motion_consistency(
    snaps: list[tuple[float, np.ndarray[Any, Any]]], options: Motion3dOptions | None = None
) -> Motion3dResult:
    """Compare the planar hypothesis with the landmarks' own jitter.

    The homography residual between frames far apart in yaw is divided by the
    homography residual between frames of nearly the same pose (the landmarker's
    noise floor). A plane stays at the floor whatever the angle (ratio about 1);
    a real head turning adds parallax that no homography absorbs (ratio well above 1).
    The rigid-3D residual (an affine camera of the first frame's 3D landmarks) is
    reported alongside as a check that a 3D model does explain the motion.
    """
    options = options or Motion3dOptions()
    nan = float("nan")
    if len(snaps) < 3:
        return Motion3dResult(0.0, 0, nan, nan, nan, nan)
    yaws = np.array([y for y, _ in snaps])
    span = float(yaws.max() - yaws.min())
    if span < options.min_yaw_span_deg:
        return Motion3dResult(span, 0, nan, nan, nan, nan)
    order = np.argsort(yaws)
    floor = [
        _residuals(snaps[a][1], snaps[b][1])[0]
        for a, b in itertools.pairwise(order)
        if abs(yaws[a] - yaws[b]) <= options.near_pose_deg
    ]
    ref = int(np.argmin(np.abs(yaws)))
    far = [
        i for i in range(len(snaps)) if abs(yaws[i] - yaws[ref]) >= options.min_yaw_span_deg * 0.75
    ][:20]
    pairs = [_residuals(snaps[ref][1], snaps[i][1]) for i in far]
    pairs = [p for p in pairs if np.isfinite(p[0]) and np.isfinite(p[1])]
    floor = [f for f in floor if np.isfinite(f)]
    if not pairs or not floor:
        return Motion3dResult(span, len(pairs), nan, nan, nan, nan)
    h_med = float(np.median([p[0] for p in pairs]))
    r_med = float(np.median([p[1] for p in pairs]))
    noise = max(float(np.median(floor)), 1e-4)
    return Motion3dResult(span, len(pairs), h_med, r_med, noise, h_med / noise)


def _residuals(src: np.ndarray[Any, Any], dst: np.ndarray[Any, Any]) -> tuple[float, float]:
    """RMS residual (in inter-ocular distances) of a homography and of an affine camera
    of the source frame's rigid 3D shape, each fitted from source to destination."""
    import cv2

    iod = float(
        np.linalg.norm(
            src[RIGID_LANDMARKS.index(LEFT_EYE_OUTER), :2]
            - src[RIGID_LANDMARKS.index(RIGHT_EYE_OUTER), :2]
        )
    )
    if iod < 1.0:
        return float("nan"), float("nan")
    s2, d2 = src[:, :2].astype(np.float64), dst[:, :2].astype(np.float64)
    hom, _ = cv2.findHomography(s2, d2, 0)
    if hom is None:
        return float("nan"), float("nan")
    proj = cv2.perspectiveTransform(s2[None], hom)[0]
    h_rms = float(np.sqrt(np.mean(np.sum((proj - d2) ** 2, axis=1)))) / iod
    # affine camera: [x' y'] = A [x y z] + t, least squares (8 parameters)
    design = np.column_stack([src[:, 0], src[:, 1], src[:, 2], np.ones(len(src))])
    coef, *_ = np.linalg.lstsq(design, d2, rcond=None)
    r_rms = float(np.sqrt(np.mean(np.sum((design @ coef - d2) ** 2, axis=1)))) / iod
    return h_rms, r_rms


def motion_signal(result: Motion3dResult, options: Motion3dOptions | None = None) -> LivenessSignal:
    """PASS for parallax a plane cannot make, FAIL for planar motion, else WEAK/UNKNOWN."""
    o = options or Motion3dOptions()
    if not np.isfinite(result.residual_ratio):
        return LivenessSignal(
            "motion3d_ratio",
            float("nan"),
            Verdict.UNKNOWN,
            o.weight,
            f"Not enough head rotation to judge depth "
            f"({result.yaw_span_deg:.0f} of {o.min_yaw_span_deg:.0f} degrees).",
        )
    ratio = result.residual_ratio
    if ratio >= o.live_ratio:
        return LivenessSignal(
            "motion3d_ratio",
            ratio,
            Verdict.PASS,
            o.weight,
            f"Head motion shows 3D parallax (ratio {ratio:.2f}).",
        )
    if ratio <= o.planar_ratio:
        return LivenessSignal(
            "motion3d_ratio",
            ratio,
            Verdict.FAIL,
            o.weight,
            f"Landmark motion is explained by a flat surface (ratio {ratio:.2f}).",
        )
    return LivenessSignal(
        "motion3d_ratio",
        ratio,
        Verdict.WEAK,
        o.weight,
        f"Depth evidence is inconclusive (ratio {ratio:.2f}).",
    )
