"""Face embeddings from any registered recogniser, L2-normalised, and their comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models import ModelRegistry, ModelSpec, Profile, Task
from pipeline.engine import EngineConfig, OnnxEngine
from pipeline.errors import InputCorrupt
from pipeline.face.align import ALIGNED_SIZE


@dataclass(frozen=True, slots=True)
class Embedding:
    """A unit-length face descriptor.

    Attributes:
        vector: float32, L2 norm 1 (dimension depends on the model: 128 for SFace, 512 ArcFace).
        model: registry name of the recogniser that produced it.
    """

    vector: np.ndarray[Any, np.dtype[np.float32]]
    model: str


@dataclass(frozen=True, slots=True)
class EmbedderOptions:
    """Which recogniser and how to run it.

    Attributes:
        model: registry name; None picks the preferred model allowed by ``profile``.
        profile: licence profile that bounds the choice.
        engine: ONNX Runtime threading.
        flip_average: also embed the mirrored crop and average (slower, slightly steadier).
    """

    model: str | None = None
    profile: Profile = Profile.COMMERCIAL
    engine: EngineConfig = field(default_factory=EngineConfig)
    flip_average: bool = False


class FaceEmbedder:
    """One recogniser through :class:`~pipeline.engine.OnnxEngine`; thread-safe."""

    def __init__(self, engine: OnnxEngine, spec: ModelSpec, options: EmbedderOptions) -> None:
        self._engine = engine
        self.spec = spec
        self.options = options
        inp = spec.input
        self._rgb = inp.channels != "BGR"
        self._mean = np.array(inp.mean or (0.0, 0.0, 0.0), np.float32).reshape(1, 3, 1, 1)
        self._scale = np.float32(inp.scale if inp.scale is not None else 1.0)
        self._input = engine.inputs[0].name
        self._batchable = engine.inputs[0].shape[:1] != (1,)  # SFace's graph fixes batch 1

    @classmethod
    def from_options(
        cls, options: EmbedderOptions | None = None, registry: ModelRegistry | None = None
    ) -> FaceEmbedder:
        """Load the chosen recogniser.

        Raises:
            ModelMissing, ModelCorrupt, UnknownModel, ManifestError (licence vs profile).
        """
        options = options or EmbedderOptions()
        registry = registry or ModelRegistry.default()
        spec = registry.choose(Task.FACE_EMBEDDING, options.profile, options.model)
        engine = OnnxEngine.from_path(registry.path(spec.name), options.engine, name=spec.name)
        return cls(engine, spec, options)

    @property
    def model(self) -> str:
        return self.spec.name

    def threshold(self) -> float:
        """The calibrated cosine threshold for this model (from the manifest)."""
        return self.spec.threshold("cosine")

    def embed_aligned(self, aligned: np.ndarray[Any, np.dtype[np.uint8]]) -> Embedding:
        """Embed one 112x112 BGR crop produced by :func:`~pipeline.face.align.align_face`.

        Raises:
            InputCorrupt: the crop has the wrong shape or type.
        """
        if aligned.shape != (ALIGNED_SIZE, ALIGNED_SIZE, 3) or aligned.dtype != np.uint8:
            raise InputCorrupt(f"An aligned face must be {ALIGNED_SIZE}x{ALIGNED_SIZE}x3 uint8.")
        crops = [aligned[None]]
        if self.options.flip_average:
            crops.append(np.ascontiguousarray(aligned[None, :, ::-1]))
        if self._batchable:
            crops = [np.concatenate(crops, axis=0)]
        vector = np.zeros(0, np.float32)
        for batch in crops:
            (out,) = self._engine.run({self._input: self.preprocess(batch)})
            part = out.astype(np.float32).sum(axis=0)
            vector = part if vector.size == 0 else vector + part
        return Embedding(l2_normalise(vector), self.model)

    def preprocess(self, batch: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, Any]:
        """NHWC BGR uint8 -> NCHW float32 in the model's colour order and scale."""
        if self._rgb:
            batch = batch[..., ::-1]
        tensor = batch.transpose(0, 3, 1, 2).astype(np.float32)
        return np.ascontiguousarray((tensor - self._mean) * self._scale)

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> FaceEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def l2_normalise(vector: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float32]]:
    """``vector / ||vector||`` as float32.

    Raises:
        InputCorrupt: a zero or non-finite vector (nothing to compare).
    """
    v = np.asarray(vector, np.float64).ravel()
    norm = float(np.linalg.norm(v))
    if not np.isfinite(norm) or norm < 1e-12:
        raise InputCorrupt("The face embedding is degenerate.")
    return (v / norm).astype(np.float32)


def cosine_similarity(a: Embedding, b: Embedding) -> float:
    """Cosine similarity of two embeddings of the same model, in [-1, 1].

    Raises:
        InputCorrupt: the embeddings come from different models (not comparable).
    """
    if a.model != b.model or a.vector.shape != b.vector.shape:
        raise InputCorrupt(f"Embeddings from '{a.model}' and '{b.model}' cannot be compared.")
    return float(np.clip(np.dot(a.vector, b.vector), -1.0, 1.0))
