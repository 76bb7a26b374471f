"""ICAO 9303 machine-readable zone layouts, check digits and parsing.

Pure functions over strings: no image, no OCR. A layout says where each
field sits (line, column span), which character class it admits and which
check digit covers it, so the correction step can be field-aware.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

FILLER = "<"
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_WEIGHTS = (7, 3, 1)


class MrzFormat(enum.Enum):
    """The five ICAO 9303 MRZ formats: lines x characters."""

    TD1 = "TD1"  # ID card: 3 x 30
    TD2 = "TD2"  # ID card / official travel document: 2 x 36
    TD3 = "TD3"  # passport: 2 x 44
    MRVA = "MRV-A"  # visa, full page: 2 x 44
    MRVB = "MRV-B"  # visa, smaller: 2 x 36

    @property
    def shape(self) -> tuple[int, int]:
        """(number of lines, characters per line)."""
        return _SHAPES[self]


_SHAPES = {
    MrzFormat.TD1: (3, 30),
    MrzFormat.TD2: (2, 36),
    MrzFormat.TD3: (2, 44),
    MrzFormat.MRVA: (2, 44),
    MrzFormat.MRVB: (2, 36),
}


class CharClass(enum.Enum):
    """What a position may hold; drives look-alike correction."""

    ALPHA = "alpha"  # A-Z and the filler
    DIGIT = "digit"  # 0-9
    DIGIT_OR_FILLER = "digit_or_filler"  # an optional field's check digit
    ALNUM = "alnum"  # A-Z, 0-9 and the filler
    SEX = "sex"  # M, F, X or the filler

    def admits(self, char: str) -> bool:
        """Whether ``char`` is a legal character for this class."""
        return char in _CLASS_CHARS[self]


_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_CLASS_CHARS = {
    CharClass.ALPHA: _LETTERS | {FILLER},
    CharClass.DIGIT: _DIGITS,
    CharClass.DIGIT_OR_FILLER: _DIGITS | {FILLER},
    CharClass.ALNUM: _LETTERS | _DIGITS | {FILLER},
    CharClass.SEX: frozenset("MFX<"),
}


@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``start:end`` (end exclusive) of MRZ line ``line`` (0-based)."""

    line: int
    start: int
    end: int

    def positions(self) -> tuple[tuple[int, int], ...]:
        return tuple((self.line, c) for c in range(self.start, self.end))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One data field of a layout."""

    name: str
    span: Span
    char_class: CharClass


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check digit: the spans it covers, where it is, and whether '<' may stand for
    "no data" (an empty optional field)."""

    name: str
    spans: tuple[Span, ...]
    digit: tuple[int, int]
    may_be_filler: bool = False

    def positions(self) -> tuple[tuple[int, int], ...]:
        out: list[tuple[int, int]] = []
        for span in self.spans:
            out.extend(span.positions())
        return (*out, self.digit)


def _f(name: str, line: int, start: int, end: int, cls: CharClass) -> FieldSpec:
    return FieldSpec(name, Span(line, start, end), cls)


A, D, N, S = CharClass.ALPHA, CharClass.DIGIT, CharClass.ALNUM, CharClass.SEX

_TD3_FIELDS = (
    _f("document_code", 0, 0, 2, A),
    _f("issuing_state", 0, 2, 5, A),
    _f("names", 0, 5, 44, A),
    _f("document_number", 1, 0, 9, N),
    _f("nationality", 1, 10, 13, A),
    _f("date_of_birth", 1, 13, 19, D),
    _f("sex", 1, 20, 21, S),
    _f("expiry_date", 1, 21, 27, D),
    _f("personal_number", 1, 28, 42, N),
)
_TD2_FIELDS = (
    _f("document_code", 0, 0, 2, A),
    _f("issuing_state", 0, 2, 5, A),
    _f("names", 0, 5, 36, A),
    _f("document_number", 1, 0, 9, N),
    _f("nationality", 1, 10, 13, A),
    _f("date_of_birth", 1, 13, 19, D),
    _f("sex", 1, 20, 21, S),
    _f("expiry_date", 1, 21, 27, D),
    _f("optional_data", 1, 28, 35, N),
)
_TD1_FIELDS = (
    _f("document_code", 0, 0, 2, A),
    _f("issuing_state", 0, 2, 5, A),
    _f("document_number", 0, 5, 14, N),
    _f("optional_data", 0, 15, 30, N),
    _f("date_of_birth", 1, 0, 6, D),
    _f("sex", 1, 7, 8, S),
    _f("expiry_date", 1, 8, 14, D),
    _f("nationality", 1, 15, 18, A),
    _f("optional_data_2", 1, 18, 29, N),
    _f("names", 2, 0, 30, A),
)
_MRVA_FIELDS = (*_TD3_FIELDS[:8], _f("optional_data", 1, 28, 44, N))
_MRVB_FIELDS = (*_TD2_FIELDS[:8], _f("optional_data", 1, 28, 36, N))

