"""Field-aware MRZ correction: from engines' character readings to trusted fields.

Each engine's line is aligned to the MRZ's fixed character cells (by count,
or by position when characters were dropped or doubled). Every cell then
holds candidate characters with scores, merged across engines. Each field's
character class maps look-alikes into the class (``O`` read in a date is
``0``, ``0`` read in a name is ``O``, ``K`` or ``C`` may be a filler), and
an ambiguous character is resolved only when exactly one choice passes the
field's check digit. Fields without a check digit (names, nationality,
codes) are trusted only when two engines agree or the OCR is confident;
codes must also be known states.

All pure functions over small dataclasses; no OCR here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.document.codes import is_country_code
from pipeline.document.mrz_format import (
    FILLER,
    LAYOUTS,
    CharClass,
    CheckSpec,
    MrzFormat,
    age_on,
    check_passes,
    check_specs,
    clean_value,
    field_text,
    parse_date,
    position_classes,
    split_names,
)
from pipeline.document.types import MrzCheck, MrzField, MrzRecord, OcrEngineName, OcrLine

# Look-alikes: what a character read outside a position's class most likely was.
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "J": "1",
            "Z": "2", "S": "5", "B": "8", "G": "6", "A": "4", "E": "8"}  # fmt: skip
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T",
             "3": "B", "9": "P"}  # fmt: skip
# Characters engines read for the '<' filler (Debian's LSTM reads K; some read C).
FILLER_LOOKALIKES = {"K": 0.35, "C": 0.35, "L": 0.2, "E": 0.1}
# Two readings of the same glyph that the classes allow both of (alphanumeric fields).
ALNUM_CONFUSIONS = {"O": "0D", "0": "OD", "D": "0O", "I": "1", "1": "I", "S": "5",
                    "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z", "G": "6", "6": "G",
                    "Q": "0O"}  # fmt: skip

_CLASS_ORDER = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAPPED_PENALTY = 0.9  # a look-alike mapped into the class is a little less certain
_AMBIGUOUS_RATIO = 0.8  # a rival within this share of the best score makes a cell ambiguous
_LOW_CONFIDENCE = 0.55  # below this the best reading alone is doubtful
_MAX_COMBINATIONS = 512
_EVIDENCE_SHARE = 0.35  # a rival below this share of the best reading is the table's guess


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """When a field without a check digit (names, nationality, codes, sex) is trusted.

    Attributes:
        min_confidence: per engine, the lowest character confidence at which that
            engine's reading alone is trusted. On 77 hard synthetic pages (seeds
            100000-100079) no engine's confidence separated right names from wrong
            ones: the MRZ LSTM read a wrong name at 0.984 among right ones at
            0.986-0.989, and the legacy engine's wrong names scored 0.71-0.77 against
            right ones from 0.77. So confidence alone trusts nothing by default (a
            threshold above 1); trust comes from agreement or the visual zone.
        agreement: engines that must read the field identically to trust it.
    """

    min_confidence: dict[OcrEngineName, float] = field(
        default_factory=lambda: {
            OcrEngineName.TESSERACT_LEGACY: 1.01,
            OcrEngineName.TESSERACT_MRZ: 1.01,
            OcrEngineName.RAPIDOCR: 1.01,
        }
    )
    agreement: int = 2


Cell = dict[str, float]


@dataclass(frozen=True, slots=True)
class EngineRead:
    """One engine's reading of every line of a zone."""

    engine: OcrEngineName
    lines: tuple[OcrLine, ...]


