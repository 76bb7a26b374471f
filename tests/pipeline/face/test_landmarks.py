from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.face import FaceLandmarker, FaceToolkit, LandmarkerOptions, RunningMode
from pipeline.face.landmarks import TimestampError, pose_from_matrix
from pipeline.image import LoadedImage

pytestmark = pytest.mark.models


def test_pose_from_matrix_conventions() -> None:
    def rot_y(deg: float) -> np.ndarray:
        r = np.radians(deg)
        m = np.eye(4)
        m[:3, :3] = [[np.cos(r), 0, np.sin(r)], [0, 1, 0], [-np.sin(r), 0, np.cos(r)]]
        return m

    def rot_x(deg: float) -> np.ndarray:
        r = np.radians(deg)
        m = np.eye(4)
        m[:3, :3] = [[1, 0, 0], [0, np.cos(r), -np.sin(r)], [0, np.sin(r), np.cos(r)]]
        return m

    assert pose_from_matrix(np.eye(4)).yaw_deg == pytest.approx(0)
    # turning about the up axis so the face points towards +x (the image's right)
    assert pose_from_matrix(rot_y(30)).yaw_deg == pytest.approx(30)
    # tilting so the face points up (+y in the camera's GL frame)
    assert pose_from_matrix(rot_x(-20)).pitch_deg == pytest.approx(20)


def test_image_mode_landmarks_blendshapes_pose(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    (face,) = toolkit.landmarker().detect(obama.pixels)
    assert face.points.shape == (478, 3)
    assert len(face.blendshapes) == 52
    w, _h = obama.size
    assert face.points[:, 0].min() > 0 and face.points[:, 0].max() < w
    assert abs(face.pose.yaw_deg) < 15 and abs(face.pose.roll_deg) < 10
    assert face.blendshape("eyeBlinkLeft") < 0.5  # eyes open in this photo


@pytest.mark.parametrize("tilt", [-20, 20])
def test_roll_sign_follows_the_image(toolkit: FaceToolkit, obama: LoadedImage, tilt: int) -> None:
    h, w = obama.pixels.shape[:2]
    (base,) = toolkit.landmarker().detect(obama.pixels)
    # cv2 angles are counter-clockwise; a positive roll is a clockwise tilt in the image
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -tilt, 1.0)
    turned = cv2.warpAffine(obama.pixels, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    (face,) = toolkit.landmarker().detect(turned)
    assert face.pose.roll_deg - base.pose.roll_deg == pytest.approx(tilt, abs=5)


def test_video_mode_tracks_and_yaw_follows_the_nose(shared_data: Path) -> None:
    """On a real clip, yaw must move with the nose's offset from the face's centre."""
    cap = cv2.VideoCapture(str(shared_data / "video" / "short_hamilton_clip.mp4"))
    yaws, offsets = [], []
    with FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO)) as lm:
        t = 0
        last = None
        while len(yaws) < 150:
            ok, frame = cap.read()
            if not ok:
                break
            last = frame
            t += 33
            faces = lm.detect_for_video(frame, t)
            if not faces:
                continue
            p = faces[0].points
            cheeks_mid = (p[234, 0] + p[454, 0]) / 2  # face-oval extremes
            width = abs(p[454, 0] - p[234, 0])
            yaws.append(faces[0].pose.yaw_deg)
            offsets.append((p[1, 0] - cheeks_mid) / width)
        with pytest.raises(TimestampError):
            lm.detect_for_video(last, t)  # same timestamp again
    cap.release()
    assert len(yaws) > 100
    assert np.std(yaws) > 2, "the clip has some head motion"
    assert np.corrcoef(yaws, offsets)[0, 1] > 0.6


def test_wrong_mode_is_an_error(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError):
        toolkit.landmarker().detect_for_video(obama.pixels, 1)
