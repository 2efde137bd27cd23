"""Reference decoders (greedy): the HAMburger macro/micro-step loop and the one-token baseline.

They run the package's graph modules (graphs.py) with a cache preallocated once per layer
and written by position, as the engine does. The trace they return is the golden format of
docs/model-package.md.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from .config import ModelConfig
from .graphs import BaseGraph, EmbedGraph, MicroGraph

TOP_K = 5
# Where a fed-back group's entry sits: its last token's index (as trained), or one higher, the
# number of tokens so far (the authors' Hugging Face generation routine); docs/engine.md.
POSITION_CONVENTIONS = ("last_token", "tokens_so_far")


@dataclass
class MicroStep:
    token_id: int
    prob: float
    top: list[tuple[int, float]]
    stop_prob: float | None = None
    reason: str | None = None   # why the macro step ended here: stop_head | max_steps | eos | limit


@dataclass
class MacroStep:
    position_id: int            # position of the KV entry this step's forward appended
    token_ids: list[int] = field(default_factory=list)
    micro: list[MicroStep] = field(default_factory=list)


@dataclass
class Trace:
    mode: str
    prompt_ids: list[int]
    confidence: float | None
    max_new_tokens: int
    steps: list[MacroStep] = field(default_factory=list)

    @property
    def output_ids(self) -> list[int]:
        return [t for s in self.steps for t in s.token_ids]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output_ids"] = self.output_ids
        return d


def should_stop(stop_prob: float, confidence: float | None) -> bool:
    """Stop head's verdict: with a confidence level c stop when 1 - p < c, else when p > 0.5."""
    if confidence is None:
        return stop_prob > 0.5
    return 1.0 - stop_prob < confidence


def pick(logits: torch.Tensor) -> tuple[int, float, list[tuple[int, float]]]:
    """Greedy choice from logits [V]: token, its probability, the top-k alternatives."""
    probs = logits.double().softmax(-1)
    top_p, top_i = probs.topk(TOP_K)
    token = int(logits.argmax())
    return token, float(probs[token]), [(int(i), float(p)) for i, p in zip(top_i, top_p)]


class KvCache:
    """Per layer a preallocated [1, max_position, Hkv, hd] key and value buffer."""

    def __init__(self, n_layers: int, cfg: ModelConfig, capacity: int):
        shape = (1, capacity, cfg.num_kv_heads, cfg.head_dim)
        self.buffers = [torch.zeros(shape) for _ in range(2 * n_layers)]
        self.length = 0

    def view(self) -> tuple[torch.Tensor, ...]:
        return tuple(b[:, :self.length] for b in self.buffers)

    def append(self, new: tuple[torch.Tensor, ...]) -> None:
        t = new[0].shape[1]
        for b, n in zip(self.buffers, new):
            b[:, self.length:self.length + t] = n
        self.length += t


def micro_step(micro, embed, micro_cache: KvCache, features: torch.Tensor, token: int):
    """The micro decoder one token on, from `token`: its input is [features [1, F, D], emb(token)]
    on the group's first call, emb(token) [1, 1, D] alone after. Returns its logits and stop logit."""
    tok_emb = embed(torch.tensor([token]))[None]                    # [1, 1, D]
    inputs = torch.cat([features, tok_emb], dim=1) if micro_cache.length == 0 else tok_emb
    m = inputs.shape[1]
    micro_pos = torch.arange(micro_cache.length, micro_cache.length + m)[None]
    logits, stop_logit, *new_micro = micro(inputs, micro_pos, *micro_cache.view())
    micro_cache.append(tuple(new_micro))
    return logits, stop_logit


@torch.no_grad()
def generate_hamburger(graphs: dict, cfg: ModelConfig, prompt_ids: list[int], eos_id: int,
                       confidence: float | None = 0.9, max_new_tokens: int = 128,
                       position_convention: str = "last_token") -> Trace:
    if position_convention not in POSITION_CONVENTIONS:
        raise ValueError(f"position_convention must be one of {', '.join(POSITION_CONVENTIONS)}, got {position_convention!r}")
    embed: EmbedGraph = graphs["embed"]
    base: BaseGraph = graphs["base"]
    micro: MicroGraph = graphs["micro"]
    n = len(prompt_ids)
    trace = Trace("hamburger", list(prompt_ids), confidence, max_new_tokens)
    cache = KvCache(cfg.num_layers, cfg, n + max_new_tokens)
    n_feat = len(cfg.feature_layers)

    # Prefill: one entry per prompt token (the last one enters as a one-token group).
    prompt = embed(torch.tensor(prompt_ids))
    inputs, group = prompt[None, :-1], prompt[-1:]
    positions = torch.arange(n)[None]
    emitted = 0
    while True:
        feats, logits, stop_logit, *new = base(inputs, group, positions, *cache.view())
        cache.append(tuple(new))
        step = MacroStep(position_id=int(positions[0, -1]))
        micro_cache = KvCache(cfg.micro_layers, cfg, n_feat + cfg.max_steps)
        hiddens = feats[:, -1]                                         # [1, F, D]
        while True:
            token, prob, top = pick(logits[0])
            stop_prob = float(torch.sigmoid(stop_logit[0, 0]))
            step.token_ids.append(token)
            emitted += 1
            reason = None
            if token == eos_id:
                reason = "eos"
            elif emitted >= max_new_tokens:
                reason = "limit"
            elif len(step.token_ids) >= cfg.max_steps:
                reason = "max_steps"
            elif should_stop(stop_prob, confidence):
                reason = "stop_head"
            step.micro.append(MicroStep(token, prob, top, stop_prob, reason))
            if reason:
                break
            logits, stop_logit = micro_step(micro, embed, micro_cache, hiddens, token)
        trace.steps.append(step)
        if step.micro[-1].reason in ("eos", "limit"):
            return trace
        inputs, group = prompt[None, :0], embed(torch.tensor(step.token_ids))   # one entry for the group
        last_token = n - 1 + emitted                                          # the group's last token's index
        positions = torch.tensor([[last_token + (position_convention == "tokens_so_far")]])


@torch.no_grad()
def generate_baseline(graphs: dict, cfg: ModelConfig, prompt_ids: list[int], eos_id: int,
                      max_new_tokens: int = 128) -> Trace:
    embed, base = graphs["embed"], graphs["base"]
    n = len(prompt_ids)
    trace = Trace("baseline", list(prompt_ids), None, max_new_tokens)
    cache = KvCache(cfg.num_layers, cfg, n + max_new_tokens)
    inputs = embed(torch.tensor(prompt_ids))[None]
    positions = torch.arange(n)[None]
    while True:
        _, logits, *new = base(inputs, positions, *cache.view())
        cache.append(tuple(new))
        token, prob, top = pick(logits[0])
        reason = "eos" if token == eos_id else "limit" if len(trace.steps) + 1 >= max_new_tokens else "max_steps"
        trace.steps.append(MacroStep(int(positions[0, -1]), [token], [MicroStep(token, prob, top, None, reason)]))
        if reason != "max_steps":
            return trace
        inputs = embed(torch.tensor([token]))[None]
        positions = positions[:, -1:] + 1