def align_line(line: OcrLine, length: int) -> list[Cell]:
    """Candidate scores per character cell for one engine's line.

    When the engine produced ``length`` characters they map one to one; else
    each character goes to the cell its x position falls in (the MRZ is
    monospaced), the best-scoring one winning a contested cell.
    """
    chars = line.chars
    cells: list[Cell] = [{} for _ in range(length)]
    if not chars:
        return cells
    if len(chars) == length:
        index = list(range(length))
    else:
        centers = [(c.x0 + c.x1) / 2 for c in chars]
        diffs = sorted(b - a for a, b in itertools.pairwise(centers) if b > a)
        if not diffs:
            return cells
        median = diffs[len(diffs) // 2]
        near = [d for d in diffs if 0.7 * median <= d <= 1.35 * median]
        pitch = sum(near) / len(near) if near else median
        # anchor at whichever end is more plausible: first char at cell 0, or the
        # last char at the last cell (an MRZ line has ink in every cell)
        span_cells = (centers[-1] - centers[0]) / pitch if pitch > 0 else 0
        start = 0.0
        if round(span_cells) + 1 < length:
            left_room = chars[0].x0 / pitch
            right_room = (line.width - chars[-1].x1) / pitch
            if right_room + 0.5 < left_room:
                start = float(length - 1 - round(span_cells))
        index = [round(start + (c - centers[0]) / pitch) if pitch > 0 else 0 for c in centers]
    for char, cell_i in zip(chars, index, strict=True):
        if not 0 <= cell_i < length:
            continue
        cell = cells[cell_i]
        if cell and max(cell.values()) >= char.confidence:
            continue
        cell.clear()
        cell[char.char] = char.confidence
        for alt, score in char.alternatives:
            if alt != char.char and alt not in cell:
                cell[alt] = min(score, char.confidence)
    return cells


def merge_cells(per_engine: Sequence[list[Cell]]) -> list[Cell]:
    """Average the engines' scores per cell (an engine silent on a cell counts as 0)."""
    if not per_engine:
        return []
    n = len(per_engine)
    out: list[Cell] = []
    for cells in zip(*per_engine, strict=True):
        merged: Cell = {}
        for cell in cells:
            for char, score in cell.items():
                merged[char] = merged.get(char, 0.0) + score / n
        out.append(merged)
    return out


def class_candidates(cell: Cell, cls: CharClass) -> list[tuple[str, float]]:
    """The cell's readings mapped into ``cls``, best first."""
    scores: dict[str, float] = {}

    def add(char: str, score: float) -> None:
        if score > scores.get(char, 0.0):
            scores[char] = score

    for char, score in cell.items():
        if cls.admits(char):
            add(char, score)
        if cls in (CharClass.DIGIT, CharClass.DIGIT_OR_FILLER) and char in TO_DIGIT:
            add(TO_DIGIT[char], score * _MAPPED_PENALTY)
        if cls in (CharClass.ALPHA, CharClass.SEX) and char in TO_LETTER:
            add(TO_LETTER[char], score * _MAPPED_PENALTY)
        if cls.admits(FILLER) and char in FILLER_LOOKALIKES:
            add(FILLER, score * FILLER_LOOKALIKES[char])
        if cls is CharClass.ALNUM:
            for other in ALNUM_CONFUSIONS.get(char, ""):
                add(other, score * 0.3)
        if cls is CharClass.DIGIT_OR_FILLER and char in ("0", FILLER):
            # equal check values: only the engine's certainty tells them apart
            add(FILLER if char == "0" else "0", score * 0.3)
        if cls is CharClass.SEX and char in ("H", "N", "W"):
            add("M", score * 0.5)
        if cls is CharClass.SEX and char in ("E", "P", "T", "R", "K"):
            add("F", score * 0.5)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _is_ambiguous(cands: list[tuple[str, float]]) -> bool:
    if not cands:
        return True
    top = cands[0][1]
    return top < _LOW_CONFIDENCE or (len(cands) > 1 and cands[1][1] >= _AMBIGUOUS_RATIO * top)


@dataclass(slots=True)
class _Grid:
    """Mutable working state: chosen characters and candidates per position."""

    fmt: MrzFormat
    chars: list[list[str]]
    scores: list[list[float]]
    cands: list[list[list[tuple[str, float]]]]

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.chars]


