from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.face.calibration import (
    CalibrationDataError,
    gaussian_tail_threshold,
    operating_point,
    plot_det,
    read_pairs_csv,
    verification_metrics,
)


def test_perfect_separation() -> None:
    m = verification_metrics(np.array([0.8, 0.9, 0.7]), np.linspace(-0.2, 0.3, 200))
    assert m.auc == 1.0 and m.eer == pytest.approx(0.0)
    t1, t01 = m.tar_at_far
    assert t1.resolvable and t1.tar == 1.0
    assert not t01.resolvable and t01.tar is None and "need >= 1000" in t01.note


def test_known_overlap() -> None:
    rng = np.random.default_rng(0)
    g, i = rng.normal(1.0, 1.0, 4000), rng.normal(0.0, 1.0, 4000)
    m = verification_metrics(g, i)
    # two unit Gaussians one sd apart: AUC = Phi(1/sqrt 2) = 0.760, EER = Phi(-0.5) = 0.309
    assert m.auc == pytest.approx(0.760, abs=0.015)
    assert m.eer == pytest.approx(0.309, abs=0.015)
    assert m.eer_threshold == pytest.approx(0.5, abs=0.08)
    far, frr = m.rates_at(m.eer_threshold, g, i)
    assert far == pytest.approx(frr, abs=0.02)


def test_operating_point_is_never_inside_the_impostors() -> None:
    i = np.array([0.0, 0.1, 0.05, 0.5])  # one outlier impostor
    m = verification_metrics(np.array([0.9]), i)
    assert operating_point(m) >= 0.52
    assert gaussian_tail_threshold(0.0, 0.1, 1e-3) == pytest.approx(0.309, abs=1e-3)


def test_empty_classes_are_refused() -> None:
    with pytest.raises(CalibrationDataError):
        verification_metrics(np.array([]), np.array([0.1]))


def test_det_plot_and_pairs_file(tmp_path: Path) -> None:
    m = verification_metrics(np.array([0.6, 0.8]), np.array([0.1, 0.2, 0.65]))
    out = tmp_path / "det.png"
    plot_det((("m", m),), str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    good = tmp_path / "pairs.csv"
    good.write_text("file_a,file_b,same,extra\na.jpg,b.jpg,1,x\na.jpg,c.jpg,0,y\n")
    pairs = read_pairs_csv(good)
    assert [p.same for p in pairs] == [True, False]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CalibrationDataError, match="columns"):
        read_pairs_csv(bad)
    bad.write_text("file_a,file_b,same\na,b,maybe\n")
    with pytest.raises(CalibrationDataError, match="must be 1 or 0"):
        read_pairs_csv(bad)
