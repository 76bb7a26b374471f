from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.face import FaceToolkit, QualityIssueCode, assess_quality
from pipeline.face.quality import pose_from_five_points
from pipeline.image import LoadedImage

pytestmark = pytest.mark.models


def _codes(report: object) -> set[QualityIssueCode]:
    return {i.code for i in report.issues}  # type: ignore[attr-defined]


def test_a_good_photo_passes(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    face = toolkit.detector().detect(obama.pixels)[0]
    (marks,) = toolkit.landmarker().detect(obama.pixels)
    report = assess_quality(obama, face, marks)
    assert report.ok, report.messages
    assert report.pose_source == "landmarks" and report.eye_blink is not None


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (lambda im: (im * 0.2).astype(np.uint8), QualityIssueCode.TOO_DARK, "Too dark"),
        (
            lambda im: np.clip(im.astype(int) + 150, 0, 255).astype(np.uint8),
            QualityIssueCode.TOO_BRIGHT,
            "Too bright",
        ),
        (lambda im: cv2.GaussianBlur(im, (0, 0), 6), QualityIssueCode.BLURRY, "Hold still"),
        (lambda im: (im * 0.15 + 100).astype(np.uint8), QualityIssueCode.LOW_CONTRAST, None),
    ],
    ids=["dark", "bright", "blur", "flat"],
)
def test_each_failure_has_its_reason(
    toolkit: FaceToolkit,
    obama: LoadedImage,
    change: object,
    code: QualityIssueCode,
    message: str | None,
) -> None:
    face = toolkit.detector().detect(obama.pixels)[0]
    degraded = change(obama.pixels)  # type: ignore[operator]
    report = assess_quality(degraded, face)
    assert code in _codes(report), report.messages
    if message:
        assert message in report.messages


def test_small_face_asks_to_move_closer(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    small = cv2.resize(obama.pixels, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    canvas = np.full((600, 800, 3), 180, np.uint8)
    canvas[50 : 50 + small.shape[0], 50 : 50 + small.shape[1]] = small
    face = toolkit.detector().detect(canvas)[0]
    report = assess_quality(canvas, face)
    assert "Move closer" in report.messages


def test_tilted_head_asks_to_look_straight(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    h, w = obama.pixels.shape[:2]
    tilted = cv2.warpAffine(obama.pixels, cv2.getRotationMatrix2D((w / 2, h / 3), 35, 1.0), (w, h))
    face = toolkit.detector().detect(tilted)[0]
    (marks,) = toolkit.landmarker().detect(tilted)
    assert marks.pose.roll_deg < -25  # counter-clockwise in the image
    report = assess_quality(tilted, face, marks)
    assert "Look straight at the camera" in report.messages


def test_five_point_pose_reads_a_turned_face() -> None:
    from pipeline.face.types import FaceDetection
    from pipeline.types import Box

    frontal = ((40.0, 50.0), (80.0, 50.0), (60.0, 72.0), (45.0, 90.0), (75.0, 90.0))
    turned = ((40.0, 50.0), (80.0, 50.0), (75.0, 72.0), (50.0, 90.0), (78.0, 90.0))
    rolled = ((40.0, 50.0), (80.0, 70.0), (55.0, 80.0), (35.0, 95.0), (62.0, 108.0))
    box = Box(20, 20, 80, 100)
    assert abs(pose_from_five_points(FaceDetection(box, 1, frontal)).yaw_deg) < 3
    assert pose_from_five_points(FaceDetection(box, 1, turned)).yaw_deg > 25
    assert pose_from_five_points(FaceDetection(box, 1, rolled)).roll_deg > 20