LAYOUTS: dict[MrzFormat, tuple[FieldSpec, ...]] = {
    MrzFormat.TD1: _TD1_FIELDS,
    MrzFormat.TD2: _TD2_FIELDS,
    MrzFormat.TD3: _TD3_FIELDS,
    MrzFormat.MRVA: _MRVA_FIELDS,
    MrzFormat.MRVB: _MRVB_FIELDS,
}


def _td23_checks(length: int, composite: bool, personal: bool) -> tuple[CheckSpec, ...]:
    checks = [
        CheckSpec("document_number", (Span(1, 0, 9),), (1, 9)),
        CheckSpec("date_of_birth", (Span(1, 13, 19),), (1, 19)),
        CheckSpec("expiry_date", (Span(1, 21, 27),), (1, 27)),
    ]
    if personal:
        checks.append(CheckSpec("personal_number", (Span(1, 28, 42),), (1, 42), True))
    if composite:
        last = length - 1
        checks.append(
            CheckSpec(
                "composite",
                (Span(1, 0, 10), Span(1, 13, 20), Span(1, 21, last)),
                (1, last),
            )
        )
    return tuple(checks)


def check_specs(fmt: MrzFormat, lines: Sequence[str] | None = None) -> tuple[CheckSpec, ...]:
    """The check digits of ``fmt``.

    For TD1 the document number may overflow into the optional data (ICAO 9303-5
    4.2.4: a '<' at the check position, the rest of the number and its check
    digit at the start of the optional data); ``lines`` lets that be detected.
    """
    if fmt is MrzFormat.TD3:
        return _td23_checks(44, composite=True, personal=True)
    if fmt is MrzFormat.TD2:
        return _td23_checks(36, composite=True, personal=False)
    if fmt in (MrzFormat.MRVA, MrzFormat.MRVB):
        return _td23_checks(44 if fmt is MrzFormat.MRVA else 36, composite=False, personal=False)
    number = CheckSpec("document_number", (Span(0, 5, 14),), (0, 14))
    if lines is not None and (overflow := td1_overflow_length(lines)):
        number = CheckSpec(
            "document_number", (Span(0, 5, 14), Span(0, 15, 15 + overflow - 1)), (0, 14 + overflow)
        )
    return (
        number,
        CheckSpec("date_of_birth", (Span(1, 0, 6),), (1, 6)),
        CheckSpec("expiry_date", (Span(1, 8, 14),), (1, 14)),
        CheckSpec(
            "composite",
            (Span(0, 5, 30), Span(1, 0, 7), Span(1, 8, 15), Span(1, 18, 29)),
            (1, 29),
        ),
    )


def td1_overflow_length(lines: Sequence[str]) -> int:
    """For a TD1 whose document number overflows: characters in the optional data
    that belong to it (including its check digit); 0 otherwise."""
    if len(lines) < 1 or len(lines[0]) < 30 or lines[0][14] != FILLER:
        return 0
    tail = lines[0][15:30]
    run = len(tail) - len(tail.lstrip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return run if run >= 2 else 0


def char_value(char: str) -> int:
    """ICAO 9303 value of an MRZ character: digits 0-9, A=10 .. Z=35, '<' = 0.

    Raises:
        ValueError: ``char`` is not in the MRZ alphabet.
    """
    if char.isdigit() and char.isascii():
        return ord(char) - 48
    if "A" <= char <= "Z":
        return ord(char) - 55
    if char == FILLER:
        return 0
    raise ValueError("not an MRZ character")


def check_digit(data: str) -> int:
    """The 7-3-1 weighted check digit of ``data`` (ICAO 9303-3 4.9).

    Raises:
        ValueError: ``data`` holds a character outside the MRZ alphabet.
    """
    return sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data)) % 10