def _build_grid(fmt: MrzFormat, cells: list[list[Cell]]) -> _Grid:
    classes = position_classes(fmt)
    chars: list[list[str]] = []
    scores: list[list[float]] = []
    cands: list[list[list[tuple[str, float]]]] = []
    for row_cells, row_classes in zip(cells, classes, strict=True):
        row_c, row_s, row_k = [], [], []
        for cell, cls in zip(row_cells, row_classes, strict=True):
            options = class_candidates(cell, cls)
            if not options:
                # nothing legible: every legal character is a candidate (an erasure a
                # check digit may still recover, since exactly one choice must pass)
                options = [(c, 0.0) for c in _CLASS_ORDER if cls.admits(c)]
            row_c.append(options[0][0])
            row_s.append(options[0][1])
            row_k.append(options)
        chars.append(row_c)
        scores.append(row_s)
        cands.append(row_k)
    return _Grid(fmt, chars, scores, cands)


def _resolve_check(
    grid: _Grid,
    spec: CheckSpec,
    locked: set[tuple[int, int]],
    *,
    relaxed: bool = False,
    confirm: CheckSpec | None = None,
) -> str:
    """Choose ambiguous characters under ``spec`` so that the check passes.

    Args:
        grid: the working characters and candidates (changed in place when resolved).
        spec: the check digit.
        locked: positions already settled by another check.
        relaxed: treat every position with any rival reading as ambiguous (a
            second pass for a failed check, to be confirmed by ``confirm``).
        confirm: a second check every accepted choice must also pass.

    Returns:
        "resolved" (exactly one choice passes), "unambiguous" (nothing to
        choose and it passes), "ambiguous" (several pass) or "failed" (none does).
    """
    positions = [p for p in spec.positions() if p not in locked]
    if relaxed:
        return _resolve_single_swap(grid, spec, positions, confirm)
    ambiguous = [p for p in positions if _is_ambiguous(grid.cands[p[0]][p[1]])]
    options = {p: [c for c, _ in grid.cands[p[0]][p[1]][:3]] for p in ambiguous}
    # keep the enumeration bounded: the least confident positions first
    ambiguous.sort(key=lambda p: grid.scores[p[0]][p[1]])
    while ambiguous and _combos(options, ambiguous) > _MAX_COMBINATIONS:
        dropped = ambiguous.pop()
        options[dropped] = options[dropped][:1]
    if not ambiguous:
        return "unambiguous" if check_passes(spec, grid.lines()) else "failed"
    original = {p: grid.chars[p[0]][p[1]] for p in ambiguous}
    passing: list[tuple[float, dict[tuple[int, int], str]]] = []
    for choice in itertools.product(*(options[p] for p in ambiguous)):
        for p, char in zip(ambiguous, choice, strict=True):
            grid.chars[p[0]][p[1]] = char
        lines = grid.lines()
        if check_passes(spec, lines) and (confirm is None or check_passes(confirm, lines)):
            score = sum(
                dict(grid.cands[p[0]][p[1]]).get(char, 0.0)
                for p, char in zip(ambiguous, choice, strict=True)
            )
            passing.append((score, dict(zip(ambiguous, choice, strict=True))))
    if len(passing) == 1:
        for p, char in passing[0][1].items():
            grid.chars[p[0]][p[1]] = char
            grid.scores[p[0]][p[1]] = dict(grid.cands[p[0]][p[1]]).get(char, 0.0)
        return "resolved"
    for p, char in original.items():
        grid.chars[p[0]][p[1]] = char
    return "failed" if not passing else "ambiguous"


