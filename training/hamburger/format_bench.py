"""Which int8 format for real-size packages, measured: `python3 -m hamburger.format_bench`.

The seven weight matrices of one Llama-3.2-1B decoder layer (q, k, v, o, gate, up, down) as
MatMuls at batch 1, run by ONNX Runtime in four storages made by its own tools: float32;
int8 per output channel from `quantize_dynamic` (what packages use: int8_weights.py);
MatMulNBits with 4-bit and with 8-bit blocks of 32 (`MatMulNBitsQuantizer`). Prints, per
format and thread count, the median milliseconds of a call, the weight bytes, the bytes read
per millisecond, and the largest output error against float32 relative to the output's scale.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from .int8_weights import quantize_int8

HIDDEN, INTERMEDIATE, KV = 2048, 8192, 512
SHAPES = {"q": (HIDDEN, HIDDEN), "k": (HIDDEN, KV), "v": (HIDDEN, KV), "o": (HIDDEN, HIDDEN),
          "gate": (HIDDEN, INTERMEDIATE), "up": (HIDDEN, INTERMEDIATE), "down": (INTERMEDIATE, HIDDEN)}
RUNS = 30


def layer_graph(seed: int = 0) -> onnx.ModelProto:
    """x [1, 2048] and h [1, 8192] in; each projection's product out."""
    rng = np.random.default_rng(seed)
    inits, nodes, outputs = [], [], []
    for name, (k, n) in SHAPES.items():
        w = (rng.standard_normal((k, n)) * 0.02).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"{name}.weight"))
        nodes.append(helper.make_node("MatMul", ["h" if name == "down" else "x", f"{name}.weight"], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, n]))
    graph = helper.make_graph(nodes, "layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, HIDDEN]),
                                               helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, INTERMEDIATE])],
                              outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)


def nbits(model: onnx.ModelProto, bits: int) -> onnx.ModelProto:
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer
    quantizer = MatMulNBitsQuantizer(model, algo_config=DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True,
                                                                                     bits=bits))
    quantizer.process()
    return quantizer.model.model


def weight_bytes(model: onnx.ModelProto) -> int:
    return sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)


def timed(model: onnx.ModelProto, threads: int, feed: dict) -> tuple[float, list[np.ndarray]]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    out = session.run(None, feed)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), out


def main() -> list[dict]:
    fp32 = layer_graph()
    with tempfile.TemporaryDirectory() as scratch:
        onnx.save(fp32, f"{scratch}/layer.onnx")
        int8 = quantize_int8(Path(scratch) / "layer.onnx", Path(scratch))
    formats = {"fp32": fp32, "int8 per channel (quantize_dynamic)": int8,
               "4-bit MatMulNBits": nbits(layer_graph(), 4), "8-bit MatMulNBits": nbits(layer_graph(), 8)}
    rng = np.random.default_rng(1)
    feed = {"x": rng.standard_normal((1, HIDDEN)).astype(np.float32),
            "h": rng.standard_normal((1, INTERMEDIATE)).astype(np.float32)}
    rows, exact = [], None
    for name, model in formats.items():
        for threads in (1, 2):
            ms, out = timed(model, threads, feed)
            exact = out if exact is None else exact
            error = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(out, exact))
            rows.append({"format": name, "threads": threads, "ms": round(ms, 2), "weight_bytes": weight_bytes(model),
                         "gb_per_s": round(weight_bytes(model) / ms / 1e6, 2), "max_rel_error": round(error, 5)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