def check_passes(spec: CheckSpec, lines: Sequence[str]) -> bool:
    """Whether the check digit at ``spec.digit`` matches the data it covers."""
    try:
        data = "".join(lines[s.line][s.start : s.end] for s in spec.spans)
        digit = lines[spec.digit[0]][spec.digit[1]]
    except IndexError:
        return False
    if digit == FILLER:
        return spec.may_be_filler and set(data) <= {FILLER}
    if not (digit.isascii() and digit.isdigit()):
        return False
    try:
        return check_digit(data) == int(digit)
    except ValueError:
        return False


def detect_format(lines: Sequence[str]) -> MrzFormat | None:
    """The format implied by the number and length of ``lines`` and the document code."""
    shape = (len(lines), len(lines[0]) if lines else 0)
    if any(len(line) != shape[1] for line in lines):
        return None
    visa = bool(lines) and lines[0][:1] == "V"
    if shape == (3, 30):
        return MrzFormat.TD1
    if shape == (2, 36):
        return MrzFormat.MRVB if visa else MrzFormat.TD2
    if shape == (2, 44):
        return MrzFormat.MRVA if visa else MrzFormat.TD3
    return None


def formats_for(n_lines: int, length: int) -> tuple[MrzFormat, ...]:
    """Formats with this shape (TD3 and MRV-A share 2 x 44; TD2 and MRV-B 2 x 36)."""
    return tuple(f for f in MrzFormat if f.shape == (n_lines, length))


def position_classes(fmt: MrzFormat, lines: Sequence[str] | None = None) -> list[list[CharClass]]:
    """Per-position character class for every line of ``fmt`` (check digits are digits)."""
    n_lines, length = fmt.shape
    classes = [[CharClass.ALNUM] * length for _ in range(n_lines)]
    for field in LAYOUTS[fmt]:
        for line, col in field.span.positions():
            classes[line][col] = field.char_class
    for check in check_specs(fmt, lines):
        line, col = check.digit
        classes[line][col] = CharClass.DIGIT_OR_FILLER if check.may_be_filler else CharClass.DIGIT
    if fmt is MrzFormat.TD1:
        # a '<' here means the document number overflows into the optional data
        classes[0][14] = CharClass.DIGIT_OR_FILLER
    return classes


def field_text(fmt: MrzFormat, lines: Sequence[str], name: str) -> str:
    """The raw MRZ characters of field ``name`` (fillers kept).

    Raises:
        KeyError: ``fmt`` has no such field.
    """
    for spec in LAYOUTS[fmt]:
        if spec.name == name:
            s = spec.span
            if name == "document_number" and fmt is MrzFormat.TD1:
                overflow = td1_overflow_length(lines)
                if overflow:
                    return lines[0][5:14] + lines[0][15 : 15 + overflow - 1]
            if name == "optional_data" and fmt is MrzFormat.TD1:
                overflow = td1_overflow_length(lines)
                return lines[0][15 + overflow : 30]
            return lines[s.line][s.start : s.end]
    raise KeyError(name)


def split_names(raw: str) -> tuple[str, str]:
    """(surname, given names) from the MRZ name field: '<<' separates them, '<' is a space."""
    text = raw.rstrip(FILLER)
    surname, _, given = text.partition(FILLER * 2)
    return (
        surname.replace(FILLER, " ").strip(),
        " ".join(p for p in given.replace(FILLER, " ").split()),
    )


def clean_value(raw: str) -> str:
    """A field's value: fillers as spaces, trimmed ("D<<" -> "D", "AB<12" -> "AB 12")."""
    return " ".join(raw.replace(FILLER, " ").split())


def parse_date(yymmdd: str, *, kind: str, today: dt.date) -> dt.date | None:
    """A YYMMDD MRZ date as a calendar date, or None if it is not a valid date.

    Args:
        yymmdd: six digits.
        kind: "birth" (never in the future: the century is the latest one that
            puts it on or before ``today``) or "expiry" (the century that puts it
            within 50 years before or after ``today``... in practice 20xx).
        today: the reference date.
    """
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if kind == "birth":
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    else:
        year = 2000 + yy if 2000 + yy <= today.year + 50 else 1900 + yy
    try:
        value = dt.date(year, mm, dd)
    except ValueError:
        return None
    if kind == "birth" and value > today:
        try:
            value = dt.date(year - 100, mm, dd)
        except ValueError:
            return None
    return value


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years from ``birth`` to ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def normalise_lines(lines: Sequence[str]) -> list[str]:
    """Upper-case lines with spaces removed (no look-alike mapping here)."""
    return ["".join(line.split()).upper() for line in lines]
