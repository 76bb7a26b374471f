"""``kiosk demo``: run what exists on bundled, shippable material.

Until the verification pipeline lands this checks the installation and runs
every ONNX model once through the engine on a synthetic input, timing it.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.cli._base import EXIT_ERROR, EXIT_OK, Output, Parser
from kiosk.config import kiosk_paths
from models import ModelRegistry, Runtime


@dataclass(frozen=True, slots=True)
class ModelSmoke:
    name: str
    inputs: str
    outputs: str
    load_ms: float
    run_ms: float


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    command(sub, "demo", _demo, "run the bundled sample end to end")


def _demo(args: argparse.Namespace, out: Output) -> int:
    from pipeline.engine import EngineConfig, OnnxEngine

    registry = ModelRegistry.default(kiosk_paths().models_dir)
    rows: list[ModelSmoke] = []
    for spec in registry.specs:
        if spec.runtime is not Runtime.ONNXRUNTIME or spec.sha256 is None:
            continue
        path = registry.path(spec.name)
        t0 = time.perf_counter()
        engine = OnnxEngine.from_path(path, EngineConfig(), name=spec.name)
        t1 = time.perf_counter()
        feeds = {i.name: _synthetic(i.shape, spec.input.size) for i in engine.inputs}
        outs = engine.run(feeds)
        t2 = time.perf_counter()
        rows.append(
            ModelSmoke(
                spec.name,
                ", ".join(f"{k}{list(v.shape)}" for k, v in feeds.items()),
                ", ".join(str(list(o.shape)) for o in outs[:3]) + (" ..." if len(outs) > 3 else ""),
                (t1 - t0) * 1000,
                (t2 - t1) * 1000,
            )
        )
        engine.close()

    def human(console: Any) -> None:
        from rich.table import Table

        console.print(
            "The verification pipeline is not built yet; this demo checks that every "
            "pinned ONNX model loads and runs on this CPU."
        )
        table = Table(title="models through pipeline.engine (synthetic input)")
        for col in ("model", "inputs", "outputs", "load ms", "first run ms"):
            table.add_column(col)
        for r in rows:
            table.add_row(r.name, r.inputs, r.outputs, f"{r.load_ms:.0f}", f"{r.run_ms:.0f}")
        console.print(table)

    out.emit({"models": rows}, human)
    return EXIT_OK if rows else EXIT_ERROR


def _synthetic(shape: tuple[int | None, ...], size: tuple[int, int] | None) -> np.ndarray[Any, Any]:
    """A seeded random tensor; dynamic dims take the manifest input size or 64."""
    w, h = size or (64, 64)
    dims: list[int] = [d or 1 for d in shape]
    if len(shape) == 4:
        dims = [shape[0] or 1, shape[1] or 3, shape[2] or h, shape[3] or w]
    return np.random.default_rng(0).random(dims, dtype=np.float32)
