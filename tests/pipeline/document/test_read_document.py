"""read_document: MRZ, visual zone, MRZ-versus-visual checks, portrait, quality (needs models)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from pipeline.document.mrz_format import MrzFormat
from pipeline.document.types import Agreement
from pipeline.image import load_image
from pipeline.synthetic.documents import random_identity, render_document

pytestmark = pytest.mark.models
TODAY = dt.date(2026, 1, 1)


def test_document_with_a_real_face(shared_data: Path, document_reader) -> None:  # type: ignore[no-untyped-def]
    face = load_image(shared_data / "faces" / "face_recognition" / "biden.jpg").pixels
    doc = render_document(MrzFormat.TD3, 41, portrait=face, ghost=False, date_format="dd MMM yyyy")
    reading = document_reader.read(doc.image, today=TODAY)
    assert reading.mrz.valid
    assert reading.mrz.record.lines == doc.truth.mrz_lines
    who = doc.truth.identity
    viz = {f.name: f.value for f in reading.viz.fields}
    assert viz.get("surname") == who.surname
    assert viz.get("date_of_birth") == who.date_of_birth.isoformat()
    agreements = {c.name: c.agreement for c in reading.consistency}
    assert agreements["surname"] is Agreement.AGREE
    assert agreements["date_of_birth"] is Agreement.AGREE
    assert "mrz_viz_mismatch" not in reading.flags
    box = reading.portrait.box
    assert box is not None
    cx, cy = box.center
    pb = doc.portrait_box
    assert pb.x <= cx <= pb.x + pb.w and pb.y <= cy <= pb.y + pb.h
    assert reading.quality.ok
    assert reading.timings.total_ms > 0


def test_mrz_that_disagrees_with_the_visual_zone_is_flagged(document_reader) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    who = random_identity(MrzFormat.TD3, rng, today=TODAY)
    other = dataclasses.replace(who, surname="MOSSVALDER")
    shown = render_document(MrzFormat.TD3, 42, identity=who, ghost=False)
    forged = render_document(MrzFormat.TD3, 42, identity=other, ghost=False)
    image = shown.image.copy()
    box = forged.mrz_box
    y0, y1 = int(box.y), int(box.y + box.h)
    image[y0:y1] = forged.image[y0:y1]  # the MRZ of another identity on this page
    reading = document_reader.read(image, today=TODAY)
    assert reading.mrz.record is not None
    assert reading.mrz.record.value("surname") == "MOSSVALDER"
    assert "mrz_viz_mismatch" in reading.flags
    assert not reading.mrz.valid  # names contradicted by the visual zone are not trusted


def test_national_id_in_the_visual_zone(document_reader) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(8)
    who = dataclasses.replace(
        random_identity(MrzFormat.TD1, rng, today=TODAY),
        national_id="S1234567D",
    )
    doc = render_document(MrzFormat.TD1, 43, identity=who, ghost=False)
    reading = document_reader.read(doc.image, today=TODAY)
    ids = {(n.scheme, n.value, n.valid) for n in reading.viz.national_ids}
    assert ("sg_nric", "S1234567D", True) in ids


def test_blank_page_is_a_typed_reading(document_reader) -> None:  # type: ignore[no-untyped-def]
    reading = document_reader.read(np.full((600, 900, 3), 250, np.uint8), today=TODAY)
    assert not reading.mrz.found
    assert "mrz_not_found" in reading.flags
    assert reading.portrait.box is None


def test_upside_down_page_without_mrz_reads_its_visual_zone(document_reader) -> None:  # type: ignore[no-untyped-def]
    from pipeline.document.locate import rotate_page

    doc = render_document(MrzFormat.TD3, 44, ghost=False, date_format="yyyy-mm-dd")
    page = doc.image.copy()
    box = doc.mrz_box
    page[int(box.y) : int(box.y + box.h)] = 238  # no MRZ to tell which way is up
    reading = document_reader.read(rotate_page(page, 180), today=TODAY)
    assert not reading.mrz.found or not reading.mrz.valid
    viz = {f.name: f.value for f in reading.viz.fields}
    assert viz.get("surname") == doc.truth.identity.surname
