"""National ID numbers: Singapore NRIC/FIN check letters and Malaysian MyKad structure."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.document.national_ids import (
    find_national_ids,
    mykad_birth_date,
    nric_check_letter,
    nric_number,
)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("S1234567D", True),
        ("T1234567J", True),
        ("F1234567N", True),
        ("G1234567X", True),
        ("S1234567A", False),
        ("G1234567N", False),
    ],
)
def test_nric_check_letter(number: str, valid: bool) -> None:
    (match,) = find_national_ids([f"NRIC No. {number}"])
    assert match.scheme == "sg_nric"
    assert match.valid is valid


def test_generated_nric_numbers_validate() -> None:
    for prefix in "STFGM":
        for serial in (0, 1234567, 9999999):
            number = nric_number(prefix, serial)
            assert nric_check_letter(prefix, number[1:8]) == number[8]


def test_mykad_carries_the_birth_date() -> None:
    (match,) = find_national_ids(["MyKad 850314-14-5678"])
    assert match.scheme == "my_mykad"
    assert match.valid
    assert match.value == "850314145678"
    assert match.date_of_birth == dt.date(1985, 3, 14)


def test_mykad_with_impossible_date_or_place_is_invalid() -> None:
    assert mykad_birth_date("851332145678") is None
    (bad_date,) = find_national_ids(["851332-14-5678"])
    assert not bad_date.valid
    (bad_place,) = find_national_ids(["850314-19-5678"])  # 19 is not assigned
    assert not bad_place.valid


def test_text_without_ids_finds_nothing() -> None:
    assert find_national_ids(["PASSPORT", "Surname / Nom", "ERIKSSON"]) == ()
