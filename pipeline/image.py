"""Load images safely: sniff the format, refuse bombs before decoding, honour EXIF.

Every image the pipeline analyses comes through :func:`load_image` or
:func:`decode_image`, which return 8-bit BGR pixels (OpenCV's order) or
raise a typed :class:`~pipeline.errors.InputError`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import (
    InputCorrupt,
    InputEmpty,
    InputNotFound,
    InputTooLarge,
    UnsupportedFormat,
)

MAX_FILE_BYTES = 60 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60 MP frame; a 20000x20000 "image" is refused before decoding
SELFIE_MAX_SIDE = 800
DOCUMENT_MAX_SIDE = 1600

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"WEBP", 8, "WEBP"),
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
)


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """Decoded pixels ready for analysis.

    Attributes:
        pixels: HxWx3 uint8, BGR, upright (EXIF orientation applied), possibly downscaled.
        original_size: (width, height) in pixels of the upright image before downscaling.
        scale: analysis pixels per original pixel (1.0 when not downscaled).
        format: container format as sniffed from the bytes (JPEG, PNG, WEBP, ...).
        exif_orientation: the EXIF orientation tag that was applied (1 = none).
    """

    pixels: np.ndarray[Any, np.dtype[np.uint8]]
    original_size: tuple[int, int]
    scale: float
    format: str
    exif_orientation: int = 1

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of ``pixels``."""
        return (int(self.pixels.shape[1]), int(self.pixels.shape[0]))


_UNSUPPORTED: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF8", 0, "GIF"),
    (b"%PDF", 0, "PDF"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypavif", 4, "AVIF"),
)


def sniff_format(data: bytes) -> str | None:
    """The image container format from magic bytes, or None."""
    for magic, offset, name in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if name == "WEBP" and data[:4] != b"RIFF":
                continue
            return name
    return None


def load_image(path: Path, *, max_side: int | None = None) -> LoadedImage:
    """Read and decode an image file.

    Raises:
        InputNotFound, InputEmpty, InputTooLarge, InputCorrupt, UnsupportedFormat.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputNotFound(f"No such file: {path.name}.") from None
    except OSError as exc:
        raise InputCorrupt(f"Cannot read {path.name}: {exc.strerror}.") from exc
    if not path.is_file():
        raise InputCorrupt(f"{path.name} is not a regular file.")
    if size > MAX_FILE_BYTES:
        raise InputTooLarge(
            f"{path.name} is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB."
        )
    return decode_image(path.read_bytes(), max_side=max_side, name=path.name)


def decode_image(data: bytes, *, max_side: int | None = None, name: str = "image") -> LoadedImage:
    """Decode image bytes to upright BGR uint8, downscaled so the long side <= ``max_side``.

    Raises:
        InputEmpty, InputTooLarge, InputCorrupt, UnsupportedFormat.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise InputEmpty(f"{name} is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise InputTooLarge(f"{name} is larger than {MAX_FILE_BYTES / 1e6:.0f} MB.")
    fmt = sniff_format(data)
    for magic, offset, other in _UNSUPPORTED:
        if fmt is None and data[offset : offset + len(magic)] == magic:
            raise UnsupportedFormat(
                f"{name} is a {other} file; use JPEG, PNG, WebP, BMP or TIFF.",
                hint="export the picture as JPEG or PNG",
            )
    if fmt is None:
        raise InputCorrupt(
            f"{name} is not an image (JPEG, PNG, WebP, BMP or TIFF).",
            hint="capture or export the picture again",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd tags are not the user's concern
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width <= 0 or height <= 0:
                raise InputCorrupt(f"{name} declares an empty picture.")
            if width * height > MAX_PIXELS:
                raise InputTooLarge(
                    f"{name} is {width}x{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} MP.",
                    hint="scan or photograph at a lower resolution",
                )
            if max_side and fmt == "JPEG" and max(width, height) > 2 * max_side:
                # decode at 1/2, 1/4 or 1/8 scale in the DCT: far faster for big scans
                image.draft(
                    "RGB",
                    (
                        width * max_side // max(width, height),
                        height * max_side // max(width, height),
                    ),
                )
            image.load()
            orientation = int(image.getexif().get(0x0112, 1) or 1)
            upright = ImageOps.exif_transpose(image) or image
            pixels = _to_bgr(upright)
    except (InputCorrupt, InputTooLarge):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputTooLarge(f"{name} is too large to decode safely.") from exc
    except UnidentifiedImageError as exc:
        raise InputCorrupt(f"{name} is damaged: its {fmt} data is unreadable.") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InputCorrupt(f"{name} is damaged or truncated ({fmt}).") from exc
    original = _upright_size(width, height, orientation)
    return _downscale(pixels, original, fmt, orientation, max_side)


def _upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _to_bgr(image: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """8-bit BGR from any Pillow mode: 16-bit, grey, palette, alpha (composited on white), CMYK."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        peak = arr.max() if arr.size else 1.0
        arr = arr / (65535.0 if peak > 255 else 255.0) * 255.0
        grey = np.clip(arr, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        grey = np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[:, :, 3:4] / 255.0
        rgb = rgba[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
        rgb_u8 = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    else:
        rgb_u8 = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb_u8[:, :, ::-1])


def _downscale(
    pixels: np.ndarray[Any, np.dtype[np.uint8]],
    original: tuple[int, int],
    fmt: str,
    orientation: int,
    max_side: int | None,
) -> LoadedImage:
    import cv2

    h, w = pixels.shape[:2]
    long_side = max(w, h)
    if max_side and long_side > max_side:
        factor = max_side / long_side
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        pixels = np.ascontiguousarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))
    scale = pixels.shape[1] / original[0]
    return LoadedImage(pixels, original, scale, fmt, orientation)


def from_array(pixels: np.ndarray[Any, Any], *, max_side: int | None = None) -> LoadedImage:
    """Wrap an in-memory frame (BGR uint8, grey, or BGRA) as a :class:`LoadedImage`.

    Raises:
        InputCorrupt: not a 2-D or 3-D uint8 array with 1, 3 or 4 channels.
    """
    import cv2

    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.size == 0:
        raise InputCorrupt("A frame must be a non-empty uint8 array.")
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR)
    elif not (pixels.ndim == 3 and pixels.shape[2] == 3):
        raise InputCorrupt(f"A frame must have 1, 3 or 4 channels, not shape {pixels.shape}.")
    h, w = pixels.shape[:2]
    if w * h > MAX_PIXELS:
        raise InputTooLarge(f"The frame is {w}x{h} pixels; the limit is {MAX_PIXELS / 1e6:.0f} MP.")
    return _downscale(np.ascontiguousarray(pixels), (w, h), "ARRAY", 1, max_side)
