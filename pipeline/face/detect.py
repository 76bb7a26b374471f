"""Face detection with YuNet (``cv2.FaceDetectorYN``) on selfies and on document images.

Selfies are searched at a small size first (fast), then at full analysis
resolution when nothing is found. Documents may lie in any 90-degree
rotation and hold a small printed portrait and a ghost image: each
rotation is tried in turn until a confident face appears; the main
portrait is the largest face.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from models import ModelRegistry, Task
from pipeline.errors import InputCorrupt, MultipleFacesError, NoFaceError
from pipeline.face.types import DetectPurpose, FaceDetection, Point
from pipeline.native import quiet_opencv
from pipeline.types import Box

ROTATIONS = (0, 90, 270, 180)  # upright first, then the two sideways scans, then upside down


@dataclass(frozen=True, slots=True)
class FaceDetectorOptions:
    """How faces are searched.

    Attributes:
        model: registry name of the detector (a ``face_detection`` model).
        score_threshold: minimum confidence; None takes the model's calibrated value.
        nms_threshold: overlap above which boxes are merged; None takes the model's value.
        fast_side: long side in pixels of the first, fast selfie pass.
        document_side: long side of the document passes (per rotation).
        confident_score: a face at least this confident ends the rotation search.
        min_face_px: faces narrower than this (in analysed pixels) are ignored; YuNet
            finds faces from about 12 px at native resolution.
        second_face_ratio: on a selfie, another face counts when its width is at least
            this fraction of the main face's width (a distant passer-by does not).
    """

    model: str = "yunet"
    score_threshold: float | None = None
    nms_threshold: float | None = None
    fast_side: int = 320
    document_side: int = 640
    confident_score: float = 0.8
    min_face_px: int = 12
    second_face_ratio: float = 0.25


class FaceDetector:
    """YuNet through OpenCV; thread-safe (one lock around the stateful detector)."""

    def __init__(self, detector: Any, options: FaceDetectorOptions, score: float, nms: float):
        self._detector = detector
        self._lock = threading.Lock()
        self.options = options
        self.score_threshold = score
        self.nms_threshold = nms

    @classmethod
    def from_options(
        cls, options: FaceDetectorOptions | None = None, registry: ModelRegistry | None = None
    ) -> FaceDetector:
        """Create the detector from a verified model file.

        Raises:
            ModelMissing, ModelCorrupt, UnknownModel: the model is not usable.
        """
        import cv2

        options = options or FaceDetectorOptions()
        registry = registry or ModelRegistry.default()
        spec = registry.spec(options.model)
        if spec.task is not Task.FACE_DETECTION:
            raise InputCorrupt(f"Model '{options.model}' is not a face detector.")
        path = registry.path(options.model)
        score = (
            options.score_threshold
            if options.score_threshold is not None
            else spec.threshold("score")
        )
        nms = options.nms_threshold if options.nms_threshold is not None else spec.threshold("nms")
        quiet_opencv()
        detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score, nms, 5000)
        return cls(detector, options, score, nms)

    def detect(
        self,
        pixels: np.ndarray[Any, np.dtype[np.uint8]],
        purpose: DetectPurpose = DetectPurpose.SELFIE,
    ) -> tuple[FaceDetection, ...]:
        """All faces in a BGR image, largest first, in that image's pixel coordinates."""
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise InputCorrupt("Face detection needs an 8-bit BGR image.")
        if purpose is DetectPurpose.DOCUMENT:
            return self._detect_document(pixels)
        faces = self._detect_at(pixels, self.options.fast_side, 0)
        if not faces and max(pixels.shape[:2]) > self.options.fast_side:
            faces = self._detect_at(pixels, max(pixels.shape[:2]), 0)
        return faces

    def _detect_document(
        self, pixels: np.ndarray[Any, np.dtype[np.uint8]]
    ) -> tuple[FaceDetection, ...]:
        best: tuple[FaceDetection, ...] = ()
        for side in (self.options.document_side, max(pixels.shape[:2])):
            for rotation in ROTATIONS:
                faces = self._detect_at(pixels, side, rotation)
                if faces and faces[0].score >= self.options.confident_score:
                    return faces
                if faces and (not best or faces[0].score > best[0].score):
                    best = faces
            if best or side >= max(pixels.shape[:2]):
                break
        return best

    def _detect_at(
        self, pixels: np.ndarray[Any, np.dtype[np.uint8]], side: int, rotation: int
    ) -> tuple[FaceDetection, ...]:
        import cv2

        h, w = pixels.shape[:2]
        factor = min(1.0, side / max(h, w))
        small = (
            cv2.resize(
                pixels,
                (max(1, round(w * factor)), max(1, round(h * factor))),
                interpolation=cv2.INTER_AREA,
            )
            if factor < 1.0
            else pixels
        )
        turned = _rotate(small, rotation)
        with self._lock:
            self._detector.setInputSize((turned.shape[1], turned.shape[0]))
            _, rows = self._detector.detect(turned)
        if rows is None:
            return ()
        sh, sw = small.shape[:2]
        found = []
        for row in rows:
            pts = [
                _unrotate(float(row[4 + 2 * i]), float(row[5 + 2 * i]), sw, sh, rotation)
                for i in range(5)
            ]
            corners = [
                _unrotate(float(x), float(y), sw, sh, rotation)
                for x, y in ((row[0], row[1]), (row[0] + row[2], row[1] + row[3]))
            ]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            box = Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).scaled(1 / factor)
            if box.w < self.options.min_face_px:
                continue
            landmarks = tuple((x / factor, y / factor) for x, y in pts)
            found.append(
                FaceDetection(box, float(row[14]), landmarks, rotation)  # type: ignore[arg-type]
            )
        found.sort(key=lambda f: f.box.area, reverse=True)
        return tuple(found)

    def close(self) -> None:
        with self._lock:
            self._detector = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rotate(image: np.ndarray[Any, Any], rotation: int) -> np.ndarray[Any, Any]:
    import cv2

    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if rotation == 0 else cv2.rotate(image, codes[rotation])


def _unrotate(x: float, y: float, w: int, h: int, rotation: int) -> Point:
    """Map a point of the image rotated clockwise by ``rotation`` back to the w x h original."""
    if rotation == 90:
        return (y, h - 1 - x)
    if rotation == 180:
        return (w - 1 - x, h - 1 - y)
    if rotation == 270:
        return (w - 1 - y, x)
    return (x, y)


def select_selfie_face(
    faces: tuple[FaceDetection, ...], options: FaceDetectorOptions | None = None
) -> FaceDetection:
    """The one face of a selfie.

    Raises:
        NoFaceError: no face.
        MultipleFacesError: another face at least ``second_face_ratio`` as wide as the main one.
    """
    options = options or FaceDetectorOptions()
    if not faces:
        raise NoFaceError("No face was found in the selfie.", hint="Look at the camera")
    main = faces[0]
    others = [f for f in faces[1:] if f.box.w >= options.second_face_ratio * main.box.w]
    if others:
        raise MultipleFacesError(
            f"{len(others) + 1} faces were found; only the customer may be in the picture.",
            hint="Make sure you are alone in front of the camera",
        )
    return main


def select_document_portrait(faces: tuple[FaceDetection, ...]) -> FaceDetection:
    """The main portrait of a document: the largest face (a ghost image is smaller).

    Raises:
        NoFaceError: the document shows no face.
    """
    if not faces:
        raise NoFaceError(
            "No portrait was found on the document.",
            hint="Place the whole document in view, photo side up",
        )
    return faces[0]
