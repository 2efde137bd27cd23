"""ONNX export of the graph modules, with weights stored as float16 to halve the package.

Each float initializer becomes a float16 initializer plus a Cast back to float32, which
ONNX Runtime folds once at session creation; the graph computes in float32 throughout.
The torch model is rounded to float16 weights before export and before golden traces, so
both sides compute with identical weights. `read_weights` reverses the storage to load a
package back into torch (for the tests and the evaluation).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import helper, numpy_helper

OPSET = 17
FP16_SUFFIX = "__fp16"
# Graphs whose weights exceed this keep them in `<graph>.onnx.data` beside the graph
# (protobuf cannot hold 2 GB); the package's manifest lists each such file with its size.
EXTERNAL_DATA_BYTES = 1 << 30


def round_to_fp16(module: nn.Module) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())


def export_graph(module: nn.Module, args: tuple, path: Path, input_names: list[str],
                 output_names: list[str], dynamic_axes: dict) -> None:
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
    store_weights_fp16(path)


def store_weights_fp16(path: Path) -> None:
    model = onnx.load(str(path))
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
    if sum(np.prod(i.dims) * 2 for i in graph.initializer) > EXTERNAL_DATA_BYTES:
        # Protobuf cannot hold more than 2 GB: big models keep their weights beside the graph.
        onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                  location=path.name + ".data")
        onnx.checker.check_model(str(path))
    else:
        onnx.checker.check_model(model)
        onnx.save(model, str(path))


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """Initializers by their torch names, float16 storage undone."""
    model = onnx.load(str(path))
    out = {}
    for init in model.graph.initializer:
        name = init.name.removesuffix(FP16_SUFFIX)
        out[name] = torch.from_numpy(numpy_helper.to_array(init).astype(np.float32).copy())
    return out


def io_names(path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]
