"""Writing and reading model packages (docs/model-package.md)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .chat import CHAT_TEMPLATE
from .atomic_folder import write_folder_atomically
from .config import ModelConfig
from .graphs import baseline_graphs, hamburger_graphs, kv_names
from .model import Hamburger, LlamaForCausalLM
from . import onnx_io
from .int8_weights import int8_embed_graph
from .onnx_io import BYTES_PER_WEIGHT, WEIGHT_FORMATS, read_weights, round_to_fp16, stored_graph, trace_graph
from .weight_files import GraphWriter
from .tokenizer import BYTE_VOCAB, ByteLevelBPE

FORMAT = "hamburger-onnx"
FORMAT_VERSION = 1
GRAPH_FILES = {"embed": "embed.onnx", "base": "base.onnx", "micro": "micro.onnx", "heads": "heads.onnx"}
BASELINE_FILES = {"embed": "baseline_embed.onnx", "base": "baseline_base.onnx", "heads": "baseline_heads.onnx"}


def baseline_config(cfg: ModelConfig) -> ModelConfig:
    return ModelConfig.from_dict({**cfg.to_dict(), "feature_layers": [cfg.num_layers], "micro_layers": 0})


@dataclass
class TracedModel:
    """A model's graphs traced to float32 ONNX files, before they are stored as the package's."""
    graphs: dict[str, Path]          # graph key -> traced file
    files: dict[str, str]            # graph key -> the package's file name
    vocab_size: int
    params: int                      # distinct parameters (a tied embedding counts once)


def _trace(module, args: tuple, inputs: list[str], outputs: list[str], axes: dict, scratch: Path, key: str) -> Path:
    folder = scratch / key
    folder.mkdir()
    trace_graph(module, args, inputs, outputs, axes, folder / "graph.onnx")
    return folder / "graph.onnx"


def _trace_stack(module, n_layers: int, cfg: ModelConfig, scratch: Path, key: str, leading: list[str],
                 head_outputs: list[str]) -> Path:
    """A decoder stack with position-major past caches in and only the new rows out.

    `leading` names the inputs before `position_ids`: the new elements, and for HAMburger's
    base the group it composes into one more element."""
    t, p, d = 3, 2, cfg.hidden_size
    past = tuple(torch.randn(1, p, cfg.num_kv_heads, cfg.head_dim) for _ in range(2 * n_layers))
    new_elements = t + (1 if "group" in leading else 0)
    args = (torch.randn(1, t, d),) + ((torch.randn(2, d),) if "group" in leading else ()) + (
        torch.arange(p, p + new_elements)[None],) + past
    past_names, new_names = kv_names("past", n_layers), kv_names("new", n_layers)
    axes = {leading[0]: {1: "T"}, "position_ids": {1: "N"}, **({"features": {1: "N"}} if "features" in head_outputs else {})}
    if "group" in leading:
        axes["group"] = {0: "k"}
    axes.update({n: {1: "P"} for n in past_names})
    axes.update({n: {1: "N"} for n in new_names})
    return _trace(module, args, leading + ["position_ids"] + past_names, head_outputs + new_names, axes, scratch, key)


def _trace_token_graphs(g: dict, d: int, head_outputs: list[str], scratch: Path, prefix: str,
                        with_embed: bool) -> dict[str, Path]:
    """The graphs over single tokens: heads, and embed unless int8 derives it from heads."""
    heads_axes = {"hidden": {0: "n"}, **{o: {0: "n"} for o in head_outputs}}
    traced = {"heads": _trace(g["heads"], (torch.randn(3, d),), ["hidden"], head_outputs, heads_axes, scratch,
                              prefix + "heads")}
    if with_embed:
        traced["embed"] = _trace(g["embed"], (torch.tensor([1, 2, 3]),), ["input_ids"], ["embeddings"],
                                 {"input_ids": {0: "n"}, "embeddings": {0: "n"}}, scratch, prefix + "embed")
    return traced


def trace_hamburger(h: Hamburger, scratch: Path, weights: str) -> TracedModel:
    cfg = h.cfg
    g = hamburger_graphs(h)
    graphs = {
        **_trace_token_graphs(g, cfg.hidden_size, ["logits", "stop_logit"], scratch, "", weights != "int8"),
        "base": _trace_stack(g["base"], cfg.num_layers, cfg, scratch, "base", ["inputs_embeds", "group"],
                             ["features", "logits", "stop_logit"]),
        "micro": _trace_stack(g["micro"], cfg.micro_layers, cfg, scratch, "micro", ["hiddens"], ["logits", "stop_logit"]),
    }
    return TracedModel(graphs, GRAPH_FILES, cfg.vocab_size, sum(p.numel() for p in h.parameters()))


def trace_baseline(llm: LlamaForCausalLM, scratch: Path, weights: str) -> TracedModel:
    cfg = llm.model.cfg
    g = baseline_graphs(llm)
    graphs = {
        **_trace_token_graphs(g, cfg.hidden_size, ["logits"], scratch, "baseline-", weights != "int8"),
        "base": _trace_stack(g["base"], cfg.num_layers, cfg, scratch, "baseline-base", ["inputs_embeds"], ["features", "logits"]),
    }
    return TracedModel(graphs, BASELINE_FILES, cfg.vocab_size, sum(p.numel() for p in llm.parameters()))


def store_graphs(model: TracedModel, folder: Path, weights: str, writer: GraphWriter) -> None:
    """The traced graphs into the package, one at a time. int8: the embed graph reads the (tied)
    LM head's int8 weight of the heads graph, stored once."""
    heads = stored_graph(model.graphs["heads"], weights)
    embed = (int8_embed_graph(heads, "embed_tokens.weight", model.vocab_size) if weights == "int8"
             else stored_graph(model.graphs["embed"], weights))
    writer.save(embed, folder / model.files["embed"])
    writer.save(heads, folder / model.files["heads"])
    del embed, heads
    for key in ("base", "micro"):
        if key in model.graphs:
            writer.save(stored_graph(model.graphs[key], weights), folder / model.files[key])


