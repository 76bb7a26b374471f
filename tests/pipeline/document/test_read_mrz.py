"""read_mrz on real specimens, seeded hard synthetic pages and bad input (needs the models)."""

from __future__ import annotations

import csv
import datetime as dt
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.document.locate import rotate_page
from pipeline.document.mrz_format import MrzFormat
from pipeline.image import DOCUMENT_MAX_SIDE, load_image
from pipeline.synthetic.documents import degrade_hard, render_document

pytestmark = pytest.mark.models
TODAY = dt.date(2026, 1, 1)


def _specimen_rows(shared: Path) -> list[dict[str, str]]:
    with (shared / "mrz" / "labels.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_icao_specimens_every_field_exact(shared_data: Path, mrz_reader) -> None:  # type: ignore[no-untyped-def]
    for row in _specimen_rows(shared_data):
        image = load_image(shared_data / "mrz" / row["file"], max_side=DOCUMENT_MAX_SIDE)
        result = mrz_reader.read(image, today=TODAY)
        rec = result.record
        assert rec is not None, row["file"]
        assert "|".join(rec.lines) == row["mrz"], row["file"]
        assert rec.value("document_code") == row["doc_code"]
        assert rec.value("issuing_state") == row["issuer"]
        assert rec.value("document_number") == row["number"]
        assert rec.value("nationality") == row["nationality"]
        assert rec.field("date_of_birth").raw == row["dob_yymmdd"]
        assert rec.field("expiry_date").raw == row["expiry_yymmdd"]
        assert rec.value("sex") == row["sex"]
        assert rec.value("surname") == row["surname"]
        assert rec.value("given_names") == row["given_names"]
        assert result.valid
        assert rec.expired is True  # the specimens expired in 2012
        assert rec.age_years == 51


@pytest.mark.parametrize(
    ("kind", "seed", "rotation"),
    [
        (MrzFormat.TD3, 11, 0),
        (MrzFormat.TD1, 12, 90),
        (MrzFormat.TD2, 13, 180),
        (MrzFormat.MRVA, 14, 270),
        (MrzFormat.MRVB, 15, 0),
    ],
)
def test_hard_synthetic_pages_read_exactly(  # type: ignore[no-untyped-def]
    kind: MrzFormat, seed: int, rotation: int, mrz_reader
) -> None:
    doc = render_document(kind, seed)
    page = rotate_page(degrade_hard(doc.image, np.random.default_rng(seed)), rotation)
    result = mrz_reader.read(page, today=TODAY)
    assert result.found
    assert result.record is not None
    assert result.record.format is kind
    assert result.record.lines == doc.truth.mrz_lines
    assert result.valid
    assert result.rotation == (360 - rotation) % 360
    assert result.zone is not None


def test_blank_page_finds_nothing(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    blank = np.full((900, 1300, 3), 235, np.uint8)
    result = mrz_reader.read(blank, today=TODAY)
    assert not result.found
    assert not result.valid
    assert result.reason


def test_page_without_mrz_finds_nothing(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    doc = render_document(MrzFormat.TD3, 21)
    page = doc.image.copy()
    box = doc.mrz_box
    page[int(box.y) : int(box.y + box.h), :] = page[5:6, :].mean(axis=(0, 1)).astype(np.uint8)
    result = mrz_reader.read(page, today=TODAY)
    assert not result.valid


def test_mrz_cut_off_is_not_valid(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    doc = render_document(MrzFormat.TD3, 22)
    box = doc.mrz_box
    cut = np.ascontiguousarray(doc.image[:, : int(box.x + box.w * 0.7)])
    result = mrz_reader.read(cut, today=TODAY)
    assert not result.valid


def test_non_icao_characters_in_the_zone_are_not_valid(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw, ImageFont

    from pipeline.synthetic.documents import OCRB_FONT

    doc = render_document(MrzFormat.TD3, 23)
    page = Image.fromarray(doc.image[:, :, ::-1].copy())
    draw = ImageDraw.Draw(page)
    box = doc.mrz_box
    # overprint the fourth name letter with an N-tilde in the MRZ font
    font = ImageFont.truetype(str(OCRB_FONT), 40)
    x = box.x + 0.5 * 11.8 + 8 * 30.0
    draw.rectangle((x, box.y + 10, x + 28, box.y + 55), fill=(240, 240, 240))
    draw.text((x + 2, box.y + 12), "Ñ", font=font, fill=(0, 0, 0))
    result = mrz_reader.read(np.asarray(page)[:, :, ::-1].copy(), today=TODAY)
    rec = result.record
    # a typed result whose lines hold only the ICAO alphabet, never the foreign glyph
    if rec is not None:
        assert all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<" for ln in rec.lines for c in ln)
        assert rec.lines[1] == doc.truth.mrz_lines[1]


def test_upside_down_page_reads(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    doc = render_document(MrzFormat.TD3, 24)
    result = mrz_reader.read(rotate_page(doc.image, 180), today=TODAY)
    assert result.record is not None
    assert result.record.lines == doc.truth.mrz_lines
    assert result.rotation == 180


def test_tiny_image_is_a_typed_result(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    doc = render_document(MrzFormat.TD1, 25)
    tiny = cv2.resize(doc.image, (40, 25), interpolation=cv2.INTER_AREA)
    result = mrz_reader.read(tiny, today=TODAY)
    assert not result.valid


def test_photo_of_a_screen_is_a_typed_result(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    doc = render_document(MrzFormat.TD3, 26)
    h, w = doc.image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    moire = 0.75 + 0.25 * np.sin(xx * 0.9 + yy * 0.35)  # pixel grid beating with the camera
    screen = doc.image.astype(np.float32) * moire[:, :, None] * np.array([0.8, 1.0, 1.15])
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[60, 40], [w - 20, 0], [w - 80, h - 30], [10, h - 60]])
    warped = cv2.warpPerspective(
        np.clip(screen, 0, 255).astype(np.uint8), cv2.getPerspectiveTransform(src, dst), (w, h)
    )
    result = mrz_reader.read(cv2.GaussianBlur(warped, (0, 0), 1.5), today=TODAY)
    rec = result.record
    assert not result.valid or (rec is not None and rec.lines == doc.truth.mrz_lines)


def test_concurrent_reads_share_the_engines(mrz_reader) -> None:  # type: ignore[no-untyped-def]
    docs = [render_document(MrzFormat.TD3, s) for s in (31, 32)]
    results: dict[int, tuple[str, ...] | None] = {}

    def work(i: int) -> None:
        rec = mrz_reader.read(docs[i].image, today=TODAY).record
        results[i] = rec.lines if rec else None

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: d.truth.mrz_lines for i, d in enumerate(docs)}


def test_read_mrz_from_a_path(tmp_path: Path, model_registry) -> None:  # type: ignore[no-untyped-def]
    from pipeline.document import read_mrz
    from pipeline.errors import InputCorrupt

    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"definitely not a PNG")
    with pytest.raises(InputCorrupt):
        read_mrz(bad, today=TODAY)


def test_reading_the_second_engine_ahead_changes_nothing_but_time(  # type: ignore[no-untyped-def]
    mrz_reader, model_registry
) -> None:
    """The CLI's option: both engines at once, the same record as one after the other,
    also on pages where the first engine alone finds no MRZ-like text."""
    from pipeline.document.mrz import MrzOptions, MrzReader

    pages = [
        rotate_page(degrade_hard(render_document(kind, s).image, np.random.default_rng(s)), r)
        for kind, s, r in ((MrzFormat.TD3, 41, 0), (MrzFormat.TD1, 42, 90), (MrzFormat.TD2, 43, 0))
    ]
    lines = np.full((500, 900, 3), 235, np.uint8)
    for y in range(80, 460, 60):  # text lines that are no MRZ
        cv2.putText(lines, "The quick brown fox 1234", (20, y), 0, 1.6, (20, 20, 20), 3)
    pages.append(lines)
    with MrzReader(MrzOptions(second_engine_ahead=True), registry=model_registry) as ahead:
        for page in pages:
            one_by_one = mrz_reader.read(page, today=TODAY)
            both = ahead.read(page, today=TODAY)
            assert both.record == one_by_one.record
            assert (both.found, both.valid, both.reason) == (
                one_by_one.found,
                one_by_one.valid,
                one_by_one.reason,
            )
            ran = [name for name, _ in both.timings.stages if name.startswith("ocr_")]
            assert ran == [name for name, _ in one_by_one.timings.stages if name.startswith("ocr_")]
