"""ONNX export of the graph modules, with the weights stored as float16, int8 or float32.

fp16 (our own packages): each float initializer becomes a float16 initializer plus a Cast
back to float32, which ONNX Runtime folds once at session creation; the graph computes in
float32 throughout. The torch model is rounded to float16 weights before export and before
golden traces, so both sides compute with identical weights.
int8 (real-size packages): the weights of every MatMul quantized by ONNX Runtime's own
quantizer (int8_weights.py). fp32: the weights as they are.
`read_weights` reverses each storage to load a package back into torch (for the tests and
the evaluation).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import helper, numpy_helper

from .int8_weights import QUANTIZED_SUFFIX, SCALE_SUFFIX, TRANSPOSED_SUFFIX, ZERO_POINT_SUFFIX, quantize_int8

OPSET = 17
FP16_SUFFIX = "__fp16"
WEIGHT_FORMATS = ("int8", "fp16", "fp32")
BYTES_PER_WEIGHT = {"int8": 1, "fp16": 2, "fp32": 4}
# Packages whose weights exceed this keep them in `<graph>.onnx.data` files beside the graphs
# (protobuf cannot hold 2 GB), each distinct tensor once (weight_files.py); the package's
# manifest lists each such file with its size.
EXTERNAL_DATA_BYTES = 1 << 30


def round_to_fp16(module: nn.Module) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())


def trace_graph(module: nn.Module, args: tuple, input_names: list[str], output_names: list[str],
                dynamic_axes: dict, path: Path) -> None:
    """The module traced to an ONNX graph at `path` with float32 weights; over 2 GB the
    exporter writes the weights as files beside it, so each graph gets a folder of its own."""
    # Training mode (the model has no dropout or batch norm, so it computes the same) keeps
    # the exporter from merging initializers that merely hold equal values, which would
    # lose their names; tied weights (one tensor) are still stored once.
    # dynamo=False: the TorchScript exporter (torch 2.9 made torch.export's the default),
    # whose graphs keep the torch parameter names that `read_weights` maps back; the dynamo
    # exporter cannot turn `dynamic_axes` into shapes for the graphs' `*past` inputs.
    module.train()
    torch.onnx.export(module, args, str(path), input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, dynamo=False)
    module.eval()


def stored_graph(traced: Path, weights: str) -> onnx.ModelProto:
    """A traced graph with its weights as the package stores them."""
    if weights == "int8":
        with tempfile.TemporaryDirectory(prefix=".quantize.", dir=traced.parent) as scratch:
            return quantize_int8(traced, Path(scratch))
    model = onnx.load(str(traced))
    return with_fp16_storage(model) if weights == "fp16" else model


def with_fp16_storage(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and np.prod(init.dims) > 1:
            arr = numpy_helper.to_array(init)
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + FP16_SUFFIX)
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                          name="cast_" + init.name))
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """Initializers by their torch names, the storage undone: float16 back to float32, int8
    dequantized (per output channel: the last axis of a MatMul's weight), transposed
    weights transposed back."""
    model = onnx.load(str(path))
    arrays = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    out = {}
    for name, arr in arrays.items():
        if name.endswith(SCALE_SUFFIX) or name.endswith(ZERO_POINT_SUFFIX):
            continue
        if name.endswith(QUANTIZED_SUFFIX):
            stem = name.removesuffix(QUANTIZED_SUFFIX)
            zero = arrays[stem + ZERO_POINT_SUFFIX].astype(np.float32)
            arr = (arr.astype(np.float32) - zero) * arrays[stem + SCALE_SUFFIX]
            name = stem
        name = name.removesuffix(FP16_SUFFIX)
        if name.endswith(TRANSPOSED_SUFFIX):
            name, arr = name.removesuffix(TRANSPOSED_SUFFIX), arr.T
        out[name] = torch.from_numpy(np.array(arr, dtype=np.float32))   # a writable copy
    return out


def io_names(path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]