def _resolve_single_swap(
    grid: _Grid,
    spec: CheckSpec,
    positions: list[tuple[int, int]],
    confirm: CheckSpec | None,
) -> str:
    """Try every single look-alike substitution (O/0, I/1, S/5, B/8, Z/2, G/6...);
    resolved only when exactly one passes ``spec`` and ``confirm``.

    Kept to one substitution among known look-alikes so that a chance pass of
    both digits (1 in 100 per try) stays rare.
    """
    lines = grid.lines()
    found: list[tuple[tuple[int, int], str]] = []
    for p in positions:
        current = grid.chars[p[0]][p[1]]
        rivals = set(ALNUM_CONFUSIONS.get(current, "")) | {
            v for k, v in TO_DIGIT.items() if k == current
        }
        cands = grid.cands[p[0]][p[1]]
        top = cands[0][1] if cands else 0.0
        for alt, score in cands[1:]:
            # only a rival an engine actually proposed: the look-alike table alone
            # could pick a character whose check value equals the truth's (D for N)
            if alt not in rivals or score < _EVIDENCE_SHARE * top:
                continue
            trial = list(lines)
            row = trial[p[0]]
            trial[p[0]] = row[: p[1]] + alt + row[p[1] + 1 :]
            if check_passes(spec, trial) and (confirm is None or check_passes(confirm, trial)):
                found.append((p, alt))
    if len(found) != 1:
        return "failed" if not found else "ambiguous"
    (line, col), alt = found[0]
    grid.chars[line][col] = alt
    grid.scores[line][col] = dict(grid.cands[line][col]).get(alt, 0.0)
    return "resolved"


def _combos(options: dict[tuple[int, int], list[str]], keys: list[tuple[int, int]]) -> int:
    total = 1
    for key in keys:
        total *= max(1, len(options[key]))
    return total


def _resolve_code(grid: _Grid, line: int, start: int, end: int) -> bool:
    """Pick a known state code among the cells' candidates; True when exactly one fits."""
    current = "".join(grid.chars[line][start:end])
    if is_country_code(current):
        return True
    options = [[c for c, _ in grid.cands[line][col][:3]] for col in range(start, end)]
    fits = {
        "".join(choice)
        for choice in itertools.product(*options)
        if is_country_code("".join(choice))
    }
    if len(fits) == 1:
        code = fits.pop()
        for offset, char in enumerate(code):
            col = start + offset
            grid.chars[line][col] = char
            grid.scores[line][col] = dict(grid.cands[line][col]).get(char, 0.0)
        return True
    return False


def _names_cleanup(grid: _Grid, line: int, start: int, end: int) -> None:
    """Fillers after the names end: a lone letter inside the trailing filler run
    with a filler among its readings is a filler read as K, C, L..."""
    row = grid.chars[line]
    for col in range(start + 1, end - 1):
        if (
            (
                row[col] != FILLER
                and row[col - 1] == FILLER
                and all(c == FILLER for c in row[col + 1 : end])
            )
            and any(c == FILLER for c, _ in grid.cands[line][col])
            and row[col - 2] == FILLER
        ):
            row[col] = FILLER
            grid.scores[line][col] = dict(grid.cands[line][col]).get(FILLER, 0.0)


@dataclass(frozen=True, slots=True)
class Correction:
    """The outcome of correcting one zone (before building the record)."""

    lines: tuple[str, ...]
    check_states: dict[str, str]
    field_confidence: dict[str, float]


def correct(fmt: MrzFormat, reads: Sequence[EngineRead]) -> Correction:
    """Merge the engines' reads of a zone and resolve it field by field.

    Args:
        fmt: the zone's format (decides line count, length, classes and checks).
        reads: one or more engines' reads, each with ``fmt``'s number of lines.
    """
    n_lines, length = fmt.shape
    per_engine = [[align_line(r.lines[i], length) for i in range(n_lines)] for r in reads]
    merged = [merge_cells([pe[i] for pe in per_engine]) for i in range(n_lines)]
    grid = _build_grid(fmt, merged)
    states: dict[str, str] = {}
    locked: set[tuple[int, int]] = set()
    specs = check_specs(fmt, grid.lines())
    for spec in specs:
        if spec.name == "composite":
            continue
        states[spec.name] = _resolve_check(grid, spec, locked)
        if states[spec.name] in ("resolved", "unambiguous"):
            locked.update(spec.positions())
    # the overflow of a TD1 number is only known once the first line is settled
    if fmt is MrzFormat.TD1:
        specs = check_specs(fmt, grid.lines())
        number = next(s for s in specs if s.name == "document_number")
        states["document_number"] = _resolve_check(grid, number, locked - set(number.positions()))
        locked.update(number.positions())
    # A check that failed with nothing ambiguous (an O read as 0 with confidence)
    # gets a second, wider pass; a choice made that way stands only if the
    # composite digit, which covers the same characters, then passes too.
    composite = next((s for s in specs if s.name == "composite"), None)
    if composite is not None:
        for spec in specs:
            if spec.name != "composite" and states[spec.name] in ("failed", "ambiguous"):
                state = _resolve_check(grid, spec, locked, relaxed=True, confirm=composite)
                if state == "resolved":
                    states[spec.name] = state
                    locked.update(spec.positions())
        states["composite"] = _resolve_check(grid, composite, locked)
    for f in LAYOUTS[fmt]:
        if f.name in ("issuing_state", "nationality"):
            s = f.span
            states[f"{f.name}_known"] = (
                "unambiguous" if _resolve_code(grid, s.line, s.start, s.end) else "failed"
            )
        if f.name == "names":
            s = f.span
            _names_cleanup(grid, s.line, s.start, s.end)
    lines = tuple(grid.lines())
    conf: dict[str, float] = {}
    for f in LAYOUTS[fmt]:
        s = f.span
        conf[f.name] = min(grid.scores[s.line][s.start : s.end], default=0.0)
    return Correction(lines, states, conf)


