"""Layouts, check digits and dates (ICAO 9303-3 worked examples)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.document.mrz_format import (
    MrzFormat,
    age_on,
    check_digit,
    check_passes,
    check_specs,
    detect_format,
    field_text,
    parse_date,
    split_names,
    td1_overflow_length,
)

TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B", 1), ("D23145890", 7)],
)
def test_check_digit_matches_icao_examples(data: str, digit: int) -> None:
    assert check_digit(data) == digit


def test_check_digit_rejects_non_mrz_characters() -> None:
    with pytest.raises(ValueError):
        check_digit("AB-12")


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [(TD3, MrzFormat.TD3), (TD2, MrzFormat.TD2), (TD1, MrzFormat.TD1)],
)
def test_every_check_of_the_specimens_passes(lines: tuple[str, ...], fmt: MrzFormat) -> None:
    assert detect_format(lines) is fmt
    for spec in check_specs(fmt, lines):
        assert check_passes(spec, lines), spec.name


def test_a_changed_digit_fails_its_check_and_the_composite() -> None:
    broken = (TD3[0], TD3[1][:14] + "5" + TD3[1][15:])  # date of birth 740812 -> 745812
    results = {s.name: check_passes(s, broken) for s in check_specs(MrzFormat.TD3, broken)}
    assert results["date_of_birth"] is False
    assert results["composite"] is False
    assert results["document_number"] is True


def test_visas_are_told_from_passports_by_the_document_code() -> None:
    visa = ("V" + TD3[0][1:], TD3[1])
    assert detect_format(visa) is MrzFormat.MRVA
    assert detect_format(("V" + TD2[0][1:], TD2[1])) is MrzFormat.MRVB
    assert detect_format((TD3[0], TD3[1][:-1])) is None


def test_td1_document_number_overflowing_into_optional_data() -> None:
    number = "D23145890123"
    lines = (
        "I<UTO" + number[:9] + "<" + number[9:] + str(check_digit(number)) + "<" * 11,
        TD1[1],
        TD1[2],
    )
    assert td1_overflow_length(lines) == 4
    spec = next(s for s in check_specs(MrzFormat.TD1, lines) if s.name == "document_number")
    assert check_passes(spec, lines)
    assert field_text(MrzFormat.TD1, lines, "document_number") == number


def test_names_split_on_double_filler() -> None:
    assert split_names("ERIKSSON<<ANNA<MARIA<<<<") == ("ERIKSSON", "ANNA MARIA")
    assert split_names("VAN<DER<BERG<<PIET<<<") == ("VAN DER BERG", "PIET")
    assert split_names("MONONYM<<<<<<") == ("MONONYM", "")


def test_dates_pick_the_century_by_kind() -> None:
    today = dt.date(2026, 1, 1)
    assert parse_date("740812", kind="birth", today=today) == dt.date(1974, 8, 12)
    assert parse_date("201231", kind="birth", today=today) == dt.date(2020, 12, 31)
    assert parse_date("300101", kind="birth", today=today) == dt.date(1930, 1, 1)
    assert parse_date("350101", kind="expiry", today=today) == dt.date(2035, 1, 1)
    assert parse_date("120415", kind="expiry", today=today) == dt.date(2012, 4, 15)
    assert parse_date("741332", kind="birth", today=today) is None
    assert parse_date("74O812", kind="birth", today=today) is None
    assert age_on(dt.date(1974, 8, 12), today) == 51
