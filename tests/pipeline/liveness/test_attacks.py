"""Synthetic presentation attacks: determinism, geometry of the face box, the traces they
are meant to leave."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pipeline.liveness.cues import moire_cue
from pipeline.liveness.types import Verdict
from pipeline.synthetic.attacks import (
    CameraOptions,
    CaptureKind,
    capture_live,
    print_attack,
    replay_on_screen,
)
from pipeline.types import Box

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
MAKERS = {
    CaptureKind.LIVE: capture_live,
    CaptureKind.SCREEN_REPLAY: replay_on_screen,
    CaptureKind.PRINT: print_attack,
}
MARK = Box(300.0, 180.0, 160.0, 200.0)  # where the source's "face" is


@pytest.fixture(scope="module")
def photo() -> Pixels:
    """A 900x700 source photo: textured backdrop and a saturated magenta face block."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:700, 0:900].astype(np.float32)
    base = 120 + 40 * np.sin(xx / 37.0)[..., None] * np.cos(yy / 53.0)[..., None]
    image = np.clip(base + rng.normal(0, 6, (700, 900, 3)), 0, 255).astype(np.uint8)
    x, y, w, h = (int(v) for v in (MARK.x, MARK.y, MARK.w, MARK.h))
    image[y : y + h, x : x + w] = (200, 30, 220)  # BGR magenta
    return image


@pytest.mark.parametrize("kind", list(CaptureKind))
def test_same_seed_same_frame(photo: Pixels, kind: CaptureKind) -> None:
    a, b = MAKERS[kind](photo, MARK, 5), MAKERS[kind](photo, MARK, 5)
    c = MAKERS[kind](photo, MARK, 6)
    assert np.array_equal(a.pixels, b.pixels) and a.face_box == b.face_box and a.params == b.params
    assert not np.array_equal(a.pixels, c.pixels)
    assert a.kind is kind and a.seed == 5
    assert a.pixels.shape == (480, 640, 3) and a.pixels.dtype == np.uint8


def _magenta(pixels: Pixels) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Magenta pixels after a small blur (a halftone print renders the block in dots)."""
    import cv2

    values = cv2.GaussianBlur(pixels, (0, 0), 2.0).astype(int)
    mask: np.ndarray[Any, np.dtype[np.bool_]] = (
        (values[..., 1] < 110) & (values[..., 0] > 120) & (values[..., 2] > 120)
    )
    return mask


@pytest.mark.parametrize("kind", list(CaptureKind))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_face_box_covers_the_face(photo: Pixels, kind: CaptureKind, seed: int) -> None:
    """Inside the returned box the frame shows the source's face block, edge to edge."""
    capture = MAKERS[kind](photo, MARK, seed)
    box = capture.face_box
    mask = _magenta(capture.pixels)
    inner = mask[
        int(box.y + 0.1 * box.h) : int(box.y + 0.9 * box.h),
        int(box.x + 0.1 * box.w) : int(box.x + 0.9 * box.w),
    ]
    assert inner.mean() > 0.9  # the box is on the face
    # and not much of the block lies just outside it: the box is not too small
    grown = mask[
        max(0, int(box.y - 0.15 * box.h)) : int(box.y + 1.15 * box.h),
        max(0, int(box.x - 0.15 * box.w)) : int(box.x + 1.15 * box.w),
    ]
    inside = mask[int(box.y) : int(box.y + box.h), int(box.x) : int(box.x + box.w)]
    assert grown.sum() < 1.35 * inside.sum()
    low, high = CameraOptions().face_width_px
    assert 0.85 * low <= box.w <= 1.2 * high


def test_params_name_what_was_drawn(photo: Pixels) -> None:
    screen = dict(replay_on_screen(photo, MARK, 1).params)
    paper = dict(print_attack(photo, MARK, 1).params)
    assert {"pitch", "lens_blur", "bezel_px", "jpeg_quality"} <= set(screen)
    assert {"halftone", "saturation", "lens_blur", "jpeg_quality"} <= set(paper)
    assert 75 <= screen["jpeg_quality"] <= 95


def test_a_sharp_recapture_of_a_screen_shows_moire(photo: Pixels) -> None:
    sharp = CameraOptions(recapture_blur_sigma_px=(0.1, 0.1))
    live = capture_live(photo, MARK, 3)
    screen = replay_on_screen(photo, MARK, 3, sharp)
    assert (
        moire_cue(screen.pixels, screen.face_box).value
        > moire_cue(live.pixels, live.face_box).value
    )
    assert moire_cue(screen.pixels, screen.face_box).verdict is Verdict.FAIL


def test_a_halftone_print_shows_periodic_dots(photo: Pixels) -> None:
    seed = next(
        s for s in range(50) if dict(print_attack(photo, MARK, s).params)["halftone"] == 1.0
    )
    paper = print_attack(photo, MARK, seed, CameraOptions(recapture_blur_sigma_px=(0.15, 0.15)))
    assert moire_cue(paper.pixels, paper.face_box).verdict is Verdict.FAIL
