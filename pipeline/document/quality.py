"""Capture quality of a document page: glare, blur, how much of the frame the
document fills, and whether it runs off an edge of the frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.document.types import DocumentQuality, Point
from pipeline.types import Box


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """Limits for :func:`assess_document_quality`.

    Attributes:
        max_glare: largest share of the document that may be blown-out highlight.
        min_sharpness: variance of the Laplacian below which the page is too blurred
            (measured at <= 1000 px long side; the "hard" synthetic set, blur sigma
            up to 1.4 at 300 dpi, stays above 60).
        min_fill: smallest share of the frame the document must cover.
        edge_margin: a document edge within this share of the frame's side counts
            as touching the frame.
    """

    max_glare: float = 0.02
    min_sharpness: float = 25.0
    min_fill: float = 0.3
    edge_margin: float = 0.01


def _document_box(grey: np.ndarray[Any, Any], inside: Point | None = None) -> Box | None:
    """The document's outline when it lies on a contrasting background: the largest
    rectangle-like contour with an ID-document aspect ratio that contains ``inside``
    (the MRZ's centre, when known). None for a tight scan."""
    import cv2

    h, w = grey.shape
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 30, 90)
    edges = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best: tuple[float, Box] | None = None
    for contour in contours:
        (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
        area = float(rw * rh)
        if area < 0.08 * w * h or min(rw, rh) <= 0:
            continue
        aspect = max(rw, rh) / min(rw, rh)
        if not 1.33 <= aspect <= 1.75:  # ID-1 1.59, TD2/TD3 1.42, MRV-B 1.35; a portrait 1.29
            continue
        if cv2.contourArea(cv2.convexHull(contour)) < 0.85 * area:
            continue  # not a filled rectangle's outline
        x, y, bw, bh = cv2.boundingRect(contour)
        if bw > 0.98 * w and bh > 0.98 * h:
            continue
        if inside is not None and not (x <= inside[0] <= x + bw and y <= inside[1] <= y + bh):
            continue  # the document holds its MRZ: this is a portrait or a field
        if best is None or area > best[0]:
            best = (area, Box(float(x), float(y), float(bw), float(bh)))
    return best[1] if best else None


def _cut_sides(grey: np.ndarray[Any, Any]) -> tuple[str, ...]:
    """Frame sides the document runs into, judged from thin strips along each side:
    some sides plain background and others not means the document is cut off there."""
    strips = {
        "top": grey[:4],
        "bottom": grey[-4:],
        "left": grey[:, :4],
        "right": grey[:, -4:],
    }
    interior = float(np.median(grey[grey.shape[0] // 4 : -grey.shape[0] // 4 or None]))
    background = {
        side: float(strip.std()) < 14.0 and abs(float(strip.mean()) - interior) > 25.0
        for side, strip in strips.items()
    }
    if not any(background.values()) or all(background.values()):
        return ()
    return tuple(side for side, plain in background.items() if not plain)


def assess_document_quality(
    pixels: np.ndarray[Any, Any],
    options: QualityOptions | None = None,
    *,
    mrz_center: Point | None = None,
) -> DocumentQuality:
    """Glare, sharpness, frame fill and cut-off edges of a document photo or scan.

    Args:
        pixels: the analysed page, HxWx3 uint8 BGR.
        options: limits (defaults: :class:`QualityOptions`).
        mrz_center: the MRZ's centre in pixels of ``pixels``, when it was found; the
            document outline must contain it.
    """
    import cv2

    options = options or QualityOptions()
    grey = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    scale = min(1.0, 1000 / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))))
    sharpness = float(cv2.Laplacian(small, cv2.CV_64F).var())

    box = _document_box(grey, mrz_center)
    region = box or Box(0.0, 0.0, float(w), float(h))
    x0, y0 = int(region.x), int(region.y)
    x1, y1 = int(region.x + region.w), int(region.y + region.h)
    doc = grey[y0:y1, x0:x1]
    fill = region.area / float(w * h) if w * h else 0.0

    # Glare: saturated patches on a page whose paper is clearly darker than white.
    glare = 0.0
    if doc.size:
        paper = float(np.percentile(doc, 60))
        if paper < 247:
            saturated = (doc >= 250).astype(np.uint8)
            opened = cv2.morphologyEx(saturated, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
            glare = float(np.mean(opened))

    cut: list[str] = []
    if box is not None:
        mx, my = options.edge_margin * w, options.edge_margin * h
        if box.x <= mx:
            cut.append("left")
        if box.y <= my:
            cut.append("top")
        if box.x + box.w >= w - mx:
            cut.append("right")
        if box.y + box.h >= h - my:
            cut.append("bottom")
    else:
        cut = list(_cut_sides(grey))
    issues: list[str] = []
    if glare > options.max_glare:
        issues.append("glare")
    if sharpness < options.min_sharpness:
        issues.append("blur")
    if fill < options.min_fill:
        issues.append("too_small")
    if cut:
        issues.append("cut_off")
    return DocumentQuality(
        glare_fraction=glare,
        sharpness=sharpness,
        fill_fraction=min(1.0, fill),
        cut_off_edges=tuple(cut),
        document_box=box,
        issues=tuple(issues),
    )