# The app's default length of an answer. A byte-level vocabulary (5 specials + 256 bytes) spends
# one id per byte, 2-4 times the BPE's per token on this data, so it gets a longer default.
DEFAULT_MAX_NEW_TOKENS = 256
BYTE_LEVEL_MAX_NEW_TOKENS = 640


def default_max_new_tokens(cfg: ModelConfig) -> int:
    return BYTE_LEVEL_MAX_NEW_TOKENS if cfg.vocab_size <= BYTE_VOCAB else DEFAULT_MAX_NEW_TOKENS


def manifest(cfg: ModelConfig, tokens: dict, name: str, description: str, provenance: dict,
             with_baseline: bool, weights: str = "fp16") -> dict:
    arch = cfg.to_dict()
    m = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": name, "description": description,
        "provenance": provenance,
        "architecture": arch,
        "tokens": tokens,
        "defaults": {"confidence": 0.9, "max_new_tokens": default_max_new_tokens(cfg)},
        "graphs": GRAPH_FILES,
        "weights": weights,
    }
    if with_baseline:
        m["baseline"] = {"architecture": baseline_config(cfg).to_dict(), "graphs": BASELINE_FILES}
    return m


def own_tokens(tok: ByteLevelBPE) -> dict:
    return {"pad_id": tok.special_id("<|pad|>"), "bos_id": tok.special_id("<|bos|>"),
            "eos_id": tok.special_id("<|eos|>"), "user_id": tok.special_id("<|user|>"),
            "assistant_id": tok.special_id("<|assistant|>"), "chat_template": CHAT_TEMPLATE}


def write_manifest_folder(out_dir: Path, man: dict, write: Callable[[Path], None], overwrite: bool) -> Path:
    """A package folder, written whole or not at all: `write` fills it, then the manifest goes in."""
    def write_package_folder(folder: Path) -> None:
        write(folder)
        data = {p.name: p.stat().st_size for p in sorted(folder.glob("*.onnx.data"))}
        # The engine checks each file and its size before it opens a graph: a missing or
        # truncated data file is named, not left to the runtime.
        manifest_now = {**man, "external_data": data} if data else man
        (folder / "hamburger.json").write_text(json.dumps(manifest_now, indent=2) + "\n")

    return write_folder_atomically(out_dir, write_package_folder, overwrite)


