"""Lazily created, shared face components: one detector, one landmarker, one embedder per model.

Nothing loads until first use; after that every call reuses the same sessions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from models import ModelRegistry, Profile
from pipeline.engine import EngineConfig
from pipeline.face.detect import FaceDetector, FaceDetectorOptions
from pipeline.face.embed import EmbedderOptions, FaceEmbedder
from pipeline.face.landmarks import FaceLandmarker, LandmarkerOptions, RunningMode
from pipeline.lazy import Lazy


@dataclass(frozen=True, slots=True)
class ToolkitOptions:
    """Settings for the shared face components.

    Attributes:
        profile: licence profile for choosing the recogniser.
        engine: ONNX Runtime threading for embedders (one-off jobs may use both cores).
        detector: detector options.
    """

    profile: Profile = Profile.COMMERCIAL
    engine: EngineConfig = field(default_factory=lambda: EngineConfig(intra_op_threads=2))
    detector: FaceDetectorOptions = field(default_factory=FaceDetectorOptions)


class FaceToolkit:
    """Holds the face components; safe to share between threads."""

    def __init__(
        self, options: ToolkitOptions | None = None, registry: ModelRegistry | None = None
    ) -> None:
        self.options = options or ToolkitOptions()
        self._registry = registry
        self._lock = threading.Lock()
        self._detector: FaceDetector | None = None
        self._landmarker: FaceLandmarker | None = None
        self._embedders: dict[str | None, FaceEmbedder] = {}

    @property
    def registry(self) -> ModelRegistry:
        with self._lock:
            if self._registry is None:
                self._registry = ModelRegistry.default()
            return self._registry

    def detector(self) -> FaceDetector:
        registry = self.registry
        with self._lock:
            if self._detector is None:
                self._detector = FaceDetector.from_options(self.options.detector, registry)
            return self._detector

    def landmarker(self) -> FaceLandmarker:
        """An IMAGE-mode landmarker for stills (video streams create their own)."""
        registry = self.registry
        with self._lock:
            if self._landmarker is None:
                self._landmarker = FaceLandmarker.from_options(
                    LandmarkerOptions(running_mode=RunningMode.IMAGE, num_faces=1), registry
                )
            return self._landmarker

    def embedder(self, model: str | None = None) -> FaceEmbedder:
        registry = self.registry
        with self._lock:
            if model not in self._embedders:
                self._embedders[model] = FaceEmbedder.from_options(
                    EmbedderOptions(
                        model=model, profile=self.options.profile, engine=self.options.engine
                    ),
                    registry,
                )
            return self._embedders[model]

    def close(self) -> None:
        with self._lock:
            if self._detector is not None:
                self._detector.close()
            if self._landmarker is not None:
                self._landmarker.close()
            for embedder in self._embedders.values():
                embedder.close()
            self._detector, self._landmarker, self._embedders = None, None, {}


_default: Lazy[FaceToolkit] = Lazy(lambda: FaceToolkit())


def default_toolkit() -> FaceToolkit:
    """The process-wide toolkit (created on first call, never at import)."""
    return _default.get()
