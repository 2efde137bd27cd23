"""The graphs of the model package as torch modules.

The exporter traces exactly these modules to ONNX and the reference decoder runs exactly
these modules in PyTorch, so the golden traces and the engine see the same computation.
Interfaces: docs/model-package.md.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .model import Hamburger, LlamaForCausalLM, causal_mask


def _pairs(flat: tuple[torch.Tensor, ...]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]


def _flatten(cache: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, ...]:
    return tuple(t for kv in cache for t in kv)


class EmbedGraph(nn.Module):
    def __init__(self, embed_tokens: nn.Embedding):
        super().__init__()
        self.embed_tokens = embed_tokens

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed_tokens(input_ids)                           # [n] -> [n, D]


class ComposeGraph(nn.Module):
    def __init__(self, h: Hamburger):
        super().__init__()
        self.comp_embedder = h.comp_embedder

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        valid = torch.ones_like(embeddings[None, :, 0], dtype=torch.bool)   # [1, k]
        return self.comp_embedder(embeddings[None], valid)            # [k, D] -> [1, D]


class BaseGraph(nn.Module):
    """Base forward over new elements on a cache of P; heads on the last position.

    HAMburger's base composes its last element from `group` [k, D] (a one-token group is
    the token's own embedding), so a macro step is one call: `inputs_embeds` [1, 0, D] and
    the previous step's group; a prefill passes the prompt but its last token as
    `inputs_embeds` and that token as the group. The baseline's base has no `group` input.
    """

    def __init__(self, llm: LlamaForCausalLM, stop_head: nn.Module | None, compose: ComposeGraph | None):
        super().__init__()
        self.llm = llm
        self.stop_head = stop_head
        self.compose = compose

    def forward(self, inputs_embeds, *rest):
        if self.compose is not None:
            group, position_ids, past = rest[0], rest[1], rest[2:]
            inputs_embeds = torch.cat([inputs_embeds, self.compose(group)[None]], dim=1)
        else:
            position_ids, past = rest[0], rest[1:]
        t, p = inputs_embeds.shape[1], past[0].shape[1]
        feats, new = self.llm.model(inputs_embeds, position_ids, causal_mask(t, p, inputs_embeds.device), _pairs(past))
        last = feats[:, -1, -1]                                       # [1, D]
        outs = (feats, self.llm.lm_head(last))
        if self.stop_head is not None:
            outs += (self.stop_head(last),)
        return outs + _flatten(new)


class MicroGraph(nn.Module):
    def __init__(self, h: Hamburger):
        super().__init__()
        self.micro = h.micro_step_decoder
        self.lm_head = h.model.lm_head

    def forward(self, hiddens, position_ids, *past):
        m, p = hiddens.shape[1], past[0].shape[1]
        out, new = self.micro(hiddens, position_ids, causal_mask(m, p, hiddens.device), _pairs(past))
        last = out[:, -1]                                             # no final norm, as the reference
        return (self.lm_head(last), self.micro.stop_head(last)) + _flatten(new)


class HeadsGraph(nn.Module):
    def __init__(self, lm_head: nn.Module, stop_head: nn.Module | None):
        super().__init__()
        self.lm_head = lm_head
        self.stop_head = stop_head

    def forward(self, hidden):
        if self.stop_head is None:
            return self.lm_head(hidden)
        return self.lm_head(hidden), self.stop_head(hidden)


def kv_names(prefix: str, n_layers: int) -> list[str]:
    return [f"{prefix}_{kind}_{i}" for i in range(n_layers) for kind in ("key", "value")]


def hamburger_graphs(h: Hamburger) -> dict[str, nn.Module]:
    stop = h.micro_step_decoder.stop_head
    return {
        "embed": EmbedGraph(h.embed_tokens),
        "base": BaseGraph(h.model, stop, ComposeGraph(h)),
        "micro": MicroGraph(h),
        "heads": HeadsGraph(h.model.lm_head, stop),
    }


def baseline_graphs(llm: LlamaForCausalLM) -> dict[str, nn.Module]:
    return {
        "embed": EmbedGraph(llm.model.embed_tokens),
        "base": BaseGraph(llm, None, None),
        "heads": HeadsGraph(llm.lm_head, None),
    }
