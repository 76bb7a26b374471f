"""Calibrate face-embedding thresholds on labelled pairs (``kiosk calibrate faces``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.errors import UsageError
from models import Profile, Task
from pipeline.errors import KioskError
from pipeline.face import DetectPurpose, FaceToolkit, ToolkitOptions, align_face
from pipeline.face.calibration import (
    CalibrationDataError,
    LabelledPair,
    PairScore,
    VerificationMetrics,
    operating_point,
    plot_det,
    read_pairs_csv,
    verification_metrics,
)
from pipeline.face.embed import Embedding, cosine_similarity
from pipeline.image import SELFIE_MAX_SIDE, load_image


@dataclass(frozen=True, slots=True)
class ModelCalibration:
    """One model's metrics on the pairs and how its current threshold performs there.

    Attributes:
        model: registry name.
        metrics: AUC, EER, TAR at FAR targets, DET points.
        threshold: the model's calibrated threshold from the manifest.
        far_at_threshold, frr_at_threshold: its error rates on these pairs.
        suggested_threshold: this data's operating point (Gaussian-tail FAR 0.1%, at
            least 0.02 above the highest impostor score).
    """

    model: str
    metrics: VerificationMetrics
    threshold: float
    far_at_threshold: float
    frr_at_threshold: float
    suggested_threshold: float


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    n_pairs: int
    n_failed: int
    failures: tuple[PairScore, ...]
    models: tuple[ModelCalibration, ...]
    plot: str | None


def embed_file(kit: FaceToolkit, path: Path, model: str) -> Embedding:
    """Embed the largest face of an image file (calibration photos may hold several)."""
    image = load_image(path, max_side=SELFIE_MAX_SIDE)
    faces = kit.detector().detect(image.pixels, DetectPurpose.DOCUMENT)
    if not faces:
        from pipeline.errors import NoFaceError

        raise NoFaceError(f"No face in {path.name}.")
    return kit.embedder(model).embed_aligned(align_face(image.pixels, faces[0]))


def score_pairs(
    pairs: tuple[LabelledPair, ...], images: Path, kit: FaceToolkit, model: str
) -> tuple[PairScore, ...]:
    """Similarity of every pair; an image that cannot be used is recorded, not fatal."""
    cache: dict[str, Embedding | KioskError] = {}

    def get(name: str) -> Embedding | KioskError:
        if name not in cache:
            try:
                cache[name] = embed_file(kit, images / name, model)
            except KioskError as exc:
                cache[name] = exc
        return cache[name]

    scores = []
    for pair in pairs:
        a, b = get(pair.file_a), get(pair.file_b)
        if isinstance(a, KioskError):
            scores.append(PairScore(pair, model, None, f"{a.code}: {a.message}"))
        elif isinstance(b, KioskError):
            scores.append(PairScore(pair, model, None, f"{b.code}: {b.message}"))
        else:
            scores.append(PairScore(pair, model, cosine_similarity(a, b)))
    return tuple(scores)


def calibrate_face_models(
    pairs_csv: Path,
    images: Path,
    *,
    models: tuple[str, ...] = (),
    profile: Profile = Profile.COMMERCIAL,
    plot: Path | None = None,
) -> CalibrationReport:
    """Score the pairs under each model and compute the verification metrics.

    Raises:
        CalibrationDataError: unreadable pairs or no scorable pair of either class.
        UsageError: the images folder does not exist.
    """
    if not images.is_dir():
        raise UsageError(f"Images folder {images} does not exist.")
    pairs = read_pairs_csv(pairs_csv)
    kit = FaceToolkit(ToolkitOptions(profile=profile))
    try:
        registry = kit.registry
        names = models or tuple(
            s.name
            for s in registry.manifest.for_task(Task.FACE_EMBEDDING)
            if s.allowed_in(profile) and registry.status(s.name).present
        )
        results: list[ModelCalibration] = []
        failures: list[PairScore] = []
        for name in names:
            scores = score_pairs(pairs, images, kit, name)
            failures.extend(s for s in scores if s.similarity is None)
            g = np.array([s.similarity for s in scores if s.similarity is not None and s.pair.same])
            i = np.array(
                [s.similarity for s in scores if s.similarity is not None and not s.pair.same]
            )
            if g.size == 0 or i.size == 0:
                raise CalibrationDataError(
                    f"Model {name}: {g.size} genuine and {i.size} impostor pairs could be scored; "
                    "both are needed."
                )
            metrics = verification_metrics(g, i)
            threshold = kit.embedder(name).threshold()
            far, frr = metrics.rates_at(threshold, g, i)
            results.append(
                ModelCalibration(name, metrics, threshold, far, frr, operating_point(metrics))
            )
    finally:
        kit.close()
    if plot is not None:
        plot_det(tuple((r.model, r.metrics) for r in results), str(plot), "Face verification DET")
    unique_failures = {(f.pair.file_a, f.pair.file_b): f for f in failures}
    return CalibrationReport(
        n_pairs=len(pairs),
        n_failed=len(unique_failures),
        failures=tuple(unique_failures.values()),
        models=tuple(results),
        plot=str(plot) if plot else None,
    )
