"""Face image quality in the spirit of ISO/IEC 29794-5: measured components, each with a
threshold and a user-facing reason when it fails."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.face.types import FaceDetection, FaceLandmarks, HeadPose

BLUR_REFERENCE_PX = 128  # face crops are resampled to this width before measuring sharpness


class QualityIssueCode(enum.Enum):
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    LOW_CONTRAST = "low_contrast"
    BLURRY = "blurry"
    TOO_SMALL = "too_small"
    TOO_CLOSE = "too_close"
    FACE_CUT_OFF = "face_cut_off"
    POSE = "pose"
    EYES_CLOSED = "eyes_closed"


MESSAGES = {
    QualityIssueCode.TOO_DARK: "Too dark",
    QualityIssueCode.TOO_BRIGHT: "Too bright",
    QualityIssueCode.LOW_CONTRAST: "The light is too flat: face the light",
    QualityIssueCode.BLURRY: "Hold still",
    QualityIssueCode.TOO_SMALL: "Move closer",
    QualityIssueCode.TOO_CLOSE: "Move back a little",
    QualityIssueCode.FACE_CUT_OFF: "Move your face into the frame",
    QualityIssueCode.POSE: "Look straight at the camera",
    QualityIssueCode.EYES_CLOSED: "Open your eyes",
}


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """Thresholds. Luma is 0-255; sizes in pixels of the analysed image; angles in degrees.

    The defaults suit a selfie analysed at 800 px; :data:`DOCUMENT_QUALITY` suits a
    printed portrait.
    """

    min_brightness: float = 60.0
    max_brightness: float = 205.0
    max_clipped_fraction: float = 0.15
    min_contrast: float = 18.0
    min_sharpness: float = 60.0
    min_inter_eye_px: float = 40.0
    max_face_fraction: float = 0.85
    max_yaw_deg: float = 20.0
    max_pitch_deg: float = 20.0
    max_roll_deg: float = 15.0
    max_eye_blink: float = 0.55


DOCUMENT_QUALITY = QualityOptions(min_inter_eye_px=12.0, min_sharpness=25.0, max_face_fraction=1.0)


@dataclass(frozen=True, slots=True)
class QualityIssue:
    """One failed component: stable code, user-facing message, the value and the limit."""

    code: QualityIssueCode
    message: str
    value: float
    limit: float


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Measured components of one face image.

    Attributes:
        brightness: mean luma of the face region (0-255).
        contrast: standard deviation of that luma.
        clipped_fraction: share of face pixels at or above 250 (glare, overexposure).
        sharpness: variance of the Laplacian of the face resampled to 128 px wide.
        face_height_px, inter_eye_px: in pixels of the analysed image.
        face_fraction: face box height over image height.
        pose: head pose (from landmarks when given, else estimated from five points).
        pose_source: "landmarks" or "five_points".
        eye_blink: max of the two eyeBlink blendshapes (None without landmarks).
        issues: failed components, most important first.
    """

    brightness: float
    contrast: float
    clipped_fraction: float
    sharpness: float
    face_height_px: float
    inter_eye_px: float
    face_fraction: float
    pose: HeadPose
    pose_source: str
    eye_blink: float | None
    issues: tuple[QualityIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(i.message for i in self.issues)


def pose_from_five_points(detection: FaceDetection) -> HeadPose:
    """A rough head pose from the detector's five points (no 3D model).

    Yaw from the nose's horizontal offset from the eye midpoint relative to the
    inter-eye distance; roll from the eye line; pitch from where the nose sits
    between the eye line and the mouth line.
    """
    re, le, nose, rm, lm = (np.array(p, np.float64) for p in detection.landmarks5)
    eye_vec = le - re
    iod = max(float(np.linalg.norm(eye_vec)), 1e-6)
    roll = math.degrees(math.atan2(eye_vec[1], eye_vec[0]))
    # express the nose in the face's own frame (undo roll)
    ux = eye_vec / iod
    uy = np.array([-ux[1], ux[0]])
    eye_mid, mouth_mid = (re + le) / 2, (rm + lm) / 2
    offset_x = float(np.dot(nose - eye_mid, ux)) / iod
    face_len = max(float(np.dot(mouth_mid - eye_mid, uy)), 1e-6)
    along = float(np.dot(nose - eye_mid, uy)) / face_len
    yaw = math.degrees(math.asin(float(np.clip(offset_x / 0.55, -1.0, 1.0))))
    pitch = (0.55 - along) * 90.0  # nose ~55% of the way down on a frontal face
    return HeadPose(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll)


def assess_quality(
    pixels: np.ndarray[Any, np.dtype[np.uint8]],
    detection: FaceDetection,
    landmarks: FaceLandmarks | None = None,
    options: QualityOptions | None = None,
) -> QualityReport:
    """Measure the face at ``detection`` in ``pixels`` (BGR) and list what fails."""
    import cv2

    options = options or QualityOptions()
    h, w = pixels.shape[:2]
    box = detection.box
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(math.ceil(box.x + box.w), w), min(math.ceil(box.y + box.h), h)
    cut_off = box.x < 0 or box.y < 0 or box.x + box.w > w or box.y + box.h > h
    crop: np.ndarray[Any, Any]
    if x1 - x0 < 2 or y1 - y0 < 2:
        crop = np.zeros((2, 2), np.uint8)
    else:
        crop = cv2.cvtColor(pixels[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    brightness = float(crop.mean())
    contrast = float(crop.std())
    clipped = float((crop >= 250).mean())
    scale = BLUR_REFERENCE_PX / max(crop.shape[1], 1)
    ref = cv2.resize(
        crop,
        (BLUR_REFERENCE_PX, max(2, round(crop.shape[0] * scale))),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    sharpness = float(cv2.Laplacian(ref, cv2.CV_64F).var())
    if landmarks is not None:
        pose, pose_source = landmarks.pose, "landmarks"
        blink: float | None = max(
            landmarks.blendshape("eyeBlinkLeft"), landmarks.blendshape("eyeBlinkRight")
        )
    else:
        pose, pose_source, blink = pose_from_five_points(detection), "five_points", None
    face_fraction = box.h / max(h, 1)

    o = options
    checks: list[tuple[bool, QualityIssueCode, float, float]] = [
        (cut_off, QualityIssueCode.FACE_CUT_OFF, 1.0, 0.0),
        (
            detection.inter_eye_px < o.min_inter_eye_px,
            QualityIssueCode.TOO_SMALL,
            detection.inter_eye_px,
            o.min_inter_eye_px,
        ),
        (
            face_fraction > o.max_face_fraction,
            QualityIssueCode.TOO_CLOSE,
            face_fraction,
            o.max_face_fraction,
        ),
        (brightness < o.min_brightness, QualityIssueCode.TOO_DARK, brightness, o.min_brightness),
        (brightness > o.max_brightness, QualityIssueCode.TOO_BRIGHT, brightness, o.max_brightness),
        (
            clipped > o.max_clipped_fraction,
            QualityIssueCode.TOO_BRIGHT,
            clipped,
            o.max_clipped_fraction,
        ),
        (contrast < o.min_contrast, QualityIssueCode.LOW_CONTRAST, contrast, o.min_contrast),
        (abs(pose.yaw_deg) > o.max_yaw_deg, QualityIssueCode.POSE, pose.yaw_deg, o.max_yaw_deg),
        (
            abs(pose.pitch_deg) > o.max_pitch_deg,
            QualityIssueCode.POSE,
            pose.pitch_deg,
            o.max_pitch_deg,
        ),
        (abs(pose.roll_deg) > o.max_roll_deg, QualityIssueCode.POSE, pose.roll_deg, o.max_roll_deg),
        (
            blink is not None and blink > o.max_eye_blink,
            QualityIssueCode.EYES_CLOSED,
            blink or 0.0,
            o.max_eye_blink,
        ),
        (sharpness < o.min_sharpness, QualityIssueCode.BLURRY, sharpness, o.min_sharpness),
    ]
    issues: list[QualityIssue] = []
    seen: set[QualityIssueCode] = set()
    for failed, code, value, limit in checks:
        if failed and code not in seen:
            seen.add(code)
            issues.append(QualityIssue(code, MESSAGES[code], float(value), float(limit)))
    return QualityReport(
        brightness=brightness,
        contrast=contrast,
        clipped_fraction=clipped,
        sharpness=sharpness,
        face_height_px=box.h,
        inter_eye_px=detection.inter_eye_px,
        face_fraction=face_fraction,
        pose=pose,
        pose_source=pose_source,
        eye_blink=blink,
        issues=tuple(issues),
    )
