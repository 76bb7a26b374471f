"""The visual inspection zone: text lines by RapidOCR, fields by their labels,
dates in many formats, national ID numbers, and MRZ-versus-visual checks.

Fields are found by label (a line whose text holds a known label word, the
value being the next line below it or the rest of the same line) and, when
the MRZ is known, by searching every line for the MRZ's value. A value found
by label that differs from the MRZ is a disagreement; a value found only by
search can only agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.document.locate import rotate_page, unrotate_point
from pipeline.document.national_ids import find_national_ids
from pipeline.document.types import (
    Agreement,
    ConsistencyCheck,
    MrzRecord,
    Quad,
    TextLine,
    VizField,
    VizRecord,
)

MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
    "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    # French, German, Spanish, Dutch abbreviations seen on bilingual documents
    "JANV": 1, "FEV": 2, "FÉV": 2, "MARS": 3, "AVR": 4, "MAI": 5, "JUIN": 6, "JUIL": 7,
    "AOUT": 8, "AOÛT": 8, "SEPT": 9, "DEZ": 12, "MRZ": 3, "OKT": 10, "ENE": 1,
    "ABR": 4, "AGO": 8, "DIC": 12, "MEI": 5,
}  # fmt: skip

# Label words (upper case, accents folded) for each field, several languages.
LABELS: dict[str, tuple[str, ...]] = {
    "surname": ("SURNAME", "NOM", "APELLIDOS", "FAMILY NAME", "NACHNAME", "PRIMARY IDENTIFIER"),
    "given_names": ("GIVEN NAME", "PRENOM", "FORENAME", "VORNAME", "NOMBRES", "SECONDARY IDENT"),
    "date_of_birth": ("DATE OF BIRTH", "BIRTH", "NAISSANCE", "GEBURTSDATUM", "NACIMIENTO"),
    "expiry_date": ("EXPIRY", "EXPIRATION", "VALID UNTIL", "DATE OF EXP", "GULTIG BIS"),
    "document_number": (
        "DOCUMENT NO",
        "PASSPORT NO",
        "DOCUMENT NUMBER",
        "PASSPORT NUMBER",
        "CARD NO",
        "NUMERO",
    ),
    "sex": ("SEX", "SEXE", "GESCHLECHT", "SEXO"),
    "nationality": ("NATIONALITY", "NATIONALITE", "STAATSANGEHORIGKEIT", "NACIONALIDAD"),
}

_FIRST_PASS_ASPECT = 7.0

_DATE_PATTERNS = (
    # 14.03.1985  14/03/85  14-03-1985
    re.compile(r"\b(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})\b"),
    # 1985-03-14
    re.compile(r"\b(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\b"),
    # 14 MAR 1985, 12 AUG/AOUT 74, 12 AUGUST/AOUT 74
    re.compile(r"\b(\d{1,2})\s*([A-ZÀ-Ý]{3,9})(?:\s*/\s*[A-ZÀ-Ý]{3,9})?\s*(\d{4}|\d{2})\b"),
)


def fold(text: str) -> str:
    """Upper case without accents (É -> E), for comparing labels and names."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _year(value: int, *, kind: str, today: dt.date) -> int:
    if value >= 100:
        return value
    if kind == "birth":
        return 2000 + value if 2000 + value <= today.year else 1900 + value
    return 2000 + value if 2000 + value <= today.year + 50 else 1900 + value


def parse_viz_date(
    text: str, *, kind: str = "birth", today: dt.date | None = None
) -> dt.date | None:
    """The first date in ``text``: 14.03.1985, 14 MAR 1985, 1985-03-14, 14/03/85,
    12 AUG/AOUT 74 (day first; two-digit years by ``kind``: birth dates in the past).

    Returns:
        The date, or None when no valid date is found.
    """
    today = today or dt.date.today()
    upper = fold(text)
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(upper):
            a, b, c = match.groups()
            try:
                if pattern is _DATE_PATTERNS[1]:
                    return dt.date(int(a), int(b), int(c))
                if pattern is _DATE_PATTERNS[2]:
                    month = MONTHS.get(b[:4]) or MONTHS.get(b[:3])
                    if month is None:
                        continue
                    return dt.date(_year(int(c), kind=kind, today=today), month, int(a))
                return dt.date(_year(int(c), kind=kind, today=today), int(b), int(a))
            except ValueError:
                continue
    return None


def _label_of(text: str) -> tuple[str, str] | None:
    """(field, rest of the line after the label) when ``text`` holds a label."""
    folded = fold(text)
    best: tuple[int, str, str] | None = None
    for name, words in LABELS.items():
        for word in words:
            pos = folded.find(word)
            if pos < 0:
                continue
            # "NOM" inside "PRENOMS" is the given-names label, not the surname's
            if word == "NOM" and ("PRENOM" in folded or "NOMBRE" in folded):
                continue
            if word == "SEX" and "SEXE" in folded and name == "sex":
                word = "SEXE"
            if best is None or len(word) > best[0]:
                rest = text[pos + len(word) :]
                best = (len(word), name, rest)
    if best is None:
        return None
    return best[1], best[2]