def _engine_lines(fmt: MrzFormat, reads: Sequence[EngineRead]) -> list[list[str]]:
    """Each engine's own lines (class-mapped, cell-aligned), for agreement between engines."""
    n_lines, length = fmt.shape
    out: list[list[str]] = []
    for read in reads:
        cells = [align_line(read.lines[i], length) for i in range(n_lines)]
        out.append(_build_grid(fmt, cells).lines())
    return out


def build_record(
    fmt: MrzFormat,
    reads: Sequence[EngineRead],
    corrected: Correction,
    *,
    today: dt.date,
    policy: TrustPolicy | None = None,
    viz_confirmed: frozenset[str] = frozenset(),
) -> MrzRecord:
    """The typed record: fields, checks, trust and validity.

    Args:
        fmt: the format.
        reads: the engine reads that were merged (for agreement and confidence).
        corrected: the output of :func:`correct`.
        today: reference date for age and expiry.
        policy: trust thresholds for fields without a check digit.
        viz_confirmed: field names the visual zone agrees with (names, nationality).
    """
    policy = policy or TrustPolicy()
    lines = corrected.lines
    states = corrected.check_states
    flags: list[str] = []
    for name, state in states.items():
        if state == "ambiguous":
            flags.append(f"ambiguous:{name}")

    def passed(name: str) -> bool:
        return states.get(name) in ("resolved", "unambiguous")

    engine_lines = _engine_lines(fmt, reads)

    def agreed(name: str) -> bool:
        value = field_text(fmt, lines, name)
        own = [field_text(fmt, e_lines, name) for e_lines in engine_lines]
        return sum(1 for r in own if r == value) >= policy.agreement

    def confident(name: str) -> bool:
        # the field's cells were read with at least the policy's confidence; when
        # engines were merged the merged score is an average, so each must clear it
        threshold = max(policy.min_confidence.get(r.engine, 1.0) for r in reads)
        return corrected.field_confidence.get(name, 0.0) >= threshold

    checked_by = {
        "document_number": "document_number",
        "date_of_birth": "date_of_birth",
        "expiry_date": "expiry_date",
        "personal_number": "personal_number",
    }
    composite_covered = {"optional_data", "optional_data_2"}
    has_composite = "composite" in states
    fields: list[MrzField] = []
    for spec in LAYOUTS[fmt]:
        raw = field_text(fmt, lines, spec.name)
        conf = corrected.field_confidence.get(spec.name, 0.0)
        if spec.name in checked_by:
            trusted = passed(checked_by[spec.name])
        elif spec.name in composite_covered and has_composite:
            trusted = passed("composite") or confident(spec.name) or agreed(spec.name)
        else:
            trusted = spec.name in viz_confirmed or confident(spec.name) or agreed(spec.name)
            if spec.name in ("issuing_state", "nationality"):
                trusted = trusted and passed(f"{spec.name}_known")
        if spec.name == "names":
            surname, given = split_names(raw)
            fields.append(MrzField("surname", raw.split(FILLER * 2)[0], surname, conf, trusted))
            rest = raw.split(FILLER * 2, 1)[1] if FILLER * 2 in raw else ""
            fields.append(MrzField("given_names", rest, given, conf, trusted))
            if not trusted:
                flags.append("names_untrusted")
            continue
        value = clean_value(raw)
        if spec.name in ("date_of_birth", "expiry_date"):
            kind = "birth" if spec.name == "date_of_birth" else "expiry"
            parsed = parse_date(raw, kind=kind, today=today)
            value = parsed.isoformat() if parsed else raw
        if not trusted:
            flags.append(f"untrusted:{spec.name}")
        fields.append(MrzField(spec.name, raw, value, conf, trusted))

    birth = parse_date(field_text(fmt, lines, "date_of_birth"), kind="birth", today=today)
    expiry = parse_date(field_text(fmt, lines, "expiry_date"), kind="expiry", today=today)
    checks: list[MrzCheck] = [
        MrzCheck(spec.name, check_passes(spec, lines)) for spec in check_specs(fmt, lines)
    ]
    checks += [
        MrzCheck("date_of_birth_valid", birth is not None),
        MrzCheck("expiry_date_valid", expiry is not None),
        MrzCheck("issuing_state_known", passed("issuing_state_known")),
        MrzCheck("nationality_known", passed("nationality_known")),
        MrzCheck("names_trusted", all(f.trusted for f in fields if f.name == "surname")),
        MrzCheck("not_expired", expiry is not None and expiry >= today),
    ]
    unresolved = any(states.get(name) in ("ambiguous", "failed") for name in states)
    valid = (
        all(c.passed for c in checks if c.name != "not_expired")
        and all(f.trusted for f in fields)
        and not unresolved
    )
    confidence = min((f.confidence for f in fields), default=0.0)
    engines = tuple(dict.fromkeys(r.engine for r in reads))
    return MrzRecord(
        format=fmt,
        lines=lines,
        fields=tuple(fields),
        checks=tuple(checks),
        valid=valid,
        confidence=confidence,
        date_of_birth=birth,
        expiry_date=expiry,
        age_years=age_on(birth, today) if birth else None,
        expired=(expiry < today) if expiry else None,
        engines=engines,
        flags=tuple(flags),
    )


