"""The synthetic release (hamburger/synthetic_release.py): a Lightning checkpoint with the authors'
names and a Llama-3.2-1B-Instruct folder that the libraries that read the real ones read alike."""
import hashlib
import json
import math

import pytest
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer

from hamburger.__main__ import main
from hamburger.config import REFERENCE_1B
from hamburger.convert import load_reference, read_lightning_state
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs
from hamburger.model import Hamburger, LlamaForCausalLM
from hamburger.package import baseline_config
from hamburger import synthetic_release as sr

from engine_cli import engine_generate, needs_engine

TINY = sr.SHAPES["tiny"]
SEED = 7
# sha256 of Llama 3.1/3.2's 256 special tokens as "<id>\t<content>" lines joined by "\n", as a
# public project computed it from the official tokenizer.json.
LLAMA3_SPECIALS_SHA256 = "ebbf6dbf38ef61c1554ba8101087efde62220b2dc3a5b1f2f8aa24b10a8dd973"
PROMPT = ("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWrite a short story about a cat."
          "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")


@pytest.fixture(scope="session")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic") / "release"
    sr.write_synthetic_release(out, "tiny", SEED)
    return out


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_release_has_the_real_files(release):
    assert sorted(files(release)) == ["hamburger.ckpt", "hf/config.json", "hf/generation_config.json",
                                      "hf/model.safetensors", "hf/special_tokens_map.json", "hf/tokenizer.json",
                                      "hf/tokenizer_config.json"]
    assert not [p for p in release.parent.iterdir() if p.name.startswith(".")]   # no temporary folder left


def test_the_checkpoint_is_a_lightning_checkpoint_that_loads_strictly(release):
    ck = torch.load(release / "hamburger.ckpt", map_location="cpu", weights_only=True)
    assert {"epoch", "global_step", "pytorch-lightning_version", "state_dict", "hyper_parameters"} <= set(ck)
    state = ck["state_dict"]
    assert state["micro_step_decoder.rotary_emb.inv_freq"].dtype == torch.float32
    assert {v.dtype for k, v in state.items() if not k.endswith("inv_freq")} == {torch.bfloat16}
    # The tied embedding is stored once under its three names, as torch.save stores a shared parameter.
    emb = state["model.model.embed_tokens.weight"]
    assert state["model.lm_head.weight"].data_ptr() == emb.data_ptr()
    assert state["comp_embedder.embedding.weight"].data_ptr() == emb.data_ptr()
    h = load_reference(read_lightning_state(release / "hamburger.ckpt"), TINY)   # every name and shape, strictly
    assert torch.equal(h.embed_tokens.weight, emb.float())


def test_the_hamburger_model_decodes_finite_and_varied_tokens(release):
    h = load_reference(read_lightning_state(release / "hamburger.ckpt"), TINY)
    ids = Tokenizer.from_file(str(release / "hf" / "tokenizer.json")).encode(PROMPT, add_special_tokens=False).ids
    trace = generate_hamburger(hamburger_graphs(h), TINY, ids, eos_id=128009, confidence=0.9, max_new_tokens=40)
    micro = [m for s in trace.steps for m in s.micro]
    assert all(math.isfinite(m.prob) and 0 < m.stop_prob < 1 for m in micro)
    assert len(set(trace.output_ids)) > 20                          # not one token over and over
    assert max(len(s.token_ids) for s in trace.steps) > 1           # some groups go through the composer


def test_the_names_and_shapes_at_the_1b_shape_are_the_authors(tmp_path):
    assert sr.SHAPES["1b"] == REFERENCE_1B
    with torch.device("meta"):
        own = {k: tuple(v.shape) for k, v in Hamburger(REFERENCE_1B).state_dict().items()}
        baseline = {k: tuple(v.shape) for k, v in LlamaForCausalLM(baseline_config(REFERENCE_1B)).state_dict().items()}
    drawn = {**sr.llama_shapes(REFERENCE_1B, "model.model"), **sr.grafted_shapes(REFERENCE_1B)}
    assert drawn == {k: s for k, s in own.items() if k != "model.lm_head.weight"}
    assert sr.llama_shapes(REFERENCE_1B, "model") == {k: s for k, s in baseline.items() if k != "lm_head.weight"}
    assert sum(math.prod(s) for s in sr.llama_shapes(REFERENCE_1B, "model").values()) == 1_235_814_400