def _clean_rest(rest: str) -> str:
    """The value part after a label on the same line ("/ Nom: ERIKSSON" -> "ERIKSSON")."""
    parts = re.split(r"[:/]", rest)
    tail = parts[-1].strip() if parts else ""
    return tail if tail and tail.upper() == tail and any(c.isalnum() for c in tail) else ""


def _value_below(lines: Sequence[TextLine], index: int) -> TextLine | None:
    """The line right under ``lines[index]``, left-aligned with it; None when the
    nearest line there is another label (the field is empty or was not detected)."""
    label = lines[index].box
    best: tuple[float, TextLine] | None = None
    for other in lines:
        if other is lines[index]:
            continue
        box = other.box
        # centre to centre: detector boxes are grown and may overlap on tight layouts
        dy = (box.y + box.h / 2) - (label.y + label.h / 2)
        if dy < 0.25 * label.h or dy > 3.0 * max(label.h, box.h):
            continue
        if abs(box.x - label.x) > max(2.5 * label.h, 0.25 * label.w):
            continue
        if best is None or dy < best[0]:
            best = (dy, other)
    if best is None:
        return None
    value = best[1]
    if _label_of(value.text) is not None or any(c.islower() for c in value.text):
        return None  # labels are mixed case; values are capitals and digits
    return value


def _normalise(name: str, raw: str, today: dt.date) -> str | None:
    text = raw.strip()
    if name in ("date_of_birth", "expiry_date"):
        kind = "birth" if name == "date_of_birth" else "expiry"
        parsed = parse_viz_date(text, kind=kind, today=today)
        return parsed.isoformat() if parsed else None
    if name == "sex":
        letter = fold(text).replace("/", " ").split()
        first = letter[0][:1] if letter else ""
        return {"M": "M", "F": "F", "X": "X", "H": "M"}.get(first)
    if name == "document_number":
        compact = re.sub(r"[^A-Z0-9]", "", fold(text))
        return compact or None
    if name == "nationality":
        words = [w for w in re.findall(r"[A-Z]+", fold(text)) if w not in MONTHS]
        return words[0] if words else None
    if any(c.isdigit() for c in text):
        return None  # a name never holds digits: this is another field's value
    cleaned = " ".join(re.sub(r"[^A-Z\- ']", " ", fold(text)).split())
    return cleaned or None