def apply_visual_zone(
    record: MrzRecord, agree: frozenset[str], disagree: frozenset[str]
) -> MrzRecord:
    """Re-decide trust after comparing with the visual zone.

    Fields without a check digit (names, nationality) become trusted when the
    visual zone prints the same value, and untrusted when it prints another.
    Validity is recomputed the same way as in :func:`build_record`.

    Args:
        record: the MRZ record.
        agree: field names the visual zone agrees with.
        disagree: field names it contradicts.
    """
    unchecked = {"surname", "given_names", "nationality"}
    fields = []
    flags = [f for f in record.flags if f != "names_untrusted" and not f.startswith("viz_")]
    for f in record.fields:
        trusted = f.trusted
        if f.name in unchecked and f.name in disagree:
            trusted = False
            flags.append(f"viz_mismatch:{f.name}")
        elif f.name in unchecked and f.name in agree:
            trusted = True
        fields.append(replace(f, trusted=trusted))
    names_ok = all(f.trusted for f in fields if f.name in ("surname", "given_names"))
    if not names_ok:
        flags.append("names_untrusted")
    flags = [f for f in flags if not (f == "untrusted:nationality" and "nationality" in agree)]
    checks = tuple(
        MrzCheck(c.name, names_ok) if c.name == "names_trusted" else c for c in record.checks
    )
    valid = (
        all(c.passed for c in checks if c.name != "not_expired")
        and all(f.trusted for f in fields)
        and not any(f.startswith("ambiguous:") for f in flags)
    )
    return replace(record, fields=tuple(fields), checks=checks, valid=valid, flags=tuple(flags))
