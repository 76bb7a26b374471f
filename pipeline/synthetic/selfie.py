"""A synthetic selfie stream: one still face photo re-posed in 3D, frame by frame.

The face's 478 landmarks (with MediaPipe's depth) are rotated as a rigid body and the
photo is warped triangle by triangle onto the rotated, projected mesh, so the head
turns with real parallax while the background stays put. Eyelids can close (a blink)
and mouth corners can rise (a smile). Sensor noise, a faint pulse in the skin colour
and camera-like timestamp jitter make the frames behave like a webcam's. Seeded and
deterministic; used by the bundled demo and the tests, never as evidence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pipeline.face.mesh import (
    BROWS,
    CHEEKS,
    EYE_CORNERS,
    FACE_OVAL,
    LIPS,
    LOWER_LIDS,
    NOSE,
    UPPER_LIDS,
)
from pipeline.face.types import FaceLandmarks

Pixels = np.ndarray[Any, np.dtype[np.uint8]]

# A sparse, well-spread subset of the face mesh: oval, brows, eyes, nose, lips.
_UPPER = tuple(itertools.chain(*UPPER_LIDS))
_LOWER = tuple(itertools.chain(*LOWER_LIDS))
MESH_POINTS = FACE_OVAL + BROWS + _UPPER + _LOWER + EYE_CORNERS + NOSE + LIPS + CHEEKS
UPPER_TO_LOWER = dict(zip(_UPPER, _LOWER, strict=True))
SKIN_POINTS = (10, 109, 338, 67, 297, 50, 280, 205, 425)


@dataclass(frozen=True, slots=True)
class Pose:
    """A target head pose: degrees, and expression amounts in [0, 1]."""

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    blink: float = 0.0
    smile: float = 0.0


class HeadRenderer:
    """Re-poses the face of one photo. Build once (landmarks), render many frames."""

    def __init__(self, photo: Pixels, landmarks: FaceLandmarks) -> None:
        import cv2

        self.photo = photo
        self.rest = landmarks.pose  # the photo's own head pose
        pts = np.asarray(landmarks.points, np.float64)
        self._idx = list(MESH_POINTS)
        self._src3 = pts[self._idx]
        self._center = self._src3.mean(axis=0)
        h, w = photo.shape[:2]
        # fixed anchors: the image frame and a ring outside the face keep the background still
        x0, y0 = self._src3[:, 0].min(), self._src3[:, 1].min()
        x1, y1 = self._src3[:, 0].max(), self._src3[:, 1].max()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx, ry = (x1 - x0) * 0.9, (y1 - y0) * 0.85
        ring = [
            (cx + rx * np.cos(a), cy + ry * np.sin(a))
            for a in np.linspace(0, 2 * np.pi, 20, endpoint=False)
        ]
        border = [
            (0, 0),
            (w / 2, 0),
            (w - 1, 0),
            (w - 1, h / 2),
            (w - 1, h - 1),
            (w / 2, h - 1),
            (0, h - 1),
            (0, h / 2),
        ]
        self._anchors = np.clip(np.array(ring + border, np.float64), 0, [w - 1, h - 1])
        src2 = np.vstack([self._src3[:, :2], self._anchors])
        subdiv = cv2.Subdiv2D((0, 0, w, h))
        for x, y in src2:
            subdiv.insert((float(x), float(y)))
        tris = []
        for t in subdiv.getTriangleList():
            corners = np.array(t, np.float64).reshape(3, 2)
            dist = np.linalg.norm(src2[None, :, :] - corners[:, None, :], axis=2)
            nearest = dist.argmin(axis=1)
            if dist[np.arange(3), nearest].max() < 0.5 and len(set(nearest)) == 3:
                tris.append(nearest)
        # triangles made only of fixed anchors never move: leave them to the identity map
        n_face = len(self._idx)
        self._tris = np.array([t for t in tris if min(t) < n_face], np.int64)
        self._src2 = src2
        self._skin = [self._idx.index(i) for i in SKIN_POINTS]
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, cv2.convexHull(self._src3[self._skin, :2].astype(np.int32)), 1)
        self.skin_mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3)

    def render(self, pose: Pose) -> Pixels:
        """The photo with the head at ``pose``.

        Backward mapping: every destination triangle is rasterised with its index (far
        ones first, so the near side of the face wins), each pixel's source position is
        its triangle's inverse affine map, and one ``remap`` draws the frame.
        """
        import cv2

        dst3 = self._posed(pose)
        dst2 = np.vstack([dst3[:, :2], self._anchors])
        h, w = self.photo.shape[:2]
        n_face = len(self._idx)
        z = np.append(dst3[:, 2], np.nan)  # anchors have no depth
        corner_z = z[np.minimum(self._tris, n_face)]
        depth = np.nanmean(corner_z, axis=1)
        ids = np.full((h, w), -1, np.int32)
        inverse = np.zeros((len(self._tris), 2, 3), np.float64)
        for k in np.argsort(-depth):
            tri = self._tris[k]
            inverse[k] = cv2.getAffineTransform(
                dst2[tri].astype(np.float32), self._src2[tri].astype(np.float32)
            )
            cv2.fillConvexPoly(ids, np.round(dst2[tri]).astype(np.int32), int(k))
        ys, xs = np.nonzero(ids >= 0)
        a = inverse.astype(np.float32)[ids[ys, xs]]
        fx, fy = xs.astype(np.float32), ys.astype(np.float32)
        map_x = np.tile(np.arange(w, dtype=np.float32), (h, 1))
        map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
        map_x[ys, xs] = a[:, 0, 0] * fx + a[:, 0, 1] * fy + a[:, 0, 2]
        map_y[ys, xs] = a[:, 1, 0] * fx + a[:, 1, 1] * fy + a[:, 1, 2]
        out: Pixels = np.asarray(
            cv2.remap(
                self.photo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
            ),
            np.uint8,
        )
        if pose.blink > 0:
            self._shade_lids(out, dst2, pose.blink)
        return out

    def _shade_lids(self, out: Pixels, dst2: np.ndarray[Any, Any], amount: float) -> None:
        """Paint closed eyelids: skin tone sampled just below each eye."""
        import cv2

        for upper in UPPER_LIDS:
            lower = [UPPER_TO_LOWER[u] for u in upper]
            pts = np.array(
                [dst2[self._idx.index(u)] for u in upper]
                + [dst2[self._idx.index(v)] for v in reversed(lower)]
            )
            offset = np.array([0.0, 1.5 * np.ptp(pts[:, 1]) + 4])
            below = np.round(pts.mean(axis=0) + offset).astype(int)
            y, x = np.clip(below[1], 0, out.shape[0] - 1), np.clip(below[0], 0, out.shape[1] - 1)
            skin = out[max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3].reshape(-1, 3).mean(axis=0)
            lid = np.zeros(out.shape[:2], np.uint8)
            cv2.fillPoly(lid, [np.round(pts).astype(np.int32)], 255)
            lid = cv2.dilate(lid, np.ones((3, 3), np.uint8))
            sel = lid > 0
            out[sel] = ((1 - amount) * out[sel] + amount * (0.92 * skin)).astype(np.uint8)
            if amount > 0.5:  # the closed lashes: a dark line along the lower lid
                lash = np.round([dst2[self._idx.index(v)] for v in lower]).astype(np.int32)
                cv2.polylines(out, [lash], False, (35, 30, 30), 2, cv2.LINE_AA)

    def _posed(self, pose: Pose) -> np.ndarray[Any, Any]:
        pts = self._src3.copy()
        # expressions in the source frame first
        if pose.blink > 0:
            for up, low in UPPER_TO_LOWER.items():
                a, b = self._idx.index(up), self._idx.index(low)
                pts[a, :2] += pose.blink * 0.9 * (pts[b, :2] - pts[a, :2])
        if pose.smile > 0:
            mouth_w = np.linalg.norm(pts[self._idx.index(61), :2] - pts[self._idx.index(291), :2])
            for corner, sign in ((61, -1.0), (291, 1.0)):
                i = self._idx.index(corner)
                pts[i, 0] += sign * pose.smile * 0.12 * mouth_w
                pts[i, 1] -= pose.smile * 0.10 * mouth_w
        yaw, pitch = np.radians(pose.yaw_deg), np.radians(pose.pitch_deg)
        # image frame: x right, y down, z away from the camera (MediaPipe's depth sign).
        # Turning to the subject's left moves the nose (nearest, z < 0) to the image's right.
        ry = np.array([[np.cos(yaw), 0, -np.sin(yaw)], [0, 1, 0], [np.sin(yaw), 0, np.cos(yaw)]])
        rx = np.array(
            [[1, 0, 0], [0, np.cos(pitch), np.sin(pitch)], [0, -np.sin(pitch), np.cos(pitch)]]
        )
        c = self._center
        return (pts - c) @ (rx @ ry).T + c


class SyntheticPerson:
    """A simulated customer in front of the camera who follows the prompts on screen.

    ``frame(t_s, action)`` is what the camera sees at ``t_s`` while the screen asks for
    ``action`` (a challenge action value, or None): the person reacts after a human
    delay, turns at a head's speed, closes the eyes for half a second when asked to
    blink, and otherwise faces the camera. Frames carry sensor noise and a faint pulse.
    """

    TARGETS: ClassVar[dict[str, tuple[float, float]]] = {
        "turn_left": (30.0, 0.0),
        "turn_right": (-30.0, 0.0),
        "look_up": (0.0, 22.0),
    }

    def __init__(
        self,
        renderer: HeadRenderer,
        *,
        seed: int = 0,
        bpm: float = 72.0,
        react_s: float = 0.5,
        speed_dps: float = 120.0,
    ) -> None:
        self.renderer = renderer
        self._rng = np.random.default_rng(seed)
        self._bpm, self._react, self._speed = bpm, react_s, speed_dps
        self._y0, self._p0 = -renderer.rest.yaw_deg, -renderer.rest.pitch_deg
        self._yaw, self._pitch = 0.0, 0.0
        self._action: str | None = None
        self._since = 0.0
        self._last_t: float | None = None
        self._cache: dict[tuple[float, float, float], Pixels] = {}

    def frame(self, t_s: float, action: str | None) -> Pixels:
        if action != self._action:
            self._action, self._since = action, t_s
        dt = 0.0 if self._last_t is None else t_s - self._last_t
        self._last_t = t_s
        reacting = t_s - self._since >= self._react
        goal_yaw, goal_pitch = (
            self.TARGETS.get(action or "", (0.0, 0.0)) if reacting else (self._yaw, self._pitch)
        )
        step = self._speed * dt
        self._yaw += float(np.clip(goal_yaw - self._yaw, -step, step))
        self._pitch += float(np.clip(goal_pitch - self._pitch, -step, step))
        # asked to blink, a person closes the eyes for half a second, again every 1.5 s
        phase = (t_s - self._since - self._react) % 1.5
        blink = 1.0 if action == "blink" and reacting and phase < 0.5 else 0.0
        key = (round(self._yaw * 2) / 2, round(self._pitch * 2) / 2, blink)
        if key not in self._cache:  # held poses repeat: render each distinct pose once
            self._cache[key] = self.renderer.render(
                Pose(self._y0 + key[0], self._p0 + key[1], blink=blink)
            )
        frame = self._cache[key].astype(np.float32)
        pulse = float(np.sin(2 * np.pi * self._bpm / 60.0 * t_s))
        frame[..., 1] += 1.2 * pulse * self.renderer.skin_mask
        frame[..., 2] += 0.6 * pulse * self.renderer.skin_mask
        frame += self._rng.normal(0.0, 2.0, frame.shape)  # sensor noise: no two frames alike
        return np.clip(frame, 0, 255).astype(np.uint8)
