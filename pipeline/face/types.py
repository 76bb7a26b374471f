"""Face results: detections, landmarks, head pose, embeddings, matches, quality."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.types import Box

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class FaceDetection:
    """One face found by the detector.

    Attributes:
        box: face rectangle in pixels of the image passed to the detector.
        score: detector confidence in [0, 1].
        landmarks5: right eye, left eye, nose tip, right mouth corner, left mouth
            corner (the subject's right/left), in pixels of the same image.
        rotation: clockwise degrees (0, 90, 180, 270) the image had to be turned
            for the face to be upright; box and points are in the unrotated image.
    """

    box: Box
    score: float
    landmarks5: tuple[Point, Point, Point, Point, Point]
    rotation: int = 0

    @property
    def inter_eye_px(self) -> float:
        (rx, ry), (lx, ly) = self.landmarks5[0], self.landmarks5[1]
        return float(np.hypot(lx - rx, ly - ry))


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Head rotation in degrees, camera frame: yaw > 0 the subject turns to their left
    (towards the image's right), pitch > 0 looks up, roll > 0 tilts clockwise in the image."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True, slots=True)
class FaceLandmarks:
    """MediaPipe FaceLandmarker output for one face in one frame.

    Attributes:
        points: (478, 3) float32; x, y in pixels of the frame, z in the same pixel
            scale, relative depth (smaller is nearer the camera).
        blendshapes: 52 (name, score in [0, 1]) pairs, e.g. ("eyeBlinkLeft", 0.02).
        pose: head rotation from the facial transformation matrix.
        transform: (4, 4) facial transformation matrix (canonical face -> camera, cm).
        frame_size: (width, height) of the frame in pixels.
    """

    points: np.ndarray[Any, np.dtype[np.float32]]
    blendshapes: tuple[tuple[str, float], ...]
    pose: HeadPose
    transform: np.ndarray[Any, np.dtype[np.float32]]
    frame_size: tuple[int, int]

    def blendshape(self, name: str) -> float:
        for key, value in self.blendshapes:
            if key == name:
                return value
        return 0.0


class DetectPurpose(enum.Enum):
    """What the image is: a selfie (exactly one face) or a document (main portrait)."""

    SELFIE = "selfie"
    DOCUMENT = "document"
