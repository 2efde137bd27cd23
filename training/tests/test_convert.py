"""Converting the authors' Lightning checkpoint: a synthetic state dict with the reference's
exact names and shapes (16 layers, features after 4/8/12/16, 4 micro layers, max_steps 4,
64 merger heads) at a tiny width."""
import json

import pytest
import torch

from hamburger.config import REFERENCE_1B, ModelConfig
from hamburger.convert import convert_reference, load_reference, read_lightning_state
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
    path.write_text(json.dumps({"version": "1.0", "added_tokens": added,
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


def test_convert_exports_a_package_that_reads_back(checkpoint, llama3_tokenizer, tmp_path):
    out = convert_reference(checkpoint, llama3_tokenizer, tmp_path / "pkg", overwrite=False, cfg=TINY_REF)
    man = json.loads((out / "hamburger.json").read_text())
    assert man["tokens"]["bos_id"] == 250 and man["tokens"]["eos_id"] == 254 and man["tokens"]["pad_id"] == 255
    assert man["architecture"]["rope_scaling_factor"] == 32.0
    h, baseline, _ = load_models(out)
    assert baseline is None
    direct = load_reference(read_lightning_state(checkpoint), TINY_REF)
    a = generate_hamburger(hamburger_graphs(h), h.cfg, [250, 5, 6, 7], 254, 0.9, 10)
    b = generate_hamburger(hamburger_graphs(direct), h.cfg, [250, 5, 6, 7], 254, 0.9, 10)
    assert a.output_ids == b.output_ids
    with pytest.raises(SystemExit, match="already exists"):
        convert_reference(checkpoint, llama3_tokenizer, out, overwrite=False, cfg=TINY_REF)


def test_a_file_that_is_not_a_tokenizer_is_refused(checkpoint, tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"model": ')
    with pytest.raises(SystemExit, match="is not a Hugging Face tokenizer.json"):
        convert_reference(checkpoint, bad, tmp_path / "pkg", overwrite=False, cfg=TINY_REF)
    assert not (tmp_path / "pkg").exists()
