from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from models import ModelRegistry
from pipeline.engine import EngineConfig, GraphOptimization, OnnxEngine
from pipeline.errors import EngineError, ModelCorrupt


def _add_one_model(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "one"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    return path


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="thread counts"):
        EngineConfig(intra_op_threads=0)
    with pytest.raises(ValueError, match="execution provider"):
        EngineConfig(providers=())


@pytest.mark.parametrize("level", list(GraphOptimization))
def test_runs_a_model_with_each_optimisation_level(
    tmp_path: Path, level: GraphOptimization
) -> None:
    engine = OnnxEngine.from_path(
        _add_one_model(tmp_path / "add.onnx"), EngineConfig(graph_optimization=level)
    )
    assert [i.name for i in engine.inputs] == ["x"]
    assert engine.inputs[0].shape == (None, 3)
    (y,) = engine.run({"x": np.zeros((2, 3), np.float32)})
    np.testing.assert_array_equal(y, np.ones((2, 3), np.float32))


def test_bad_model_file_and_bad_inputs_are_typed_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07garbage")
    with pytest.raises(ModelCorrupt, match=r"junk\.onnx"):
        OnnxEngine.from_path(junk)

    with OnnxEngine.from_path(_add_one_model(tmp_path / "add.onnx")) as engine:
        with pytest.raises(EngineError, match="add"):
            engine.run({"x": np.zeros((2, 4), np.float32)})
        with pytest.raises(EngineError):
            engine.run({"nope": np.zeros((2, 3), np.float32)})
    with pytest.raises(EngineError, match="closed"):
        engine.run({"x": np.zeros((1, 3), np.float32)})


@pytest.mark.models
@pytest.mark.parametrize(
    ("name", "dim"), [("sface", 128), ("sface_int8", 128), ("arcface_mbf", 512)]
)
def test_embedding_models_run_through_the_engine(
    model_registry: ModelRegistry, name: str, dim: int
) -> None:
    engine = OnnxEngine.from_path(model_registry.path(name), name=name)
    face = np.random.default_rng(1).random((1, 3, 112, 112), dtype=np.float32)
    (emb,) = engine.run({engine.inputs[0].name: face})
    assert emb.shape == (1, dim)
    assert np.isfinite(emb).all()
