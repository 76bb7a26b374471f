"""The one ONNX Runtime wrapper: every ONNX model runs through :class:`OnnxEngine`.

Threading is injected through :class:`EngineConfig` so the app can make the
sum of all sessions' intra-op threads fit the machine (two cores here).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.errors import EngineError, ModelCorrupt

if TYPE_CHECKING:
    import onnxruntime as ort


class GraphOptimization(enum.Enum):
    """ONNX Runtime graph optimisation level."""

    DISABLED = "disabled"
    BASIC = "basic"
    EXTENDED = "extended"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How to run a model.

    Attributes:
        intra_op_threads: threads inside one operator (1 = the caller's core).
        inter_op_threads: threads across independent operators.
        graph_optimization: ONNX Runtime optimisation level.
        providers: execution providers in priority order; CPU only here.
        allow_spinning: let idle intra-op threads busy-wait. Off by default: on two cores
            shared with MediaPipe's and OpenCV's pools, spinning threads starve the others.
    """

    intra_op_threads: int = 1
    inter_op_threads: int = 1
    graph_optimization: GraphOptimization = GraphOptimization.ALL
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    allow_spinning: bool = False

    def __post_init__(self) -> None:
        if self.intra_op_threads < 1 or self.inter_op_threads < 1:
            raise ValueError("thread counts must be >= 1")
        if not self.providers:
            raise ValueError("at least one execution provider is required")


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """A model input or output: name, element type, shape (None for dynamic dims)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]


class OnnxEngine:
    """One ONNX Runtime session; ``run`` is safe to call from several threads."""

    def __init__(self, session: ort.InferenceSession, name: str, config: EngineConfig) -> None:
        self._session: ort.InferenceSession | None = session
        self.name = name
        self.config = config
        self.inputs = tuple(_spec(i) for i in session.get_inputs())
        self.outputs = tuple(_spec(o) for o in session.get_outputs())
        self._lock = threading.Lock()
        import onnxruntime as ort

        self._run_options = ort.RunOptions()
        self._run_options.log_severity_level = 4
        self.metadata: Mapping[str, str] = dict(session.get_modelmeta().custom_metadata_map)

    @classmethod
    def from_path(
        cls, path: Path, config: EngineConfig | None = None, *, name: str | None = None
    ) -> OnnxEngine:
        """Create a session for the model at ``path``.

        Raises:
            ModelCorrupt: the file is not a model ONNX Runtime can load.
        """
        import onnxruntime as ort

        config = config or EngineConfig()
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.intra_op_threads
        options.inter_op_num_threads = config.inter_op_threads
        options.graph_optimization_level = getattr(
            ort.GraphOptimizationLevel, _ORT_LEVELS[config.graph_optimization]
        )
        options.log_severity_level = (
            4  # fatal only: failures surface as EngineError, not stderr noise
        )
        options.enable_mem_pattern = True
        spin = "1" if config.allow_spinning else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        available = set(ort.get_available_providers())
        providers = [p for p in config.providers if p in available] or ["CPUExecutionProvider"]
        try:
            session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own untyped exceptions
            raise ModelCorrupt(
                f"ONNX Runtime cannot load {path.name}: {_first_line(exc)}",
                hint="run: kiosk models verify",
            ) from exc
        return cls(session, name or path.stem, config)

    def run(
        self,
        feeds: Mapping[str, np.ndarray[Any, Any]],
        output_names: Sequence[str] | None = None,
    ) -> tuple[np.ndarray[Any, Any], ...]:
        """Run the model.

        Raises:
            EngineError: the session is closed or ONNX Runtime rejects the inputs.
        """
        session = self._session
        if session is None:
            raise EngineError(f"Model '{self.name}' was closed.")
        try:
            outs = session.run(
                list(output_names) if output_names else None, dict(feeds), self._run_options
            )
        except Exception as exc:
            raise EngineError(f"Model '{self.name}' failed: {_first_line(exc)}") from exc
        return tuple(np.asarray(o) for o in outs)

    def close(self) -> None:
        with self._lock:
            self._session = None

    def __enter__(self) -> OnnxEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_ORT_LEVELS = {
    GraphOptimization.DISABLED: "ORT_DISABLE_ALL",
    GraphOptimization.BASIC: "ORT_ENABLE_BASIC",
    GraphOptimization.EXTENDED: "ORT_ENABLE_EXTENDED",
    GraphOptimization.ALL: "ORT_ENABLE_ALL",
}


def _spec(node: Any) -> TensorSpec:
    shape = tuple(d if isinstance(d, int) else None for d in node.shape)
    return TensorSpec(node.name, str(node.type), shape)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
