from __future__ import annotations

import numpy as np
import pytest

from pipeline.face.align import ARCFACE_TEMPLATE, align_face, similarity_transform
from pipeline.face.types import FaceDetection
from pipeline.types import Box


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@pytest.mark.parametrize(
    ("angle", "scale", "shift"), [(0.0, 1.0, (0, 0)), (0.4, 2.5, (30, -7)), (-1.2, 0.3, (-100, 55))]
)
def test_similarity_transform_recovers_a_known_transform(
    angle: float, scale: float, shift: tuple[float, float]
) -> None:
    c, s = np.cos(angle), np.sin(angle)
    truth = np.array([[scale * c, -scale * s, shift[0]], [scale * s, scale * c, shift[1]]])
    src = ARCFACE_TEMPLATE * 3.1 + 12
    estimated = similarity_transform(src, _apply(truth, src))
    np.testing.assert_allclose(estimated, truth, atol=1e-9)


def test_similarity_transform_rejects_degenerate_points() -> None:
    with pytest.raises(ValueError, match="degenerate"):
        similarity_transform(np.ones((5, 2)), ARCFACE_TEMPLATE)
    with pytest.raises(ValueError):
        similarity_transform(np.ones((5, 3)), ARCFACE_TEMPLATE)


@pytest.mark.parametrize("face_scale", [0.5, 1.0, 4.0])
def test_align_face_puts_the_points_on_the_template(face_scale: float) -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (800, 800, 3), dtype=np.uint8)
    src = ARCFACE_TEMPLATE * face_scale + 200
    # a bright dot at each landmark must land on the template position
    r = max(2, round(2 * face_scale))  # a dot that survives the shrink
    for x, y in src:
        cx, cy = round(x), round(y)
        image[cy - r : cy + r + 1, cx - r : cx + r + 1] = 255
    det = FaceDetection(
        Box(200, 200, 112 * face_scale, 112 * face_scale), 0.9, tuple(map(tuple, src))
    )  # type: ignore[arg-type]
    crop = align_face(image, det)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    for x, y in ARCFACE_TEMPLATE:
        assert crop[round(y), round(x)].mean() > 150
