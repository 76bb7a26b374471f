"""Field-aware correction and trust, on reads built from strings (no OCR)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.document.correction import (
    EngineRead,
    align_line,
    apply_visual_zone,
    build_record,
    correct,
)
from pipeline.document.mrz_format import ALPHABET, MrzFormat, char_value, detect_format
from pipeline.document.types import OcrEngineName
from pipeline.synthetic.documents import compose_mrz, random_identity
from tests.pipeline.document.helpers import line, read

TODAY = dt.date(2026, 1, 1)
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TWO = (OcrEngineName.TESSERACT_LEGACY, OcrEngineName.TESSERACT_MRZ)


def record_of(fmt: MrzFormat, reads: list[EngineRead]):  # type: ignore[no-untyped-def]
    return build_record(fmt, reads, correct(fmt, reads), today=TODAY)


@pytest.mark.parametrize("fmt", list(MrzFormat))
def test_perfect_reads_of_every_format_are_valid_and_exact(fmt: MrzFormat) -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        who = random_identity(fmt, rng, today=TODAY)
        lines = compose_mrz(fmt, who)
        rec = record_of(fmt, [read(lines, e) for e in TWO])
        assert rec.lines == lines
        assert rec.valid, rec.flags
        assert rec.value("surname") == who.surname
        assert rec.value("given_names") == who.given_names
        assert rec.value("document_number") == who.document_number
        assert rec.date_of_birth == who.date_of_birth
        assert rec.value("nationality") == who.nationality


def test_lookalikes_map_into_the_field_class() -> None:
    # O for 0 in the birth date, 1 for I in the name, S for 5 in the expiry date
    noisy = (TD3[0].replace("ANNA", "ANNA").replace("MARIA", "MAR1A"), TD3[1])
    noisy = (noisy[0], noisy[1][:13] + "74O812" + noisy[1][19:21] + "12O4IS" + noisy[1][27:])
    rec = record_of(MrzFormat.TD3, [read(noisy, e) for e in TWO])
    assert rec.lines == TD3
    assert rec.valid


def test_an_ambiguous_character_is_resolved_by_its_check_digit() -> None:
    # the engine is unsure between 0 and O at the sixth character of the number
    ambiguous = {5: (0.5, (("0", 0.5), ("O", 0.49)))}
    lines = (line(TD3[0]), line(TD3[1], overrides=ambiguous))
    reads = [EngineRead(e, lines) for e in TWO]
    rec = record_of(MrzFormat.TD3, reads)
    assert rec.value("document_number") == "L898902C3"
    assert rec.check("document_number")
    # the same doubt where O would be right: O (24) vs 0 (0) changes the check digit
    wrong_first = {5: (0.5, (("O", 0.5), ("0", 0.49)))}
    lines2 = (line(TD3[0]), line(TD3[1], overrides=wrong_first))
    rec2 = record_of(MrzFormat.TD3, [EngineRead(e, lines2) for e in TWO])
    assert rec2.value("document_number") == "L898902C3"


def test_two_choices_passing_the_check_leave_the_field_untrusted() -> None:
    # '<' and '0' have the same check value: nothing can tell them apart at the
    # TD1 overflow position, so an unsure engine must not produce a valid record
    lines = compose_mrz(MrzFormat.TD1, random_identity(MrzFormat.TD1, np.random.default_rng(3)))
    doubt = {14: (0.5, (("0", 0.5), ("<", 0.5)))}
    first = line(lines[0][:14] + "0" + lines[0][15:], overrides=doubt)
    reads = [EngineRead(e, (first, line(lines[1]), line(lines[2]))) for e in TWO]
    rec = record_of(MrzFormat.TD1, reads)
    assert not rec.valid


def test_names_need_two_engines_or_the_visual_zone() -> None:
    one = record_of(MrzFormat.TD3, [read(TD3, OcrEngineName.TESSERACT_LEGACY, 0.9)])
    assert not one.valid
    assert "names_untrusted" in one.flags
    assert all(c.passed for c in one.checks if c.name in ("document_number", "composite"))
    confirmed = apply_visual_zone(
        one, frozenset({"surname", "given_names", "nationality"}), frozenset()
    )
    trusted = {f.name: f.trusted for f in confirmed.fields}
    assert trusted["surname"] and trusted["given_names"]
    contradicted = apply_visual_zone(confirmed, frozenset(), frozenset({"surname"}))
    assert not contradicted.valid
    assert "viz_mismatch:surname" in contradicted.flags


def test_engines_that_disagree_on_a_name_leave_it_untrusted() -> None:
    other = ("P<UTOERIKSSEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", TD3[1])
    rec = record_of(MrzFormat.TD3, [read(TD3, TWO[0]), read(other, TWO[1])])
    assert not rec.valid


def test_position_alignment_recovers_a_dropped_character() -> None:
    text = TD3[1]
    dropped = line(text)
    chars = dropped.chars[:20] + dropped.chars[21:]  # the engine missed character 20
    cells = align_line(type(dropped)(chars, dropped.width), 44)
    assert [max(c, key=lambda k: c[k]) if c else "?" for c in cells][:20] == list(text[:20])
    assert not cells[20]
    assert max(cells[21], key=lambda k: cells[21][k]) == text[21]


def test_wrong_check_digit_is_never_valid() -> None:
    broken = (TD3[0], TD3[1][:9] + "7" + TD3[1][10:])
    rec = record_of(MrzFormat.TD3, [read(broken, e) for e in TWO])
    assert not rec.valid
    assert rec.check("document_number") is False


def test_expiry_and_age() -> None:
    rec = record_of(MrzFormat.TD3, [read(TD3, e) for e in TWO])
    assert rec.expired is True
    assert rec.check("not_expired") is False
    assert rec.valid  # expiry is reported, not part of validity
    assert rec.age_years == 51


MRZ_CHARS = "".join(sorted(ALPHABET))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=MRZ_CHARS, min_size=0, max_size=50), min_size=0, max_size=4),
    st.sampled_from(list(MrzFormat)),
)
def test_random_mrz_text_never_crashes_the_parser(lines: list[str], fmt: MrzFormat) -> None:
    detect_format(lines)
    n_lines, length = fmt.shape
    padded = [(lines[i] if i < len(lines) else "") for i in range(n_lines)]
    reads = [read(padded, e) for e in TWO]
    rec = build_record(fmt, reads, correct(fmt, reads), today=TODAY)
    assert len(rec.lines) == n_lines
    assert all(len(x) == length for x in rec.lines)
    if rec.valid:
        for spec_name in ("document_number", "date_of_birth", "expiry_date"):
            assert rec.check(spec_name)


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_a_single_misread_in_a_checked_field_is_never_valid(data: st.DataObject) -> None:
    """Any substitution whose check value differs modulo 10 is caught, wherever it lands
    in the document number, the dates or their check digits."""
    fmt = data.draw(st.sampled_from([MrzFormat.TD3, MrzFormat.TD2, MrzFormat.MRVA]))
    seed = data.draw(st.integers(0, 10_000))
    who = random_identity(fmt, np.random.default_rng(seed), today=TODAY)
    lines = list(compose_mrz(fmt, who))
    col = data.draw(st.sampled_from([*range(0, 10), *range(13, 20), *range(21, 28)]))
    old = lines[1][col]
    new = data.draw(
        st.sampled_from(
            [c for c in MRZ_CHARS if (char_value(c) - char_value(old)) % 10 != 0 and c != "<"]
        )
    )
    printed = tuple(lines)
    lines[1] = lines[1][:col] + new + lines[1][col + 1 :]
    rec = record_of(fmt, [read(lines, e) for e in TWO])
    # either caught, or (a letter read where only a digit fits is an erasure) recovered
    assert not rec.valid or rec.lines == printed
