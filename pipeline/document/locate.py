"""Find the machine-readable zone on a page, in any 90-degree rotation, and cut
its lines out deskewed.

The MRZ is a block of 2 or 3 long, parallel, equally long and equally spaced
lines of same-height characters. A black-hat filter keeps dark strokes, a
horizontal gradient plus a closing turns each text line into one blob, and
the blobs are grouped into candidate zones. This is PassportEye's idea
(after Hans Boone) redone in OpenCV on lines rather than on the whole block,
so each line's own angle and extent are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.document.types import Quad

_WORK_SIDE = 1000  # analyse at most this many pixels along the long side
_MIN_ASPECT = 8.0
_MAX_LINE_WIDTH = 6000  # a 44-character line at 40 px is about 2200 px wide


@dataclass(frozen=True, slots=True)
class LineGeometry:
    """One text line in a page orientation, in pixels of the (rotated) full-size page.

    Attributes:
        center: (x, y) of the line's centre.
        length: extent along the line.
        height: extent across the line (the blob height, about the cap height).
        angle_deg: counter-clockwise tilt of the baseline from horizontal.
    """

    center: tuple[float, float]
    length: float
    height: float
    angle_deg: float


@dataclass(frozen=True, slots=True)
class ZoneCandidate:
    """A group of parallel lines that may be an MRZ.

    Attributes:
        rotation: clockwise degrees (0, 90, 180, 270) the page is turned for the lines
            to run left to right; geometry is in pixels of the page so turned.
        lines: top to bottom.
        score: higher is more MRZ-like.
    """

    rotation: int
    lines: tuple[LineGeometry, ...]
    score: float

    @property
    def angle_deg(self) -> float:
        return float(np.median([ln.angle_deg for ln in self.lines]))


def rotate_page(image: np.ndarray[Any, Any], rotation: int) -> np.ndarray[Any, Any]:
    """``image`` turned clockwise by ``rotation`` (0, 90, 180, 270) degrees."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, -k)) if k else image


def unrotate_point(
    point: tuple[float, float], rotation: int, size: tuple[int, int]
) -> tuple[float, float]:
    """A point of the page turned by ``rotation`` back in the unturned page.

    Args:
        point: (x, y) in the turned page.
        rotation: clockwise degrees the page was turned.
        size: (width, height) of the unturned page.
    """
    x, y = point
    w, h = size
    k = (rotation // 90) % 4
    if k == 0:
        return (x, y)
    if k == 1:  # turned clockwise: x' = h - 1 - y, y' = x
        return (y, h - 1 - x)
    if k == 2:
        return (w - 1 - x, h - 1 - y)
    return (w - 1 - y, x)


def _line_blobs(grey: np.ndarray[Any, Any]) -> list[LineGeometry]:
    """Long thin text-line blobs in ``grey`` (already at working scale)."""
    import cv2

    h, w = grey.shape
    unit = max(3, round(max(h, w) / 160))  # about a character's stroke scale
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (unit * 3, unit * 2))
    hat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel)
    grad = np.abs(cv2.Sobel(hat, cv2.CV_32F, 1, 0, ksize=3))
    peak = float(grad.max())
    if peak <= 0:
        return []
    grad8 = (grad * (255.0 / peak)).astype(np.uint8)
    closed = cv2.morphologyEx(
        grad8, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (unit * 4, 1))
    )
    _, binary = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (unit * 3, 3))
    )
    binary = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (unit, unit))
    )
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    pieces: list[LineGeometry] = []
    for contour in contours:
        if len(contour) < 5:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        length, height = (rw, rh) if rw >= rh else (rh, rw)
        if rw < rh:
            angle -= 90.0
        # minAreaRect angles: keep the tilt in (-45, 45]
        while angle > 45:
            angle -= 90
        while angle <= -45:
            angle += 90
        if height < 2 or length < 2 * height or abs(angle) > 20:
            continue
        pieces.append(LineGeometry((float(cx), float(cy)), float(length), float(height), -angle))
    min_len = 0.18 * max(h, w)
    return [
        ln
        for ln in _merge_collinear(pieces)
        if ln.length >= min_len and ln.length / ln.height >= _MIN_ASPECT
    ]


