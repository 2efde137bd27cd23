"""The figures `npm run scale-check` and the int8 docs read: graph weight bytes wherever they are
stored (hamburger/measure.py), and the golden-trace agreement of a package (golden_agreement.py)."""
import json
import shutil

import onnx
from onnx import numpy_helper

from hamburger import onnx_io
from hamburger.measure import graph_weight_bytes, params
from hamburger.golden_agreement import agreement
from test_int8_weights import CFG, TOK, _models
from hamburger.package import write_package

from conftest import SHIPPED
from engine_cli import needs_engine


def test_graph_weight_bytes_are_the_same_inline_and_external(tmp_path, monkeypatch):
    h, b = _models()
    inline = write_package(tmp_path / "inline", h, b, TOK, "t", "test", {}, weights="int8")
    monkeypatch.setattr(onnx_io, "EXTERNAL_DATA_BYTES", 0)
    ext = write_package(tmp_path / "ext", h, b, TOK, "t", "test", {}, weights="int8")
    for name in ("embed.onnx", "base.onnx", "micro.onnx", "heads.onnx", "baseline_base.onnx"):
        want = sum(numpy_helper.to_array(t).nbytes for t in onnx.load(str(inline / name)).graph.initializer)
        assert graph_weight_bytes(inline / name) == want == graph_weight_bytes(ext / name), name
    # The embed graph reads the LM head's int8 weight: a byte per weight, plus a scale and a zero point per id.
    assert graph_weight_bytes(ext / "embed.onnx") == CFG.vocab_size * (CFG.hidden_size + 4 + 1)
    man = json.loads((ext / "hamburger.json").read_text())
    assert params(man) == {"hamburger": sum(p.numel() for p in h.parameters()),
                           "baseline": sum(p.numel() for p in b.parameters())}


@needs_engine
def test_the_shipped_package_agrees_with_its_own_golden_traces(tmp_path):
    golden = tmp_path / "golden"
    golden.mkdir()
    for name in ("copy-hamburger.json", "copy-baseline.json"):
        shutil.copyfile(SHIPPED / "golden" / name, golden / name)
    report = agreement(SHIPPED, golden)
    assert (report["traces"], report["identical"]) == (2, 2)
    assert report["agreeing_tokens"] == report["golden_tokens"] > 0
