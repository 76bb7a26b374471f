"""MediaPipe FaceLandmarker: 478 points, 52 blendshapes and head pose, in IMAGE or VIDEO mode."""

from __future__ import annotations

import atexit
import enum
import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from models import ModelRegistry
from pipeline.errors import InputCorrupt, InputError
from pipeline.face.types import FaceLandmarks, HeadPose
from pipeline.native import quiet_native_stderr

# MediaPipe's own finaliser fails during interpreter shutdown (printing a traceback),
# so every live landmarker is closed by an exit hook first.
_live: weakref.WeakSet[FaceLandmarker] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for landmarker in list(_live):
        landmarker.close()


class RunningMode(enum.Enum):
    """IMAGE: independent stills. VIDEO: frames of one stream, timestamps strictly increasing."""

    IMAGE = "image"
    VIDEO = "video"


class TimestampError(InputError):
    code = "timestamp_not_increasing"
    default_message = "Video frame timestamps must strictly increase."


@dataclass(frozen=True, slots=True)
class LandmarkerOptions:
    """FaceLandmarker settings.

    Attributes:
        running_mode: IMAGE or VIDEO.
        num_faces: how many faces to track (2 lets a caller notice a second face).
        min_detection_confidence, min_presence_confidence, min_tracking_confidence: [0, 1].
        model: registry name of the landmarker bundle.
    """

    running_mode: RunningMode = RunningMode.IMAGE
    num_faces: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    model: str = "face_landmarker"


def pose_from_matrix(matrix: np.ndarray[Any, Any]) -> HeadPose:
    """Yaw, pitch, roll in degrees from MediaPipe's facial transformation matrix.

    The matrix maps the canonical face (looking along +z, y up) into the camera's
    OpenGL frame (x right, y up, z towards the viewer). Yaw and pitch come from
    where the face's forward axis points; roll from the in-plane angle of its x axis,
    negated so that a clockwise tilt in the image is positive.
    """
    rot = np.asarray(matrix, np.float64)[:3, :3]
    forward = rot[:, 2] / max(float(np.linalg.norm(rot[:, 2])), 1e-9)
    yaw = math.degrees(math.atan2(forward[0], forward[2]))
    pitch = math.degrees(math.asin(float(np.clip(forward[1], -1.0, 1.0))))
    roll = -math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    return HeadPose(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll)


class FaceLandmarker:
    """One MediaPipe FaceLandmarker; calls are serialised (the graph is not re-entrant)."""

    def __init__(self, landmarker: Any, options: LandmarkerOptions) -> None:
        self._landmarker = landmarker
        self._lock = threading.Lock()
        self._last_ts = -1
        self.options = options

    @classmethod
    def from_options(
        cls, options: LandmarkerOptions | None = None, registry: ModelRegistry | None = None
    ) -> FaceLandmarker:
        """Create the landmarker from the verified model bundle.

        Raises:
            ModelMissing, ModelCorrupt: the bundle is not usable.
        """
        from mediapipe.tasks.python.core import base_options
        from mediapipe.tasks.python.vision import face_landmarker as fl
        from mediapipe.tasks.python.vision.core import vision_task_running_mode as rm

        options = options or LandmarkerOptions()
        registry = registry or ModelRegistry.default()
        path = registry.path(options.model)
        mode = (
            rm.VisionTaskRunningMode.VIDEO
            if options.running_mode is RunningMode.VIDEO
            else rm.VisionTaskRunningMode.IMAGE
        )
        mp_options = fl.FaceLandmarkerOptions(
            base_options=base_options.BaseOptions(model_asset_path=str(path)),
            running_mode=mode,
            num_faces=options.num_faces,
            min_face_detection_confidence=options.min_detection_confidence,
            min_face_presence_confidence=options.min_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        with quiet_native_stderr():
            landmarker = cls(fl.FaceLandmarker.create_from_options(mp_options), options)
            # the first inference prints XNNPACK notices too
            if options.running_mode is RunningMode.IMAGE:
                landmarker.detect(np.zeros((64, 64, 3), np.uint8))
        _live.add(landmarker)
        return landmarker

    def detect(self, pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> tuple[FaceLandmarks, ...]:
        """Landmarks of the faces in a still BGR image (IMAGE mode)."""
        if self.options.running_mode is not RunningMode.IMAGE:
            raise InputError("This landmarker runs in VIDEO mode; use detect_for_video.")
        image = _mp_image(pixels)
        with self._lock:
            result = self._require().detect(image)
        return _convert(result, pixels.shape[1], pixels.shape[0])

    def detect_for_video(
        self, pixels: np.ndarray[Any, np.dtype[np.uint8]], timestamp_ms: int
    ) -> tuple[FaceLandmarks, ...]:
        """Landmarks for one frame of a stream (VIDEO mode).

        Raises:
            TimestampError: ``timestamp_ms`` is not greater than the previous frame's.
        """
        if self.options.running_mode is not RunningMode.VIDEO:
            raise InputError("This landmarker runs in IMAGE mode; use detect.")
        image = _mp_image(pixels)
        with self._lock:
            if timestamp_ms <= self._last_ts:
                raise TimestampError(
                    f"Frame timestamp {timestamp_ms} ms is not after {self._last_ts} ms."
                )
            first = self._last_ts < 0
            self._last_ts = timestamp_ms
            if first:
                with quiet_native_stderr():
                    result = self._require().detect_for_video(image, int(timestamp_ms))
            else:
                result = self._require().detect_for_video(image, int(timestamp_ms))
        return _convert(result, pixels.shape[1], pixels.shape[0])

    def _require(self) -> Any:
        if self._landmarker is None:
            raise InputError("The face landmarker was closed.")
        return self._landmarker

    def close(self) -> None:
        with self._lock:
            if self._landmarker is not None:
                self._landmarker.close()
                self._landmarker = None

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mp_image(pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> Any:
    import mediapipe as mp

    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8 or pixels.size == 0:
        raise InputCorrupt("Landmark detection needs a non-empty 8-bit BGR image.")
    import cv2

    rgb = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)  # one C pass; numpy's [..., ::-1] copy is slower
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


def _convert(result: Any, width: int, height: int) -> tuple[FaceLandmarks, ...]:
    faces = []
    for i, marks in enumerate(result.face_landmarks or []):
        points = np.array([(p.x * width, p.y * height, p.z * width) for p in marks], np.float32)
        shapes = tuple(
            (c.category_name, float(c.score))
            for c in (result.face_blendshapes or [[]] * (i + 1))[i]
        )
        matrices = result.facial_transformation_matrixes or []
        matrix = (
            np.array(matrices[i], np.float32) if i < len(matrices) else np.eye(4, dtype=np.float32)
        )
        faces.append(
            FaceLandmarks(points, shapes, pose_from_matrix(matrix), matrix, (width, height))
        )
    return tuple(faces)
