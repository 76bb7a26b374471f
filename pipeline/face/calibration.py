"""Verification metrics from genuine and impostor scores: ROC AUC, EER, TAR at fixed FAR,
DET curve points, and an operating point. Pure numpy; scores are similarities (higher = same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.errors import InputError

Scores = np.ndarray[Any, np.dtype[np.float64]]


class CalibrationDataError(InputError):
    code = "calibration_data_insufficient"
    default_message = "Calibration needs at least one genuine and one impostor pair."


@dataclass(frozen=True, slots=True)
class TarAtFar:
    """True-accept rate at a false-accept-rate target.

    Attributes:
        far_target: the FAR asked for (e.g. 0.01).
        tar: the highest TAR whose FAR <= target, or None when not resolvable.
        threshold: the similarity threshold achieving it.
        resolvable: False when there are fewer than 1/far_target impostor pairs, so a
            single false accept would already exceed the target.
        note: why it is not resolvable, or empty.
    """

    far_target: float
    tar: float | None
    threshold: float | None
    resolvable: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class VerificationMetrics:
    """Metrics of one model on one set of pairs.

    Attributes:
        n_genuine, n_impostor: numbers of pairs.
        auc: area under the ROC curve (probability a genuine pair outscores an impostor).
        eer: equal error rate in [0, 1]; eer_threshold where FAR == FRR (interpolated).
        tar_at_far: TAR at each FAR target asked for.
        min_genuine, max_impostor: the extreme scores (margin between the classes).
        impostor_mean, impostor_std: for a Gaussian tail extrapolation.
        det_far, det_frr: points of the DET curve, ascending threshold.
    """

    n_genuine: int
    n_impostor: int
    auc: float
    eer: float
    eer_threshold: float
    tar_at_far: tuple[TarAtFar, ...]
    min_genuine: float
    max_impostor: float
    impostor_mean: float
    impostor_std: float
    det_far: tuple[float, ...]
    det_frr: tuple[float, ...]

    def rates_at(self, threshold: float, genuine: Scores, impostor: Scores) -> tuple[float, float]:
        """(FAR, FRR) of ``threshold`` on the given scores."""
        return float((impostor >= threshold).mean()), float((genuine < threshold).mean())


def verification_metrics(
    genuine: Scores, impostor: Scores, far_targets: tuple[float, ...] = (0.01, 0.001)
) -> VerificationMetrics:
    """Compute the metrics.

    Raises:
        CalibrationDataError: either class is empty.
    """
    g = np.asarray(genuine, np.float64).ravel()
    i = np.asarray(impostor, np.float64).ravel()
    if g.size == 0 or i.size == 0:
        raise CalibrationDataError(
            f"Calibration needs both classes; got {g.size} genuine and {i.size} impostor pairs."
        )
    thresholds = np.unique(np.concatenate([g, i, [np.inf]]))
    far = np.array([(i >= t).mean() for t in thresholds])
    frr = np.array([(g < t).mean() for t in thresholds])
    # AUC as the Mann-Whitney statistic (ties count half)
    diff = g[:, None] - i[None, :]
    auc = float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)
    eer, eer_t = _eer(thresholds, far, frr)
    tars = tuple(_tar_at(g, i, thresholds, far, target) for target in far_targets)
    return VerificationMetrics(
        n_genuine=int(g.size),
        n_impostor=int(i.size),
        auc=auc,
        eer=eer,
        eer_threshold=eer_t,
        tar_at_far=tars,
        min_genuine=float(g.min()),
        max_impostor=float(i.max()),
        impostor_mean=float(i.mean()),
        impostor_std=float(i.std(ddof=1)) if i.size > 1 else 0.0,
        det_far=tuple(float(v) for v in far),
        det_frr=tuple(float(v) for v in frr),
    )


def gaussian_tail_threshold(impostor_mean: float, impostor_std: float, far: float) -> float:
    """The threshold a Gaussian fit of the impostor scores puts at ``far``.

    An extrapolation: use it only to place an operating point beyond what the data
    can resolve, and say so.
    """
    from scipy.stats import norm

    return float(impostor_mean + norm.isf(far) * impostor_std)


def operating_point(metrics: VerificationMetrics, far: float = 1e-3, margin: float = 0.02) -> float:
    """The threshold this project calibrates to: the Gaussian-tail estimate of ``far``,
    but never closer than ``margin`` to the highest impostor score actually seen."""
    tail = gaussian_tail_threshold(metrics.impostor_mean, metrics.impostor_std, far)
    return max(tail, metrics.max_impostor + margin)


def _eer(thresholds: Scores, far: Scores, frr: Scores) -> tuple[float, float]:
    diff = far - frr  # far falls, frr rises with the threshold
    idx = int(np.argmax(diff <= 0))
    if idx == 0:
        return float((far[0] + frr[0]) / 2), float(thresholds[0])
    d0, d1 = diff[idx - 1], diff[idx]
    w = d0 / (d0 - d1) if d0 != d1 else 0.5
    eer = (1 - w) * (far[idx - 1] + frr[idx - 1]) / 2 + w * (far[idx] + frr[idx]) / 2
    t1 = thresholds[idx] if math.isfinite(thresholds[idx]) else thresholds[idx - 1]
    return float(eer), float((1 - w) * thresholds[idx - 1] + w * t1)


def _tar_at(g: Scores, i: Scores, thresholds: Scores, far: Scores, target: float) -> TarAtFar:
    if i.size * target < 1.0:
        need = math.ceil(1.0 / target)
        return TarAtFar(
            target,
            None,
            None,
            False,
            f"too few impostor pairs to resolve FAR {target:.1%}: need >= {need}, have {i.size}",
        )
    ok = np.flatnonzero(far <= target)
    t = float(thresholds[ok[0]])
    return TarAtFar(target, float((g >= t).mean()), t, True)


def plot_det(
    curves: tuple[tuple[str, VerificationMetrics], ...], path: str, title: str = "DET"
) -> None:
    """Draw DET curves (FRR against FAR on normal-deviate axes) to an image file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    eps = 1e-4
    ticks = [0.001, 0.01, 0.05, 0.2, 0.5]
    fig, ax = plt.subplots(figsize=(6, 5), dpi=120)
    for label, m in curves:
        far = np.clip(np.array(m.det_far), eps, 1 - eps)
        frr = np.clip(np.array(m.det_frr), eps, 1 - eps)
        ax.plot(norm.ppf(far), norm.ppf(frr), label=f"{label} (EER {m.eer:.1%}, AUC {m.auc:.3f})")
    ax.set_xticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_yticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_xlim(norm.ppf(eps), norm.ppf(0.6))
    ax.set_ylim(norm.ppf(eps), norm.ppf(0.6))
    ax.set_xlabel("false accept rate (FAR)")
    ax.set_ylabel("false reject rate (FRR)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two image files (relative to an images folder) and whether they show one person."""

    file_a: str
    file_b: str
    same: bool


@dataclass(frozen=True, slots=True)
class PairScore:
    """The similarity of one pair under one model, or why it could not be scored."""

    pair: LabelledPair
    model: str
    similarity: float | None
    error: str = ""


def read_pairs_csv(path: Any) -> tuple[LabelledPair, ...]:
    """Pairs from a CSV with columns ``file_a,file_b,same`` (1/0, true/false); extra columns
    are ignored.

    Raises:
        CalibrationDataError: missing columns or an unreadable ``same`` value.
    """
    import csv
    from pathlib import Path

    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CalibrationDataError(f"Cannot read pairs file {p.name}: {exc}.") from exc
    pairs = []
    for n, row in enumerate(rows, start=2):
        try:
            a, b, same = row["file_a"].strip(), row["file_b"].strip(), row["same"].strip().lower()
        except (KeyError, AttributeError):
            raise CalibrationDataError(
                f"{p.name} line {n}: columns file_a, file_b and same are required."
            ) from None
        if same not in ("1", "0", "true", "false", "yes", "no"):
            raise CalibrationDataError(f"{p.name} line {n}: 'same' must be 1 or 0, not {same!r}.")
        pairs.append(LabelledPair(a, b, same in ("1", "true", "yes")))
    return tuple(pairs)
