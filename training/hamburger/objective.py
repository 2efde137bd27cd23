"""Training losses: plain language modelling, response-only SFT, and HAMburger's objective."""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .model import Hamburger, LlamaForCausalLM, causal_mask

IGNORE = -100
STOP_WEIGHT = 0.5


# `rows` of the losses below: which rows of the batch one call computes, when the batch is cut
# into slices across processes and accumulation steps (distributed.py). The call's loss and
# figures are then those rows' share of the whole batch's means (sums over the rows divided by
# the whole batch's counts), so that the shares of its slices add up to what one call over the
# whole batch returns, however unequal the slices' token counts.


def lm_loss(llm: LlamaForCausalLM, windows: torch.Tensor, rows: slice | None = None) -> torch.Tensor:
    """windows [B, T+1] of a token stream: next-token cross-entropy."""
    whole = windows[:, 1:].numel()
    windows = windows[rows or slice(None)].to(llm.lm_head.weight.device)
    logits = llm(windows[:, :-1])
    return F.cross_entropy(logits.flatten(0, 1), windows[:, 1:].flatten(), reduction="sum") / whole


def sft_batch(examples: list, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded inputs [B, T] and targets with prompt and padding ignored."""
    seqs = [e.prompt_ids + e.response_ids for e in examples]
    t = max(len(s) for s in seqs) - 1
    inputs = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    targets = torch.full((len(seqs), t), IGNORE, dtype=torch.long)
    for i, (e, s) in enumerate(zip(examples, seqs)):
        inputs[i, :len(s) - 1] = torch.tensor(s[:-1])
        n = len(e.prompt_ids)
        targets[i, n - 1:len(s) - 1] = torch.tensor(e.response_ids)
    return inputs, targets


def sft_loss(llm: LlamaForCausalLM, inputs: torch.Tensor, targets: torch.Tensor,
             rows: slice | None = None) -> torch.Tensor:
    """Mean next-token cross-entropy over the scored targets."""
    device = llm.lm_head.weight.device
    whole = max(int((targets != IGNORE).sum()), 1)
    inputs, targets = inputs[rows or slice(None)], targets[rows or slice(None)]
    logits = llm(inputs.to(device))
    return F.cross_entropy(logits.flatten(0, 1), targets.to(device).flatten(), ignore_index=IGNORE,
                           reduction="sum") / whole


@dataclass
class GroupForward:
    """Teacher-forced outputs for every response token of a batch, in group order."""
    logits: torch.Tensor        # [N, V]
    stop_logit: torch.Tensor    # [N]
    targets: torch.Tensor       # [N] the response tokens
    valid: torch.Tensor         # [G, S] which slots of each group hold a token
    example: torch.Tensor       # [G] the example each group belongs to


def group_forward(h: Hamburger, examples: list, groups: list[list[int]]) -> GroupForward:
    """Each example's base input is its prompt (one element per token) followed by one composed
    element per response group except the last; the element before group j (last prompt token
    or group j-1) predicts group j: token 0 from the base's final hidden, tokens 1.. through the
    micro decoder over [features, emb(g0), ..., emb(g_{k-2})], teacher-forced."""
    cfg = h.cfg
    s_max, n_feat = cfg.max_steps, len(cfg.feature_layers)
    emb_table = h.embed_tokens
    dev = emb_table.weight.device
    # Every group of the batch, padded to max_steps: tokens [G, S], valid [G, S].
    flat = [(b, e.response_ids[o - k:o]) for b, (e, gs) in enumerate(zip(examples, groups))
            for k, o in zip(gs, _ends(gs))]
    g_tokens = torch.zeros(len(flat), s_max, dtype=torch.long)
    valid = torch.zeros(len(flat), s_max, dtype=torch.bool)
    for i, (_, toks) in enumerate(flat):
        g_tokens[i, :len(toks)] = torch.tensor(toks)
        valid[i, :len(toks)] = True
    g_tokens, valid = g_tokens.to(dev), valid.to(dev)
    g_emb = emb_table(g_tokens)                                           # [G, S, D]
    composed = h.comp_embedder(g_emb, valid)                               # [G, D]

    # Base inputs per example: prompt embeddings then composed groups (all but the last).
    rows, positions, predictors, start = [], [], [], 0
    for e, gs in zip(examples, groups):
        n, ng = len(e.prompt_ids), len(gs)
        x = torch.cat([emb_table(torch.tensor(e.prompt_ids, device=dev)), composed[start:start + ng - 1]])
        pos = list(range(n)) + [n - 1 + o for o in _ends(gs)[:-1]]
        rows.append(x)
        positions.append(torch.tensor(pos, device=dev))
        predictors.append(torch.arange(n - 1, n - 1 + ng, device=dev))
        start += ng
    t = max(r.shape[0] for r in rows)
    x = torch.stack([F.pad(r, (0, 0, 0, t - r.shape[0])) for r in rows])   # [B, T, D]
    pos = torch.stack([F.pad(p, (0, t - p.shape[0])) for p in positions])  # [B, T]
    feats, _ = h.model.model(x, pos, causal_mask(t, 0, x.device))          # [B, T, F, D]
    batch_idx = torch.cat([torch.full((len(p),), b, device=dev) for b, p in enumerate(predictors)])
    pred_feats = feats[batch_idx, torch.cat(predictors)]                   # [G, F, D]

    # Only groups of two or more tokens need the micro decoder: token 0 is the base's.
    multi = valid[:, 1]                                                    # [M of G]
    micro_in = torch.cat([pred_feats[multi], g_emb[multi, :s_max - 1]], dim=1)   # [M, F+S-1, D]
    m = micro_in.shape[1]
    micro_out, _ = h.micro_step_decoder(micro_in, torch.arange(m, device=dev)[None].expand(len(micro_in), m),
                                        causal_mask(m, 0, x.device))
    step_hidden = pred_feats[:, -1:].expand(-1, s_max, -1).clone()          # [G, S, D]
    step_hidden[multi, 1:] = micro_out[:, n_feat:]
    logits, stop_logit = h.heads(step_hidden[valid])                       # [N, V], [N, 1]
    return GroupForward(logits, stop_logit[..., 0], g_tokens[valid], valid,
                        torch.tensor([b for b, _ in flat], device=dev))


def hamburger_loss(h: Hamburger, examples: list, groups: list[list[int]],
                   supervise_stop: list[bool] | None = None, stop_on_miss: bool = False,
                   stop_at_end: list[list[bool]] | None = None, rows: slice | None = None) -> tuple[torch.Tensor, dict]:
    """Token cross-entropy over every micro step + 0.5 x stop BCE, teacher-forced per group
    (`group_forward`).
    `supervise_stop[b]` False leaves example b's stop head untrained: its groups are not cut
    where a macro step should end (e.g. one token each, the input confidence 1.0 gives).
    `stop_on_miss` also targets a stop (1) on every token whose successor in the group the
    model's argmax gets wrong, so that the stop head learns where its own micro steps fail.
    `stop_at_end[b][j]` False: group j of example b ends where no macro step should (a cut of
    `split_groups`), so its last token is no stop target.
    `rows`: the slice of the batch this call computes (above `lm_loss`); every figure is its share.
    """
    supervise_stop = supervise_stop or [True] * len(examples)
    # The whole batch's counts: response tokens, those with a stop target, groups.
    tokens = max(sum(sum(gs) for gs in groups), 1)
    stop_tokens = max(sum(sum(gs) for gs, s in zip(groups, supervise_stop) if s), 1)
    group_count = max(sum(len(gs) for gs in groups), 1)
    if rows is not None:
        examples, groups, supervise_stop = examples[rows], groups[rows], supervise_stop[rows]
        stop_at_end = stop_at_end[rows] if stop_at_end is not None else None
    out = group_forward(h, examples, groups)
    valid, s_max = out.valid, h.cfg.max_steps
    dev = valid.device
    sizes = valid.sum(1, keepdim=True)
    ce = F.cross_entropy(out.logits.float(), out.targets, reduction="sum") / tokens
    stop_grid = torch.arange(s_max, device=dev)[None] == sizes - 1         # [G, S]
    if stop_at_end is not None:
        stop_grid &= torch.tensor([f for flags in stop_at_end for f in flags], device=dev)[:, None]
    stop_target = stop_grid.float()
    if stop_on_miss:
        with torch.no_grad():
            miss = torch.zeros(valid.shape, device=dev)
            miss[valid] = (out.logits.argmax(-1) != out.targets).float()
            stop_target[:, :-1] = torch.maximum(stop_target[:, :-1], miss[:, 1:])
    stop_target = stop_target[valid]
    group_supervised = torch.tensor(supervise_stop, device=dev)[out.example]
    stop_rows = group_supervised[:, None].expand(-1, s_max)[valid]         # [N]
    stop_logit = out.stop_logit[stop_rows].float()
    stop_target = stop_target[stop_rows]
    bce = F.binary_cross_entropy_with_logits(stop_logit, stop_target, reduction="sum") / stop_tokens
    with torch.no_grad():
        stop_acc = ((stop_logit > 0) == (stop_target > 0.5)).float().sum() / stop_tokens
    loss = ce + STOP_WEIGHT * bce
    # .item(): torch 2.x warns on float() of a tensor that requires grad
    metrics = {"ce": ce.item(), "bce": bce.item(), "stop_acc": float(stop_acc),
               "stop_target_rate": float(stop_target.sum()) / stop_tokens,
               "tokens_per_group": float(valid.sum()) / group_count}
    return loss, metrics


def split_groups(groups: list[int], rate: float, rng: random.Random) -> tuple[list[int], list[bool]]:
    """Cuts each group of two or more tokens, with probability `rate`, at a uniform interior
    point. A calibrated stop head ends macro steps inside the segmentation's groups, so at
    inference the base reads composed prefixes of them; trained on whole groups only, it
    reads those much worse (docs/history/training-log.md, run 8). Returns the new group sizes and, per
    new group, whether it ends where a segmentation group did."""
    sizes, ends = [], []
    for k in groups:
        if k >= 2 and rng.random() < rate:
            cut = rng.randint(1, k - 1)
            sizes += [cut, k - cut]
            ends += [False, True]
        else:
            sizes.append(k)
            ends.append(True)
    return sizes, ends


def _ends(groups: list[int]) -> list[int]:
    """Exclusive end offset of each group inside the response."""
    out, o = [], 0
    for k in groups:
        o += k
        out.append(o)
    return out


@torch.no_grad()
def response_entropies(llm: LlamaForCausalLM, examples: list, pad_id: int) -> list[list[float]]:
    """Per response token, the entropy of the distribution that predicted it."""
    inputs, _ = sft_batch(examples, pad_id)
    logp = llm(inputs.to(llm.lm_head.weight.device)).float().log_softmax(-1)    # [B, T, V]
    entropy = -(logp.exp() * logp).sum(-1)                                      # [B, T]
    return [entropy[i, len(e.prompt_ids) - 1:len(e.prompt_ids) - 1 + len(e.response_ids)].cpu().tolist()
            for i, e in enumerate(examples)]
