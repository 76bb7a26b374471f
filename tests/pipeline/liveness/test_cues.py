"""Passive presentation-attack cues: each cue on seeded drawings, the real fixtures,
synthetic attacks against bona fide captures, bad input."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models import ModelRegistry
from pipeline.errors import InputCorrupt
from pipeline.liveness.cues import (
    BEZEL,
    COLOUR,
    CUE_NAMES,
    GLARE,
    MOIRE,
    TEXTURE,
    PadOptions,
    PadResult,
    assess_presentation,
    bezel_cue,
    colour_cue,
    cue_features,
    glare_cue,
    moire_cue,
    pad_signal,
    texture_cue,
)
from pipeline.liveness.types import InvalidLivenessOptions, LivenessSignal, Verdict
from pipeline.synthetic.attacks import capture_live, print_attack, replay_on_screen
from pipeline.types import Box

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
FACE = Box(240.0, 120.0, 170.0, 220.0)


def skin_frame(seed: int = 0, size: tuple[int, int] = (640, 480)) -> Pixels:
    """A camera-like frame: smooth shaded background, a skin-toned face ellipse with
    fine texture and sensor noise, no straight edges near the face."""
    import cv2

    rng = np.random.default_rng(seed)
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    frame = np.empty((height, width, 3), np.float32)
    frame[...] = (90.0, 110.0, 120.0)
    frame += (25.0 * np.sin(xx / 97.0) * np.cos(yy / 131.0))[..., None]
    face = np.zeros((height, width), np.float32)
    cx, cy = FACE.center
    cv2.ellipse(face, (int(cx), int(cy)), (80, 108), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    face = cv2.GaussianBlur(face, (0, 0), 3)
    shading = 1.0 - 0.25 * ((xx - cx) / 90.0) ** 2
    skin = np.stack([110 * shading, 140 * shading, 190 * shading], axis=2)  # BGR
    pores = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.8)
    skin += 10.0 * pores[..., None]
    frame = frame * (1 - face[..., None]) + skin * face[..., None]
    frame += rng.normal(0.0, 2.0, frame.shape).astype(np.float32)
    ok, encoded = cv2.imencode(
        ".jpg", np.clip(frame, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    assert ok
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR))


@pytest.fixture(scope="module")
def plain() -> Pixels:
    return skin_frame()


def test_a_plain_live_like_frame_raises_no_alarm(plain: Pixels) -> None:
    result = assess_presentation(plain, FACE)
    assert [s.name for s in result.signals] == list(CUE_NAMES)
    for signal in result.signals:
        assert isinstance(signal, LivenessSignal) and math.isfinite(signal.value)
        # the texture ratio is calibrated on real faces (eyes, brows, mouth carry the
        # mid frequencies); a drawn ellipse is no face for it, see the texture test
        if signal.name != TEXTURE:
            assert signal.verdict is not Verdict.FAIL, signal
    assert 0.0 <= result.score <= 1.0 and not result.is_attack
    assert result.face_box == FACE
    assert {name for name, _ in result.timings.stages} == set(CUE_NAMES)


def test_moire_finds_an_aliased_grid(plain: Pixels) -> None:
    yy, xx = np.mgrid[0 : plain.shape[0], 0 : plain.shape[1]]
    # a fine periodic pattern at 0.31 / 0.17 cycles per pixel (not a JPEG block harmonic)
    grid = 6.0 * np.cos(2 * math.pi * (0.31 * xx + 0.17 * yy))
    moire = np.clip(plain.astype(np.float32) + grid[..., None], 0, 255).astype(np.uint8)
    before, after = moire_cue(plain, FACE), moire_cue(moire, FACE)
    assert after.verdict is Verdict.FAIL and after.value > before.value + 6.0
    assert before.verdict is not Verdict.FAIL


def test_bezel_sees_a_device_around_the_face(plain: Pixels) -> None:
    import cv2

    framed = plain.copy()
    x0, y0 = int(FACE.x - 70), int(FACE.y - 60)
    x1, y1 = int(FACE.x + FACE.w + 70), int(FACE.y + FACE.h + 60)
    cv2.rectangle(framed, (x0, y0), (x1, y1), (15, 15, 15), 14)
    assert bezel_cue(plain, FACE).value <= 1
    signal = bezel_cue(framed, FACE)
    assert signal.value == 4 and signal.verdict is Verdict.FAIL
    assert "left" in signal.explanation and "bottom" in signal.explanation


def test_glare_sees_a_white_reflection(plain: Pixels) -> None:
    import cv2

    glared = plain.copy()
    cx, cy = FACE.center
    cv2.ellipse(glared, (int(cx + 20), int(cy - 10)), (45, 30), 20, 0, 360, (252, 252, 252), -1)
    assert glare_cue(plain, FACE).verdict is Verdict.PASS
    signal = glare_cue(glared, FACE)
    assert signal.verdict is Verdict.FAIL and signal.value > 5.0


def test_colour_sees_a_washed_out_face(plain: Pixels) -> None:
    import cv2

    grey = cv2.cvtColor(cv2.cvtColor(plain, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    washed = (0.5 * plain.astype(np.float32) + 0.5 * grey.astype(np.float32)).astype(np.uint8)
    live, dull, none = colour_cue(plain, FACE), colour_cue(washed, FACE), colour_cue(grey, FACE)
    assert live.verdict is Verdict.PASS
    assert none.verdict is Verdict.FAIL and none.value < 2.0
    assert none.value < dull.value < live.value


def test_texture_sees_a_soft_and_a_grainy_face(plain: Pixels) -> None:
    import cv2

    soft = cv2.GaussianBlur(plain, (0, 0), 2.0)
    rng = np.random.default_rng(4)
    grainy = np.clip(plain + rng.normal(0, 18, plain.shape), 0, 255).astype(np.uint8)
    base = texture_cue(plain, FACE).value
    assert texture_cue(soft, FACE).value < base - 0.5
    assert texture_cue(grainy, FACE).value > base + 0.5
    options = PadOptions(texture_centre=base)
    assert texture_cue(plain, FACE, options).verdict is Verdict.PASS
    assert texture_cue(soft, FACE, options).verdict is not Verdict.PASS
    assert "softer" in texture_cue(soft, FACE, options).explanation


def test_a_small_face_leaves_the_spectral_cues_unknown(plain: Pixels) -> None:
    small = Box(300.0, 200.0, 60.0, 80.0)
    result = assess_presentation(plain, small)
    by_name = {s.name: s for s in result.signals}
    assert by_name[MOIRE].verdict is Verdict.UNKNOWN and math.isnan(by_name[MOIRE].value)
    assert by_name[TEXTURE].verdict is Verdict.UNKNOWN
    assert math.isfinite(result.score)  # the other cues still count
    features = cue_features(result.signals)
    assert features[MOIRE] == 0.0 and features[TEXTURE] == 0.0


def test_a_box_partly_outside_the_frame_is_clipped(plain: Pixels) -> None:
    result = assess_presentation(plain, Box(560.0, -40.0, 200.0, 240.0))
    assert result.face_box.x + result.face_box.w <= 640 and result.face_box.y == 0.0


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((480, 640), np.uint8),
        np.zeros((480, 640, 3), np.float32),
        np.zeros((0, 0, 3), np.uint8),
    ],
)
def test_bad_frames_are_refused(frame: Any) -> None:
    with pytest.raises(InputCorrupt):
        assess_presentation(frame, FACE)


def test_a_box_off_the_frame_is_refused(plain: Pixels) -> None:
    with pytest.raises(InputCorrupt):
        assess_presentation(plain, Box(700.0, 500.0, 100.0, 100.0))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"moire_pass_db": 7.0},
        {"colour_pass_chroma": 5.0},
        {"pass_threshold": 0.8, "attack_threshold": 0.5},
        {"cue_weights": (("pad_unknown", 1.0),)},
        {"coefficients": (("pad_unknown", 1.0),)},
        {"patch_max_px": 32},
    ],
)
def test_impossible_options_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidLivenessOptions):
        PadOptions(**kwargs)


def test_the_combined_signal_follows_the_score() -> None:
    def result(score: float) -> PadResult:
        return PadResult(score, score >= 0.5, (), FACE)

    options = PadOptions(pass_threshold=0.2, attack_threshold=0.5, score_weight=2.0)
    assert pad_signal(result(0.9), options).verdict is Verdict.FAIL
    assert pad_signal(result(0.5), options).verdict is Verdict.FAIL
    assert pad_signal(result(0.3), options).verdict is Verdict.WEAK
    assert pad_signal(result(0.1), options).verdict is Verdict.PASS
    assert pad_signal(result(math.nan), options).verdict is Verdict.UNKNOWN
    assert pad_signal(result(0.1), options).weight == 2.0


def test_the_score_rises_with_attack_evidence(plain: Pixels) -> None:
    import cv2

    attack = plain.copy()
    x0, y0 = int(FACE.x - 70), int(FACE.y - 60)
    x1, y1 = int(FACE.x + FACE.w + 70), int(FACE.y + FACE.h + 60)
    cv2.rectangle(attack, (x0, y0), (x1, y1), (15, 15, 15), 14)
    grey = cv2.cvtColor(cv2.cvtColor(attack, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    attack = (0.3 * attack + 0.7 * grey).astype(np.uint8)
    live, spoof = assess_presentation(plain, FACE), assess_presentation(attack, FACE)
    assert spoof.score > live.score + 0.3 and spoof.is_attack


# --- synthetic attacks against bona fide captures of the same photo ------------------------


@pytest.fixture(scope="module")
def source(shared_data: Path, model_registry: ModelRegistry) -> tuple[Pixels, Box]:
    from pipeline.face import detect_faces
    from pipeline.image import load_image

    image = load_image(shared_data / "faces" / "openface" / "adams.jpg", max_side=1600)
    return image.pixels, detect_faces(image)[0].box


@pytest.mark.models
def test_synthetic_attacks_score_above_bona_fide_captures(source: tuple[Pixels, Box]) -> None:
    pixels, box = source
    live = [
        assess_presentation(c.pixels, c.face_box).score
        for c in (capture_live(pixels, box, s) for s in range(3))
    ]
    screen = [
        assess_presentation(c.pixels, c.face_box).score
        for c in (replay_on_screen(pixels, box, s) for s in range(3))
    ]
    paper = [
        assess_presentation(c.pixels, c.face_box).score
        for c in (print_attack(pixels, box, s) for s in range(3))
    ]
    assert np.mean(screen) > np.mean(live) and np.mean(paper) > np.mean(live)


# --- the real fixtures (antispoof/; labels from its README) ----------------------------------


@pytest.mark.models
@pytest.mark.parametrize(
    ("name", "attack"),
    [("image_T1.jpg", False), ("image_F1.jpg", True), ("image_F2.jpg", True)],
)
def test_antispoof_fixtures(
    shared_data: Path, model_registry: ModelRegistry, name: str, attack: bool
) -> None:
    from pipeline.face import detect_faces
    from pipeline.image import load_image

    image = load_image(shared_data / "antispoof" / name)  # stored sideways: EXIF 6
    assert image.exif_orientation == 6 and image.size == (480, 640)
    faces = detect_faces(image)
    assert faces
    result = assess_presentation(image.pixels, faces[0].box)
    assert result.is_attack is attack, [(s.name, round(s.value, 2)) for s in result.signals]
    expected = Verdict.FAIL if attack else Verdict.PASS
    assert pad_signal(result).verdict in (expected, Verdict.WEAK)


@pytest.mark.models
def test_the_screen_fixture_shows_glare_and_washed_out_skin(
    shared_data: Path, model_registry: ModelRegistry
) -> None:
    from pipeline.face import detect_faces
    from pipeline.image import load_image

    image = load_image(shared_data / "antispoof" / "image_F2.jpg")
    result = assess_presentation(image.pixels, detect_faces(image)[0].box)
    assert result.signal(GLARE) is not None and result.signal(GLARE).verdict is Verdict.FAIL  # type: ignore[union-attr]
    live = load_image(shared_data / "antispoof" / "image_T1.jpg")
    live_result = assess_presentation(live.pixels, detect_faces(live)[0].box)
    colour = result.signal(COLOUR)
    live_colour = live_result.signal(COLOUR)
    assert colour is not None and live_colour is not None and colour.value < live_colour.value
    assert result.signal(BEZEL) is not None
