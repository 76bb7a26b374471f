"""Faces: detection (YuNet), landmarks and pose (MediaPipe), alignment, embeddings,
calibrated comparison and image quality. Qt-free; nothing loads at import.

The module-level verbs use one shared :class:`FaceToolkit`; components can also be
built directly from their options for other threading or models.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.face.align import align_face
from pipeline.face.detect import (
    FaceDetector,
    FaceDetectorOptions,
    select_document_portrait,
    select_selfie_face,
)
from pipeline.face.embed import EmbedderOptions, Embedding, FaceEmbedder, cosine_similarity
from pipeline.face.landmarks import FaceLandmarker, LandmarkerOptions, RunningMode
from pipeline.face.match import FaceMatch, match_faces
from pipeline.face.quality import (
    DOCUMENT_QUALITY,
    QualityIssue,
    QualityIssueCode,
    QualityOptions,
    QualityReport,
)
from pipeline.face.quality import assess_quality as _assess_quality
from pipeline.face.toolkit import FaceToolkit, ToolkitOptions, default_toolkit
from pipeline.face.types import DetectPurpose, FaceDetection, FaceLandmarks, HeadPose
from pipeline.image import LoadedImage

Pixels = np.ndarray[Any, np.dtype[np.uint8]]


def _pixels(image: LoadedImage | Pixels) -> Pixels:
    return image.pixels if isinstance(image, LoadedImage) else image


def detect_faces(
    image: LoadedImage | Pixels, purpose: DetectPurpose = DetectPurpose.SELFIE
) -> tuple[FaceDetection, ...]:
    """Faces in a BGR image, largest first, in that image's pixel coordinates.

    On a document (``purpose=DOCUMENT``) any 90-degree rotation is searched and
    the first face is the main portrait.
    """
    return default_toolkit().detector().detect(_pixels(image), purpose)


def embed(image: LoadedImage | Pixels, face: FaceDetection, model: str | None = None) -> Embedding:
    """The L2-normalised embedding of ``face`` (aligned to the ArcFace template)."""
    return default_toolkit().embedder(model).embed_aligned(align_face(_pixels(image), face))


def compare(a: Embedding, b: Embedding) -> float:
    """Cosine similarity of two embeddings of the same model; see ``is_match`` for a decision."""
    return cosine_similarity(a, b)


def is_match(similarity: float, model: str | None = None, threshold: float | None = None) -> bool:
    """Whether ``similarity`` reaches ``threshold`` (default: the model's calibrated one)."""
    limit = threshold if threshold is not None else default_toolkit().embedder(model).threshold()
    return similarity >= limit


def assess_quality(
    image: LoadedImage | Pixels,
    face: FaceDetection,
    landmarks: FaceLandmarks | None = None,
    options: QualityOptions | None = None,
) -> QualityReport:
    """Quality components of ``face`` and the user-facing reasons for any that fail."""
    return _assess_quality(_pixels(image), face, landmarks, options)


__all__ = [
    "DOCUMENT_QUALITY",
    "DetectPurpose",
    "EmbedderOptions",
    "Embedding",
    "FaceDetection",
    "FaceDetector",
    "FaceDetectorOptions",
    "FaceEmbedder",
    "FaceLandmarker",
    "FaceLandmarks",
    "FaceMatch",
    "FaceToolkit",
    "HeadPose",
    "LandmarkerOptions",
    "QualityIssue",
    "QualityIssueCode",
    "QualityOptions",
    "QualityReport",
    "RunningMode",
    "ToolkitOptions",
    "align_face",
    "assess_quality",
    "compare",
    "default_toolkit",
    "detect_faces",
    "embed",
    "is_match",
    "match_faces",
    "select_document_portrait",
    "select_selfie_face",
]
