"""Seeded presentation attacks (and their bona fide counterpart) made from a face photo.

Three ways a kiosk camera can see a face, all ending in the same simulated camera
(lens blur, sensor noise, JPEG) so that a detector cannot tell them apart by the
camera stage alone:

* :func:`capture_live`: the photo itself, framed like a kiosk selfie (bona fide);
* :func:`replay_on_screen`: the photo shown on a phone or tablet and re-captured:
  display tone curve and white point, an RGB-stripe subpixel grid with its black
  matrix, sampled by the camera without enough optical low-pass (moiré), a bezel
  and device body, glare and a small perspective tilt;
* :func:`print_attack`: the photo printed and held up: reduced ink gamut, paper
  white and black, a rotated CMYK halftone screen (or continuous tone with fine
  ink noise), paper texture, uneven light, a paper edge and a small tilt.

Every function is deterministic for a given ``seed``; the drawn parameters are
returned with the image. Nothing here is tuned to a detector.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.types import Box

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
FloatImage = np.ndarray[Any, np.dtype[np.float32]]


class CaptureKind(enum.Enum):
    """What the simulated camera is looking at."""

    LIVE = "live"
    SCREEN_REPLAY = "screen_replay"
    PRINT = "print"


@dataclass(frozen=True, slots=True)
class SyntheticCapture:
    """One simulated camera frame.

    Attributes:
        pixels: HxWx3 uint8 BGR camera frame.
        face_box: the face in pixels of ``pixels`` (the source box carried through
            the simulated geometry).
        kind: live, screen replay or print.
        seed: the seed it was drawn from.
        params: the drawn parameters, (name, value) pairs, for reports.
    """

    pixels: Pixels
    face_box: Box
    kind: CaptureKind
    seed: int
    params: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class CameraOptions:
    """The simulated kiosk camera shared by every capture kind.

    Attributes:
        size: (width, height) of the output frame in pixels.
        face_width_px: range of the face-box width in the output, pixels.
        blur_sigma_px: range of the lens blur (Gaussian sigma, output pixels) of a
            live capture, applied after framing.
        recapture_blur_sigma_px: range of the lens blur when the camera samples a
            screen or a print, applied before the sensor samples it (a sensor
            without an optical low-pass filter aliases fine patterns: moiré).
        noise_dn: range of the sensor noise standard deviation (8-bit code values).
        jpeg_quality: range of the JPEG quality the frame is stored with.
    """

    size: tuple[int, int] = (640, 480)
    face_width_px: tuple[float, float] = (140.0, 240.0)
    blur_sigma_px: tuple[float, float] = (0.0, 0.7)
    recapture_blur_sigma_px: tuple[float, float] = (0.1, 0.45)
    noise_dn: tuple[float, float] = (0.5, 3.0)
    jpeg_quality: tuple[int, int] = (75, 95)


def capture_live(
    image: Pixels, face_box: Box, seed: int, camera: CameraOptions | None = None
) -> SyntheticCapture:
    """The photo framed as a kiosk selfie and passed through the camera stage.

    Args:
        image: HxWx3 uint8 BGR source photo of a real face.
        face_box: the face in pixels of ``image``.
        seed: random seed; the same seed gives the same frame.
        camera: the simulated camera.
    """
    import cv2

    camera = camera or CameraOptions()
    rng = np.random.default_rng(seed)
    width, height = camera.size
    scale, centre = _framing(rng, face_box, camera)
    # a real camera sees a scene everywhere: zoom in until the photo covers the frame
    src_h, src_w = image.shape[:2]
    scale = max(scale, width / src_w, height / src_h)
    centre = _keep_inside(face_box.center, centre, scale, (src_w, src_h), (0, 0, width, height))
    matrix = _similarity(face_box.center, centre, scale, rng.uniform(-3.0, 3.0))
    frame = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT101
    )
    box = _transform_box(face_box, np.vstack([matrix, [0.0, 0.0, 1.0]]))
    pixels, cam = _camera_stage(frame.astype(np.float32), rng, camera)
    return SyntheticCapture(pixels, box, CaptureKind.LIVE, seed, (("scale", scale), *cam))


def replay_on_screen(
    image: Pixels, face_box: Box, seed: int, camera: CameraOptions | None = None
) -> SyntheticCapture:
    """The photo shown on a display and re-captured by the camera.

    Args:
        image: HxWx3 uint8 BGR source photo of a real face.
        face_box: the face in pixels of ``image``.
        seed: random seed; the same seed gives the same frame.
        camera: the simulated camera.
    """
    import cv2

    camera = camera or CameraOptions()
    rng = np.random.default_rng(seed)
    width, height = camera.size
    scale, centre = _framing(rng, face_box, camera)
    face_w = face_box.w * scale
    # screen pixels per camera pixel (> 1: the display is finer than the sensor)
    pitch = float(rng.uniform(1.15, 1.9))
    # the screen's visible area around the face, in camera pixels
    margin = rng.uniform(0.35, 1.3, size=4) * face_w
    cx, cy = centre
    sx0, sx1 = cx - face_box.w * scale / 2 - margin[0], cx + face_box.w * scale / 2 + margin[1]
    sy0 = cy - face_box.h * scale / 2 - margin[2]
    sy1 = cy + face_box.h * scale / 2 + margin[3]
    sx0, sy0, sx1, sy1 = _clamp_to_source(
        (sx0, sy0, sx1, sy1), face_box, scale, centre, image.shape, (width, height)
    )
    screen_w_cam, screen_h_cam = sx1 - sx0, sy1 - sy0
    # 1. the displayed picture at the display's resolution
    cols = max(8, round(screen_w_cam * pitch))
    rows = max(8, round(screen_h_cam * pitch))
    to_screen = _similarity(
        face_box.center,
        ((cx - sx0) * pitch, (cy - sy0) * pitch),
        scale * pitch,
        0.0,
    )
    shown = (
        cv2.warpAffine(
            image, to_screen, (cols, rows), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
        ).astype(np.float32)
        / 255.0
    )
    gamma = float(rng.uniform(0.85, 1.2))
    black = float(rng.uniform(0.02, 0.08))
    white_point = np.array([rng.uniform(1.0, 1.12), 1.0, rng.uniform(0.86, 1.0)], np.float32)
    shown = black + (1.0 - black) * np.power(np.clip(shown, 0, 1), gamma)
    shown = np.clip(shown * white_point / white_point.max(), 0, 1)
    # 2. subpixels: three vertical stripes (R, G, B from left to right) per screen
    # pixel and a darker black-matrix row: 3 x 2 samples per screen pixel
    sub_x, sub_y = 3, 2
    canvas = np.repeat(np.repeat(shown, sub_y, axis=0), sub_x, axis=1)
    stripe = np.zeros((sub_y, sub_x, 3), np.float32)
    for c, channel in enumerate((2, 1, 0)):  # BGR channel index of R, G, B
        stripe[:, c, channel] = 3.0
    matrix_row = float(rng.uniform(0.35, 0.75))
    stripe[sub_y - 1] *= matrix_row
    stripe *= 2.0 / (1.0 + matrix_row)  # keep the mean brightness
    canvas *= np.tile(stripe, (rows, cols, 1))
    # 3. lens blur, then point-sample onto the sensor: too little low-pass -> moiré
    blur_cam = float(rng.uniform(*camera.recapture_blur_sigma_px))
    canvas = cv2.GaussianBlur(
        canvas, (0, 0), sigmaX=blur_cam * pitch * sub_x, sigmaY=blur_cam * pitch * sub_y
    )
    fill = float(rng.uniform(0.7, 0.95))  # sensor pixel aperture, fraction of the pitch
    canvas = cv2.sepFilter2D(
        canvas, -1, _box_kernel(fill * pitch * sub_x), _box_kernel(fill * pitch * sub_y)
    )
    tilt = float(rng.uniform(-6.0, 6.0))
    keystone = float(rng.uniform(-0.06, 0.06))
    src = np.array(
        [[0, 0], [cols * sub_x, 0], [cols * sub_x, rows * sub_y], [0, rows * sub_y]], np.float32
    )
    dst = _tilted_quad((sx0, sy0, sx1, sy1), tilt, keystone)
    homography = cv2.getPerspectiveTransform(src, dst)
    screen = np.asarray(
        cv2.warpPerspective(
            canvas, homography, (width, height), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0)
        ),
        np.float32,
    )
    inside = _warp_mask((rows * sub_y, cols * sub_x), homography, (width, height))
    # 4. device body and bezel around the screen, the room behind
    bezel = float(rng.uniform(0.03, 0.09)) * face_w * 2.0
    device_dst = _grow_quad(dst, bezel)
    device = np.zeros((height, width), np.float32)
    cv2.fillConvexPoly(device, np.round(device_dst).astype(np.int32), 1.0, lineType=cv2.LINE_AA)
    room = _room(image, rng, (width, height))
    body = np.float32(rng.uniform(0.02, 0.12))
    frame = room * (1 - device[..., None]) + body * device[..., None]
    frame = frame * (1 - inside[..., None]) + screen * inside[..., None]
    # 5. glare: a soft veiling reflection on the glass, and half the time a lamp's
    # specular highlight (small, saturated)
    glare_strength = float(rng.uniform(0.0, 0.35))
    frame = _add_glare(frame, rng, glare_strength, inside)
    specular = float(rng.random() < 0.5)
    if specular:
        frame = _add_specular(frame, rng, (sx0, sy0, sx1, sy1), inside)
    face = _box_through(face_box, to_screen, (sub_x, sub_y), homography)
    pixels, cam = _camera_stage(frame * 255.0, rng, camera, blur=False)
    params = (
        ("scale", scale),
        ("pitch", pitch),
        ("gamma", gamma),
        ("black", black),
        ("matrix_row", matrix_row),
        ("lens_blur", blur_cam),
        ("fill_factor", fill),
        ("tilt_deg", tilt),
        ("keystone", keystone),
        ("bezel_px", bezel),
        ("glare", glare_strength),
        ("specular", specular),
        *cam,
    )
    return SyntheticCapture(pixels, face, CaptureKind.SCREEN_REPLAY, seed, params)


def print_attack(
    image: Pixels, face_box: Box, seed: int, camera: CameraOptions | None = None
) -> SyntheticCapture:
    """The photo printed with a CMYK halftone on paper and re-captured.

    Args:
        image: HxWx3 uint8 BGR source photo of a real face.
        face_box: the face in pixels of ``image``.
        seed: random seed; the same seed gives the same frame.
        camera: the simulated camera.
    """
    import cv2

    camera = camera or CameraOptions()
    rng = np.random.default_rng(seed)
    width, height = camera.size
    scale, centre = _framing(rng, face_box, camera)
    face_w = face_box.w * scale
    # render at `ss` samples per camera pixel; halftone cell in camera pixels
    ss = 3
    cell = float(rng.uniform(0.9, 2.6))
    margin = rng.uniform(0.5, 1.6, size=4) * face_w
    cx, cy = centre
    px0, px1 = cx - face_w / 2 - margin[0], cx + face_w / 2 + margin[1]
    py0 = cy - face_box.h * scale / 2 - margin[2]
    py1 = cy + face_box.h * scale / 2 + margin[3]
    px0, py0, px1, py1 = _clamp_to_source(
        (px0, py0, px1, py1), face_box, scale, centre, image.shape, (width, height)
    )
    cols = max(8, round((px1 - px0) * ss))
    rows = max(8, round((py1 - py0) * ss))
    to_paper = _similarity(face_box.center, ((cx - px0) * ss, (cy - py0) * ss), scale * ss, 0.0)
    rgb = (
        cv2.warpAffine(
            image, to_paper, (cols, rows), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ).astype(np.float32)[..., ::-1]
        / 255.0
    )
    # 1. separation: RGB -> CMY with grey-component replacement -> CMYK coverages
    saturation = float(rng.uniform(0.6, 0.9))
    grey = rgb.mean(axis=2, keepdims=True)
    rgb = grey + saturation * (rgb - grey)
    cmy = 1.0 - np.clip(rgb, 0, 1)
    k = cmy.min(axis=2) * float(rng.uniform(0.5, 0.9))
    cmy = (cmy - k[..., None]) / np.maximum(1.0 - k[..., None], 1e-3)
    dot_gain = float(rng.uniform(0.0, 0.12))
    inks = [np.clip(c + dot_gain * c * (1 - c) * 4, 0, 1) for c in (*np.moveaxis(cmy, 2, 0), k)]
    # 2. half the prints use rotated AM screens (C 15, M 75, Y 0, K 45 degrees); the
    # others are continuous-tone (photo paper, fine inkjet dither) with fine ink noise
    halftone = bool(rng.random() < 0.5)
    if halftone:
        yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
        period = cell * ss
        coverage = []
        for ink, angle in zip(inks, (15.0, 75.0, 0.0, 45.0), strict=True):
            a = math.radians(angle + float(rng.uniform(-2, 2)))
            u = (xx * math.cos(a) + yy * math.sin(a)) * (2 * math.pi / period)
            v = (-xx * math.sin(a) + yy * math.cos(a)) * (2 * math.pi / period)
            spot = 0.5 + 0.25 * (np.cos(u) + np.cos(v))  # 0..1 over a cell
            coverage.append((spot < ink).astype(np.float32))
    else:
        dither = float(rng.uniform(0.01, 0.05))
        coverage = [
            np.clip(ink + dither * rng.standard_normal(ink.shape).astype(np.float32), 0, 1)
            for ink in inks
        ]
    c_dots, m_dots, y_dots, k_dots = coverage
    paper = np.array(
        [rng.uniform(0.9, 0.98), rng.uniform(0.92, 0.99), rng.uniform(0.88, 0.99)], np.float32
    )  # R, G, B
    absorb = float(rng.uniform(0.8, 0.93))
    r = paper[0] * (1 - absorb * c_dots) * (1 - absorb * k_dots)
    g = paper[1] * (1 - absorb * m_dots) * (1 - absorb * k_dots)
    b = paper[2] * (1 - absorb * y_dots) * (1 - absorb * k_dots)
    printed = np.stack([b, g, r], axis=2)
    # 3. paper texture: low-pass multiplicative fibre noise
    texture = rng.standard_normal((rows, cols)).astype(np.float32)
    texture = np.asarray(
        cv2.GaussianBlur(texture, (0, 0), sigmaX=float(rng.uniform(1.0, 3.0)) * ss / 2),
        np.float32,
    )
    texture *= float(rng.uniform(0.01, 0.035)) / max(float(texture.std()), 1e-6)
    printed *= (1.0 + texture)[..., None]
    # 4. lens blur, tilt, point sampling onto the sensor
    blur_cam = float(rng.uniform(*camera.recapture_blur_sigma_px))
    printed = np.asarray(
        cv2.GaussianBlur(printed, (0, 0), sigmaX=blur_cam * ss, sigmaY=blur_cam * ss), np.float32
    )
    tilt = float(rng.uniform(-6.0, 6.0))
    keystone = float(rng.uniform(-0.08, 0.08))
    src = np.array([[0, 0], [cols, 0], [cols, rows], [0, rows]], np.float32)
    dst = _tilted_quad((px0, py0, px1, py1), tilt, keystone)
    homography = cv2.getPerspectiveTransform(src, dst)
    sheet = np.asarray(
        cv2.warpPerspective(printed, homography, (width, height), flags=cv2.INTER_LINEAR),
        np.float32,
    )
    inside = _warp_mask((rows, cols), homography, (width, height))
    # 5. uneven light on the paper, the room behind
    light = _light_gradient(rng, (width, height), float(rng.uniform(0.0, 0.3)))
    room = _room(image, rng, (width, height))
    frame = room * (1 - inside[..., None]) + sheet * light[..., None] * inside[..., None]
    sheen = float(rng.uniform(0.0, 0.2))
    frame = _add_glare(frame, rng, sheen, inside)
    specular = float(rng.random() < 0.25)  # glossy photo paper under a lamp
    if specular:
        frame = _add_specular(frame, rng, (px0, py0, px1, py1), inside)
    face = _box_through(face_box, to_paper, (1, 1), homography)
    pixels, cam = _camera_stage(frame * 255.0, rng, camera, blur=False)
    params = (
        ("scale", scale),
        ("halftone", float(halftone)),
        ("cell_px", cell if halftone else 0.0),
        ("saturation", saturation),
        ("dot_gain", dot_gain),
        ("lens_blur", blur_cam),
        ("tilt_deg", tilt),
        ("keystone", keystone),
        ("sheen", sheen),
        ("specular", specular),
        *cam,
    )
    return SyntheticCapture(pixels, face, CaptureKind.PRINT, seed, params)


# --- helpers ------------------------------------------------------------------------------


def _framing(
    rng: np.random.Generator, face_box: Box, camera: CameraOptions
) -> tuple[float, tuple[float, float]]:
    """Scale from source to camera pixels and the face centre in the camera frame."""
    width, height = camera.size
    target = float(rng.uniform(*camera.face_width_px))
    scale = target / max(face_box.w, 1.0)
    centre = (
        width / 2 + float(rng.uniform(-0.12, 0.12)) * width,
        height / 2 + float(rng.uniform(-0.1, 0.05)) * height,
    )
    return scale, centre


def _keep_inside(
    src_centre: tuple[float, float],
    dst_centre: tuple[float, float],
    scale: float,
    src_size: tuple[int, int],
    rect: tuple[float, float, float, float],
) -> tuple[float, float]:
    """Move ``dst_centre`` so that ``rect`` (camera pixels) maps inside the source image."""
    out = []
    for axis in (0, 1):
        lo, hi = rect[axis], rect[axis + 2]
        # source coordinate of camera coordinate c: src_centre + (c - dst_centre) / scale
        low_limit = hi - (src_size[axis] - src_centre[axis]) * scale  # rect end inside
        high_limit = lo + src_centre[axis] * scale  # rect start inside
        centre = dst_centre[axis]
        if low_limit <= high_limit:
            centre = min(max(centre, low_limit), high_limit)
        out.append(centre)
    return out[0], out[1]


def _clamp_to_source(
    rect: tuple[float, float, float, float],
    face_box: Box,
    scale: float,
    centre: tuple[float, float],
    shape: tuple[int, ...],
    size: tuple[int, int],
) -> tuple[float, float, float, float]:
    """Shrink a camera-pixel rectangle to what the source photo covers and the frame
    (plus 5 %) shows: an attacker shows the photo zoomed, without empty borders."""
    src_h, src_w = shape[:2]
    fx, fy = face_box.center
    cx, cy = centre
    x0 = max(rect[0], cx - fx * scale, -0.05 * size[0])
    y0 = max(rect[1], cy - fy * scale, -0.05 * size[1])
    x1 = min(rect[2], cx + (src_w - fx) * scale, 1.05 * size[0])
    y1 = min(rect[3], cy + (src_h - fy) * scale, 1.05 * size[1])
    return x0, y0, x1, y1


def _similarity(
    src_centre: tuple[float, float], dst_centre: tuple[float, float], scale: float, angle: float
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """2x3 affine: rotate (degrees) and scale about ``src_centre``, moving it to ``dst_centre``."""
    a = math.radians(angle)
    c, s = math.cos(a) * scale, math.sin(a) * scale
    sx, sy = src_centre
    dx, dy = dst_centre
    return np.array([[c, -s, dx - c * sx + s * sy], [s, c, dy - s * sx - c * sy]], np.float64)


def _transform_box(box: Box, matrix: np.ndarray[Any, Any]) -> Box:
    corners = np.array(
        [
            [box.x, box.y, 1.0],
            [box.x + box.w, box.y, 1.0],
            [box.x + box.w, box.y + box.h, 1.0],
            [box.x, box.y + box.h, 1.0],
        ]
    )
    mapped = corners @ np.asarray(matrix, np.float64).T
    xy = mapped[:, :2] / mapped[:, 2:3]
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    return Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _box_through(
    box: Box,
    to_canvas: np.ndarray[Any, Any],
    sub: tuple[int, int],
    homography: np.ndarray[Any, Any],
) -> Box:
    """The source face box through source -> canvas (x sub samples) -> camera."""
    affine = np.vstack([np.asarray(to_canvas, np.float64), [0.0, 0.0, 1.0]])
    affine = np.diag([float(sub[0]), float(sub[1]), 1.0]) @ affine
    return _transform_box(box, np.asarray(homography, np.float64) @ affine)


def _warp_mask(shape: tuple[int, int], homography: Any, size: tuple[int, int]) -> FloatImage:
    """Where a warped (rows, cols) surface lands in the frame, anti-aliased, 0..1."""
    import cv2

    ones = np.ones(shape, np.float32)
    warped = cv2.warpPerspective(ones, homography, size, flags=cv2.INTER_LINEAR)
    return np.asarray(warped, np.float32)


def _box_kernel(width: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    """A 1-D box of fractional ``width`` samples (partial weights at both ends), sum 1."""
    width = max(width, 1.0)
    half = width / 2.0
    taps = math.ceil(half - 0.5)
    offsets = np.arange(-taps, taps + 1, dtype=np.float64)
    weights = np.clip(half + 0.5 - np.abs(offsets), 0.0, 1.0)
    kernel: np.ndarray[Any, np.dtype[np.float32]] = (weights / weights.sum()).astype(np.float32)
    return kernel


def _tilted_quad(
    rect: tuple[float, float, float, float], tilt_deg: float, keystone: float
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The corners of ``rect`` (x0, y0, x1, y1) rotated about its centre and keystoned."""
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    quad = np.array(
        [
            [-w / 2 * (1 - keystone), -h / 2],
            [w / 2 * (1 - keystone), -h / 2],
            [w / 2 * (1 + keystone), h / 2],
            [-w / 2 * (1 + keystone), h / 2],
        ]
    )
    a = math.radians(tilt_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    quad = quad @ rot.T + ((x0 + x1) / 2, (y0 + y1) / 2)
    return quad.astype(np.float32)


def _grow_quad(quad: np.ndarray[Any, Any], by: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    centre = quad.mean(axis=0)
    offsets = quad - centre
    lengths = np.linalg.norm(offsets, axis=1, keepdims=True)
    grown: np.ndarray[Any, np.dtype[np.float64]] = centre + offsets * (
        1 + by / np.maximum(lengths, 1)
    )
    return grown


def _room(image: Pixels, rng: np.random.Generator, size: tuple[int, int]) -> FloatImage:
    """An out-of-focus room behind the attack: a blurred, rescaled piece of the photo."""
    import cv2

    width, height = size
    h, w = image.shape[:2]
    zoom = float(rng.uniform(1.5, 3.0))
    cw, ch = max(8, int(w / zoom)), max(8, int(h / zoom))
    x = int(rng.integers(0, max(1, w - cw)))
    y = int(rng.integers(0, max(1, h - ch)))
    piece = cv2.resize(
        image[y : y + ch, x : x + cw], (width, height), interpolation=cv2.INTER_LINEAR
    )
    sigma = float(rng.uniform(4.0, 12.0))
    room: FloatImage = np.asarray(
        cv2.GaussianBlur(piece.astype(np.float32) / 255.0, (0, 0), sigma), np.float32
    )
    return room


def _light_gradient(rng: np.random.Generator, size: tuple[int, int], amount: float) -> FloatImage:
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    a = float(rng.uniform(0, 2 * math.pi))
    ramp = (xx / width - 0.5) * math.cos(a) + (yy / height - 0.5) * math.sin(a)
    gradient: FloatImage = (1.0 + amount * ramp).astype(np.float32)
    return gradient


def _add_glare(
    frame: FloatImage, rng: np.random.Generator, strength: float, inside: FloatImage
) -> FloatImage:
    """A soft elliptical reflection on the attack surface."""
    if strength <= 0:
        return frame
    height, width = frame.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    gx, gy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.1, 0.8) * height
    rx, ry = rng.uniform(0.05, 0.25) * width, rng.uniform(0.03, 0.2) * height
    blob = np.exp(-(((xx - gx) / rx) ** 2 + ((yy - gy) / ry) ** 2))
    glared: FloatImage = frame + (strength * blob * inside)[..., None]
    return glared


def _add_specular(
    frame: FloatImage,
    rng: np.random.Generator,
    rect: tuple[float, float, float, float],
    inside: FloatImage,
) -> FloatImage:
    """A lamp's mirror reflection: a small ellipse that saturates, anywhere on the surface."""
    import cv2

    height, width = frame.shape[:2]
    x0, y0, x1, y1 = rect
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    axes = (
        max(2, int(rng.uniform(0.02, 0.08) * width)),
        max(2, int(rng.uniform(0.015, 0.06) * width)),
    )
    spot = np.zeros((height, width), np.float32)
    cv2.ellipse(
        spot, (int(cx), int(cy)), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, cv2.LINE_AA
    )
    spot = cv2.GaussianBlur(spot, (0, 0), sigmaX=max(1.0, 0.15 * min(axes)))
    strength = float(rng.uniform(0.7, 1.3))
    lit: FloatImage = frame + (strength * spot * inside)[..., None]
    return lit


def _camera_stage(
    frame: FloatImage,
    rng: np.random.Generator,
    camera: CameraOptions,
    *,
    blur: bool = True,
) -> tuple[Pixels, tuple[tuple[str, float], ...]]:
    """Lens blur (unless already applied), sensor noise and JPEG: 0-255 float in, BGR uint8 out."""
    import cv2

    out: FloatImage = frame.astype(np.float32)
    sigma = float(rng.uniform(*camera.blur_sigma_px)) if blur else 0.0
    if sigma > 0:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigmaX=sigma, sigmaY=sigma), np.float32)
    noise = float(rng.uniform(*camera.noise_dn))
    out = out + rng.standard_normal(size=out.shape, dtype=np.float32) * np.float32(noise)
    quality = int(rng.integers(camera.jpeg_quality[0], camera.jpeg_quality[1] + 1))
    ok, encoded = cv2.imencode(
        ".jpg", np.clip(out + 0.5, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    pixels = np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR))
    params = (("camera_blur", sigma), ("noise_dn", noise), ("jpeg_quality", float(quality)))
    return pixels, params


__all__ = [
    "CameraOptions",
    "CaptureKind",
    "SyntheticCapture",
    "capture_live",
    "print_attack",
    "replay_on_screen",
]
