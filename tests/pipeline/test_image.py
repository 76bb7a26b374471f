from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.errors import (
    InputCorrupt,
    InputEmpty,
    InputNotFound,
    InputTooLarge,
    UnsupportedFormat,
)
from pipeline.image import decode_image, from_array, load_image, sniff_format


def _encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def _gradient(w: int = 64, h: int = 48) -> np.ndarray:
    x = np.linspace(0, 255, w, dtype=np.float32)
    y = np.linspace(0, 255, h, dtype=np.float32)
    r = np.add.outer(y * 0, x)
    g = np.add.outer(y, x * 0)
    b = np.full((h, w), 60, np.float32)
    return np.stack([r, g, b], axis=2).astype(np.uint8)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width: int, height: int) -> bytes:
    """A small PNG that declares width x height; decoding it would need gigabytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (width * 3)
    idat = zlib.compress(row * 8, 9)  # a few rows; the rest would be missing
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def test_formats_and_modes_decode_to_bgr_uint8() -> None:
    rgb = _gradient()
    pil = Image.fromarray(rgb)
    cases = {
        "jpeg": _encode(pil, "JPEG", quality=95),
        "png": _encode(pil, "PNG"),
        "webp": _encode(pil, "WEBP", lossless=True),
        "grey": _encode(pil.convert("L"), "PNG"),
        "rgba": _encode(pil.convert("RGBA"), "PNG"),
        "png16": _encode(Image.fromarray(rgb[:, :, 1].astype(np.uint16) * 257), "PNG"),
        "bmp": _encode(pil, "BMP"),
        "palette": _encode(pil.convert("P"), "PNG"),
    }
    for name, data in cases.items():
        image = decode_image(data, name=name)
        assert image.pixels.dtype == np.uint8 and image.pixels.shape == (48, 64, 3), name
    exact = decode_image(cases["png"]).pixels
    np.testing.assert_array_equal(exact[:, :, ::-1], rgb)  # BGR order
    g16 = decode_image(cases["png16"]).pixels[:, :, 0]
    assert abs(int(g16[-1, 0]) - 255) <= 1 and g16[0, 0] == 0, "16-bit scaled to 8-bit"


def test_exif_orientation_is_applied() -> None:
    pil = Image.fromarray(_gradient(64, 48))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    image = decode_image(_encode(pil, "JPEG", exif=exif.tobytes()))
    assert image.exif_orientation == 6
    assert image.size == (48, 64)
    assert image.original_size == (48, 64)


def test_downscale_uses_the_long_side() -> None:
    pil = Image.fromarray(np.zeros((1000, 3000, 3), np.uint8))
    image = decode_image(_encode(pil, "JPEG"), max_side=800)
    assert image.size == (800, 267)
    assert image.original_size == (3000, 1000)
    assert image.scale == pytest.approx(800 / 3000)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", InputEmpty),
        (b"Dear customer, this is not a picture.", InputCorrupt),
        (_png_bomb(20000, 20000), InputTooLarge),
        (b"GIF89a" + b"\x00" * 20, UnsupportedFormat),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, InputCorrupt),
    ],
    ids=["empty", "text", "bomb", "gif", "jpeg-garbage"],
)
def test_bad_bytes_are_typed_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_image(data)


def test_truncated_jpeg_is_corrupt() -> None:
    data = _encode(Image.fromarray(_gradient(256, 256)), "JPEG", quality=90)
    with pytest.raises(InputCorrupt, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_files(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound):
        load_image(tmp_path / "absent.jpg")
    fake = tmp_path / "letter.jpg"
    fake.write_text("not an image")
    with pytest.raises(InputCorrupt, match="not an image"):
        load_image(fake)
    with pytest.raises(InputCorrupt):
        load_image(tmp_path)


def test_sniff_format() -> None:
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


def test_from_array() -> None:
    assert from_array(np.zeros((10, 20), np.uint8)).pixels.shape == (10, 20, 3)
    assert from_array(np.zeros((10, 20, 4), np.uint8)).pixels.shape == (10, 20, 3)
    with pytest.raises(InputCorrupt):
        from_array(np.zeros((10, 20), np.float32))
    with pytest.raises(InputCorrupt):
        from_array(np.zeros((10, 20, 2), np.uint8))


def test_shared_fixture_with_exif(shared_data: Path) -> None:
    image = load_image(shared_data / "antispoof" / "image_T1.jpg")
    assert image.exif_orientation == 6
    assert image.size == (480, 640)
