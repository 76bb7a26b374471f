"""Deterministic byte transforms applied to a model file at fetch time.

A transform takes the extracted bytes and returns the bytes to store; the
manifest pins the hash of the result, so a transform that changes its
output is caught by verification like any other corruption.
"""

from __future__ import annotations

from collections.abc import Callable

from models.errors import ManifestError, ModelFetchError

Transform = Callable[[bytes], bytes]


def strip_unused_inputs(model_bytes: bytes) -> bytes:
    """Keep as graph inputs only the tensors a caller must feed.

    OpenCV Zoo's block-quantised SFace declares its original float weights
    as graph inputs although the quantised graph never reads them (ONNX
    Runtime and OpenCV's DNN reject that), and lists its other weights both
    as inputs and initializers, which stops constant folding. Both kinds
    are removed from the input list; unused initializers are dropped.

    Raises:
        ModelFetchError: the bytes are not an ONNX model.
    """
    import onnx  # fetch-time only

    try:
        model = onnx.load_from_string(model_bytes)
    except Exception as exc:  # onnx raises DecodeError and others
        raise ModelFetchError("The extracted file is not a valid ONNX model.") from exc
    consumed: set[str] = set()
    for node in model.graph.node:
        consumed.update(node.input)
    consumed.update(o.name for o in model.graph.output)
    initializers = {t.name for t in model.graph.initializer}
    keep = [i for i in model.graph.input if i.name in consumed and i.name not in initializers]
    if len(keep) == len(model.graph.input):
        return model_bytes
    del model.graph.input[:]
    model.graph.input.extend(keep)
    used_inits = [t for t in model.graph.initializer if t.name in consumed]
    del model.graph.initializer[:]
    model.graph.initializer.extend(used_inits)
    return bytes(model.SerializeToString(deterministic=True))


def dequantize_weights(model_bytes: bytes) -> bytes:
    """Fold weight-only ``DequantizeLinear`` nodes into float32 initializers.

    OpenCV Zoo's ``int8bq`` models store weights block-quantised and
    dequantise them on every run; ONNX Runtime does not constant-fold that,
    so the float32 form of the same weights runs faster on the CPU. The
    arithmetic is exactly the operator's: ``(q - zero_point) * scale`` with
    scale and zero point repeated ``block_size`` times along ``axis``.

    Raises:
        ModelFetchError: the bytes are not an ONNX model.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load_from_string(model_bytes)
    except Exception as exc:
        raise ModelFetchError("The extracted file is not a valid ONNX model.") from exc
    inits = {t.name: t for t in model.graph.initializer}
    folded: list[onnx.NodeProto] = []
    new_inits: list[onnx.TensorProto] = []
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear" or not all(i in inits for i in node.input if i):
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        q = numpy_helper.to_array(inits[node.input[0]]).astype(np.float32)
        scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
        zero = (
            numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
            if len(node.input) > 2 and node.input[2]
            else np.zeros_like(scale)
        )
        axis = int(attrs.get("axis", 1)) % max(q.ndim, 1)
        block = int(attrs.get("block_size", 0))
        if scale.ndim == 0 or scale.size == 1:
            value = (q - zero.reshape(())) * scale.reshape(())
        elif block > 0:
            reps = np.repeat(scale, block, axis=axis)
            zreps = np.repeat(zero, block, axis=axis)
            index = [slice(None)] * q.ndim
            index[axis] = slice(0, q.shape[axis])
            value = (q - zreps[tuple(index)]) * reps[tuple(index)]
        else:
            shape = [1] * q.ndim
            shape[axis] = -1
            value = (q - zero.reshape(shape)) * scale.reshape(shape)
        new_inits.append(numpy_helper.from_array(value.astype(np.float32), node.output[0]))
        folded.append(node)
    if not folded:
        return model_bytes
    for node in folded:
        model.graph.node.remove(node)
    model.graph.initializer.extend(new_inits)
    consumed = {i for n in model.graph.node for i in n.input} | {o.name for o in model.graph.output}
    kept = [t for t in model.graph.initializer if t.name in consumed]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    return bytes(model.SerializeToString(deterministic=True))


TRANSFORMS: dict[str, Transform] = {
    "strip_unused_inputs": strip_unused_inputs,
    "dequantize_weights": dequantize_weights,
}


def get_transform(name: str) -> Transform:
    """The transform called ``name``.

    Raises:
        ManifestError: no such transform.
    """
    try:
        return TRANSFORMS[name]
    except KeyError:
        raise ManifestError(
            f"Unknown model transform '{name}'; known: {', '.join(sorted(TRANSFORMS))}."
        ) from None
