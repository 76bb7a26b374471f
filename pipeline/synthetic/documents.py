"""Seeded renderer of synthetic identity documents (ICAO 9303 layouts) at 300 dpi.

Every document is drawn in code from a seed: a tinted, guilloche-patterned
card or page, a visual zone (labels and values, dates in several formats),
a portrait area (a supplied face, else a neutral silhouette), an optional
ghost image, and the machine-readable zone in OCR-B (Debian ``fonts-ocr-b``)
at the ICAO pitch of 10 characters per inch. :func:`degrade_hard` applies
the evaluation's "hard" capture recipe.

Nothing here reads personal data: names are built from syllables, numbers
and dates are drawn from the seed.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.document.mrz_format import FILLER, MrzFormat, check_digit
from pipeline.types import Box

DPI = 300
MM = DPI / 25.4  # pixels per millimetre at 300 dpi
OCRB_FONT = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
SANS_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SANS_BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# Page sizes (width, height) in millimetres, ICAO 9303 parts 4-7.
_PAGE_MM = {
    MrzFormat.TD1: (85.6, 53.98),
    MrzFormat.TD2: (105.0, 74.0),
    MrzFormat.TD3: (125.0, 88.0),
    MrzFormat.MRVA: (120.0, 80.0),
    MrzFormat.MRVB: (108.0, 80.0),
}
_MRZ_PITCH_MM = 2.54  # 10 characters per inch
_MRZ_LINE_MM = 4.23  # 6 lines per inch (TD3/TD2/MRV); TD1 uses the same pitch
_MRZ_CAP_MM = 2.35

DATE_FORMATS = ("dd.mm.yyyy", "dd MMM yyyy", "yyyy-mm-dd", "dd/mm/yy")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_SYLLABLE_TEXT = (
    "KA LO ME RA TI NO SA VU DE LI MA RO BE TA NI KO SU ZE GA HA JO PE QU WI XA YO AN EL OR "
    "IS UL EN AR ON IK OS BRA STEN DOR VAL MIR KEL TOR FEN GAL SOR"
)
_SYLLABLES = tuple(_SYLLABLE_TEXT.split())
_STATES = ("UTO", "D", "NLD", "FRA", "SGP", "MYS", "CAN", "ITA", "SWE", "NZL", "GBR", "ESP")


@dataclass(frozen=True, slots=True)
class Identity:
    """The person and document data printed on a synthetic document.

    Attributes:
        surname, given_names: A-Z and spaces.
        document_number: up to 9 characters A-Z 0-9 (TD1 may take more).
        nationality, issuing_state: ICAO codes ("D" for Germany).
        date_of_birth, expiry_date: calendar dates.
        sex: "M", "F" or "X".
        optional_data: personal number (TD3) or optional data, A-Z 0-9, may be "".
        national_id: a national ID number printed in the visual zone, or None.
        document_code: "P" passport, "I" ID card, "V" visa (second letter may follow).
    """

    surname: str
    given_names: str
    document_number: str
    nationality: str
    issuing_state: str
    date_of_birth: dt.date
    sex: str
    expiry_date: dt.date
    optional_data: str = ""
    national_id: str | None = None
    document_code: str = "P"


@dataclass(frozen=True, slots=True)
class DocumentTruth:
    """Ground truth of a rendered document.

    Attributes:
        format: the MRZ layout.
        identity: every printed field.
        mrz_lines: the exact MRZ lines, as printed.
        date_format: how the visual zone prints dates (one of ``DATE_FORMATS``).
    """

    format: MrzFormat
    identity: Identity
    mrz_lines: tuple[str, ...]
    date_format: str


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """A rendered document.

    Attributes:
        image: HxWx3 uint8 BGR at 300 dpi.
        truth: what is printed on it.
        portrait_box: the main portrait's area in pixels of ``image``.
        mrz_box: the MRZ's area in pixels of ``image``.
    """

    image: np.ndarray[Any, np.dtype[np.uint8]]
    truth: DocumentTruth
    portrait_box: Box
    mrz_box: Box


# --- MRZ composition -------------------------------------------------------------


def _mrz_text(text: str, length: int) -> str:
    """Upper-case A-Z 0-9 with spaces and hyphens as fillers, padded or truncated."""
    out = "".join(c if c.isalnum() and c.isascii() else FILLER for c in text.upper())
    return (out + FILLER * length)[:length]


def _mrz_date(value: dt.date) -> str:
    return value.strftime("%y%m%d")


def _names(surname: str, given: str, length: int) -> str:
    surname_part = _mrz_text(surname, len(surname))
    given_part = FILLER.join(given.upper().split())
    return _mrz_text(surname_part + FILLER * 2 + given_part, length)


def compose_mrz(fmt: MrzFormat, who: Identity) -> tuple[str, ...]:
    """The MRZ lines for ``who`` in layout ``fmt``, with every check digit computed.

    Raises:
        ValueError: a field does not fit (TD2/TD3/MRV document numbers longer than 9).
    """
    code = _mrz_text(who.document_code, 2)
    state = _mrz_text(who.issuing_state, 3)
    nat = _mrz_text(who.nationality, 3)
    dob = _mrz_date(who.date_of_birth)
    exp = _mrz_date(who.expiry_date)
    sex = who.sex if who.sex in ("M", "F") else FILLER
    if fmt is MrzFormat.TD1:
        number = _mrz_text(who.document_number, len(who.document_number))
        if len(number) <= 9:
            num_part = _mrz_text(number, 9) + str(check_digit(_mrz_text(number, 9)))
            opt1 = _mrz_text(who.optional_data, 15)
        else:
            num_part = number[:9] + FILLER
            rest = number[9:] + str(check_digit(number))
            opt1 = _mrz_text(rest + FILLER + who.optional_data if who.optional_data else rest, 15)
        line1 = code + state + num_part + opt1
        opt2 = FILLER * 11
        line2_head = dob + str(check_digit(dob)) + sex + exp + str(check_digit(exp)) + nat + opt2
        composite = check_digit(
            line1[5:30] + line2_head[0:7] + line2_head[8:15] + line2_head[18:29]
        )
        line2 = line2_head + str(composite)
        line3 = _names(who.surname, who.given_names, 30)
        return (line1, line2, line3)
    if len(who.document_number) > 9:
        raise ValueError("document numbers longer than 9 characters only fit TD1")
    length = fmt.shape[1]
    number = _mrz_text(who.document_number, 9)
    line1 = code + state + _names(who.surname, who.given_names, length - 5)
    head = (
        number
        + str(check_digit(number))
        + nat
        + dob
        + str(check_digit(dob))
        + sex
        + exp
        + str(check_digit(exp))
    )
    if fmt is MrzFormat.TD3:
        personal = _mrz_text(who.optional_data, 14)
        personal_check = (
            str(check_digit(personal)) if personal.strip(FILLER) else FILLER
        )  # ICAO allows '<' or '0' for an empty personal number; '<' is the common case
        body = head + personal + personal_check
        return (line1, body + str(check_digit(body[0:10] + body[13:20] + body[21:43])))
    if fmt is MrzFormat.TD2:
        body = head + _mrz_text(who.optional_data, 7)
        return (line1, body + str(check_digit(body[0:10] + body[13:20] + body[21:35])))
    return (line1, head + _mrz_text(who.optional_data, length - 28))


# --- identities ---------------------------------------------------------------------


def _word(rng: np.random.Generator, lo: int, hi: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(int(rng.integers(lo, hi + 1))))


def _alnum(rng: np.random.Generator, n: int, letters_share: float) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(
        str(rng.choice(list(letters))) if rng.random() < letters_share else str(rng.integers(0, 10))
        for _ in range(n)
    )


def random_identity(
    fmt: MrzFormat, rng: np.random.Generator, *, today: dt.date | None = None
) -> Identity:
    """A plausible random identity for layout ``fmt`` (syllable names, seeded)."""
    today = today or dt.date(2026, 1, 1)
    surname = _word(rng, 2, 4)
    if rng.random() < 0.12:
        surname = f"{_word(rng, 1, 2)} {surname}"
    given = " ".join(_word(rng, 1, 3) for _ in range(int(rng.integers(1, 3))))
    limit = fmt.shape[1] - (0 if fmt is MrzFormat.TD1 else 5) - 2
    while len(surname) + len(given) + 1 > limit and " " in given:
        given = given.rsplit(" ", 1)[0]
    birth = today - dt.timedelta(days=int(rng.integers(18 * 365, 85 * 365)))
    expiry = today + dt.timedelta(days=int(rng.integers(-400, 10 * 365)))
    state = str(rng.choice(_STATES))
    nationality = state if rng.random() < 0.8 else str(rng.choice(_STATES))
    first = str(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ")))
    number = first + _alnum(rng, int(rng.integers(7, 9)), 0.3)
    if fmt is MrzFormat.TD1 and rng.random() < 0.1:
        number = first + _alnum(rng, 11, 0.2)  # an overflowing TD1 number
    code = {
        MrzFormat.TD3: "P",
        MrzFormat.TD2: "I",
        MrzFormat.TD1: str(rng.choice(["I", "ID", "AC"])),
        MrzFormat.MRVA: "V",
        MrzFormat.MRVB: "V",
    }[fmt]
    optional = ""
    if fmt in (MrzFormat.TD3, MrzFormat.TD1) and rng.random() < 0.5:
        optional = _alnum(rng, int(rng.integers(5, 11)), 0.2)
    national_id = None
    if rng.random() < 0.3:
        national_id = _national_id(rng, birth)
    return Identity(
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=nationality,
        issuing_state=state,
        date_of_birth=birth,
        sex=str(rng.choice(["M", "F"])),
        expiry_date=expiry,
        optional_data=optional,
        national_id=national_id,
        document_code=code,
    )


def _national_id(rng: np.random.Generator, birth: dt.date) -> str:
    from pipeline.document.national_ids import mykad_number, nric_number

    if rng.random() < 0.5:
        return nric_number(str(rng.choice(list("STFG"))), int(rng.integers(0, 10_000_000)))
    return mykad_number(birth, int(rng.integers(1, 17)), int(rng.integers(0, 10_000)))


# --- drawing --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _font(path: Path, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def format_date(value: dt.date, style: str) -> str:
    """``value`` printed the way a visual zone prints it (see ``DATE_FORMATS``).

    Raises:
        ValueError: unknown style.
    """
    if style == "dd.mm.yyyy":
        return value.strftime("%d.%m.%Y")
    if style == "dd MMM yyyy":
        return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year}"
    if style == "yyyy-mm-dd":
        return value.isoformat()
    if style == "dd/mm/yy":
        return value.strftime("%d/%m/%y")
    raise ValueError(f"unknown date style {style!r}")


def _background(w: int, h: int, rng: np.random.Generator) -> Any:
    from PIL import Image

    tint = np.array([rng.integers(225, 250), rng.integers(228, 252), rng.integers(225, 250)])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    freq = rng.uniform(0.015, 0.03)
    phase = rng.uniform(0, 2 * np.pi)
    wave = np.sin(xx * freq + 6.0 * np.sin(yy * freq * 0.7 + phase)) * 0.5 + 0.5
    pattern = (wave > 0.93).astype(np.float32) * rng.uniform(10, 22)
    rgb = np.clip(tint[None, None, :] - pattern[:, :, None], 0, 255).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def _silhouette(w: int, h: int, rng: np.random.Generator) -> Any:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (w, h), (214, 220, 226))
    draw = ImageDraw.Draw(img)
    tone = int(rng.integers(120, 160))
    draw.ellipse((w * 0.3, h * 0.16, w * 0.7, h * 0.6), fill=(tone, tone, tone + 10))
    draw.ellipse((w * 0.08, h * 0.62, w * 0.92, h * 1.35), fill=(tone - 30, tone - 30, tone - 20))
    return img


def _portrait_image(portrait: np.ndarray[Any, Any] | None, w: int, h: int, rng: Any) -> Any:
    from PIL import Image

    if portrait is None:
        return _silhouette(w, h, rng)
    if portrait.ndim != 3 or portrait.shape[2] != 3 or portrait.dtype != np.uint8:
        raise ValueError("portrait must be an HxWx3 uint8 BGR array")
    ph, pw = portrait.shape[:2]
    target = w / h
    if pw / ph > target:  # crop the sides to the portrait aspect
        nw = int(ph * target)
        x0 = (pw - nw) // 2
        crop = portrait[:, x0 : x0 + nw]
    else:
        nh = int(pw / target)
        y0 = max(0, (ph - nh) // 3)
        crop = portrait[y0 : y0 + nh]
    return Image.fromarray(np.ascontiguousarray(crop[:, :, ::-1])).resize(
        (w, h), Image.Resampling.LANCZOS
    )


def render_document(
    kind: MrzFormat | str,
    seed: int,
    *,
    identity: Identity | None = None,
    portrait: np.ndarray[Any, Any] | None = None,
    ghost: bool | None = None,
    date_format: str | None = None,
) -> RenderedDocument:
    """Render a synthetic document at 300 dpi.

    Args:
        kind: TD1, TD2, TD3, MRV-A or MRV-B (enum or its value).
        seed: drives the identity (unless given), colours, pattern and layout choices.
        identity: the data to print; random from ``seed`` when None.
        portrait: a face photo (HxWx3 uint8 BGR) pasted into the portrait area,
            cropped to its aspect; a neutral silhouette when None.
        ghost: add a faded second portrait (default: seeded choice).
        date_format: one of ``DATE_FORMATS`` (default: seeded choice).

    Returns:
        The image, its ground truth, and the portrait and MRZ boxes.

    Raises:
        ValueError: unknown kind or date format, or a malformed portrait array.
    """
    from PIL import ImageDraw

    fmt = kind if isinstance(kind, MrzFormat) else MrzFormat(kind)
    rng = np.random.default_rng(seed)
    who = identity or random_identity(fmt, rng)
    style = date_format or str(rng.choice(DATE_FORMATS))
    if style not in DATE_FORMATS:
        raise ValueError(f"unknown date format {style!r}")
    with_ghost = bool(rng.random() < 0.4) if ghost is None else ghost
    lines = compose_mrz(fmt, who)

    w_mm, h_mm = _PAGE_MM[fmt]
    width, height = round(w_mm * MM), round(h_mm * MM)
    page = _background(width, height, rng)
    draw = ImageDraw.Draw(page)

    # MRZ: bottom of the page, fixed pitch, one glyph per cell.
    n_lines, length = fmt.shape
    pitch = _MRZ_PITCH_MM * MM
    line_gap = _MRZ_LINE_MM * MM
    ocrb = _font(OCRB_FONT, round(_MRZ_CAP_MM * MM / 0.68))
    x0 = (width - pitch * length) / 2
    bottom = height - 5.0 * MM
    top = bottom - line_gap * n_lines
    ink = tuple(int(v) for v in rng.integers(0, 40, size=3))
    for i, line in enumerate(lines):
        y = top + i * line_gap + (line_gap - _MRZ_CAP_MM * MM) / 2
        for j, char in enumerate(line):
            cw = draw.textlength(char, font=ocrb)
            draw.text((x0 + j * pitch + (pitch - cw) / 2, y), char, font=ocrb, fill=ink)
    mrz_box = Box(x0 - 0.5 * MM, top - 0.5 * MM, pitch * length + MM, line_gap * n_lines + MM)

    # Portrait: left side of the visual zone, 35:45 aspect.
    viz_top = 14.0 * MM if fmt is not MrzFormat.TD1 else 9.0 * MM
    viz_bottom = top - 2.0 * MM
    ph = int(viz_bottom - viz_top)
    pw = int(ph * 35 / 45)
    px = int(5.0 * MM)
    py = int(viz_top)
    page.paste(_portrait_image(portrait, pw, ph, rng), (px, py))
    portrait_box = Box(float(px), float(py), float(pw), float(ph))

    # Header.
    title = {"P": "PASSPORT", "I": "IDENTITY CARD", "A": "IDENTITY CARD", "V": "VISA"}.get(
        who.document_code[:1], "TRAVEL DOCUMENT"
    )
    head_font = _font(SANS_BOLD_FONT, round(3.2 * MM))
    draw.text((px, 3.0 * MM), f"{who.issuing_state}  {title}", font=head_font, fill=(30, 30, 60))

    # Visual zone: label above value, two columns right of the portrait.
    small = fmt is MrzFormat.TD1
    label_font = _font(SANS_FONT, round((1.3 if small else 1.6) * MM))
    value_font = _font(SANS_BOLD_FONT, round((2.2 if small else 2.6) * MM))
    col_x = (px + pw + 4.0 * MM, px + pw + 4.0 * MM + (width - px - pw - 8.0 * MM) / 2)
    sex_text = {"M": "M", "F": "F"}.get(who.sex, "X")
    entries = [
        ("Surname / Nom", who.surname),
        ("Given names / Prénoms", who.given_names),
        ("Date of birth", format_date(who.date_of_birth, style)),
        ("Sex", sex_text),
        ("Nationality", who.nationality),
        ("Document No.", who.document_number),
        ("Date of expiry", format_date(who.expiry_date, style)),
    ]
    if who.national_id:
        entries.append(("National ID No.", who.national_id))
    row_h = 4.1 * MM if small else 6.4 * MM
    wide = {"Surname / Nom", "Given names / Prénoms"}
    x_col, y = 0, viz_top
    for label, value in entries:
        x = col_x[x_col]
        if y + row_h > viz_bottom:
            break
        draw.text((x, y), label, font=label_font, fill=(70, 70, 90))
        draw.text((x, y + (1.6 if small else 2.0) * MM), value, font=value_font, fill=(10, 10, 20))
        if label in wide or x_col == 1:
            x_col, y = 0, y + row_h
        else:
            x_col = 1

    if with_ghost:
        gw, gh = pw // 3, ph // 3
        ghost_img = _portrait_image(portrait, gw, gh, rng).convert("L").convert("RGB")
        faded = np.asarray(ghost_img, dtype=np.float32) * 0.35 + 255 * 0.65
        from PIL import Image

        gx = int(width - gw - 5.0 * MM)
        gy = int(viz_bottom - gh)
        page.paste(Image.fromarray(faded.astype(np.uint8)), (gx, gy))

    rgb = np.asarray(page, dtype=np.uint8)
    image = np.ascontiguousarray(rgb[:, :, ::-1])
    truth = DocumentTruth(fmt, who, lines, style)
    return RenderedDocument(image, truth, portrait_box, mrz_box)


def place_on_background(
    doc: RenderedDocument, margin: int, *, colour: tuple[int, int, int] = (60, 60, 60)
) -> RenderedDocument:
    """The document on a plain background ``margin`` pixels wide on every side
    (a photo or scan that does not crop tightly); boxes move with it."""
    h, w = doc.image.shape[:2]
    canvas = np.empty((h + 2 * margin, w + 2 * margin, 3), np.uint8)
    canvas[:] = colour
    canvas[margin : margin + h, margin : margin + w] = doc.image

    def shift(box: Box) -> Box:
        return Box(box.x + margin, box.y + margin, box.w, box.h)

    return replace(
        doc, image=canvas, portrait_box=shift(doc.portrait_box), mrz_box=shift(doc.mrz_box)
    )


def degrade_hard(
    image: np.ndarray[Any, Any], rng: np.random.Generator
) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The evaluation's "hard" capture: rotation up to 4 degrees, Gaussian blur with
    sigma 0.6-1.4, Gaussian noise with sigma 5-12, an exposure change (gain
    0.75-1.2, gamma 0.8-1.25) and JPEG at quality 70-92.

    Args:
        image: HxWx3 uint8 BGR.
        rng: the seeded generator that draws every parameter.

    Returns:
        A new HxWx3 uint8 BGR image (larger by the rotation's margin).
    """
    import cv2

    h, w = image.shape[:2]
    angle = float(rng.uniform(-4.0, 4.0))
    rad = np.deg2rad(abs(angle))
    nw = int(np.ceil(w * np.cos(rad) + h * np.sin(rad))) + 8
    nh = int(np.ceil(h * np.cos(rad) + w * np.sin(rad))) + 8
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 2] += (nw - w) / 2
    matrix[1, 2] += (nh - h) / 2
    paper = tuple(int(v) for v in rng.integers(200, 250, size=3))
    out = cv2.warpAffine(image, matrix, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=paper).astype(
        np.float32
    )
    sigma = float(rng.uniform(0.6, 1.4))
    out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma), np.float32)
    gain = float(rng.uniform(0.75, 1.2))
    gamma = float(rng.uniform(0.8, 1.25))
    out = (255.0 * np.power(np.clip(out * gain / 255.0, 0, 1), gamma)).astype(np.float32)
    out += rng.normal(0.0, float(rng.uniform(5.0, 12.0)), size=out.shape)
    out8 = np.clip(out, 0, 255).astype(np.uint8)
    quality = int(rng.integers(70, 93))
    ok, buf = cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        return out8
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))
