from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from models import ManifestError, ModelFetchError
from models.transforms import dequantize_weights, get_transform, strip_unused_inputs


def _model_with_unused_input() -> bytes:
    weight = numpy_helper.from_array(np.full((1, 4), 2.0, np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["y"])],
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [1, 4]),  # also an initializer
            helper.make_tensor_value_info("unused", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def _block_quantised_model(q: np.ndarray, scale: np.ndarray, zero: np.ndarray) -> bytes:
    nodes = [
        helper.make_node("DequantizeLinear", ["q", "s", "z"], ["w"], axis=0, block_size=2),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, q.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, q.shape[1]])],
        [
            numpy_helper.from_array(q, "q"),
            numpy_helper.from_array(scale, "s"),
            numpy_helper.from_array(zero, "z"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model.SerializeToString()


def test_strip_unused_inputs_keeps_only_fed_tensors() -> None:
    import onnxruntime as ort

    stripped = strip_unused_inputs(_model_with_unused_input())
    model = onnx.load_from_string(stripped)
    assert [i.name for i in model.graph.input] == ["x"]
    assert strip_unused_inputs(stripped) == stripped, "idempotent"
    session = ort.InferenceSession(stripped, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": np.ones((1, 4), np.float32)})
    np.testing.assert_allclose(y, 2.0)


def test_dequantize_weights_matches_the_operator_definition() -> None:
    rng = np.random.default_rng(7)
    q = rng.integers(-128, 127, size=(4, 3), dtype=np.int8)
    scale = rng.uniform(0.01, 0.1, size=(2, 3)).astype(np.float32)
    zero = rng.integers(-3, 3, size=(2, 3), dtype=np.int8)
    folded = dequantize_weights(_block_quantised_model(q, scale, zero))
    model = onnx.load_from_string(folded)
    assert [n.op_type for n in model.graph.node] == ["MatMul"]
    w = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "w"))
    expected = (q.astype(np.float32) - np.repeat(zero, 2, 0)) * np.repeat(scale, 2, 0)
    np.testing.assert_allclose(w, expected, rtol=1e-6)


def test_transforms_reject_non_onnx_bytes() -> None:
    with pytest.raises(ModelFetchError):
        strip_unused_inputs(b"\x00not a model")
    with pytest.raises(ModelFetchError):
        dequantize_weights(b"\x00not a model")


def test_unknown_transform_name() -> None:
    with pytest.raises(ManifestError, match="Unknown model transform"):
        get_transform("sharpen")
