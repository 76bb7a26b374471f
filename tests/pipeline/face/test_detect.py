from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.errors import MultipleFacesError, NoFaceError
from pipeline.face import (
    DetectPurpose,
    FaceToolkit,
    select_document_portrait,
    select_selfie_face,
)
from pipeline.face.detect import _unrotate
from pipeline.image import SELFIE_MAX_SIDE, LoadedImage, load_image
from pipeline.synthetic.portraits import make_id_portrait

pytestmark = pytest.mark.models


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_unrotate_inverts_cv2_rotate(rotation: int) -> None:
    image = np.zeros((30, 50), np.uint8)
    image[7, 41] = 255
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    turned = image if rotation == 0 else cv2.rotate(image, codes[rotation])
    y, x = np.argwhere(turned == 255)[0]
    assert _unrotate(float(x), float(y), 50, 30, rotation) == (41.0, 7.0)


def test_one_face_on_a_portrait_photo(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    faces = toolkit.detector().detect(obama.pixels)
    face = select_selfie_face(faces)
    assert face.score > 0.8
    # the face is in the upper middle of the photo; eyes above the mouth, left eye on the left
    cx, cy = face.box.center
    w, h = obama.size
    assert 0.3 * w < cx < 0.75 * w and cy < 0.5 * h
    (rex, rey), (lex, _ley), _, (_rmx, rmy), _ = face.landmarks5
    assert rex < lex and rey < rmy
    assert face.inter_eye_px > 40


def test_two_people_is_refused_as_a_selfie(toolkit: FaceToolkit, faces_dir: Path) -> None:
    image = load_image(faces_dir / "face_recognition" / "two_people.jpg", max_side=SELFIE_MAX_SIDE)
    faces = toolkit.detector().detect(image.pixels)
    assert len(faces) == 2
    with pytest.raises(MultipleFacesError):
        select_selfie_face(faces)


def test_no_face(toolkit: FaceToolkit) -> None:
    blank = np.full((480, 640, 3), 128, np.uint8)
    assert toolkit.detector().detect(blank) == ()
    with pytest.raises(NoFaceError):
        select_selfie_face(())
    with pytest.raises(NoFaceError):
        select_document_portrait(toolkit.detector().detect(blank, DetectPurpose.DOCUMENT))


def test_small_faces_down_to_16_px(toolkit: FaceToolkit, obama: LoadedImage) -> None:
    face = toolkit.detector().detect(obama.pixels)[0]
    for target in (16, 24, 40):
        scale = target / face.box.w
        small = cv2.resize(obama.pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        canvas = np.full((600, 800, 3), 200, np.uint8)
        canvas[100 : 100 + small.shape[0], 300 : 300 + small.shape[1]] = small
        found = toolkit.detector().detect(canvas)
        assert found, f"no face at {target} px"
        assert abs(found[0].box.w - target) < 0.5 * target


def _card(portrait: np.ndarray, ghost: bool) -> np.ndarray:
    card = np.full((638, 1011, 3), (215, 225, 230), np.uint8)
    ph, pw = portrait.shape[:2]
    card[140 : 140 + ph, 50 : 50 + pw] = portrait
    if ghost:  # a smaller, faded copy, as printed on ID cards
        g = cv2.resize(portrait, (pw // 2, ph // 2), interpolation=cv2.INTER_AREA)
        region = card[400 : 400 + g.shape[0], 800 : 800 + g.shape[1]]
        card[400 : 400 + g.shape[0], 800 : 800 + g.shape[1]] = (0.5 * region + 0.5 * g).astype(
            np.uint8
        )
    return card


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_document_portrait_in_any_rotation(
    toolkit: FaceToolkit, obama: LoadedImage, rotation: int
) -> None:
    face = toolkit.detector().detect(obama.pixels)[0]
    portrait, _ = make_id_portrait(obama.pixels, face, np.random.default_rng(3))
    card = _card(portrait, ghost=True)
    codes = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    turned = card if rotation == 0 else cv2.rotate(card, codes[rotation])
    main = select_document_portrait(toolkit.detector().detect(turned, DetectPurpose.DOCUMENT))
    assert main.rotation == rotation, "the rotation that makes the face upright"
    upright = toolkit.detector().detect(card, DetectPurpose.DOCUMENT)[0]
    # map the upright box into the turned image and compare
    h, w = card.shape[:2]
    cx, cy = upright.box.center
    expected = {
        0: (cx, cy),
        90: (cy, w - 1 - cx),
        180: (w - 1 - cx, h - 1 - cy),
        270: (h - 1 - cy, cx),
    }[rotation]
    assert np.hypot(main.box.center[0] - expected[0], main.box.center[1] - expected[1]) < 6
    assert main.box.area > 2.5 * min(
        f.box.area for f in toolkit.detector().detect(card, DetectPurpose.DOCUMENT)
    ), "the ghost image is found too but is not the main portrait"
