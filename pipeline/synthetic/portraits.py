"""Seeded synthetic ID-document portraits made from an ordinary face photo.

A document portrait is a small, printed, re-captured copy of a face: the face is
rescaled to 60-100 px wide, JPEG-compressed (quality 40-70), blurred, noisy and
often crossed by a glare highlight from the laminate. These degrade a real photo
the same way so face matching can be calibrated on document-like portraits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.face.types import FaceDetection

Pixels = np.ndarray[Any, np.dtype[np.uint8]]


@dataclass(frozen=True, slots=True)
class PortraitRecipe:
    """The degradations applied, for reproducibility and reports.

    Attributes:
        face_width_px: face box width after rescaling, in portrait pixels.
        jpeg_quality: JPEG quality used for the re-compression.
        blur_sigma: Gaussian blur sigma in portrait pixels.
        noise_sigma: additive Gaussian noise sigma in 0-255 units.
        glare_strength: peak added luma of the glare ellipse (0 = none).
        desaturation: blend towards grey in [0, 1] (print gamut).
    """

    face_width_px: int
    jpeg_quality: int
    blur_sigma: float
    noise_sigma: float
    glare_strength: float
    desaturation: float


def random_recipe(rng: np.random.Generator) -> PortraitRecipe:
    """Draw a recipe from the ranges a document portrait shows."""
    return PortraitRecipe(
        face_width_px=int(rng.integers(60, 101)),
        jpeg_quality=int(rng.integers(40, 71)),
        blur_sigma=float(rng.uniform(0.4, 1.2)),
        noise_sigma=float(rng.uniform(2.0, 8.0)),
        glare_strength=float(rng.uniform(30.0, 90.0)) if rng.random() < 0.6 else 0.0,
        desaturation=float(rng.uniform(0.0, 0.35)),
    )


def crop_portrait(pixels: Pixels, face: FaceDetection) -> Pixels:
    """Head-and-shoulders crop in the 35:45 passport-photo aspect, padded with a
    light background where the photo ends."""
    import cv2

    box = face.box
    cx, cy = box.x + box.w / 2, box.y + box.h * 0.45
    out_w = box.w * 1.9
    out_h = out_w * 45 / 35
    x0, y0 = round(cx - out_w / 2), round(cy - out_h * 0.48)
    x1, y1 = x0 + round(out_w), y0 + round(out_h)
    h, w = pixels.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    canvas: np.ndarray[Any, Any] = pixels
    if pad:
        canvas = cv2.copyMakeBorder(
            pixels, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(225, 225, 225)
        )
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    return np.ascontiguousarray(canvas[y0:y1, x0:x1])


def make_id_portrait(
    pixels: Pixels,
    face: FaceDetection,
    rng: np.random.Generator,
    recipe: PortraitRecipe | None = None,
) -> tuple[Pixels, PortraitRecipe]:
    """A degraded document-style portrait of ``face`` from the BGR photo ``pixels``."""
    import cv2

    recipe = recipe or random_recipe(rng)
    crop = crop_portrait(pixels, face)
    factor = recipe.face_width_px / max(face.box.w, 1.0)
    size = (max(8, round(crop.shape[1] * factor)), max(8, round(crop.shape[0] * factor)))
    small: np.ndarray[Any, Any] = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(
        np.float32
    )
    if recipe.desaturation > 0:
        grey = small.mean(axis=2, keepdims=True)
        small = small * (1 - recipe.desaturation) + grey * recipe.desaturation
    if recipe.blur_sigma > 0:
        small = cv2.GaussianBlur(small, (0, 0), recipe.blur_sigma)
    if recipe.glare_strength > 0:
        small = (
            small + _glare(small.shape[1], small.shape[0], recipe.glare_strength, rng)[..., None]
        )
    small = small + rng.normal(0.0, recipe.noise_sigma, small.shape)
    out = np.clip(small, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, recipe.jpeg_quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    return (out if decoded is None else np.ascontiguousarray(decoded, np.uint8)), recipe


def _glare(w: int, h: int, strength: float, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """A soft, tilted elliptical highlight like light on a laminate."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    ax, ay = rng.uniform(0.15, 0.45) * w, rng.uniform(0.05, 0.2) * h
    angle = rng.uniform(0, np.pi)
    c, s = np.cos(angle), np.sin(angle)
    u = ((xx - cx) * c + (yy - cy) * s) / ax
    v = (-(xx - cx) * s + (yy - cy) * c) / ay
    return (strength * np.exp(-(u**2 + v**2))).astype(np.float32)