def extract_fields(lines: Sequence[TextLine], *, today: dt.date) -> tuple[VizField, ...]:
    """Fields found by their labels; each field once (the first label wins)."""
    ordered = sorted(lines, key=lambda ln: (ln.box.y, ln.box.x))
    found: dict[str, VizField] = {}
    for i, line in enumerate(ordered):
        labelled = _label_of(line.text)
        if labelled is None:
            continue
        name, rest = labelled
        if name in found:
            continue
        source: TextLine | None = None
        raw = _clean_rest(rest)
        if raw:
            source = line
        else:
            source = _value_below(ordered, i)
            raw = source.text if source else ""
        if source is None or not raw:
            continue
        value = _normalise(name, raw, today)
        if value:
            found[name] = VizField(name, value, raw, source.confidence, source.box)
    return tuple(found.values())


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _compact(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", fold(text))


def compare(name: str, mrz_value: str, viz_value: str | None) -> Agreement:
    """MRZ versus visual-zone value for one field.

    Names compare without spaces, hyphens and accents, and a visual name may be
    longer than the MRZ's (the MRZ truncates); nationality agrees when the visual
    zone prints the code or a word starting with it (UTOPIAN for UTO).
    """
    if not mrz_value or not viz_value:
        return Agreement.MISSING
    a, b = _compact(mrz_value), _compact(viz_value)
    if name == "nationality":
        return Agreement.AGREE if b == a or b.startswith(a) else Agreement.DISAGREE
    if name in ("surname", "given_names") and len(a) >= 8 and b.startswith(a):
        return Agreement.AGREE  # the MRZ may have truncated a long name
    if a == b:
        return Agreement.AGREE
    if name in ("surname", "given_names", "document_number") and _edit_distance(a, b) <= 1:
        return Agreement.UNCERTAIN
    return Agreement.DISAGREE


_COMPARED = (
    "surname",
    "given_names",
    "date_of_birth",
    "expiry_date",
    "document_number",
    "sex",
    "nationality",
)


def consistency(record: MrzRecord, viz: VizRecord) -> tuple[ConsistencyCheck, ...]:
    """MRZ versus visual zone, field by field (labelled values, else a search of every line)."""
    texts = [_compact(ln.text) for ln in viz.lines]
    dates = [d for ln in viz.lines for d in _all_dates(ln.text)]
    out: list[ConsistencyCheck] = []
    for name in _COMPARED:
        mrz_value = record.value(name)
        labelled = viz.field(name)
        if labelled is not None:
            agreement = compare(name, mrz_value, labelled.value)
        elif not mrz_value:
            agreement = Agreement.MISSING
        elif name in ("date_of_birth", "expiry_date"):
            agreement = Agreement.AGREE if mrz_value in dates else Agreement.MISSING
        elif name in ("surname", "given_names", "document_number"):
            target = _compact(mrz_value)
            hit = len(target) >= 3 and any(target == t for t in texts)
            agreement = Agreement.AGREE if hit else Agreement.MISSING
        else:
            agreement = Agreement.MISSING
        out.append(ConsistencyCheck(name, agreement))
    # a MyKad number carries the birth date: it must match the MRZ's
    for nid in viz.national_ids:
        if nid.date_of_birth is not None and record.date_of_birth is not None:
            same = nid.date_of_birth == record.date_of_birth
            out.append(
                ConsistencyCheck(
                    f"{nid.scheme}_birth_date", Agreement.AGREE if same else Agreement.DISAGREE
                )
            )
    return tuple(out)


def _all_dates(text: str) -> list[str]:
    out = []
    for kind in ("birth", "expiry"):
        parsed = parse_viz_date(text, kind=kind)
        if parsed:
            out.append(parsed.isoformat())
    return out


def read_viz(
    ocr: Any,
    pixels: np.ndarray[Any, Any],
    *,
    rotation: int = 0,
    exclude: Quad | None = None,
    today: dt.date | None = None,
    detect_side: int = 640,
    max_aspect: float = 16.0,
    check_upside_down: bool = False,
) -> VizRecord:
    """Detect and read the visual zone's text lines, then extract fields.

    Args:
        ocr: a :class:`~pipeline.document.ocr_rapid.RapidOcr`.
        pixels: the analysed page, HxWx3 uint8 BGR.
        rotation: clockwise degrees to turn the page upright (from the MRZ).
        exclude: the MRZ quad (analysed-image pixels); lines inside it are skipped.
        today: reference date for two-digit years.
        detect_side: long side in pixels the detector works at (cost grows with its square).
        max_aspect: crops are cut to this width/height before recognition: the
            recogniser's cost grows with width, and labels and values are short.
        check_upside_down: when ``rotation`` is a guess (no MRZ), let the 0/180
            degree line classifier turn the page if most lines read upside down.
    """
    import cv2

    today = today or dt.date.today()
    page = rotate_page(pixels, rotation)
    size = (int(pixels.shape[1]), int(pixels.shape[0]))
    detections = ocr.detect(page, limit_side=detect_side)
    zone = None
    if exclude is not None:
        zone = np.array(exclude, np.float32).reshape(-1, 1, 2)
    from pipeline.document.ocr_rapid import crop_quad

    kept: list[tuple[Quad, Any]] = []
    kept_page: list[Quad] = []
    for det in detections:
        quad_page = det.quad
        quad: Quad = tuple(  # type: ignore[assignment]
            unrotate_point(p, rotation, size) for p in quad_page
        )
        if zone is not None:
            cx = float(np.mean([p[0] for p in quad]))
            cy = float(np.mean([p[1] for p in quad]))
            if cv2.pointPolygonTest(zone, (cx, cy), False) >= 0:
                continue
        crop = crop_quad(page, quad_page)
        if crop.shape[0] < 6 or crop.shape[1] < 6:
            continue
        kept.append((quad, crop))
        kept_page.append(quad_page)
    if check_upside_down and kept:
        # No MRZ told us which way is up: ask the 0/180 line classifier.
        flips = ocr.upside_down([crop for _, crop in kept])
        if float(np.median(flips)) > 0.5:
            return read_viz(
                ocr,
                pixels,
                rotation=(rotation + 180) % 360,
                exclude=exclude,
                today=today,
                detect_side=detect_side,
                max_aspect=max_aspect,
                check_upside_down=False,
            )
    # First pass on the first few characters only: enough to tell a label, and
    # most values are short. Lines cut short that are not labels are read again whole.
    short = [crop[:, : int(crop.shape[0] * _FIRST_PASS_ASPECT)] for _, crop in kept]
    texts = ocr.recognise(short)
    again = [
        i
        for i, ((_, crop), text) in enumerate(zip(kept, texts, strict=True))
        if crop.shape[1] > short[i].shape[1] and _label_of(text.text) is None
    ]
    if again:
        full = ocr.recognise(
            [kept[i][1][:, : int(kept[i][1].shape[0] * max_aspect)] for i in again]
        )
        for i, text in zip(again, full, strict=True):
            texts[i] = text
    keep = [i for i, t in enumerate(texts) if t.text and t.confidence >= 0.5]
    lines = tuple(TextLine(texts[i].text, texts[i].confidence, kept[i][0]) for i in keep)
    # labels and values pair up in the upright page ("below" means below there);
    # the boxes reported are then mapped back to the analysed image
    upright = [TextLine(texts[i].text, texts[i].confidence, kept_page[i]) for i in keep]
    back = {id(u): ln.box for u, ln in zip(upright, lines, strict=True)}
    by_box = {u.box: back[id(u)] for u in upright}
    fields = tuple(
        dataclasses.replace(f, box=by_box.get(f.box, f.box))
        for f in extract_fields(upright, today=today)
    )
    return VizRecord(fields, find_national_ids(ln.text for ln in lines), lines)
