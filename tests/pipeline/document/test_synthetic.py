"""The seeded document renderer: deterministic, ICAO-correct MRZ, portrait pasted."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from pipeline.document.mrz_format import MrzFormat, check_passes, check_specs, detect_format
from pipeline.synthetic.documents import (
    DATE_FORMATS,
    Identity,
    degrade_hard,
    format_date,
    place_on_background,
    render_document,
)


@pytest.mark.parametrize("kind", list(MrzFormat))
def test_every_kind_renders_at_300_dpi_with_valid_check_digits(kind: MrzFormat) -> None:
    doc = render_document(kind, 5)
    assert doc.image.dtype == np.uint8 and doc.image.ndim == 3
    lines = doc.truth.mrz_lines
    assert detect_format(lines) is kind
    for spec in check_specs(kind, lines):
        assert check_passes(spec, lines), spec.name
    h, w = doc.image.shape[:2]
    assert 0 < doc.mrz_box.y < h and doc.mrz_box.x + doc.mrz_box.w <= w + 5


def test_same_seed_same_pixels_other_seed_other_document() -> None:
    a = render_document(MrzFormat.TD3, 99)
    b = render_document(MrzFormat.TD3, 99)
    c = render_document(MrzFormat.TD3, 100)
    digest = hashlib.sha256(a.image.tobytes()).hexdigest()
    assert digest == hashlib.sha256(b.image.tobytes()).hexdigest()
    assert a.truth == b.truth
    assert a.truth.mrz_lines != c.truth.mrz_lines


def test_supplied_identity_and_portrait_are_used() -> None:
    who = Identity(
        surname="TESTER",
        given_names="DEMO",
        document_number="X1234567",
        nationality="UTO",
        issuing_state="UTO",
        date_of_birth=dt.date(1990, 1, 2),
        sex="F",
        expiry_date=dt.date(2031, 5, 6),
        document_code="ID",
        national_id="S1234567D",
    )
    face = np.zeros((200, 160, 3), np.uint8)
    face[:, :, 2] = 200  # pure red: easy to find in the portrait area
    doc = render_document(MrzFormat.TD1, 1, identity=who, portrait=face)
    assert doc.truth.identity == who
    assert doc.truth.mrz_lines[2].startswith("TESTER<<DEMO<")
    box = doc.portrait_box
    patch = doc.image[int(box.y) : int(box.y + box.h), int(box.x) : int(box.x + box.w)]
    assert patch[:, :, 2].mean() > 180 and patch[:, :, 0].mean() < 30


def test_date_formats() -> None:
    day = dt.date(1985, 3, 14)
    assert [format_date(day, f) for f in DATE_FORMATS] == [
        "14.03.1985",
        "14 MAR 1985",
        "1985-03-14",
        "14/03/85",
    ]


def test_hard_degradation_is_seeded_and_changes_the_image() -> None:
    doc = render_document(MrzFormat.TD3, 3)
    a = degrade_hard(doc.image, np.random.default_rng(1))
    b = degrade_hard(doc.image, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.shape[0] >= doc.image.shape[0]
    placed = place_on_background(doc, 50)
    assert placed.image.shape[0] == doc.image.shape[0] + 100
    assert placed.portrait_box.x == doc.portrait_box.x + 50
