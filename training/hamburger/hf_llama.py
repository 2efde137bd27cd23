"""Growing a HAMburger from a Hugging Face Llama folder (`--init-from-hf DIR`).

The model config comes from the folder's config.json (`import_reference.llama_sizes`: sizes,
heads, rope with Llama 3 scaling, vocabulary); the weights are read by the reader that
`import-reference --baseline-from` uses (`check_baseline`: every tensor's name and shape
against config.json before one is read, then `read_baseline`), from model.safetensors or the
shards its index names. HAMburger's own modules are fresh, at the authors' sizes: 4 micro
layers (or `--micro-layers`), groups of up to 4 tokens, features after every quarter of the
layers, merger heads of 32 dimensions (64 heads at hidden 2,048).

The first command that grows a work folder from a Llama records the folder and the model
config in WORK/hf-llama.json; every later command in that work folder builds its model from
the record, and `--data` is tokenized with the folder's tokenizer and chat template.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .config import REFERENCE_1B, ModelConfig
from .import_reference import (DEFAULT_MAX_POSITION, HfFolder, check_baseline, fail, llama_sizes, manifest_tokens,
                               quarter_layers, read_baseline, read_hf_folder)
from .model import Hamburger, LlamaForCausalLM

RECORD = "hf-llama.json"
MERGER_HEAD_SIZE = REFERENCE_1B.hidden_size // REFERENCE_1B.compose_heads


def hf_model_config(folder: Path, micro_layers: int | None = None) -> ModelConfig:
    """The HAMburger config of a Llama folder: the base's from config.json, the grafted
    modules' as the authors'."""
    return grown_config(read_hf_folder(Path(folder)), micro_layers)


def grown_config(hf: HfFolder, micro_layers: int | None = None) -> ModelConfig:
    """`hf_model_config` of a folder already read."""
    c, src = hf.config, hf.path / "config.json"
    if not c.get("tie_word_embeddings", False):
        raise fail(f"{src}: tie_word_embeddings is not true; model.py's Llama ties its output head to the "
                   "embedding (as Llama 3.2 1B and 3B do)")
    if c.get("attention_bias") or c.get("mlp_bias"):
        raise fail(f"{src}: attention_bias and mlp_bias must be false (model.py's Llama has no biases)")
    if c.get("hidden_act", "silu") != "silu":
        raise fail(f"{src}: hidden_act {c.get('hidden_act')!r}; model.py's Llama uses silu")
    sizes = llama_sizes(hf, DEFAULT_MAX_POSITION)
    try:
        return ModelConfig(**sizes, micro_layers=micro_layers or REFERENCE_1B.micro_layers,
                           max_steps=REFERENCE_1B.max_steps, feature_layers=quarter_layers(sizes["num_layers"]),
                           compose_heads=max(1, sizes["hidden_size"] // MERGER_HEAD_SIZE))
    except ValueError as e:
        raise fail(f"{src} does not make a HAMburger model: {e}")


def record_growth(work: Path, folder: Path, cfg: ModelConfig) -> None:
    """Writes WORK/hf-llama.json; refuses a work folder already grown from another folder or
    model (its segmentation and checkpoints are that model's, its data that tokenizer's)."""
    path = Path(work) / RECORD
    entry = {"folder": str(Path(folder).resolve()), "model_config": cfg.to_dict()}
    if path.exists():
        old = json.loads(path.read_text())
        diff = [f"{k}: {old['model_config'].get(k)!r} -> {v!r}" for k, v in entry["model_config"].items()
                if old["model_config"].get(k) != v]
        if diff or old["folder"] != entry["folder"]:
            what = f"model ({'; '.join(diff)})" if diff else "folder"
            raise fail(f"{work} grows from {old['folder']}; --init-from-hf {folder} is another {what}; "
                       "use another --work")
        return
    part = path.with_name(f"{RECORD}.{os.getpid()}")          # every process of a launch writes it at once
    part.write_text(json.dumps(entry, indent=2) + "\n")
    part.replace(path)


def grown_from(work: Path) -> dict | None:
    """The work folder's record (folder, model_config), or None when it does not grow from a Llama."""
    path = Path(work) / RECORD
    return json.loads(path.read_text()) if path.exists() else None


def load_llama(folder: Path, cfg: ModelConfig) -> LlamaForCausalLM:
    """The folder's weights as this project's float32 Llama (names and shapes checked first)."""
    return read_baseline(check_baseline(Path(folder), cfg), cfg)


def graft_onto(h: Hamburger, folder: Path) -> None:
    """The folder's Llama as `h`'s base; the grafted modules keep their fresh weights."""
    h.model.load_state_dict(load_llama(folder, h.cfg).state_dict())


class HfChat:
    """A Llama folder's chat template (tokenizer_config.json), rendered as transformers'
    apply_chat_template renders it, and its tokenizer.json through the tokenizers library.
    The template gets no `strftime_now`, so a Llama 3 system block carries the template's
    own default date rather than the day the data were tokenized: the same prompt tokenizes
    the same on every day, as segmentation and the later stages need."""

    def __init__(self, folder: Path, vocab_size: int):
        self.hf: HfFolder = read_hf_folder(Path(folder))
        tokens = manifest_tokens(self.hf, vocab_size)
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
        env.globals["raise_exception"] = _raise
        try:
            self.template = env.from_string(tokens["chat_template"])
        except jinja2.TemplateSyntaxError as e:
            raise fail(f"{self.hf.path / 'tokenizer_config.json'}: the chat_template does not parse ({e})")
        tc = self.hf.tokenizer_config
        self.specials = {name: _content(tc.get(name)) for name in ("bos_token", "eos_token", "pad_token")}
        self.eos_id = tokens["eos_id"]
        self.identity = hashlib.sha256((self.hf.path / "tokenizer.json").read_bytes()
                                       + json.dumps(self.specials).encode() + tokens["chat_template"].encode()).hexdigest()

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self.template.render(messages=messages, add_generation_prompt=add_generation_prompt, **self.specials)

    def encode(self, text: str) -> list[int]:
        # The template writes the begin-of-text token itself; the post-processor must not add another.
        return self.hf.tokenizer.encode(text, add_special_tokens=False).ids


def _raise(message: str) -> None:
    raise ValueError(message)


def _content(token) -> str | None:
    return token.get("content") if isinstance(token, dict) else token
