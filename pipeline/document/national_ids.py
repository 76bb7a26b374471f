"""National ID numbers printed in the visual zone, each with its own check.

``SCHEMES`` is the table: a scheme is a name, a pattern that finds
candidates in OCR text, and a validator that returns a
:class:`NationalIdMatch`. Add a country by adding a row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline.document.types import NationalIdMatch

_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_OFFSETS = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
_NRIC_LETTERS = {
    "S": "JZIHGFEDCBA",
    "T": "JZIHGFEDCBA",
    "F": "XWUTRQPNMLK",
    "G": "XWUTRQPNMLK",
    "M": "XWUTRQPNJLK",
}
# MyKad place-of-birth codes: Malaysian states (01-16), then regions abroad (21-59,
# 60-68, 71-72, 74-79, 82-93, 98-99); 17-20, 69-70, 73, 80-81, 94-97 are unassigned.
_MYKAD_PLACES = frozenset(
    [*range(1, 17), *range(21, 69), 71, 72, *range(74, 80), *range(82, 94), 98, 99]
)


def nric_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN ``prefix`` + 7 ``digits``.

    Raises:
        ValueError: unknown prefix or not 7 digits.
    """
    if prefix not in _NRIC_OFFSETS or len(digits) != 7 or not digits.isdigit():
        raise ValueError("an NRIC/FIN is one of S, T, F, G, M and seven digits")
    total = sum(int(d) * w for d, w in zip(digits, _NRIC_WEIGHTS, strict=True))
    return _NRIC_LETTERS[prefix][(total + _NRIC_OFFSETS[prefix]) % 11]


def nric_number(prefix: str, serial: int) -> str:
    """A well-formed NRIC/FIN with ``serial`` (0..9999999) as its digits."""
    digits = f"{serial % 10_000_000:07d}"
    return prefix + digits + nric_check_letter(prefix, digits)


def _validate_nric(text: str) -> NationalIdMatch:
    prefix, digits, letter = text[0], text[1:8], text[8]
    try:
        ok = nric_check_letter(prefix, digits) == letter
    except ValueError:
        ok = False
    return NationalIdMatch("sg_nric", text, ok)


def mykad_birth_date(number: str, *, today: dt.date | None = None) -> dt.date | None:
    """The birth date encoded in a 12-digit MyKad number (YYMMDD first), or None."""
    if len(number) != 12 or not number.isdigit():
        return None
    today = today or dt.date.today()
    yy, mm, dd = int(number[:2]), int(number[2:4]), int(number[4:6])
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        return None


def mykad_number(birth: dt.date, place: int, serial: int) -> str:
    """A well-formed MyKad number: birth date, place-of-birth code, 4-digit serial."""
    return f"{birth:%y%m%d}{place:02d}{serial % 10_000:04d}"


def _validate_mykad(text: str) -> NationalIdMatch:
    digits = re.sub(r"\D", "", text)
    birth = mykad_birth_date(digits)
    ok = birth is not None and int(digits[6:8]) in _MYKAD_PLACES
    return NationalIdMatch("my_mykad", digits, ok, birth)


@dataclass(frozen=True, slots=True)
class NationalIdScheme:
    """One national ID format: how to find it in text and how to check it."""

    name: str
    pattern: re.Pattern[str]
    validate: Callable[[str], NationalIdMatch]


SCHEMES: tuple[NationalIdScheme, ...] = (
    NationalIdScheme("sg_nric", re.compile(r"\b[STFGM]\d{7}[A-Z]\b"), _validate_nric),
    NationalIdScheme("my_mykad", re.compile(r"\b\d{6}[- ]?\d{2}[- ]?\d{4}\b"), _validate_mykad),
)


def find_national_ids(
    texts: Iterable[str], schemes: tuple[NationalIdScheme, ...] = SCHEMES
) -> tuple[NationalIdMatch, ...]:
    """Every national ID candidate in ``texts``, validated, without duplicates.

    Args:
        texts: OCR lines of the visual zone.
        schemes: the table to use (default: all known schemes).
    """
    found: dict[tuple[str, str], NationalIdMatch] = {}
    for text in texts:
        upper = text.upper()
        for scheme in schemes:
            for match in scheme.pattern.finditer(upper):
                result = scheme.validate(match.group(0))
                found.setdefault((result.scheme, result.value), result)
    return tuple(found.values())