def _merge_collinear(pieces: list[LineGeometry]) -> list[LineGeometry]:
    """Join pieces of one text line that the filter split (long filler runs blur away)."""
    merged = sorted(pieces, key=lambda p: p.center[0] - p.length / 2)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(merged):
            for j in range(i + 1, len(merged)):
                b = merged[j]
                joined = _join(a, b)
                if joined is not None:
                    merged[i] = joined
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def _join(a: LineGeometry, b: LineGeometry) -> LineGeometry | None:
    height = max(a.height, b.height)
    if abs(a.angle_deg - b.angle_deg) > 4.0 or min(a.height, b.height) < 0.5 * height:
        return None
    rad = np.deg2rad((a.angle_deg * a.length + b.angle_deg * b.length) / (a.length + b.length))
    ux, uy = np.cos(rad), -np.sin(rad)
    # positions along and across the (shared) line direction
    ta, tb = a.center[0] * ux + a.center[1] * uy, b.center[0] * ux + b.center[1] * uy
    na, nb = -a.center[0] * uy + a.center[1] * ux, -b.center[0] * uy + b.center[1] * ux
    if abs(na - nb) > 0.5 * height:
        return None
    lo = min(ta - a.length / 2, tb - b.length / 2)
    hi = max(ta + a.length / 2, tb + b.length / 2)
    gap = (hi - lo) - a.length - b.length
    if gap > 2.5 * height:
        return None
    mid_t = (lo + hi) / 2
    mid_n = (na * a.length + nb * b.length) / (a.length + b.length)
    cx = mid_t * ux - mid_n * uy
    cy = mid_t * uy + mid_n * ux
    angle = float(np.rad2deg(rad))
    return LineGeometry((float(cx), float(cy)), float(hi - lo), float(height), angle)


def _group(lines: list[LineGeometry]) -> list[tuple[tuple[LineGeometry, ...], float]]:
    """Runs of 2 or 3 parallel lines of similar length, evenly spaced, left-aligned."""
    ordered = sorted(lines, key=lambda ln: ln.center[1])
    groups: list[tuple[tuple[LineGeometry, ...], float]] = []
    for i, first in enumerate(ordered):
        chain = [first]
        for nxt in ordered[i + 1 :]:
            prev = chain[-1]
            gap = nxt.center[1] - prev.center[1]
            if gap <= 0.6 * prev.height:
                continue
            if gap > 4.0 * max(prev.height, nxt.height):
                break
            similar = 0.8 < nxt.length / prev.length < 1.25
            parallel = abs(nxt.angle_deg - prev.angle_deg) < 3.0
            left_prev = prev.center[0] - prev.length / 2
            left_next = nxt.center[0] - nxt.length / 2
            aligned = abs(left_prev - left_next) < 0.08 * prev.length + 2 * prev.height
            if similar and parallel and aligned:
                chain.append(nxt)
                if len(chain) == 3:
                    break
        for size in (3, 2):
            if len(chain) >= size:
                group = tuple(chain[:size])
                lengths = [g.length for g in group]
                evenness = min(lengths) / max(lengths)
                # a TD1's names line often blurs shorter at its filler-only end; the
                # 3-line group must still beat its own 2-line subset
                score = float(np.mean(lengths)) * evenness * (1.2 if size == 3 else 1.0)
                groups.append((group, score))
    return groups


def find_zones(grey: np.ndarray[Any, Any], *, max_candidates: int = 4) -> list[ZoneCandidate]:
    """Candidate MRZs on a page, best first, in the two line directions (0 and 90 degrees).

    The 0/180 (and 90/270) ambiguity is resolved by a position prior here (an
    MRZ sits in the lower part of its document) and checked later by OCR.

    Args:
        grey: HxW uint8 page.
        max_candidates: how many to return.

    Returns:
        Candidates with geometry in pixels of the full-size page turned by ``rotation``.
    """
    import cv2

    h, w = grey.shape
    scale = min(1.0, _WORK_SIDE / max(h, w))
    small = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    cands: list[ZoneCandidate] = []
    for base in (0, 90):
        page = rotate_page(small, base)
        ph = page.shape[0]
        for group, score in _group(_line_blobs(page)):
            cy = float(np.mean([g.center[1] for g in group]))
            # Position prior: an MRZ is in the lower half of its page; if this group
            # is in the upper half the page is probably upside down.
            flip = cy < 0.5 * ph
            rotation = (base + (180 if flip else 0)) % 360
            full = tuple(_to_full(g, scale, page.shape, flip) for g in group)
            if flip:
                full = full[::-1]
            cands.append(ZoneCandidate(rotation, full, score / scale))
    cands.sort(key=lambda c: -c.score)
    return _dedupe(cands)[:max_candidates]


def _to_full(line: LineGeometry, scale: float, shape: tuple[int, ...], flip: bool) -> LineGeometry:
    cx, cy = line.center[0] / scale, line.center[1] / scale
    if flip:
        full_w, full_h = shape[1] / scale, shape[0] / scale
        cx, cy = full_w - cx, full_h - cy
    return LineGeometry((cx, cy), line.length / scale, line.height / scale, line.angle_deg)


def _dedupe(cands: list[ZoneCandidate]) -> list[ZoneCandidate]:
    out: list[ZoneCandidate] = []
    for cand in cands:
        c0 = cand.lines[0].center
        if any(
            o.rotation % 180 == cand.rotation % 180
            and len(o.lines) == len(cand.lines)
            and any(
                abs(ln.center[0] - c0[0]) < ln.height and abs(ln.center[1] - c0[1]) < ln.height
                for ln in o.lines
            )
            for o in out
        ):
            continue
        out.append(cand)
    return out