def test_transformers_loads_the_baseline_as_this_projects_llama_computes_it(release):
    from transformers import LlamaForCausalLM as HfLlama
    hf, info = HfLlama.from_pretrained(release / "hf", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    ids = torch.tensor([[128000, 791, 4062, 14198, 39935, 35308, 927, 279]])
    with torch.no_grad():
        theirs = hf.float()(ids).logits
    assert torch.isfinite(theirs).all()
    ours = LlamaForCausalLM(baseline_config(TINY)).eval()
    loaded = ours.load_state_dict(load_file(release / "hf" / "model.safetensors"), strict=False)
    assert (loaded.missing_keys, loaded.unexpected_keys) == (["lm_head.weight"], [])   # tied to the embedding
    with torch.no_grad():
        # The same rope (Llama 3 scaling), attention and tied head as transformers'.
        assert torch.allclose(ours(ids), theirs, atol=1e-3)


def test_the_config_files_are_llama_3_2_1b_instructs():
    cfg = sr.hf_config(REFERENCE_1B)
    assert cfg == {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 128000,
        "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048,
        "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": False,
        "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.45.0.dev0", "use_cache": True, "vocab_size": 128256}
    assert sr.generation_config() == {"bos_token_id": 128000, "do_sample": True,
                                      "eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9,
                                      "transformers_version": "4.45.0.dev0"}


def test_transformers_reads_the_generation_config(release):
    from transformers import GenerationConfig
    g = GenerationConfig.from_pretrained(release / "hf")
    assert g.eos_token_id == [128001, 128008, 128009] and g.bos_token_id == 128000
    assert json.loads((release / "hf" / "config.json").read_text())["hidden_size"] == TINY.hidden_size


def test_the_tokenizer_has_llama_3s_layout(release):
    doc = json.loads((release / "hf" / "tokenizer.json").read_text())
    assert doc["normalizer"] is None
    assert doc["pre_tokenizer"] == {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": sr.LLAMA3_PATTERN}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    assert doc["decoder"] == {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    assert doc["post_processor"]["processors"][0] == {"type": "ByteLevel", "add_prefix_space": True,
                                                      "trim_offsets": False, "use_regex": True}
    assert doc["post_processor"]["processors"][1]["special_tokens"] == {
        "<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}
    model = doc["model"]
    assert (model["type"], model["ignore_merges"], model["byte_fallback"]) == ("BPE", True, False)
    assert model["unk_token"] is None
    assert len(model["vocab"]) == 128_000 and sorted(model["vocab"].values()) == list(range(128_000))
    assert (model["vocab"]["!"], model["vocab"]["Ġ"], model["vocab"]["Ċ"]) == (0, 220, 198)   # Llama 3's byte ids
    specials = {t["id"]: t["content"] for t in doc["added_tokens"]}
    assert sorted(specials) == list(range(128_000, 128_256))
    assert all(t["special"] and not t["normalized"] for t in doc["added_tokens"])
    blob = "\n".join(f"{i}\t{specials[i]}" for i in sorted(specials))
    assert hashlib.sha256(blob.encode()).hexdigest() == LLAMA3_SPECIALS_SHA256


def test_auto_tokenizer_reads_it_as_tokenizers_does_and_renders_llama_3_2s_template(release):
    from transformers import AutoTokenizer
    theirs = AutoTokenizer.from_pretrained(release / "hf")
    ours = Tokenizer.from_file(str(release / "hf" / "tokenizer.json"))
    assert len(theirs) == 128_256 == ours.get_vocab_size(with_added_tokens=True)
    assert (theirs.bos_token_id, theirs.eos_token_id) == (128000, 128009)
    for text in ["Hello world", "  spaces\n\nand newlines\t", "12345 numbers, 3.14!", "naïve café 北京 🍔",
                 PROMPT]:
        ids = theirs(text)["input_ids"]
        assert ids == ours.encode(text).ids and ids[0] == 128000
        assert theirs.decode(ids, skip_special_tokens=True) == ours.decode(ids) == text.replace(
            "<|begin_of_text|>", "").replace("<|start_header_id|>", "").replace("<|end_header_id|>", "").replace(
            "<|eot_id|>", "")
    config = json.loads((release / "hf" / "tokenizer_config.json").read_text())
    assert config["chat_template"] == sr.SYNTHETIC_CHAT_TEMPLATE
    assert {int(i): t["content"] for i, t in config["added_tokens_decoder"].items()} == dict(
        enumerate(sr.llama3_special_tokens(), start=128_000))
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    text = theirs.apply_chat_template(chat, tokenize=False, add_generation_prompt=True, date_string="07 Dec 2025")
    assert text == ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                    "Cutting Knowledge Date: December 2023\nToday Date: 07 Dec 2025\n\nBe brief.<|eot_id|>"
                    "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert "Today Date: " in theirs.apply_chat_template(chat[1:], tokenize=False)   # strftime_now's date


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_weights(release, tmp_path):
    sr.write_synthetic_release(tmp_path / "again", "tiny", SEED)
    assert files(tmp_path / "again") == files(release)
    sr.write_synthetic_release(tmp_path / "other", "tiny", SEED + 1)
    other, same = files(tmp_path / "other"), files(release)
    assert [k for k in same if other[k] != same[k]] == ["hamburger.ckpt", "hf/model.safetensors"]


def test_the_baseline_is_drawn_apart_from_the_fine_tuned_llm(release):
    baseline = load_file(release / "hf" / "model.safetensors")
    state = read_lightning_state(release / "hamburger.ckpt")
    assert not torch.equal(baseline["model.embed_tokens.weight"], state["model.model.embed_tokens.weight"])
    assert "lm_head.weight" not in baseline


def test_the_cli_refuses_an_existing_folder_and_leaves_it_untouched(tmp_path, capsys):
    out = tmp_path / "release"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    argv = ["--work", str(tmp_path / "work"), "synthetic-release", "--out", str(out), "--shape", "tiny"]
    with pytest.raises(SystemExit, match="already exists; pass --overwrite"):
        main(argv)
    assert [p.name for p in tmp_path.iterdir() if p.name != "work"] == ["release"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main(argv + ["--overwrite", "--seed", str(SEED)]) == 0
    assert json.loads(capsys.readouterr().out)["files"]["hf/tokenizer.json"] > 9_000_000
    assert not (out / "keep.txt").exists() and (out / "hamburger.ckpt").is_file()


@pytest.mark.parametrize("flag, value, message", [("--shape", "7b", "invalid choice"),
                                                  ("--seed", "-1", "--seed must lie in")])
def test_bad_arguments_are_refused_by_name(tmp_path, capsys, flag, value, message):
    argv = ["--work", str(tmp_path / "work"), "synthetic-release", "--out", str(tmp_path / "r"), "--shape", "tiny",
            flag, value]
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert message in str(e.value) + capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_failure_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(sr, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        sr.write_synthetic_release(tmp_path / "release", "tiny", SEED)
    assert list(tmp_path.iterdir()) == []


@needs_engine
def test_the_release_imports_and_the_engine_runs_it_as_pytorch_and_transformers_do(release, tmp_path):
    """The whole path at a tiny width: import-reference on the synthetic release (Llama 3.2's
    template and stop ids, the baseline from model.safetensors), then the engine: its prompt
    ids equal transformers' apply_chat_template on the same folder, its HAMburger tokens the
    PyTorch model's, its baseline tokens transformers' greedy generate."""
    from transformers import AutoTokenizer
    from transformers import LlamaForCausalLM as HfLlama
    from hamburger.import_reference import import_reference
    from hamburger.package import load_models
    hf = release / "hf"
    out = import_reference(release / "hamburger.ckpt", hf, tmp_path / "pkg", baseline_from=hf,
                           feature_layers=(1, 2), compose_heads=4)
    man = json.loads((out / "hamburger.json").read_text())
    assert man["tokens"]["stop_ids"] == [128001, 128008, 128009] and man["tokens"]["eos_id"] == 128009
    assert man["tokens"]["chat_template"] == sr.SYNTHETIC_CHAT_TEMPLATE          # verbatim from tokenizer_config.json

    message = "Write a short story about a cat."
    ids = AutoTokenizer.from_pretrained(str(hf)).apply_chat_template(
        [{"role": "user", "content": message}], add_generation_prompt=True, tokenize=True, return_dict=False)
    result, error = engine_generate(out, prompt=message, tokens=20, raw=False, trace=tmp_path / "run.json")
    assert error is None, error
    assert json.loads((tmp_path / "run.json").read_text())["started"]["prompt"]["tokenIds"] == list(ids)

    h, baseline, _ = load_models(out)
    want = generate_hamburger(hamburger_graphs(h), h.cfg, list(ids), 128009, 0.0, 20)
    assert result["token_ids"] == want.output_ids

    base, error = engine_generate(out, prompt=message, tokens=12, raw=False, mode="baseline")
    assert error is None, error
    reference = HfLlama.from_pretrained(str(hf), torch_dtype=torch.float32).eval()
    with torch.no_grad():
        for p in reference.parameters():
            p.copy_(p.half().float())                          # the package stores float16
        generated = reference.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False, eos_token_id=None)
    assert base["token_ids"] == generated[0, len(ids):].tolist()


@needs_engine
def test_the_release_imports_as_int8_with_external_data_and_stays_near_the_float32_model(release, tmp_path, monkeypatch):
    """The real-size path at a tiny width: int8 weights, every tensor in external data stored
    once, the baseline from model.safetensors. The engine runs it; the int8 base graph's logits
    stay near PyTorch's on the checkpoint's float32 weights (hamburger/int8_drift.py, which
    `npm run scale-check` runs at the 1B shape)."""
    from hamburger import onnx_io
    from hamburger.import_reference import import_reference
    from hamburger.int8_drift import drift
    monkeypatch.setattr(onnx_io, "EXTERNAL_DATA_BYTES", 0)
    hf = release / "hf"
    out = import_reference(release / "hamburger.ckpt", hf, tmp_path / "pkg", baseline_from=hf,
                           feature_layers=(1, 2), compose_heads=4, weights="int8")
    man = json.loads((out / "hamburger.json").read_text())
    assert man["weights"] == "int8" and set(man["external_data"]) == {p.name for p in out.glob("*.onnx.data")}
    table = TINY.vocab_size * TINY.hidden_size
    assert man["external_data"]["embed.onnx.data"] >= table > man["external_data"]["base.onnx.data"]
    for mode in ("hamburger", "baseline", "verify"):
        result, error = engine_generate(out, prompt="Write a short story about a cat.", tokens=8, raw=False, mode=mode)
        assert error is None, (mode, error)
        assert len(result["token_ids"]) == 8
    report = drift(release / "hamburger.ckpt", out, steps=3)
    assert all(s["max_abs_logit_diff"] < 0.1 * s["logit_scale"] for s in report["steps"])
    assert report["steps"][0]["greedy_agrees"]
