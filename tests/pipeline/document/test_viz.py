"""Visual-zone parsing: dates in many formats, label/value pairing, MRZ comparison."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.document.types import Agreement, TextLine
from pipeline.document.viz import compare, extract_fields, parse_viz_date

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    "text",
    ["14.03.1985", "14 MAR 1985", "1985-03-14", "14/03/85", "14 MAR/MARS 85", "14-03-1985"],
)
def test_birth_dates_in_many_formats(text: str) -> None:
    assert parse_viz_date(text, kind="birth", today=TODAY) == dt.date(1985, 3, 14)


def test_two_digit_years_follow_the_kind() -> None:
    assert parse_viz_date("15 APR/AVR 12", kind="expiry", today=TODAY) == dt.date(2012, 4, 15)
    assert parse_viz_date("01/02/30", kind="expiry", today=TODAY) == dt.date(2030, 2, 1)
    assert parse_viz_date("01/02/30", kind="birth", today=TODAY) == dt.date(1930, 2, 1)
    assert parse_viz_date("31.02.1990", today=TODAY) is None
    assert parse_viz_date("no date here", today=TODAY) is None


def _line(text: str, x: float, y: float, h: float = 20.0) -> TextLine:
    w = 12.0 * len(text)
    return TextLine(text, 0.98, ((x, y), (x + w, y), (x + w, y + h), (x, y + h)))


def test_fields_are_paired_with_their_labels() -> None:
    lines = [
        _line("Surname / Nom", 100, 100, 14),
        _line("ERIKSSON", 100, 118),
        _line("Given names / Prénoms", 100, 160, 14),
        _line("ANNA MARIA", 100, 178),
        _line("Date of birth", 100, 220, 14),
        _line("12 AUG/AOUT 74", 100, 238),
        _line("Sex", 400, 220, 14),
        _line("F", 400, 238),
        _line("Passport Number/ N° de passeport", 600, 100, 14),
        _line("L898902C3", 600, 118),
    ]
    fields = {f.name: f.value for f in extract_fields(lines, today=TODAY)}
    assert fields == {
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "date_of_birth": "1974-08-12",
        "sex": "F",
        "document_number": "L898902C3",
    }


def test_comparison_with_the_mrz() -> None:
    assert compare("surname", "ERIKSSON", "ERIKSSON") is Agreement.AGREE
    assert compare("surname", "ERIKSSON", "Eriksson") is Agreement.AGREE
    assert compare("surname", "ERIKSSON", "ERIKSSEN") is Agreement.UNCERTAIN
    assert compare("surname", "ERIKSSON", "SMITH") is Agreement.DISAGREE
    assert compare("nationality", "UTO", "UTOPIAN") is Agreement.AGREE
    assert compare("date_of_birth", "1974-08-12", "1974-08-13") is Agreement.DISAGREE
    assert compare("surname", "ERIKSSON", None) is Agreement.MISSING
    # the MRZ truncates long names
    assert compare("surname", "WOLFESCHLEGELS", "WOLFESCHLEGELSTEIN") is Agreement.AGREE


def test_an_undetected_value_does_not_borrow_the_next_fields() -> None:
    lines = [
        _line("Given names / Prénoms", 100, 160, 14),
        # the value line was not detected; the next label and its date follow
        _line("Date of birth", 100, 186, 14),
        _line("12.08.1974", 100, 204),
    ]
    fields = {f.name: f.value for f in extract_fields(lines, today=TODAY)}
    assert "given_names" not in fields
    assert fields["date_of_birth"] == "1974-08-12"
