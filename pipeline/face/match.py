"""Match a selfie against a document portrait: detect, align, embed, compare, with timings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.face.align import align_face
from pipeline.face.detect import select_document_portrait, select_selfie_face
from pipeline.face.embed import Embedding, FaceEmbedder, cosine_similarity
from pipeline.face.quality import DOCUMENT_QUALITY, QualityReport, assess_quality
from pipeline.face.toolkit import FaceToolkit, default_toolkit
from pipeline.face.types import DetectPurpose, FaceDetection
from pipeline.image import LoadedImage
from pipeline.types import Stopwatch, Timings


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """The comparison of a selfie with a document portrait.

    Attributes:
        similarity: cosine similarity of the two embeddings, [-1, 1].
        threshold: the model's calibrated operating point (or the caller's).
        match: similarity >= threshold.
        model: registry name of the recogniser.
        document_face: the portrait, in pixels of the analysed document image.
        selfie_face: the selfie face, in pixels of the analysed selfie.
        document_quality, selfie_quality: measured quality of each face.
        timings: per-stage wall-clock milliseconds.
    """

    similarity: float
    threshold: float
    match: bool
    model: str
    document_face: FaceDetection
    selfie_face: FaceDetection
    document_quality: QualityReport
    selfie_quality: QualityReport
    timings: Timings


def match_faces(
    document: LoadedImage,
    selfie: LoadedImage,
    *,
    model: str | None = None,
    threshold: float | None = None,
    toolkit: FaceToolkit | None = None,
    selfie_landmarks: bool = True,
) -> FaceMatch:
    """Compare the selfie's one face with the document's main portrait.

    Raises:
        NoFaceError: no face in the selfie or no portrait on the document.
        MultipleFacesError: more than one face in the selfie.
        ModelMissing, ModelCorrupt: a model is unusable.
    """
    kit = toolkit or default_toolkit()
    embedder = kit.embedder(model)

    def document_branch() -> tuple[FaceDetection, Embedding, QualityReport, Timings]:
        doc_watch = Stopwatch()
        with doc_watch("document_detect"):
            face = select_document_portrait(
                kit.detector().detect(document.pixels, DetectPurpose.DOCUMENT)
            )
        with doc_watch("document_embed"):
            emb = embedder.embed_aligned(align_face(document.pixels, face))
        quality = assess_quality(document.pixels, face, None, DOCUMENT_QUALITY)
        return face, emb, quality, doc_watch.timings()

    # the two faces are independent: the portrait runs beside the selfie, one core each
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="match") as pool:
        pending = pool.submit(document_branch)
        watch = Stopwatch()
        selfie_face, selfie_emb, selfie_q = _selfie_branch(
            kit, embedder, selfie, watch, selfie_landmarks
        )
        doc_face, doc_emb, doc_q, doc_timings = pending.result()
    similarity = cosine_similarity(doc_emb, selfie_emb)
    limit = embedder.threshold() if threshold is None else threshold
    return FaceMatch(
        similarity=similarity,
        threshold=limit,
        match=similarity >= limit,
        model=embedder.model,
        document_face=doc_face,
        selfie_face=selfie_face,
        document_quality=doc_q,
        selfie_quality=selfie_q,
        timings=doc_timings + watch.timings(),
    )


def _selfie_branch(
    kit: FaceToolkit,
    embedder: FaceEmbedder,
    selfie: LoadedImage,
    watch: Stopwatch,
    with_landmarks: bool,
) -> tuple[FaceDetection, Embedding, QualityReport]:
    with watch("selfie_detect"):
        face = select_selfie_face(
            kit.detector().detect(selfie.pixels, DetectPurpose.SELFIE), kit.detector().options
        )
    with watch("selfie_embed"):
        emb = embedder.embed_aligned(align_face(selfie.pixels, face))
    with watch("selfie_quality"):
        marks = kit.landmarker().detect(selfie.pixels) if with_landmarks else ()
        quality = assess_quality(selfie.pixels, face, marks[0] if marks else None)
    return face, emb, quality
