"""Figures `npm run scale-check` needs from the Python side, as one JSON object on stdout:
`python3 -m hamburger.measure PACKAGE`.

- params: the HAMburger's and the baseline's parameters (a tied embedding counts once);
- graph_weight_bytes: the bytes of weights each graph reads per call, wherever they are stored
  (inside the graph or in an external data file);
- read_bandwidth_gbps: this machine's memory read bandwidth, one core: numpy reducing a 1 GiB
  array (the max of its bytes, the bitwise or of its 64-bit words: SIMD loops that wait on
  memory, not on arithmetic), the best of five passes of each.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch

from .config import ModelConfig
from .model import Hamburger, LlamaForCausalLM
from .package import baseline_config

BANDWIDTH_BYTES = 1 << 30


def params(man: dict) -> dict[str, int]:
    cfg = ModelConfig.from_dict(man["architecture"])
    with torch.device("meta"):
        out = {"hamburger": sum(p.numel() for p in Hamburger(cfg).parameters())}
        if "baseline" in man:
            out["baseline"] = sum(p.numel() for p in LlamaForCausalLM(baseline_config(cfg)).parameters())
    return out


def graph_weight_bytes(path: Path) -> int:
    total = 0
    for t in onnx.load(str(path), load_external_data=False).graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            total += int({e.key: e.value for e in t.external_data}["length"])
        else:
            total += len(t.raw_data) if t.HasField("raw_data") else onnx.numpy_helper.to_array(t).nbytes
    return total


def read_bandwidth_gbps() -> float:
    a = np.ones(BANDWIDTH_BYTES, dtype=np.int8)
    words = a.view(np.int64)
    best = float("inf")
    for reduce in (a.max, lambda: np.bitwise_or.reduce(words)):
        for _ in range(5):
            start = time.perf_counter()
            reduce()
            best = min(best, time.perf_counter() - start)
    return BANDWIDTH_BYTES / best / 1e9


def main(package: Path) -> dict:
    man = json.loads((package / "hamburger.json").read_text())
    files = {**man["graphs"], **{f"baseline_{k}": v for k, v in man.get("baseline", {}).get("graphs", {}).items()}}
    return {"params": params(man), "weights": man.get("weights", "fp16"),
            "graph_weight_bytes": {key: graph_weight_bytes(package / f) for key, f in files.items()},
            "read_bandwidth_gbps": read_bandwidth_gbps()}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
