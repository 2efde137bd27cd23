"""Writing a package's graphs, large packages with their weights in external data files.

ONNX's protobuf holds at most 2 GB, so a real-size package keeps its weights beside the
graphs (ONNX external data). Each graph's weights go to `<graph>.onnx.data`, except a tensor
that an earlier graph of the package already wrote: that one points into the earlier
graph's file. The LM head of a 1B model (tied to the embedding: 128,256 x 2,048) appears in
the embed, base, micro and heads graphs and is stored once. Offsets are page-aligned, so
that ONNX Runtime can map the weights instead of copying them.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
from onnx.external_data_helper import set_external_data

ALIGNMENT = 4096
# Smaller tensors (norm weights, scales) stay inside the graph.
MIN_EXTERNAL_BYTES = 1024


class GraphWriter:
    def __init__(self, external: bool):
        self.external = external
        self._written: dict[bytes, tuple[str, int, int]] = {}   # digest -> (file, offset, length)

    def save(self, model: onnx.ModelProto, path: Path) -> None:
        if self.external:
            self._move_weights_out(model, path)
            onnx.save(model, str(path))
            onnx.checker.check_model(str(path))
        else:
            onnx.checker.check_model(model)
            onnx.save(model, str(path))

    def _move_weights_out(self, model: onnx.ModelProto, path: Path) -> None:
        data_path = path.with_name(path.name + ".data")
        with open(data_path, "wb") as data:
            for tensor in model.graph.initializer:
                if not tensor.HasField("raw_data") or len(tensor.raw_data) < MIN_EXTERNAL_BYTES:
                    continue
                raw = tensor.raw_data
                digest = hashlib.sha256(b"%d:%r:" % (tensor.data_type, tuple(tensor.dims)) + raw).digest()
                if digest not in self._written:
                    offset = (data.tell() + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
                    data.seek(offset)
                    data.write(raw)
                    self._written[digest] = (data_path.name, offset, len(raw))
                location, offset, length = self._written[digest]
                set_external_data(tensor, location, offset, length)
                tensor.ClearField("raw_data")
                tensor.data_location = onnx.TensorProto.EXTERNAL
        if data_path.stat().st_size == 0:
            data_path.unlink()
