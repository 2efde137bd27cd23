import json

import pytest
import torch

from hamburger.config import CONFIGS, ModelConfig
from hamburger.model import Hamburger, LlamaForCausalLM, init_weights
from hamburger.onnx_io import io_names
from hamburger.package import baseline_config, load_models, write_package
from hamburger.tokenizer import ByteLevelBPE

from engine_cli import engine_generate, needs_engine
from hamburger.train import load_checkpoint, load_state

TOK = ByteLevelBPE([])  # specials + bytes: 261 tokens
CFG = ModelConfig.from_dict({**CONFIGS["micro"].to_dict(), "vocab_size": TOK.vocab_size})


def _models(seed=0):
    torch.manual_seed(seed)
    h, b = Hamburger(CFG), LlamaForCausalLM(baseline_config(CFG))
    init_weights(h)
    init_weights(b)
    return h, b


def test_graph_interfaces_follow_the_contract(tmp_path):
    h, b = _models()
    out = write_package(tmp_path / "pkg", h, b, TOK, "t", "test", {})
    kv = lambda prefix, n: [f"{prefix}_{k}_{i}" for i in range(n) for k in ("key", "value")]
    assert io_names(out / "base.onnx") == (["inputs_embeds", "group", "position_ids"] + kv("past", 2),
                                           ["features", "logits", "stop_logit"] + kv("new", 2))
    assert io_names(out / "micro.onnx") == (["hiddens", "position_ids"] + kv("past", 1),
                                            ["logits", "stop_logit"] + kv("new", 1))
    assert io_names(out / "heads.onnx") == (["hidden"], ["logits", "stop_logit"])
    assert io_names(out / "baseline_base.onnx") == (["inputs_embeds", "position_ids"] + kv("past", 2),
                                                    ["features", "logits"] + kv("new", 2))
    man = json.loads((out / "hamburger.json").read_text())
    assert man["baseline"]["architecture"]["feature_layers"] == [2]
    h2, b2, _ = load_models(out)
    for a, c in ((h, h2), (b, b2)):
        sa, sc = a.state_dict(), c.state_dict()
        assert all(torch.equal(sa[k], sc[k]) for k in sa)   # weights round to float16 both sides


def test_existing_folder_is_refused_and_left_untouched(tmp_path):
    h, b = _models()
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="already exists"):
        write_package(target, h, b, TOK, "t", "test", {})
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_failed_export_leaves_the_old_package_and_no_temporary_folder(tmp_path):
    h, b = _models()
    target = write_package(tmp_path / "pkg", h, b, TOK, "t", "test", {})
    before = sorted(p.name for p in target.iterdir())

    def explode(path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_package(target, h, b, TOK, "t", "test", {}, {"x.json": explode}, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_vocab_mismatch_is_refused(tmp_path):
    cfg = ModelConfig.from_dict({**CFG.to_dict(), "vocab_size": 300})
    with pytest.raises(SystemExit, match="vocab_size 300 != tokenizer vocab size 261"):
        write_package(tmp_path / "pkg", Hamburger(cfg), None, TOK, "t", "test", {})


def test_checkpoint_errors_are_clear(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "bad.pt").write_text("garbage")
    with pytest.raises(SystemExit, match="corrupt or not a checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    h, _ = _models()
    wider = Hamburger(ModelConfig.from_dict({**CFG.to_dict(), "intermediate_size": 256}))
    with pytest.raises(SystemExit, match="does not fit the model config"):
        load_state(wider, h.state_dict(), "the checkpoint")


def test_the_default_answer_length_follows_the_vocabulary():
    from hamburger.package import default_max_new_tokens
    assert default_max_new_tokens(CFG) == 640                               # one id per byte
    assert default_max_new_tokens(CONFIGS["tiny"]) == 256                   # the shipped BPE, 2,048 ids


@needs_engine
def test_graphs_over_the_threshold_keep_their_weights_in_external_data_that_the_engine_loads(tmp_path, monkeypatch):
    from hamburger import onnx_io
    h, b = _models()
    plain = write_package(tmp_path / "plain", h, b, TOK, "t", "test", {})
    monkeypatch.setattr(onnx_io, "EXTERNAL_DATA_BYTES", 0)
    ext = write_package(tmp_path / "ext", h, b, TOK, "t", "test", {})
    data = sorted(ext.glob("*.onnx.data"))
    # Each tensor once: the baseline's heads graph holds only its LM head, which is its embed graph's table.
    assert [p.name for p in data] == sorted(f"{g}.data" for g in (
        "embed.onnx", "base.onnx", "micro.onnx", "heads.onnx", "baseline_embed.onnx", "baseline_base.onnx"))
    man = json.loads((ext / "hamburger.json").read_text())
    assert man["external_data"] == {p.name: p.stat().st_size for p in data}
    assert "external_data" not in json.loads((plain / "hamburger.json").read_text())
    h2, b2, _ = load_models(ext)                      # the weights read back from external data
    assert all(torch.equal(v, h2.state_dict()[k]) for k, v in h.state_dict().items())

    want, error = engine_generate(plain)
    assert error is None, error
    got, error = engine_generate(ext)
    assert error is None, error
    assert got["token_ids"] == want["token_ids"] and len(got["token_ids"]) == 12
    assert got["memory"]["weights_bytes"] == sum(p.stat().st_size for p in ext.glob("*.onnx*"))

    base_data = ext / "base.onnx.data"
    base_data.write_bytes(base_data.read_bytes()[:-100])
    got, error = engine_generate(ext)
    assert got is None and "[external_data_invalid] (external_data.base.onnx.data" in error and "truncated" in error
    base_data.unlink()
    got, error = engine_generate(ext)
    assert got is None and "[external_data_invalid]" in error and "missing" in error