def export_models(load_hamburger: Callable[[], Hamburger], load_baseline: Callable[[], LlamaForCausalLM] | None,
                  folder: Path, weights: str = "fp16") -> None:
    """The HAMburger graphs and, given one, the baseline's. The models are loaded one at a time
    and traced, then released before the graphs are converted and written: a 1B model is
    never held twice. fp16: each model is first rounded in place to float16 weights."""
    if weights not in WEIGHT_FORMATS:
        raise SystemExit(f"error: weights {weights!r} is not one of {', '.join(WEIGHT_FORMATS)}")
    scratch = folder / ".traced"
    scratch.mkdir()
    traced = []
    for load, trace in ((load_hamburger, trace_hamburger), (load_baseline, trace_baseline)):
        if load is not None:
            model = load()
            if weights == "fp16":
                round_to_fp16(model)
            traced.append(trace(model, scratch, weights))
            del model
    writer = GraphWriter(external=sum(t.params for t in traced) * BYTES_PER_WEIGHT[weights] > onnx_io.EXTERNAL_DATA_BYTES)
    for model in traced:
        store_graphs(model, folder, weights, writer)
    shutil.rmtree(scratch)


def write_package(out_dir: Path, h: Hamburger, baseline: LlamaForCausalLM | None, tok: ByteLevelBPE,
                  name: str, description: str, provenance: dict, extra_files: dict[str, object] | None = None,
                  overwrite: bool = False, weights: str = "fp16") -> Path:
    """Our own models: graphs, baseline graphs, tokenizer and extra files (JSON-able objects
    or callables that write the path they are given). fp16 `weights` (the default) rounds
    the models in place, as the package stores them."""
    if h.cfg.vocab_size != tok.vocab_size:
        raise SystemExit(f"error: model vocab_size {h.cfg.vocab_size} != tokenizer vocab size {tok.vocab_size}")
    man = manifest(h.cfg, own_tokens(tok), name, description, provenance, baseline is not None, weights)

    def write(folder: Path) -> None:
        export_models(lambda: h, (lambda: baseline) if baseline is not None else None, folder, weights)
        tok.save(folder / "tokenizer.json")
        for rel, content in (extra_files or {}).items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(target)
            else:
                target.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n")

    return write_manifest_folder(out_dir, man, write, overwrite)


def load_models(folder: Path) -> tuple[Hamburger, LlamaForCausalLM | None, dict]:
    """Rebuild the torch models from a package's ONNX initializers (every weight checked)."""
    folder = Path(folder)
    man = json.loads((folder / "hamburger.json").read_text())
    cfg = ModelConfig.from_dict(man["architecture"])
    h = Hamburger(cfg)
    _load_graphs(hamburger_graphs(h), folder, man["graphs"])
    baseline = None
    if "baseline" in man:
        baseline = LlamaForCausalLM(baseline_config(cfg))
        _load_graphs(baseline_graphs(baseline), folder, man["baseline"]["graphs"])
    return h.eval(), (baseline.eval() if baseline is not None else None), man


def load_package(folder: Path) -> tuple[Hamburger, LlamaForCausalLM | None, ByteLevelBPE, dict]:
    """A package of our own, with its byte-level BPE tokenizer."""
    h, baseline, man = load_models(folder)
    return h, baseline, ByteLevelBPE.load(Path(folder) / "tokenizer.json"), man


def _load_graphs(graphs: dict, folder: Path, files: dict[str, str]) -> None:
    for key, module in graphs.items():
        weights = read_weights(folder / files[key])
        own = module.state_dict()
        unexpected = set(weights) - set(own)
        if unexpected:
            raise ValueError(f"{files[key]}: weights {sorted(unexpected)[:5]} do not belong to the {key} graph")
        with torch.no_grad():
            for n, w in weights.items():
                if own[n].shape != w.shape:
                    raise ValueError(f"{files[key]}: {n} has shape {tuple(w.shape)}, expected {tuple(own[n].shape)}")
                own[n].copy_(w)
