"""Five-point similarity alignment to the 112x112 ArcFace template (pure numpy + one warp)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.face.types import FaceDetection

ALIGNED_SIZE = 112
# ArcFace/InsightFace template, in pixels of the 112x112 crop: the eye on the image's
# left (the subject's right eye), the other eye, nose tip, mouth corners, same order.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def similarity_transform(
    src: np.ndarray[Any, Any], dst: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Least-squares similarity (rotation, uniform scale, translation) mapping ``src`` to ``dst``.

    Umeyama's closed form; reflections are excluded. Returns a 2x3 matrix.

    Raises:
        ValueError: fewer than two distinct points, or mismatched shapes.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or src.shape[0] < 2:
        raise ValueError("need two equal (N, 2) point sets with N >= 2")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s_c, d_c = src - mu_s, dst - mu_d
    var_s = (s_c**2).sum() / len(src)
    if var_s < 1e-12:
        raise ValueError("source points are degenerate")
    cov = d_c.T @ s_c / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = (sig * d).sum() / var_s
    matrix = np.empty((2, 3), np.float64)
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def align_face(
    pixels: np.ndarray[Any, np.dtype[np.uint8]], detection: FaceDetection
) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The 112x112 BGR crop of ``detection``, warped onto the ArcFace template.

    ``pixels`` must be the image the detection's coordinates refer to.
    """
    import cv2

    points = np.array(detection.landmarks5, np.float64)
    matrix = similarity_transform(points, ARCFACE_TEMPLATE)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source: np.ndarray[Any, Any] = pixels
    if scale < 0.7:
        # Shrinking a large face in one bilinear warp aliases; area-resample the face
        # region first and warp the smaller image instead.
        h, w = pixels.shape[:2]
        cx, cy = points.mean(0)
        half = 1.6 * max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1.0) / 0.5
        x0, y0 = max(int(cx - half), 0), max(int(cy - half), 0)
        x1, y1 = min(int(cx + half) + 1, w), min(int(cy + half) + 1, h)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            crop = pixels[y0:y1, x0:x1]
            size = (max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale)))
            source = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            sx, sy = size[0] / (x1 - x0), size[1] / (y1 - y0)
            linear = matrix[:, :2]
            offset = linear @ np.array([x0, y0], np.float64) + matrix[:, 2]
            matrix = np.column_stack([linear[:, 0] / sx, linear[:, 1] / sy, offset])
    aligned = cv2.warpAffine(
        source,
        matrix,
        (ALIGNED_SIZE, ALIGNED_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.ascontiguousarray(aligned)
