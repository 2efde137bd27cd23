"""int8 weights, made by ONNX Runtime's own quantizer.

Every MatMul whose second input is a weight gets per-output-channel int8 weights
(`onnxruntime.quantization.quantize_dynamic`, symmetric QInt8); ONNX Runtime fuses each into
a DynamicQuantizeMatMul that reads the int8 weights as they are and quantizes the
activations per call (docs/real-models.md: why this format, measured against the others).

The TorchScript exporter writes a Linear's weight [out, in] and a Transpose node in front of
its MatMul; the quantizer only quantizes MatMuls fed by an initializer, so the transposes
are folded first into initializers named `<weight>__T` (read_weights maps them back).

The embedding table is the LM head's weight (tied, as in Llama 3.2 1B). The int8 embed graph
gathers columns of the LM head's quantized weight and their scales instead of holding a
table of its own, so the package stores the 128k x 2048 matrix once for all its graphs.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TRANSPOSED_SUFFIX = "__T"
# The names ONNX Runtime's quantizer gives a quantized weight's tensors.
QUANTIZED_SUFFIX, SCALE_SUFFIX, ZERO_POINT_SUFFIX = "_quantized", "_scale", "_zero_point"


def fold_weight_transposes(model: onnx.ModelProto) -> None:
    """Transpose(W) -> MatMul and Gemm(x, W, b, transB=1) -> MatMul + Add, both reading a
    transposed initializer `<W>__T` in W's place. A weight that nothing else reads is
    transposed in place, one at a time: a 1B graph is not copied."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1

    def transposed(source: str) -> str:
        new_name = source + TRANSPOSED_SUFFIX
        if new_name not in inits:
            t = numpy_helper.from_array(np.ascontiguousarray(numpy_helper.to_array(inits[source]).T), new_name)
            if readers[source] == 1:
                inits[source].CopyFrom(t)
                inits[new_name] = inits.pop(source)
            else:
                graph.initializer.append(t)
                inits[new_name] = graph.initializer[-1]
        return new_name

    renamed: dict[str, str] = {}                       # Transpose output -> transposed initializer
    nodes = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        weight = node.input[1] if node.op_type == "Gemm" and len(node.input) > 1 else node.input[0] if node.input else None
        is_matrix = weight in inits and len(inits[weight].dims) == 2
        if node.op_type == "Transpose" and is_matrix and attrs.get("perm", [1, 0]) == [1, 0]:
            renamed[node.output[0]] = transposed(weight)
        elif (node.op_type == "Gemm" and is_matrix and attrs.get("transB") == 1 and not attrs.get("transA")
              and attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0):
            product = node.output[0] + "_matmul" if len(node.input) > 2 else node.output[0]
            nodes.append(helper.make_node("MatMul", [node.input[0], transposed(weight)], [product], name=node.name + "_matmul"))
            if len(node.input) > 2:
                nodes.append(helper.make_node("Add", [product, node.input[2]], [node.output[0]], name=node.name + "_bias"))
        else:
            nodes.append(node)
    for node in nodes:
        for i, name in enumerate(node.input):
            node.input[i] = renamed.get(name, name)
    if any(output.name in renamed for output in graph.output):
        raise ValueError("a graph output is a transposed weight")
    del graph.node[:]
    graph.node.extend(nodes)


def quantize_int8(raw: Path, scratch: Path) -> onnx.ModelProto:
    """The exported graph at `raw` with int8 MatMul weights; `scratch` holds the steps between."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(raw))
    fold_weight_transposes(model)
    folded, quantized = scratch / "folded.onnx", scratch / "quantized.onnx"
    onnx.save(model, str(folded), save_as_external_data=True, location="folded.onnx.data")
    del model
    # Its advice to pre-process (shape inference, graph optimizations) is for activation
    # quantization; weight-only MatMul quantization needs neither.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(folded, quantized, op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8, use_external_data_format=True,
                         extra_options={"MatMulConstBOnly": True, "WeightSymmetric": True})
    finally:
        root.setLevel(level)
    model = onnx.load(str(quantized))
    del model.metadata_props[:]                     # the quantizer's notes on pre-processing
    return model


def lm_head_weight(heads: onnx.ModelProto, vocab_size: int) -> tuple[str, dict[str, TensorProto]]:
    """The quantized LM head of an int8 `heads` graph: its stem name and its three tensors."""
    inits = {i.name: i for i in heads.graph.initializer}
    candidates = [name.removesuffix(QUANTIZED_SUFFIX) for name, t in inits.items()
                  if name.endswith(QUANTIZED_SUFFIX) and t.dims[-1] == vocab_size]
    if len(candidates) != 1:
        raise ValueError(f"the heads graph should hold one quantized LM head, found {candidates}")
    stem = candidates[0]
    return stem, {s: inits[stem + s] for s in (QUANTIZED_SUFFIX, SCALE_SUFFIX, ZERO_POINT_SUFFIX)}


def int8_embed_graph(heads: onnx.ModelProto, embed_name: str, vocab_size: int) -> onnx.ModelProto:
    """input_ids [n] -> embeddings [n, D], read from the LM head's int8 weight [D, V]: the
    columns of the ids, dequantized with their own scales. `embed_name`: the table's torch
    name (read_weights maps the tensors back to it)."""
    _, tensors = lm_head_weight(heads, vocab_size)
    stem = embed_name + TRANSPOSED_SUFFIX
    weight, scale, zero = (numpy_helper.from_array(numpy_helper.to_array(tensors[s]), stem + s)
                           for s in (QUANTIZED_SUFFIX, SCALE_SUFFIX, ZERO_POINT_SUFFIX))
    d = weight.dims[0]
    nodes = [
        helper.make_node("Gather", [weight.name, "input_ids"], ["columns"], axis=1),   # [D, n] int8
        helper.make_node("Gather", [scale.name, "input_ids"], ["column_scales"], axis=0),
        helper.make_node("Gather", [zero.name, "input_ids"], ["column_zero_points"], axis=0),
        helper.make_node("DequantizeLinear", ["columns", "column_scales", "column_zero_points"], ["embeddings_t"], axis=1),
        helper.make_node("Transpose", ["embeddings_t"], ["embeddings"], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        nodes, "embed",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["n", d])],
        [weight, scale, zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=heads.ir_version)
    onnx.checker.check_model(model)
    return model
