"""Reference for checking HAMburger against its baseline (docs/engine.md, "Audit and verify").

- `generate_verified`: greedy speculative decoding with HAMburger's groups as drafts and the
  baseline as verifier. The baseline checks each group in one forward over
  [pending tokens..., drafts...], keeps the longest prefix equal to its own argmax and adds
  its own next token, so the output is the baseline's greedy output. HAMburger's cache then
  gets the kept drafts as one composed entry and the baseline's token as a separate one
  (positions: each entry's last token index), so its view matches what was emitted.
- `audit_trace`: the baseline's verdict on every token of a HAMburger trace, from one plain
  uncached forward of the baseline over prompt + output: independent of the incremental
  verifier that the engine and `generate_verified` use.
- `audit_reference` / `write_audit_reference`: a package's eval/audit-reference.json, which
  the engine's tests compare against.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from .chat import render_prompt
from .config import ModelConfig
from .decode import KvCache, Trace, generate_hamburger, should_stop
from .graphs import baseline_graphs, hamburger_graphs
from .model import Hamburger, LlamaForCausalLM
from .package import baseline_config, load_package
from .tokenizer import ByteLevelBPE

AUDIT_REFERENCE_FILE = "eval/audit-reference.json"
AUDIT_CONFIDENCE = 0.9


@dataclass
class VerifyStep:
    drafts: list[int]           # HAMburger's group, as proposed
    draft_reason: str           # why HAMburger stopped drafting: stop_head | max_steps | eos | limit
    accepted: int               # leading drafts equal to the baseline's argmax
    token: int | None           # the baseline's own next token (None: the run ended inside the kept drafts)


@dataclass
class VerifiedRun:
    prompt_ids: list[int]
    confidence: float | None
    max_new_tokens: int
    steps: list[VerifyStep] = field(default_factory=list)

    @property
    def output_ids(self) -> list[int]:
        out: list[int] = []
        for s in self.steps:
            out += s.drafts[:s.accepted] + ([] if s.token is None else [s.token])
        return out

    def totals(self) -> dict:
        drafts = sum(len(s.drafts) for s in self.steps)
        accepted = sum(s.accepted for s in self.steps)
        tokens = len(self.output_ids)
        return {"steps": len(self.steps), "drafts": drafts, "accepted": accepted,
                "acceptance_rate": accepted / drafts, "mean_accepted_prefix": accepted / len(self.steps),
                "baseline_forwards": len(self.steps), "baseline_forwards_per_token": len(self.steps) / tokens}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output_ids"] = self.output_ids
        d["totals"] = self.totals()
        return d


def _feed(graphs: dict, cache: KvCache, entries: list[list[int]], positions: list[int]):
    """Appends one KV entry per group, in as few base calls as the graph allows: single-token
    entries ride in front of the next group (the graph composes only its last element)."""
    embed, base = graphs["embed"], graphs["base"]
    start = 0
    for i, group in enumerate(entries):
        if len(group) == 1 and i < len(entries) - 1:
            continue
        singles = torch.tensor([e[0] for e in entries[start:i]], dtype=torch.long)
        feats, logits, stop_logit, *new = base(embed(singles)[None], embed(torch.tensor(group)),
                                               torch.tensor([positions[start:i + 1]]), *cache.view())
        cache.append(tuple(new))
        start = i + 1
    return feats, logits, stop_logit


def _draft(graphs: dict, cfg: ModelConfig, feats, logits, stop_logit, eos_id: int, confidence: float | None,
           budget: int) -> tuple[list[int], str]:
    """HAMburger's greedy group after one base forward (micro steps as generate_hamburger)."""
    embed, micro = graphs["embed"], graphs["micro"]
    micro_cache = KvCache(cfg.micro_layers, cfg, len(cfg.feature_layers) + cfg.max_steps)
    hiddens = feats[:, -1]
    drafts: list[int] = []
    while True:
        token = int(logits[0].argmax())
        drafts.append(token)
        if token == eos_id:
            return drafts, "eos"
        if len(drafts) >= budget:
            return drafts, "limit"
        if len(drafts) >= cfg.max_steps:
            return drafts, "max_steps"
        if should_stop(float(torch.sigmoid(stop_logit[0, 0])), confidence):
            return drafts, "stop_head"
        tok_emb = embed(torch.tensor([token]))[None]
        hiddens = torch.cat([hiddens, tok_emb], dim=1) if micro_cache.length == 0 else tok_emb
        micro_pos = torch.arange(micro_cache.length, micro_cache.length + hiddens.shape[1])[None]
        logits, stop_logit, *new = micro(hiddens, micro_pos, *micro_cache.view())
        micro_cache.append(tuple(new))


def _baseline_rows(graphs: dict, cache: KvCache, fed: list[int], first_row: int) -> torch.Tensor:
    """One baseline forward over `fed` on its cache; next-token logits of rows first_row.. [m, V]."""
    x = graphs["embed"](torch.tensor(fed))[None]
    positions = torch.arange(cache.length, cache.length + len(fed))[None]
    feats, _, *new = graphs["base"](x, positions, *cache.view())
    cache.append(tuple(new))
    return graphs["heads"](feats[0, first_row:, -1])