def flipped(cand: ZoneCandidate, page_size: tuple[int, int]) -> ZoneCandidate:
    """The same zone read the other way up (rotation + 180 degrees).

    Args:
        cand: a candidate.
        page_size: (width, height) of the page turned by ``cand.rotation``.
    """
    w, h = page_size
    lines = tuple(
        LineGeometry((w - ln.center[0], h - ln.center[1]), ln.length, ln.height, ln.angle_deg)
        for ln in reversed(cand.lines)
    )
    return ZoneCandidate((cand.rotation + 180) % 360, lines, cand.score)


def extract_lines(
    page: np.ndarray[Any, Any], cand: ZoneCandidate, *, target_height: int = 40
) -> list[np.ndarray[Any, Any]]:
    """Each line of ``cand`` cut out of ``page`` (already turned by ``cand.rotation``),
    deskewed and scaled so the line blob is ``target_height`` pixels tall.

    Returns:
        HxW uint8 grey line images, top to bottom, with a margin of light background.
    """
    import cv2

    out: list[np.ndarray[Any, Any]] = []
    for line in _common_extent(cand.lines):
        scale = target_height / max(line.height, 1.0)
        margin_x = 0.6 * line.height
        margin_y = 0.45 * line.height
        out_w = round((line.length + 2 * margin_x) * scale)
        out_h = round((line.height + 2 * margin_y) * scale)
        if out_w < 8 or out_h < 8 or out_w > _MAX_LINE_WIDTH:
            continue  # degenerate geometry: a hairline blob would upscale to a huge image
        matrix = cv2.getRotationMatrix2D(line.center, -line.angle_deg, scale)
        matrix[0, 2] += out_w / 2 - line.center[0]
        matrix[1, 2] += out_h / 2 - line.center[1]
        crop = cv2.warpAffine(
            page,
            matrix,
            (out_w, out_h),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )
        out.append(crop)
    return out


def _common_extent(lines: Sequence[LineGeometry]) -> list[LineGeometry]:
    """Give every line the zone's common left and right ends: MRZ lines are equally
    long and left-aligned, and a line whose blob lost a faint first or last
    character would otherwise be cut short."""
    if len(lines) < 2:
        return list(lines)
    rad = np.deg2rad(float(np.median([ln.angle_deg for ln in lines])))
    ux, uy = np.cos(rad), -np.sin(rad)
    along = [ln.center[0] * ux + ln.center[1] * uy for ln in lines]
    lefts = [t - ln.length / 2 for t, ln in zip(along, lines, strict=True)]
    rights = [t + ln.length / 2 for t, ln in zip(along, lines, strict=True)]
    length = float(np.median([ln.length for ln in lines]))
    left = (
        min(lefts)
        if min(lefts) > float(np.median(lefts)) - 0.08 * length
        else float(np.median(lefts))
    )
    right = (
        max(rights)
        if max(rights) < float(np.median(rights)) + 0.08 * length
        else float(np.median(rights))
    )
    out: list[LineGeometry] = []
    for ln in lines:
        n = -ln.center[0] * uy + ln.center[1] * ux
        t = (left + right) / 2
        center = (float(t * ux - n * uy), float(t * uy + n * ux))
        out.append(LineGeometry(center, float(right - left), ln.height, ln.angle_deg))
    return out


def zone_quad(cand: ZoneCandidate, page_size: tuple[int, int]) -> Quad:
    """The zone's corners (as read: tl, tr, br, bl) in pixels of the unturned page.

    Args:
        cand: the zone.
        page_size: (width, height) of the unturned page.
    """
    first, last = cand.lines[0], cand.lines[-1]
    rad = np.deg2rad(cand.angle_deg)
    ux, uy = np.cos(rad), -np.sin(rad)  # along the line, image y down
    vx, vy = -uy, ux  # across, downwards
    half = max(ln.length for ln in cand.lines) / 2 + first.height * 0.5
    tl = (
        first.center[0] - ux * half - vx * first.height,
        first.center[1] - uy * half - vy * first.height,
    )
    tr = (
        first.center[0] + ux * half - vx * first.height,
        first.center[1] + uy * half - vy * first.height,
    )
    br = (
        last.center[0] + ux * half + vx * last.height,
        last.center[1] + uy * half + vy * last.height,
    )
    bl = (
        last.center[0] - ux * half + vx * last.height,
        last.center[1] - uy * half + vy * last.height,
    )
    pts: Sequence[tuple[float, float]] = [
        unrotate_point((float(p[0]), float(p[1])), cand.rotation, page_size)
        for p in (tl, tr, br, bl)
    ]
    return (pts[0], pts[1], pts[2], pts[3])
