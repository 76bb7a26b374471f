"""Capture quality: blur, glare, frame fill, cut-off edges on rendered pages."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.document.mrz_format import MrzFormat
from pipeline.document.quality import assess_document_quality
from pipeline.synthetic.documents import degrade_hard, place_on_background, render_document


def test_a_clean_tight_scan_has_no_issues() -> None:
    doc = render_document(MrzFormat.TD3, 1)
    quality = assess_document_quality(doc.image)
    assert quality.ok, quality.issues
    assert quality.fill_fraction == 1.0
    hard = assess_document_quality(degrade_hard(doc.image, np.random.default_rng(1)))
    assert "blur" not in hard.issues  # the hard set stays readable


def test_blur_and_glare_are_reported() -> None:
    doc = render_document(MrzFormat.TD3, 2)
    assert "blur" in assess_document_quality(cv2.GaussianBlur(doc.image, (0, 0), 4)).issues
    glare = doc.image.copy()
    cv2.circle(glare, (700, 400), 150, (255, 255, 255), -1)
    quality = assess_document_quality(cv2.GaussianBlur(glare, (0, 0), 1))
    assert "glare" in quality.issues
    assert quality.glare_fraction > 0.02


def test_small_document_in_a_large_frame() -> None:
    doc = render_document(MrzFormat.TD1, 3)
    placed = place_on_background(doc, 700)
    quality = assess_document_quality(placed.image)
    assert quality.document_box is not None
    assert quality.fill_fraction < 0.3
    assert "too_small" in quality.issues


def test_document_running_off_the_frame_is_cut_off() -> None:
    doc = place_on_background(render_document(MrzFormat.TD3, 4), 300)
    cut = np.ascontiguousarray(doc.image[:, 500:])
    quality = assess_document_quality(cut)
    assert "left" in quality.cut_off_edges
    assert "cut_off" in quality.issues
