from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from models import ModelRegistry, Profile, Task
from pipeline.errors import InputCorrupt
from pipeline.face import (
    DetectPurpose,
    EmbedderOptions,
    FaceEmbedder,
    FaceToolkit,
    align_face,
    select_selfie_face,
)
from pipeline.face.embed import Embedding, cosine_similarity, l2_normalise
from pipeline.image import SELFIE_MAX_SIDE, from_array, load_image
from pipeline.synthetic.portraits import make_id_portrait

pytestmark = pytest.mark.models


def _present_embedders() -> list[str]:
    registry = ModelRegistry.default()
    return [
        s.name
        for s in registry.specs
        if s.task is Task.FACE_EMBEDDING and registry.status(s.name).present
    ]


def _pairs(faces_dir: Path) -> list[tuple[Path, Path, bool]]:
    out = []
    for folder in ("face_recognition", "openface"):
        with (faces_dir / folder / "pairs.csv").open() as fh:
            for row in csv.DictReader(fh):
                out.append(
                    (
                        faces_dir / folder / row["file_a"],
                        faces_dir / folder / row["file_b"],
                        row["same"] == "1",
                    )
                )
    return out


@pytest.fixture(scope="module", params=_present_embedders())
def embedder(request: pytest.FixtureRequest, model_registry: ModelRegistry) -> FaceEmbedder:
    emb = FaceEmbedder.from_options(
        EmbedderOptions(model=request.param, profile=Profile.RESEARCH), model_registry
    )
    yield emb  # type: ignore[misc]
    emb.close()


def _embed(kit: FaceToolkit, emb: FaceEmbedder, path: Path) -> Embedding:
    image = load_image(path, max_side=SELFIE_MAX_SIDE)
    face = select_selfie_face(kit.detector().detect(image.pixels))
    return emb.embed_aligned(align_face(image.pixels, face))


def test_every_fixture_pair_at_the_calibrated_threshold(
    toolkit: FaceToolkit, embedder: FaceEmbedder, faces_dir: Path
) -> None:
    threshold = embedder.threshold()
    for a, b, same in _pairs(faces_dir):
        ea, eb = _embed(toolkit, embedder, a), _embed(toolkit, embedder, b)
        assert abs(float(np.linalg.norm(ea.vector)) - 1) < 1e-5
        s = cosine_similarity(ea, eb)
        assert (s >= threshold) == same, f"{embedder.model}: {a.name} vs {b.name}: {s:.3f}"


def test_pairs_with_a_synthetic_id_portrait(
    toolkit: FaceToolkit, embedder: FaceEmbedder, faces_dir: Path
) -> None:
    """The first photo of each pair printed as a small, degraded document portrait (seed 0)."""
    threshold = embedder.threshold()
    for a, b, same in _pairs(faces_dir):
        image = load_image(a, max_side=SELFIE_MAX_SIDE)
        face = toolkit.detector().detect(image.pixels)[0]
        portrait, recipe = make_id_portrait(image.pixels, face, np.random.default_rng(0))
        assert 60 <= recipe.face_width_px <= 100
        card = np.full((638, 1011, 3), 220, np.uint8)
        card[100 : 100 + portrait.shape[0], 60 : 60 + portrait.shape[1]] = portrait
        doc = from_array(card)
        doc_face = toolkit.detector().detect(doc.pixels, DetectPurpose.DOCUMENT)[0]
        ea = embedder.embed_aligned(align_face(doc.pixels, doc_face))
        s = cosine_similarity(ea, _embed(toolkit, embedder, b))
        assert (s >= threshold) == same, f"{embedder.model}: {a.name} as document: {s:.3f}"


def test_same_crop_same_embedding_and_shapes(embedder: FaceEmbedder) -> None:
    crop = np.random.default_rng(5).integers(0, 255, (112, 112, 3), dtype=np.uint8)
    a, b = embedder.embed_aligned(crop), embedder.embed_aligned(crop)
    assert cosine_similarity(a, b) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(InputCorrupt):
        embedder.embed_aligned(crop[:100])


def test_embeddings_of_different_models_are_not_comparable() -> None:
    a = Embedding(l2_normalise(np.ones(128)), "sface")
    b = Embedding(l2_normalise(np.ones(512)), "arcface_mbf")
    with pytest.raises(InputCorrupt, match="cannot be compared"):
        cosine_similarity(a, b)
    with pytest.raises(InputCorrupt, match="degenerate"):
        l2_normalise(np.zeros(8))