@torch.no_grad()
def generate_verified(hg: dict, bg: dict, cfg: ModelConfig, prompt_ids: list[int], eos_id: int,
                      confidence: float | None = AUDIT_CONFIDENCE, max_new_tokens: int = 128) -> VerifiedRun:
    n = len(prompt_ids)
    limit = min(max_new_tokens, cfg.max_position - n)
    bcfg = baseline_config(cfg)
    cache = KvCache(cfg.num_layers, cfg, n + limit)
    bcache = KvCache(bcfg.num_layers, bcfg, n + limit)
    run = VerifiedRun(list(prompt_ids), confidence, max_new_tokens)
    out: list[int] = []
    pending = list(prompt_ids)                 # emitted tokens not yet in the baseline's cache
    entries, positions = [[t] for t in prompt_ids], list(range(n))
    while True:
        feats, logits, stop_logit = _feed(hg, cache, entries, positions)
        drafts, reason = _draft(hg, cfg, feats, logits, stop_logit, eos_id, confidence, limit - len(out))
        kept_before = bcache.length
        argmax = _baseline_rows(bg, bcache, pending + drafts, len(pending) - 1).argmax(-1)
        accepted = 0
        while accepted < len(drafts) and drafts[accepted] == int(argmax[accepted]):
            accepted += 1
        out += drafts[:accepted]
        # Drafting stops at eos and at the token budget, so a fully kept group can end the run.
        if accepted == len(drafts) and reason in ("eos", "limit"):
            run.steps.append(VerifyStep(drafts, reason, accepted, None))
            return run
        token = int(argmax[accepted])
        run.steps.append(VerifyStep(drafts, reason, accepted, token))
        out.append(token)
        if token == eos_id or len(out) >= limit:
            return run
        bcache.length = kept_before + len(pending) + accepted    # forget the rejected drafts
        pending = [token]
        last = n - 1 + len(out)
        entries = ([drafts[:accepted]] if accepted else []) + [[token]]
        positions = ([last - 1] if accepted else []) + [last]


@torch.no_grad()
def audit_trace(baseline: LlamaForCausalLM, trace: Trace) -> dict:
    """Per token of `trace`: the baseline's probability of it, its own argmax and that one's
    probability, whether they agree, and whether the token lies in its step's agreeing prefix
    (what a greedy verifier would have kept)."""
    ids, out = trace.prompt_ids, trace.output_ids
    seq = torch.tensor([ids + out[:-1]])
    logits = baseline(seq)[0, len(ids) - 1:]                          # before each output token
    probs = logits.double().softmax(-1)
    steps, i = [], 0
    for step in trace.steps:
        verdicts = []
        for token in step.token_ids:
            top = int(logits[i].argmax())
            verdicts.append({"token_id": token, "baseline_prob": float(probs[i, token]), "baseline_top_id": top,
                             "baseline_top_prob": float(probs[i, top]), "agrees": token == top})
            i += 1
        prefix = next((j for j, v in enumerate(verdicts) if not v["agrees"]), len(verdicts))
        for j, v in enumerate(verdicts):
            v["accepted"] = j < prefix
        steps.append({"token_ids": list(step.token_ids), "verdicts": verdicts, "accepted_prefix": prefix})
    checked = len(out)
    agreed = sum(v["agrees"] for s in steps for v in s["verdicts"])
    accepted = sum(s["accepted_prefix"] for s in steps)
    totals = {"steps": len(steps), "checked": checked, "agreed": agreed, "accepted": accepted,
              "agreement_rate": agreed / checked, "mean_accepted_prefix": accepted / len(steps)}
    return {"steps": steps, "totals": totals}


def audit_reference(h: Hamburger, baseline: LlamaForCausalLM, tok: ByteLevelBPE, prompts: list[dict],
                    confidence: float | None, max_new_tokens: int) -> dict:
    """Per prompt (sorted by family): the audit of HAMburger's greedy run and the verify run."""
    eos = tok.special_id("<|eos|>")
    hg, bg = hamburger_graphs(h), baseline_graphs(baseline)
    entries = []
    for ex in sorted(prompts, key=lambda e: e["family"]):
        ids = tok.encode(render_prompt(ex["prompt"]))
        trace = generate_hamburger(hg, h.cfg, ids, eos, confidence, max_new_tokens)
        verified = generate_verified(hg, bg, h.cfg, ids, eos, confidence, max_new_tokens)
        entries.append({"id": ex["id"], "family": ex["family"], "prompt": ex["prompt"], "prompt_ids": ids,
                        "hamburger_output_ids": trace.output_ids, "audit": audit_trace(baseline, trace),
                        "verify": verified.to_dict()})
    return {"confidence": confidence, "max_new_tokens": max_new_tokens, "prompts": entries}


def write_audit_reference(folder: Path, confidence: float | None = AUDIT_CONFIDENCE) -> Path:
    """Writes eval/audit-reference.json into a package, for the prompts of its golden traces,
    without touching anything else in it."""
    folder = Path(folder)
    h, baseline, tok, _ = load_package(folder)
    if baseline is None:
        raise SystemExit(f"error: {folder} has no baseline graphs to audit against")
    goldens = [json.loads(p.read_text()) for p in sorted((folder / "golden").glob("*.json"))]
    prompts = [g for g in goldens if g["mode"] == "baseline"]
    if not prompts:
        raise SystemExit(f"error: {folder}/golden has no baseline traces to take the prompts from")
    report = audit_reference(h, baseline, tok, prompts, confidence, prompts[0]["max_new_tokens"])
    target = folder / AUDIT_REFERENCE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return target
