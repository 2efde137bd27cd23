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
from contextlib import ExitStack
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


# What `--from-hub` fetches of a Hugging Face Llama repository: the folder import-reference
# reads, and the weights a baseline is read from (one file or an index and its shards).
HUB_PATTERNS = [*HF_FILES, "special_tokens_map.json", "model.safetensors", "model.safetensors.index.json",
                "model-*-of-*.safetensors"]


def fetch_hf_folder(repo_id: str, revision: str | None = None) -> Path:
    """A Hugging Face repository's Llama folder, through huggingface_hub's cache (downloaded
    once; a gated repository such as meta-llama/Llama-3.2-1B-Instruct with the token of
    `hf auth login` or HF_TOKEN; offline with HF_HUB_OFFLINE=1 from the cache)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (GatedRepoError, HFValidationError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_PATTERNS))
    except GatedRepoError:
        raise fail(f"{repo_id} is gated: accept its license on huggingface.co, then log in (`hf auth login`) or set HF_TOKEN")
    except RevisionNotFoundError:
        raise fail(f"{repo_id} has no revision {revision!r}")
    except RepositoryNotFoundError:
        raise fail(f"{repo_id} is not a Hugging Face repository you can read (a typo, or private without a token)")
    except LocalEntryNotFoundError as e:
        raise fail(f"{repo_id} could not be fetched and is not in the local cache (network off or HF_HUB_OFFLINE set): {e}")
    except HFValidationError as e:
        raise fail(f"--from-hub {repo_id!r} is not a repository id (owner/name): {e}")


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


def llama_sizes(hf: HfFolder, max_position: int) -> dict:
    """The base Llama's `ModelConfig` fields from config.json: sizes, rope (Llama 3 scaling)
    and norm epsilon; `max_position` is capped at max_position_embeddings."""
    c, src = hf.config, str(hf.path / "config.json")
    if c.get("model_type", "llama") != "llama":
        raise fail(f"{src}: model_type {c.get('model_type')!r}; only Llama models can be imported")
    heads = _need(c, "num_attention_heads", src)
    hidden = _need(c, "hidden_size", src)
    # transformers 5 writes theta and scaling as one rope_parameters object; earlier files as two keys.
    params = c.get("rope_parameters") if isinstance(c.get("rope_parameters"), dict) else {}
    theta = params.get("rope_theta", c.get("rope_theta", 10000.0))
    rope = params or c.get("rope_scaling") or {}
    kind = rope.get("rope_type", rope.get("type"))
    if kind == "default":
        rope = {}
    elif rope and kind != "llama3":
        raise fail(f"{src}: rope_scaling {kind!r} is not supported (only llama3)")
    positions = _need(c, "max_position_embeddings", src)
    if max_position < 2:
        raise fail(f"--max-position must be at least 2, got {max_position}")
    return dict(
        vocab_size=_need(c, "vocab_size", src), hidden_size=hidden, num_layers=_need(c, "num_hidden_layers", src),
        num_heads=heads, num_kv_heads=c.get("num_key_value_heads", heads), head_dim=c.get("head_dim") or hidden // heads,
        intermediate_size=_need(c, "intermediate_size", src), max_position=min(max_position, positions),
        rope_theta=float(theta),
        rope_scaling_factor=float(rope.get("factor", 1.0)), rope_low_freq_factor=float(rope.get("low_freq_factor", 1.0)),
        rope_high_freq_factor=float(rope.get("high_freq_factor", 4.0)),
        rope_original_max_position=int(rope.get("original_max_position_embeddings", positions)),
        rms_norm_eps=float(c.get("rms_norm_eps", 1e-5)))


def quarter_layers(layers: int) -> tuple[int, ...]:
    """The authors' feature layers: every quarter of the base's layers (4, 8, 12, 16 of 16)."""
    return tuple(sorted({max(1, layers * (i + 1) // 4) for i in range(4)}))


def model_config(hf: HfFolder, state: dict[str, torch.Tensor], max_position: int,
                 feature_layers: tuple[int, ...] | None, compose_heads: int) -> ModelConfig:
    """The base sizes from config.json; HAMburger's own from the checkpoint where its shapes
    say them (micro layers, group size) and from the flags where nothing does."""
    sizes = llama_sizes(hf, max_position)
    micro = sorted({int(k.split(".")[2]) for k in state if k.startswith("micro_step_decoder.decoders.")})
    if not micro:
        raise fail("the checkpoint has no micro_step_decoder.decoders.*: it is not a HAMburger checkpoint")
    if "comp_embedder.merger.pos" not in state:
        raise fail("the checkpoint has no comp_embedder.merger.pos: it is not a HAMburger checkpoint")
    try:
        return ModelConfig(**sizes, micro_layers=len(micro), max_steps=state["comp_embedder.merger.pos"].shape[0],
                           feature_layers=feature_layers or quarter_layers(sizes["num_layers"]),
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


SHARD_INDEX = "model.safetensors.index.json"


def baseline_files(folder: Path) -> dict[str, Path]:
    """Where each tensor of a Llama folder's weights is: model.safetensors, or the shards its
    model.safetensors.index.json names (as larger Llamas ship)."""
    folder = Path(folder)
    if (folder / "model.safetensors").is_file():
        with safe_open(str(folder / "model.safetensors"), framework="pt") as f:
            return {name: folder / "model.safetensors" for name in f.keys()}
    if not (folder / SHARD_INDEX).is_file():
        raise fail(f"{folder} has no model.safetensors (nor {SHARD_INDEX})")
    weight_map = _json(folder / SHARD_INDEX).get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise fail(f"{folder / SHARD_INDEX} has no weight_map of tensor names to files")
    files = {name: folder / shard for name, shard in weight_map.items()}
    missing = sorted({str(p.name) for p in files.values() if not p.is_file()})
    if missing:
        raise fail(f"{folder / SHARD_INDEX} names shards that are not in {folder}: {', '.join(missing)}")
    return files


def check_baseline(folder: Path, cfg: ModelConfig) -> dict[str, Path]:
    """The Llama the HAMburger was grown from, checked before anything is loaded: its
    safetensors headers (names, shapes) against the model config.json describes. Returns
    where each tensor is."""
    with torch.device("meta"):
        own = {k: tuple(v.shape) for k, v in LlamaForCausalLM(baseline_config(cfg)).state_dict().items()}
    try:
        files = baseline_files(folder)
        if "lm_head.weight" in files:
            raise fail(f"{files['lm_head.weight']} holds an lm_head.weight of its own: this Llama's output head is "
                       "not tied to its embedding (tie_word_embeddings false), and model.py's Llama ties them")
        names = set(files) | {"lm_head.weight"}
        missing, unexpected = sorted(set(own) - names), sorted(names - set(own))
        if missing or unexpected:
            raise fail(f"{folder} is not this Llama: missing {missing[:6]}, unexpected {unexpected[:6]}")
        with ExitStack() as stack:
            opened = {p: stack.enter_context(safe_open(str(p), framework="pt")) for p in set(files.values())}
            for name, shape in own.items():
                source = _baseline_source(name, set(files))
                found = tuple(opened[files[source]].get_slice(source).get_shape())
                if found != shape:
                    raise fail(f"{files[source]}: {source} is {found}, config.json says {shape}")
    except SystemExit:
        raise
    except Exception as e:  # a header that is not JSON, offsets past the end, an unknown dtype
        raise fail(f"{folder} has no readable safetensors weights ({type(e).__name__}: {e})")
    return files


def read_baseline(files: dict[str, Path], cfg: ModelConfig) -> LlamaForCausalLM:
    """The checked weights (bf16, fp16 or fp32) as a float32 Llama, tensor by tensor."""
    llm = LlamaForCausalLM(baseline_config(cfg))
    try:
        with ExitStack() as stack, torch.no_grad():
            opened = {p: stack.enter_context(safe_open(str(p), framework="pt")) for p in set(files.values())}
            for name, param in llm.state_dict().items():
                source = _baseline_source(name, set(files))
                param.copy_(opened[files[source]].get_tensor(source))
    except Exception as e:  # a file changed or cut short since it was checked
        raise fail(f"the baseline's safetensors weights do not read ({type(e).__name__}: {e})")
    return llm.eval()


def import_reference(checkpoint: Path, hf_dir: Path, out: Path, baseline_from: Path | None = None,
                     max_position: int = DEFAULT_MAX_POSITION, feature_layers: tuple[int, ...] | None = None,
                     compose_heads: int = REFERENCE_1B.compose_heads, overwrite: bool = False,
                     weights: str | None = None, hf_name: str | None = None) -> Path:
    """`weights`: int8, fp16 or fp32; None picks int8 above INT8_FROM_PARAMS parameters.
    `hf_name`: what the folder is (a hub repository id); default the folder's name.
    Everything is checked (folder, checkpoint shapes, baseline header) before the export starts."""
    hf = read_hf_folder(hf_dir)
    state = read_lightning_state(Path(checkpoint))
    cfg = model_config(hf, state, max_position, feature_layers, compose_heads)
    check_shapes(state, cfg)
    tokens = manifest_tokens(hf, cfg.vocab_size)
    baseline_weights = check_baseline(baseline_from, cfg) if baseline_from is not None else None
    weights = weights or default_weights(cfg)
    hf_name = hf_name or hf.path.name
    provenance = {"checkpoint": str(checkpoint), "hf_dir": str(hf_dir), "hf_name": hf_name,
                  "baseline": str(baseline_from) if baseline_from is not None else "HAMburger's own LLM, one token per step",
                  "command": "python3 -m hamburger import-reference"}
    man = manifest(cfg, tokens, Path(out).name, f"HAMburger imported from {Path(checkpoint).name} on {hf_name}.",
                   provenance, baseline_weights is not None, weights)

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
        load_baseline = (lambda: read_baseline(baseline_weights, cfg)) if baseline_weights is not None else None
        export_models(load_hamburger, load_baseline, folder, weights)
        shutil.copyfile(hf.path / "tokenizer.json", folder / "tokenizer.json")

    return write_manifest_folder(Path(out), man, write, overwrite)
