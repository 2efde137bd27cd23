"""Converting the authors' Lightning checkpoint: a synthetic state dict with the reference's
exact names and shapes (16 layers, features after 4/8/12/16, 4 micro layers, max_steps 4,
64 merger heads) at a tiny width."""
import json

import pytest
import torch

from hamburger.config import REFERENCE_1B, ModelConfig
from hamburger.convert import load_reference, read_lightning_state
from hamburger.import_reference import import_reference

from engine_cli import engine_generate, needs_engine
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs
from hamburger.package import load_models

TINY_REF = ModelConfig.from_dict({**REFERENCE_1B.to_dict(), "vocab_size": 300, "hidden_size": 128,
                                  "num_heads": 4, "num_kv_heads": 2, "head_dim": 32, "intermediate_size": 256,
                                  "max_position": 4096})


def reference_state_dict(cfg: ModelConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Written from the reference's module layout, independently of our model code."""
    g = torch.Generator().manual_seed(seed)
    d, v, i_sz = cfg.hidden_size, cfg.vocab_size, cfg.intermediate_size
    q, kv = cfg.num_heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim

    def r(*shape):
        return torch.randn(*shape, generator=g) * 0.05

    def layer(prefix):
        return {f"{prefix}.self_attn.q_proj.weight": r(q, d), f"{prefix}.self_attn.k_proj.weight": r(kv, d),
                f"{prefix}.self_attn.v_proj.weight": r(kv, d), f"{prefix}.self_attn.o_proj.weight": r(d, q),
                f"{prefix}.mlp.gate_proj.weight": r(i_sz, d), f"{prefix}.mlp.up_proj.weight": r(i_sz, d),
                f"{prefix}.mlp.down_proj.weight": r(d, i_sz),
                f"{prefix}.input_layernorm.weight": 1 + r(d), f"{prefix}.post_attention_layernorm.weight": 1 + r(d)}

    emb = r(v, d)
    sd = {"model.model.embed_tokens.weight": emb, "model.model.norm.weight": 1 + r(d), "model.lm_head.weight": emb,
          "comp_embedder.embedding.weight": emb,
          "comp_embedder.merger.q_proj.weight": r(d, d), "comp_embedder.merger.q_proj.bias": r(d),
          "comp_embedder.merger.k_proj.weight": r(d, d + d // 2), "comp_embedder.merger.k_proj.bias": r(d),
          "comp_embedder.merger.v_proj.weight": r(d, d + d // 2), "comp_embedder.merger.v_proj.bias": r(d),
          "comp_embedder.merger.pos": r(cfg.max_steps, d // 2),
          "comp_embedder.out_proj.weight": r(d, d), "comp_embedder.out_proj.bias": r(d),
          "micro_step_decoder.stop_head.0.weight": r(d, d), "micro_step_decoder.stop_head.0.bias": r(d),
          "micro_step_decoder.stop_head.2.weight": r(d, d), "micro_step_decoder.stop_head.2.bias": r(d),
          "micro_step_decoder.stop_head.4.weight": r(1, d), "micro_step_decoder.stop_head.4.bias": r(1),
          "micro_step_decoder.rotary_emb.inv_freq": r(cfg.head_dim // 2)}
    for i in range(16):
        sd.update(layer(f"model.model.layers.{i}"))
    for i in range(4):
        sd.update(layer(f"micro_step_decoder.decoders.{i}"))
    return {k: t.to(torch.bfloat16) for k, t in sd.items()}


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "hamburger-1b.ckpt"
    torch.save({"epoch": 0, "global_step": 10, "state_dict": reference_state_dict(TINY_REF)}, path)
    return path


@pytest.fixture
def llama3_tokenizer(tmp_path):
    vocab = {chr(33 + i): i for i in range(250)}
    added = [{"id": 250 + i, "content": c, "special": True, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False}
             for i, c in enumerate(["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                    "<|end_header_id|>", "<|eot_id|>", "<|finetune_right_pad_id|>"])]
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps({"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                                "normalizer": None, "pre_tokenizer": None, "post_processor": None,
                                "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                                "model": {"type": "BPE", "vocab": vocab, "merges": []}}))
    return path


def test_strict_load_and_decode(checkpoint):
    h = load_reference(read_lightning_state(checkpoint), TINY_REF)
    assert h.cfg.feature_layers == (4, 8, 12, 16) and len(h.micro_step_decoder.decoders) == 4
    assert h.comp_embedder.merger.heads == 64
    trace = generate_hamburger(hamburger_graphs(h), h.cfg, [250, 5, 6, 7], eos_id=254, confidence=0.9,
                               max_new_tokens=12)
    assert len(trace.output_ids) == 12 and all(1 <= len(s.token_ids) <= 4 for s in trace.steps)


def test_missing_and_unexpected_weights_are_named(tmp_path):
    sd = reference_state_dict(TINY_REF)
    sd.pop("micro_step_decoder.stop_head.4.bias")
    sd["comp_embedder.extra.weight"] = torch.zeros(1)
    torch.save({"state_dict": sd}, tmp_path / "bad.ckpt")
    with pytest.raises(SystemExit, match=r"missing \['micro_step_decoder.stop_head.4.bias'\].*unexpected \['comp_embedder.extra.weight'\]"):
        load_reference(read_lightning_state(tmp_path / "bad.ckpt"), TINY_REF)


def test_a_config_that_does_not_fit_is_refused(checkpoint):
    wider = ModelConfig.from_dict({**TINY_REF.to_dict(), "intermediate_size": 512})
    with pytest.raises(SystemExit, match="shapes do not fit"):
        load_reference(read_lightning_state(checkpoint), wider)


def test_corrupt_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "corrupt.ckpt"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SystemExit, match="not a readable PyTorch checkpoint"):
        read_lightning_state(bad)
    with pytest.raises(SystemExit, match="does not exist"):
        read_lightning_state(tmp_path / "absent.ckpt")


LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")


@pytest.fixture
def hf_dir(tmp_path, llama3_tokenizer):
    """A Hugging Face Llama folder for TINY_REF, with the fixture's tokenizer and a tied baseline."""
    import shutil
    from safetensors.torch import save_file
    from hamburger.model import LlamaForCausalLM, init_weights
    from hamburger.package import baseline_config
    folder = tmp_path / "hf"
    folder.mkdir()
    c = TINY_REF
    (folder / "config.json").write_text(json.dumps({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": c.hidden_size,
        "num_hidden_layers": c.num_layers, "num_attention_heads": c.num_heads, "num_key_value_heads": c.num_kv_heads,
        "head_dim": c.head_dim, "intermediate_size": c.intermediate_size, "vocab_size": c.vocab_size,
        "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": True,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
        "bos_token_id": 250, "eos_token_id": [251, 254]}))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": LLAMA3_TEMPLATE}))
    (folder / "generation_config.json").write_text(json.dumps({"bos_token_id": 250, "eos_token_id": [251, 254]}))
    shutil.copyfile(llama3_tokenizer, folder / "tokenizer.json")
    torch.manual_seed(3)
    llm = LlamaForCausalLM(baseline_config(c))
    init_weights(llm)
    weights = {k: v.to(torch.bfloat16) for k, v in llm.state_dict().items() if k != "lm_head.weight"}
    save_file(weights, str(folder / "model.safetensors"))
    return folder


def test_import_takes_sizes_template_and_stop_ids_from_the_folder(checkpoint, hf_dir, tmp_path):
    out = import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    man = json.loads((out / "hamburger.json").read_text())
    assert man["tokens"] == {"bos_id": 250, "eos_id": 254, "stop_ids": [251, 254], "pad_id": 254,
                             "chat_template": LLAMA3_TEMPLATE}
    arch = man["architecture"]
    assert arch["rope_scaling_factor"] == 32.0 and arch["rope_theta"] == 500000.0
    assert arch["max_position"] == 8192 and arch["micro_layers"] == 4 and arch["feature_layers"] == [4, 8, 12, 16]
    assert "baseline" not in man and man["provenance"]["baseline"] == "HAMburger's own LLM, one token per step"
    h, baseline, _ = load_models(out)
    assert baseline is None
    direct = load_reference(read_lightning_state(checkpoint), TINY_REF)
    a = generate_hamburger(hamburger_graphs(h), h.cfg, [250, 5, 6, 7], 254, 0.9, 10)
    b = generate_hamburger(hamburger_graphs(direct), h.cfg, [250, 5, 6, 7], 254, 0.9, 10)
    assert a.output_ids == b.output_ids
    with pytest.raises(SystemExit, match="already exists"):
        import_reference(checkpoint, hf_dir, out)


def test_a_baseline_from_the_llama_folder_is_its_safetensors_weights(checkpoint, hf_dir, tmp_path):
    from safetensors.torch import load_file
    out = import_reference(checkpoint, hf_dir, tmp_path / "pkg", baseline_from=hf_dir, max_position=2048)
    man = json.loads((out / "hamburger.json").read_text())
    assert man["baseline"]["architecture"]["max_position"] == 2048 == man["architecture"]["max_position"]
    _, baseline, _ = load_models(out)
    source = load_file(str(hf_dir / "model.safetensors"))
    own = baseline.state_dict()
    stored = lambda name: source[name].float().half().float()                                  # the package keeps float16
    assert torch.equal(own["model.layers.3.mlp.down_proj.weight"], stored("model.layers.3.mlp.down_proj.weight"))
    assert torch.equal(own["lm_head.weight"], stored("model.embed_tokens.weight"))              # tied


def test_a_sharded_baseline_reads_as_the_single_file_does(checkpoint, hf_dir, tmp_path):
    from safetensors.torch import load_file, save_file
    sharded = tmp_path / "sharded"
    sharded.mkdir()
    weights = load_file(str(hf_dir / "model.safetensors"))
    names = sorted(weights)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for file, part in shards.items():
        save_file({n: weights[n] for n in part}, str(sharded / file))
    index = {"metadata": {"total_size": 0}, "weight_map": {n: f for f, part in shards.items() for n in part}}
    (sharded / "model.safetensors.index.json").write_text(json.dumps(index))
    one = import_reference(checkpoint, hf_dir, tmp_path / "one", baseline_from=hf_dir)
    two = import_reference(checkpoint, hf_dir, tmp_path / "two", baseline_from=sharded)
    a, b = load_models(one)[1].state_dict(), load_models(two)[1].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    (sharded / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(SystemExit, match="names shards that are not in .*: model-00002-of-00002.safetensors"):
        import_reference(checkpoint, hf_dir, tmp_path / "three", baseline_from=sharded)
    (sharded / "model.safetensors.index.json").unlink()
    with pytest.raises(SystemExit, match=r"has no model.safetensors \(nor model.safetensors.index.json\)"):
        import_reference(checkpoint, hf_dir, tmp_path / "three", baseline_from=sharded)
    assert not (tmp_path / "three").exists()


def test_import_names_what_is_wrong_before_writing_anything(checkpoint, hf_dir, tmp_path):
    (hf_dir / "generation_config.json").rename(tmp_path / "moved.json")
    with pytest.raises(SystemExit, match="missing generation_config.json"):
        import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    (tmp_path / "moved.json").rename(hf_dir / "generation_config.json")
    config = json.loads((hf_dir / "config.json").read_text())
    (hf_dir / "config.json").write_text(json.dumps({**config, "intermediate_size": 512}))
    with pytest.raises(SystemExit, match=r"does not fit config.json: model.model.layers.0.mlp.gate_proj.weight is \(256, 128\), config.json says \(512, 128\)"):
        import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    (hf_dir / "config.json").write_text(json.dumps({**config, "vocab_size": 200}))
    with pytest.raises(SystemExit, match="does not fit config.json"):
        import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    (hf_dir / "config.json").write_text(json.dumps(config))
    (hf_dir / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(SystemExit, match="has no readable safetensors weights"):
        import_reference(checkpoint, hf_dir, tmp_path / "pkg", baseline_from=hf_dir)
    (hf_dir / "tokenizer.json").write_text('{"model": ')
    with pytest.raises(SystemExit, match="is not a tokenizers file"):
        import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists() and not list(tmp_path.glob(".pkg.*"))


@needs_engine
def test_the_engine_runs_an_imported_package_as_pytorch_does(checkpoint, hf_dir, tmp_path):
    import jinja2
    from tokenizers import Tokenizer
    out = import_reference(checkpoint, hf_dir, tmp_path / "pkg")
    h, _, _ = load_models(out)
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    # The chat template as Python's Jinja renders it, tokenized: what the engine must feed.
    rendered = jinja2.Environment().from_string(LLAMA3_TEMPLATE).render(
        messages=[{"role": "user", "content": "%&'()"}], add_generation_prompt=True, bos_token="<|begin_of_text|>")
    ids = tok.encode(rendered, add_special_tokens=False).ids
    result, error = engine_generate(out, prompt="%&'()", tokens=10, raw=False, trace=tmp_path / "run.json")
    assert error is None, error
    started = json.loads((tmp_path / "run.json").read_text())["started"]
    assert started["prompt"]["rendered"] == rendered and started["prompt"]["tokenIds"] == ids
    want = generate_hamburger(hamburger_graphs(h), h.cfg, ids, 254, 0.0, 10)
    assert result["token_ids"] == want.output_ids[:len(result["token_ids"])]
    assert len(result["token_ids"]) == 10 or result["stop_token_id"] in (251, 254)


def _hub_cache(cache, repo_id, folder, commit="0123456789abcdef0123456789abcdef01234567"):
    """huggingface_hub's cache layout holding `folder` as `repo_id`'s main revision."""
    import shutil
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(folder, repo / "snapshots" / commit)


def test_from_hub_reads_the_folder_through_huggingface_hubs_cache(checkpoint, hf_dir, tmp_path, monkeypatch):
    import huggingface_hub.constants as hub
    from hamburger.import_reference import fetch_hf_folder
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)            # no network here: the cache answers, as offline mode does
    _hub_cache(tmp_path / "cache", "someone/llama-tiny", hf_dir)
    folder = fetch_hf_folder("someone/llama-tiny")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in hf_dir.iterdir())
    from_hub = import_reference(checkpoint, folder, tmp_path / "pkg", baseline_from=folder, hf_name="someone/llama-tiny")
    local = import_reference(checkpoint, hf_dir, tmp_path / "local" / "pkg", baseline_from=hf_dir)
    hub_man, local_man = (json.loads((p / "hamburger.json").read_text()) for p in (from_hub, local))
    strip = lambda m: {k: v for k, v in m.items() if k not in ("provenance", "description")}
    assert strip(hub_man) == strip(local_man)
    assert hub_man["description"].endswith("on someone/llama-tiny.") and hub_man["provenance"]["hf_name"] == "someone/llama-tiny"
    assert all((from_hub / f).read_bytes() == (local / f).read_bytes() for f in ("tokenizer.json", "baseline_base.onnx"))
    with pytest.raises(SystemExit, match="could not be fetched and is not in the local cache"):
        fetch_hf_folder("someone/other")
    with pytest.raises(SystemExit, match="is not a repository id"):
        fetch_hf_folder("not a repo id!")


def test_the_cli_fetches_from_the_hub_and_takes_the_folders_weights_as_the_baseline(checkpoint, hf_dir, tmp_path, monkeypatch):
    import huggingface_hub.constants as hub
    from hamburger.__main__ import main
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    _hub_cache(tmp_path / "cache", "someone/llama-tiny", hf_dir)
    args = ["--work", str(tmp_path / "work"), "import-reference", "--checkpoint", str(checkpoint)]
    assert main(args + ["--from-hub", "someone/llama-tiny", "--baseline", "--out", str(tmp_path / "pkg")]) == 0
    man = json.loads((tmp_path / "pkg" / "hamburger.json").read_text())
    assert "baseline" in man and man["provenance"]["hf_name"] == "someone/llama-tiny"
    with pytest.raises(SystemExit, match="--revision goes with --from-hub"):
        main(args + ["--hf-dir", str(hf_dir), "--revision", "v1", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):                                   # one source of the folder, not two
        main(args + ["--hf-dir", str(hf_dir), "--from-hub", "someone/llama-tiny", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        main(args + ["--hf-dir", str(hf_dir), "--baseline", "--baseline-from", str(hf_dir), "--out", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()
