"""int8 packages (hamburger/int8_weights.py) and weights stored once across graphs
(hamburger/weight_files.py), on a small random model."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from hamburger import onnx_io
from hamburger.config import CONFIGS, ModelConfig
from hamburger.graphs import hamburger_graphs
from hamburger.int8_weights import TRANSPOSED_SUFFIX, fold_weight_transposes
from hamburger.model import Hamburger, LlamaForCausalLM, init_weights
from hamburger.package import baseline_config, load_models, write_package
from hamburger.tokenizer import ByteLevelBPE

from engine_cli import engine_generate, needs_engine

TOK = ByteLevelBPE([])
CFG = ModelConfig.from_dict({**CONFIGS["micro"].to_dict(), "vocab_size": TOK.vocab_size})


def _models():
    torch.manual_seed(3)
    h, b = Hamburger(CFG), LlamaForCausalLM(baseline_config(CFG))
    init_weights(h)
    init_weights(b)
    return h.eval(), b.eval()


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("int8")
    h, b = _models()
    originals = {k: v.clone() for k, v in h.state_dict().items()}
    fp32 = write_package(root / "fp32", h, b, TOK, "t", "test", {}, weights="fp32")
    int8 = write_package(root / "int8", h, b, TOK, "t", "test", {}, weights="int8")
    return originals, fp32, int8


def _initializers(path):
    return {i.name: i for i in onnx.load(str(path)).graph.initializer}


def test_transposes_of_weights_become_transposed_weights(tmp_path):
    h, _ = _models()
    onnx_io.trace_graph(hamburger_graphs(h)["heads"], (torch.randn(3, CFG.hidden_size),), ["hidden"],
                        ["logits", "stop_logit"], {"hidden": {0: "n"}}, tmp_path / "heads.onnx")
    path_model = onnx.load(str(tmp_path / "heads.onnx"))
    ops = lambda: [n.op_type for n in path_model.graph.node if n.op_type in ("Transpose", "Gemm", "MatMul", "Add")]
    assert ops() == ["Transpose", "MatMul", "Gemm", "Gemm", "Gemm"]           # lm_head, the stop head's three layers
    fold_weight_transposes(path_model)
    inits = {i.name: i for i in path_model.graph.initializer}
    assert ops() == ["MatMul", "MatMul", "Add", "MatMul", "Add", "MatMul", "Add"]
    assert list(inits["lm_head.weight" + TRANSPOSED_SUFFIX].dims) == [CFG.hidden_size, CFG.vocab_size]
    assert list(inits["stop_head.4.weight" + TRANSPOSED_SUFFIX].dims) == [CFG.hidden_size, 1]
    assert not {"lm_head.weight", "stop_head.4.weight"} & set(inits)           # nothing else read them
    hidden = torch.randn(3, CFG.hidden_size)
    with torch.no_grad():
        want = [t.numpy() for t in hamburger_graphs(h)["heads"](hidden)]
    got = ort.InferenceSession(path_model.SerializeToString()).run(None, {"hidden": hidden.numpy()})
    assert all(np.allclose(g, w, atol=1e-5) for g, w in zip(got, want))


def test_every_matmul_weight_is_int8_per_output_channel(packages):
    _, _, int8 = packages
    man = json.loads((int8 / "hamburger.json").read_text())
    assert man["weights"] == "int8"
    for name in ("base.onnx", "micro.onnx", "heads.onnx", "baseline_base.onnx"):
        inits = _initializers(int8 / name)
        quantized = {k: v for k, v in inits.items() if k.endswith("_quantized")}
        assert quantized and all(v.data_type == onnx.TensorProto.INT8 for v in quantized.values())
        for k, v in quantized.items():
            scale = inits[k.removesuffix("_quantized") + "_scale"]
            assert list(scale.dims) == [v.dims[-1]], k          # one scale per output column
        floats = [k for k, v in inits.items() if v.data_type == onnx.TensorProto.FLOAT and len(v.dims) == 2]
        # No float matrix left but the composer's position embeddings (added, not multiplied).
        assert floats == (["compose.comp_embedder.merger.pos"] if name == "base.onnx" else []), (name, floats)


def test_read_back_weights_are_within_half_a_quantization_step(packages):
    originals, _, int8 = packages
    h, _, _ = load_models(int8)
    for name, w in h.state_dict().items():
        if w.dim() == 2 and "norm" not in name and name != "comp_embedder.merger.pos":
            step = originals[name].abs().amax(dim=1, keepdim=True) / 127      # per output row of the torch weight
            assert ((w - originals[name]).abs() <= step / 2 + 1e-7).all(), name
            assert not torch.equal(w, originals[name])
        else:
            assert torch.equal(w, originals[name]), name


def test_the_int8_embed_graph_reads_the_lm_heads_weight(packages):
    _, _, int8 = packages
    h, _, _ = load_models(int8)
    ids = np.array([0, 5, 260, 17], dtype=np.int64)
    got = ort.InferenceSession(str(int8 / "embed.onnx")).run(None, {"input_ids": ids})[0]
    assert np.array_equal(got, h.embed_tokens.weight.detach().numpy()[ids])
    inits = _initializers(int8 / "embed.onnx")
    assert sorted(inits) == ["embed_tokens.weight__T_quantized", "embed_tokens.weight__T_scale",
                             "embed_tokens.weight__T_zero_point"]


def test_the_int8_graphs_compute_the_dequantized_model_within_the_activation_rounding(packages):
    _, fp32, int8 = packages
    h, _, _ = load_models(int8)
    hidden = np.random.default_rng(0).standard_normal((4, CFG.hidden_size)).astype(np.float32)
    logits = ort.InferenceSession(str(int8 / "heads.onnx")).run(["logits"], {"hidden": hidden})[0]
    with torch.no_grad():
        want = h.model.lm_head(torch.from_numpy(hidden)).numpy()
    # The activations are quantized per call to uint8 (one scale per row): about 1/255 of their range.
    assert np.abs(logits - want).max() < 0.02 * np.abs(want).max()
    exact = ort.InferenceSession(str(fp32 / "heads.onnx")).run(["logits"], {"hidden": hidden})[0]
    assert not np.allclose(logits, exact, atol=1e-6)


@needs_engine
def test_external_int8_weights_are_stored_once_and_the_engine_runs_them(tmp_path, monkeypatch, packages):
    _, _, inline = packages
    h, b = _models()
    monkeypatch.setattr(onnx_io, "EXTERNAL_DATA_BYTES", 0)
    ext = write_package(tmp_path / "ext", h, b, TOK, "t", "test", {}, weights="int8")
    table = CFG.vocab_size * CFG.hidden_size                         # one byte per weight
    data = {p.name: p.stat().st_size for p in ext.glob("*.onnx.data")}
    assert json.loads((ext / "hamburger.json").read_text())["external_data"] == data
    assert data["embed.onnx.data"] >= table and data.get("heads.onnx.data", 0) < table

    def refs(name):
        graph = onnx.load(str(ext / name), load_external_data=False).graph
        return {t.name: {e.key: e.value for e in t.external_data} for t in graph.initializer
                if t.data_location == onnx.TensorProto.EXTERNAL}

    # The tied table/LM head: in embed's file, read from there by base, micro and heads.
    for name, head in (("heads.onnx", "lm_head"), ("base.onnx", "llm.model.embed_tokens"), ("micro.onnx", "lm_head")):
        assert refs(name)[head + ".weight__T_quantized"]["location"] == "embed.onnx.data", name
    assert refs("baseline_base.onnx")["llm.model.embed_tokens.weight__T_quantized"]["location"] == "baseline_embed.onnx.data"
    assert all(int(r.get("offset", 0)) % 4096 == 0 for r in refs("base.onnx").values())
    inline_size = sum(p.stat().st_size for p in inline.glob("*.onnx"))
    # Three copies of the table fewer in the HAMburger graphs, two in the baseline's (less the page alignment).
    assert sum(p.stat().st_size for p in ext.glob("*.onnx*")) < inline_size - 3 * table

    want, error = engine_generate(inline)
    assert error is None, error
    got, error = engine_generate(ext)
    assert error is None, error
    assert got["token_ids"] == want["token_ids"] and len(got["token_ids"]) == 12


def test_the_default_is_int8_above_500_million_parameters():
    from hamburger.config import REFERENCE_1B
    from hamburger.import_reference import default_weights
    assert default_weights(REFERENCE_1B) == "int8"
    assert default_weights(CONFIGS["tiny"]) == "fp16"


@needs_engine
def test_repack_rewrites_the_graphs_and_copies_everything_else(tmp_path):
    from conftest import SHIPPED
    from hamburger.__main__ import main
    out = tmp_path / "tiny-int8"
    assert main(["repack", "--package", str(SHIPPED), "--weights", "int8", "--out", str(out)]) == 0
    man, shipped = (json.loads((p / "hamburger.json").read_text()) for p in (out, SHIPPED))
    assert man["weights"] == "int8" and man["provenance"]["repacked"] == {"from": str(SHIPPED), "weights": "int8",
                                                                           "was": "fp16"}
    assert {k: v for k, v in man.items() if k not in ("weights", "provenance")} == {
        k: v for k, v in shipped.items() if k != "provenance"}
    assert {k: v for k, v in man["provenance"].items() if k != "repacked"} == shipped["provenance"]
    others = lambda p: sorted(str(f.relative_to(p)) for f in p.rglob("*") if f.is_file() and f.suffix != ".onnx"
                              and f.name != "hamburger.json")
    assert others(out) == others(SHIPPED)
    assert all((out / f).read_bytes() == (SHIPPED / f).read_bytes() for f in others(SHIPPED))
    assert sum(f.stat().st_size for f in out.glob("*.onnx")) < 0.6 * sum(f.stat().st_size for f in SHIPPED.glob("*.onnx"))
    got, error = engine_generate(out, prompt="Copy this: ab ba", raw=False)
    assert error is None, error
    assert len(got["token_ids"]) > 0
    with pytest.raises(SystemExit, match="already exists"):
        main(["repack", "--package", str(SHIPPED), "--weights", "fp32", "--out", str(out)])
