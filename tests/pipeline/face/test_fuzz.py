"""Thousands of mutated image files through loading and detection: typed errors only."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline.errors import InputError
from pipeline.face import DetectPurpose, FaceToolkit
from pipeline.image import LoadedImage, decode_image

pytestmark = pytest.mark.models
CASES = 3000


def _seeds(obama: LoadedImage) -> list[bytes]:
    small = Image.fromarray(np.ascontiguousarray(obama.pixels[::6, ::6, ::-1]))
    out = []
    for fmt, kw in (
        ("JPEG", {"quality": 80}),
        ("PNG", {}),
        ("WEBP", {"quality": 70}),
        ("BMP", {}),
        ("TIFF", {}),
    ):
        buf = io.BytesIO()
        small.save(buf, fmt, **kw)
        out.append(buf.getvalue())
    return out


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    kind = rng.integers(0, 5)
    if kind == 0:  # flip bits anywhere, headers included
        for _ in range(int(rng.integers(1, 20))):
            pos = int(rng.integers(0, len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
    elif kind == 1:  # truncate
        b = b[: int(rng.integers(0, len(b)))]
    elif kind == 2:  # overwrite a run with random bytes
        pos = int(rng.integers(0, len(b)))
        n = int(rng.integers(1, 64))
        b[pos : pos + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    elif kind == 3:  # corrupt the first 64 bytes (dimensions, chunk lengths)
        for _ in range(4):
            pos = int(rng.integers(0, min(64, len(b))))
            b[pos] = int(rng.integers(0, 256))
    else:  # duplicate or drop a block
        pos, n = int(rng.integers(0, len(b))), int(rng.integers(1, 512))
        b = (
            b[:pos] + b[pos : pos + n] * 2 + b[pos + n :]
            if rng.random() < 0.5
            else b[:pos] + b[pos + n :]
        )
    return bytes(b)


def test_mutated_images_give_typed_errors_or_results(
    toolkit: FaceToolkit, obama: LoadedImage
) -> None:
    rng = np.random.default_rng(2026)
    seeds = _seeds(obama)
    detector = toolkit.detector()
    outcomes = {"decoded": 0, "typed_error": 0}
    for n in range(CASES):
        data = _mutate(seeds[n % len(seeds)], rng)
        try:
            image = decode_image(data, max_side=800)
        except InputError:
            outcomes["typed_error"] += 1
            continue
        outcomes["decoded"] += 1
        assert image.pixels.dtype == np.uint8 and image.pixels.ndim == 3
        purpose = DetectPurpose.SELFIE if n % 2 else DetectPurpose.DOCUMENT
        for face in detector.detect(image.pixels, purpose):
            assert np.isfinite([face.box.x, face.box.y, face.box.w, face.box.h]).all()
    # both paths must actually be exercised
    assert outcomes["decoded"] > CASES * 0.1 and outcomes["typed_error"] > CASES * 0.1, outcomes
