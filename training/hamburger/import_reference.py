"""From the authors' release to a model package, in one command.

`import-reference --checkpoint CKPT --hf-dir DIR --out models/NAME [--baseline-from DIR]`:
CKPT is the authors' Lightning checkpoint (their state-dict names are this project's, see
model.py); DIR a Hugging Face Llama folder (meta-llama/Llama-3.2-1B-Instruct for the
released HAMburger-1B). Everything about the base model comes from DIR, not from constants:
sizes and rope from config.json, the chat template verbatim and the special tokens from
tokenizer_config.json, the stop ids from generation_config.json, the tokenizer itself. The
checkpoint's shapes are checked against that config before a weight is loaded.
`--baseline-from` adds a baseline read from a Llama folder's model.safetensors (the model
HAMburger was grown from); without it the manifest says baseline mode runs HAMburger's own
LLM one token per step.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open
from tokenizers import Tokenizer

from .config import REFERENCE_1B, ModelConfig
from .convert import read_lightning_state, reference_weights
from .model import Hamburger, LlamaForCausalLM
from .package import baseline_config, export_models, manifest, write_manifest_folder

HF_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json")
DEFAULT_MAX_POSITION = 8192
# Packages larger than this get int8 weights unless asked otherwise (the 1B release: 1.5 B).
INT8_FROM_PARAMS = 500_000_000


def default_weights(cfg: ModelConfig) -> str:
    with torch.device("meta"):
        params = sum(p.numel() for p in Hamburger(cfg).parameters())
    return "int8" if params > INT8_FROM_PARAMS else "fp16"


def fail(message: str) -> SystemExit:
    return SystemExit(f"error: {message}")


@dataclass(frozen=True)
class HfFolder:
    path: Path
    config: dict
    tokenizer_config: dict
    generation_config: dict
    tokenizer: Tokenizer


def _json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise fail(f"{path} is not valid JSON ({e})")
    if not isinstance(value, dict):
        raise fail(f"{path} must hold a JSON object")
    return value


def read_hf_folder(path: Path) -> HfFolder:
    path = Path(path)
    if not path.is_dir():
        raise fail(f"--hf-dir {path} is not a folder")
    missing = [name for name in HF_FILES if not (path / name).is_file()]
    if missing:
        raise fail(f"{path} is not a Hugging Face Llama folder: missing {', '.join(missing)} (it needs {', '.join(HF_FILES)})")
    try:
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as e:  # the library raises its own exception types
        raise fail(f"{path / 'tokenizer.json'} is not a tokenizers file ({e})")
    return HfFolder(path, _json(path / "config.json"), _json(path / "tokenizer_config.json"),
                    _json(path / "generation_config.json"), tokenizer)


def _need(config: dict, key: str, source: str):
    if key not in config:
        raise fail(f"{source} has no {key}")
    return config[key]


def model_config(hf: HfFolder, state: dict[str, torch.Tensor], max_position: int,
                 feature_layers: tuple[int, ...] | None, compose_heads: int) -> ModelConfig:
    """The base sizes from config.json; HAMburger's own from the checkpoint where its shapes
    say them (micro layers, group size) and from the flags where nothing does."""
    c, src = hf.config, str(hf.path / "config.json")
    if c.get("model_type", "llama") != "llama":
        raise fail(f"{src}: model_type {c.get('model_type')!r}; only Llama models can be imported")
    heads = _need(c, "num_attention_heads", src)
    hidden = _need(c, "hidden_size", src)
    layers = _need(c, "num_hidden_layers", src)
    rope = c.get("rope_scaling") or {}
    if rope and rope.get("rope_type", rope.get("type")) != "llama3":
        raise fail(f"{src}: rope_scaling {rope.get('rope_type', rope.get('type'))!r} is not supported (only llama3)")
    micro = sorted({int(k.split(".")[2]) for k in state if k.startswith("micro_step_decoder.decoders.")})
    if not micro:
        raise fail("the checkpoint has no micro_step_decoder.decoders.*: it is not a HAMburger checkpoint")
    if "comp_embedder.merger.pos" not in state:
        raise fail("the checkpoint has no comp_embedder.merger.pos: it is not a HAMburger checkpoint")
    positions = _need(c, "max_position_embeddings", src)
    if max_position < 2:
        raise fail(f"--max-position must be at least 2, got {max_position}")
    try:
        return ModelConfig(
            vocab_size=_need(c, "vocab_size", src), hidden_size=hidden, num_layers=layers, num_heads=heads,
            num_kv_heads=c.get("num_key_value_heads", heads), head_dim=c.get("head_dim") or hidden // heads,
            intermediate_size=_need(c, "intermediate_size", src), max_position=min(max_position, positions),
            rope_theta=float(c.get("rope_theta", 10000.0)),
            rope_scaling_factor=float(rope.get("factor", 1.0)), rope_low_freq_factor=float(rope.get("low_freq_factor", 1.0)),
            rope_high_freq_factor=float(rope.get("high_freq_factor", 4.0)),
            rope_original_max_position=int(rope.get("original_max_position_embeddings", positions)),
            rms_norm_eps=float(c.get("rms_norm_eps", 1e-5)), micro_layers=len(micro),
            max_steps=state["comp_embedder.merger.pos"].shape[0],
            feature_layers=feature_layers or tuple(layers * (i + 1) // 4 for i in range(4)),
            compose_heads=compose_heads)
    except ValueError as e:
        raise fail(f"the config does not make a HAMburger model: {e}")


def check_shapes(state: dict[str, torch.Tensor], cfg: ModelConfig) -> None:
    """Every weight of the checkpoint against the model the config describes, on the meta
    device: nothing is allocated, so a wrong folder fails in seconds, not after 6 GB."""
    with torch.device("meta"):
        own = {k: tuple(v.shape) for k, v in Hamburger(cfg).state_dict().items()}
    weights = reference_weights(state)
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    if missing or unexpected:
        raise fail(f"the checkpoint does not fit config.json: missing {missing[:6]}{' ...' if len(missing) > 6 else ''}, "
                   f"unexpected {unexpected[:6]}{' ...' if len(unexpected) > 6 else ''}")
    bad = [f"{k} is {tuple(v.shape)}, config.json says {own[k]}" for k, v in weights.items() if tuple(v.shape) != own[k]]
    if bad:
        raise fail("the checkpoint does not fit config.json: " + "; ".join(bad[:6]))


def _token_id(hf: HfFolder, token, what: str) -> int:
    content = token.get("content") if isinstance(token, dict) else token
    if not isinstance(content, str):
        raise fail(f"tokenizer_config.json has no {what}")
    found = hf.tokenizer.token_to_id(content)
    if found is None:
        raise fail(f"tokenizer_config.json's {what} {content!r} is not a token of tokenizer.json")
    return found


def manifest_tokens(hf: HfFolder, vocab_size: int) -> dict:
    tc, gc = hf.tokenizer_config, hf.generation_config
    size = hf.tokenizer.get_vocab_size(with_added_tokens=True)
    if size > vocab_size:
        raise fail(f"tokenizer.json has {size} tokens but config.json's vocab_size is {vocab_size}")
    template = tc.get("chat_template")
    if isinstance(template, list):  # several named templates: the default one
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    if not isinstance(template, str) or not template:
        raise fail("tokenizer_config.json has no chat_template")
    stops = gc.get("eos_token_id", hf.config.get("eos_token_id"))
    stop_ids = stops if isinstance(stops, list) else [stops]
    if not stop_ids or not all(isinstance(i, int) and 0 <= i < vocab_size for i in stop_ids):
        raise fail(f"generation_config.json's eos_token_id {stops!r} must be ids below vocab_size {vocab_size}")
    eos = _token_id(hf, tc.get("eos_token"), "eos_token")
    bos = gc.get("bos_token_id", hf.config.get("bos_token_id"))
    if not isinstance(bos, int):
        bos = _token_id(hf, tc.get("bos_token"), "bos_token")
    pad = tc.get("pad_token")
    return {"bos_id": bos, "eos_id": eos, "stop_ids": stop_ids,
            "pad_id": _token_id(hf, pad, "pad_token") if pad is not None else eos, "chat_template": template}


def _baseline_source(name: str, stored: set[str]) -> str:
    return name if name in stored else "model.embed_tokens.weight"   # a tied lm_head is the embedding, as Llama 3.2 1B's


def check_baseline(folder: Path, cfg: ModelConfig) -> Path:
    """The Llama the HAMburger was grown from, checked before anything is loaded: its
    model.safetensors header (names, shapes) against the model config.json describes."""
    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise fail(f"--baseline-from {folder} has no model.safetensors")
    with torch.device("meta"):
        own = {k: tuple(v.shape) for k, v in LlamaForCausalLM(baseline_config(cfg)).state_dict().items()}
    try:
        with safe_open(str(path), framework="pt") as f:
            stored = set(f.keys())
            names = stored | {"lm_head.weight"}
            missing, unexpected = sorted(set(own) - names), sorted(names - set(own))
            if missing or unexpected:
                raise fail(f"{path} is not this Llama: missing {missing[:6]}, unexpected {unexpected[:6]}")
            for name, shape in own.items():
                source = _baseline_source(name, stored)
                found = tuple(f.get_slice(source).get_shape())
                if found != shape:
                    raise fail(f"{path}: {source} is {found}, config.json says {shape}")
    except SystemExit:
        raise
    except Exception as e:  # a header that is not JSON, offsets past the end, an unknown dtype
        raise fail(f"{path} is not a readable safetensors file ({type(e).__name__}: {e})")
    return path


def read_baseline(path: Path, cfg: ModelConfig) -> LlamaForCausalLM:
    """The checked model.safetensors (bf16, fp16 or fp32) as a float32 Llama, tensor by tensor."""
    llm = LlamaForCausalLM(baseline_config(cfg))
    try:
        with safe_open(str(path), framework="pt") as f, torch.no_grad():
            stored = set(f.keys())
            for name, param in llm.state_dict().items():
                param.copy_(f.get_tensor(_baseline_source(name, stored)))
    except Exception as e:  # a file changed or cut short since it was checked
        raise fail(f"{path} is not a readable safetensors file ({type(e).__name__}: {e})")
    return llm.eval()


def import_reference(checkpoint: Path, hf_dir: Path, out: Path, baseline_from: Path | None = None,
                     max_position: int = DEFAULT_MAX_POSITION, feature_layers: tuple[int, ...] | None = None,
                     compose_heads: int = REFERENCE_1B.compose_heads, overwrite: bool = False,
                     weights: str | None = None) -> Path:
    """`weights`: int8, fp16 or fp32; None picks int8 above INT8_FROM_PARAMS parameters.
    Everything is checked (folder, checkpoint shapes, baseline header) before the export starts."""
    hf = read_hf_folder(hf_dir)
    state = read_lightning_state(Path(checkpoint))
    cfg = model_config(hf, state, max_position, feature_layers, compose_heads)
    check_shapes(state, cfg)
    tokens = manifest_tokens(hf, cfg.vocab_size)
    baseline_path = check_baseline(baseline_from, cfg) if baseline_from is not None else None
    weights = weights or default_weights(cfg)
    provenance = {"checkpoint": str(checkpoint), "hf_dir": str(hf_dir),
                  "baseline": str(baseline_from) if baseline_from is not None else "HAMburger's own LLM, one token per step",
                  "command": "python3 -m hamburger import-reference"}
    man = manifest(cfg, tokens, Path(out).name, f"HAMburger imported from {Path(checkpoint).name} on {hf.path.name}.",
                   provenance, baseline_path is not None, weights)

    def load_hamburger() -> Hamburger:
        # Copied tensor by tensor from the checkpoint's (bf16) tensors, which are then let go.
        nonlocal state
        h = Hamburger(cfg)
        own = h.state_dict()
        with torch.no_grad():
            for name, tensor in reference_weights(state).items():
                own[name].copy_(tensor)
        state = None
        return h.eval()

    def write(folder: Path) -> None:
        load_baseline = (lambda: read_baseline(baseline_path, cfg)) if baseline_path is not None else None
        export_models(load_hamburger, load_baseline, folder, weights)
        shutil.copyfile(hf.path / "tokenizer.json", folder / "tokenizer.json")

    return write_manifest_folder(Path(out), man, write, overwrite)
