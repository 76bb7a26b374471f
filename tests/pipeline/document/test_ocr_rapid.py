"""RapidOCR pre/post-processing as pure functions (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.document.ocr_rapid import (
    MRZ_CHARS,
    _projection,
    ascii_lookalike,
    ctc_decode_mrz,
    db_postprocess,
    rec_input,
)


def test_lookalikes_fold_to_mrz_ascii() -> None:
    assert ascii_lookalike("く") == "<"
    assert ascii_lookalike("«") == "<"
    assert ascii_lookalike("Κ") == "K"  # Greek capital kappa
    assert ascii_lookalike("Ο") == "O"  # Greek capital omicron
    assert ascii_lookalike("О") == "O"  # Cyrillic O
    assert ascii_lookalike("Ｐ") == "P"  # full-width P
    assert ascii_lookalike("a") == "A"


def test_projection_sums_lookalikes_into_one_class() -> None:
    charset = ["", "<", "く", "A", "Α", "é", " "]
    proj = _projection(charset)
    probs = np.array([[0.0, 0.3, 0.4, 0.0, 0.0, 0.3, 0.0]], np.float32)
    folded = probs @ proj
    assert folded[0, 1 + MRZ_CHARS.index("<")] == pytest.approx(0.7)
    assert folded[0, -1] == pytest.approx(0.3)  # é is no MRZ character: "other"


def test_greedy_ctc_collapses_repeats_and_blanks() -> None:
    n = len(MRZ_CHARS) + 2

    def step(char: str | None, p: float = 0.9) -> np.ndarray:
        row = np.full(n, (1 - p) / (n - 1), np.float32)
        row[0 if char is None else 1 + MRZ_CHARS.index(char)] = p
        return row

    seq = [step("P"), step("P"), step(None), step("<"), step(None), step("<"), step("0", 0.6)]
    line = ctc_decode_mrz(np.stack(seq), 10.0, np.zeros((48, 70), np.uint8))
    assert line.text == "P<<0"
    assert abs(line.chars[-1].confidence - 0.6) < 1e-6
    assert line.chars[0].x0 == 0.0 and line.chars[1].x0 == 30.0


def test_db_postprocess_finds_one_box_per_blob() -> None:
    pred = np.zeros((64, 128), np.float32)
    pred[20:30, 10:90] = 0.9
    pred[45:55, 40:60] = 0.8
    boxes = db_postprocess(pred, (256, 128), 0.3, 0.5, 1.6)
    assert len(boxes) == 2
    first = boxes[0].quad
    assert first[0][0] < 25 and first[1][0] > 170  # scaled by 2 horizontally


def test_rec_input_keeps_aspect_and_pads() -> None:
    crop = np.full((24, 60, 3), 255, np.uint8)
    tensor = rec_input(crop, 200)
    assert tensor.shape == (3, 48, 200)
    assert np.allclose(tensor[:, :, :120], 1.0)
    assert np.allclose(tensor[:, :, 120:], 0.0)
