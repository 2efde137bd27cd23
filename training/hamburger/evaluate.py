"""Held-out evaluation of a package with the reference decoders.

Per task family: baseline exact match, HAMburger exact match at each confidence level,
tokens per macro step and KV entries per generated token (each macro step's group becomes
one KV entry; the baseline spends one per token), and the discordant pairs (examples only
HAMburger gets right, and only the baseline), from which a paired interval for the difference
of the two accuracies follows. The engine's `eval` computes the same.

Free text (the `continue` family, natural English with no single right answer): the
baseline's per-token perplexity of HAMburger's continuation next to that of the baseline's
own greedy continuation, so that any quality cost of multi-token steps shows.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import torch
import torch.nn.functional as F

from .chat import render_prompt
from .data import load_heldout
from .decode import Trace, generate_baseline, generate_hamburger
from .graphs import baseline_graphs, hamburger_graphs
from .model import LlamaForCausalLM
from .package import baseline_config, load_package
from .train import baseline_from_checkpoint

EVAL_MAX_NEW_TOKENS = 192
FREE_TEXT_FAMILY = "continue"


def answer_budget(tok, response: str) -> int:
    """New tokens allowed for one held-out answer: EVAL_MAX_NEW_TOKENS, or the expected answer
    and its end of sequence when those are longer (a byte-level package's longest copy answers
    run to 271 tokens), so that no answer is cut short by the budget."""
    return max(EVAL_MAX_NEW_TOKENS, len(tok.encode(response)) + 1)


def is_exact(output: str, expected: str) -> bool:
    return output.strip() == expected.strip()


def first_per_family(examples: list[dict], limit: int) -> list[dict]:
    counts: dict[str, int] = defaultdict(int)
    out = []
    for e in examples:
        counts[e["family"]] += 1
        if counts[e["family"]] <= limit:
            out.append(e)
    return out


def _text(tok, trace: Trace, eos_id: int) -> str:
    return tok.decode([t for t in trace.output_ids if t != eos_id], skip_special=True)


@torch.no_grad()
def output_nll(llm: LlamaForCausalLM, prompt_ids: list[int], output_ids: list[int]) -> float:
    """Summed negative log-likelihood of output_ids after prompt_ids under llm (teacher-forced)."""
    seq = torch.tensor([prompt_ids + output_ids])
    logp = F.log_softmax(llm(seq[:, :-1])[0, len(prompt_ids) - 1:], dim=-1)         # [N, V]
    return -float(logp.gather(1, torch.tensor(output_ids)[:, None]).sum())


def evaluate_package(folder: Path, confidences: list[float], limit: int = 0,
                     baseline_checkpoint: Path | None = None, baseline_weights: str = "last",
                     heldout: Path | None = None) -> dict:
    """`baseline_checkpoint`: a baseline-stage checkpoint whose last weights or moving average
    (`baseline_weights`) stand in for the package's baseline, as `export` would ship them: a
    checkpoint judged during training without exporting it. `heldout`: examples other than the
    package's eval/heldout.jsonl (e.g. a larger split from `heldout`)."""
    h, baseline, tok, man = load_package(folder)
    source: dict = {"package": str(folder)}
    if baseline_checkpoint is not None:
        baseline, weights, step = baseline_from_checkpoint(baseline_checkpoint, h.cfg, baseline_weights)
        source = {"checkpoint": str(baseline_checkpoint), "step": step, **weights}
    if baseline is None:
        raise SystemExit(f"error: {folder} has no baseline graphs to compare against; name a baseline-stage "
                         "checkpoint with --baseline-checkpoint")
    heldout = heldout or Path(folder) / "eval" / "heldout.jsonl"
    if not heldout.is_file():
        raise SystemExit(f"error: {heldout} does not exist; write a held-out split with `heldout --per-family N --out FILE`")
    examples = load_heldout(heldout)
    report = evaluate_models(h, baseline, tok, man["tokens"]["eos_id"], examples, confidences, limit)
    return {"package": str(folder), "baseline": source, **report}


def evaluate_models(h, baseline, tok, eos: int, examples: list[dict], confidences: list[float],
                    limit: int = 0) -> dict:
    if limit:
        examples = first_per_family(examples, limit)
    hg, bg, bcfg = hamburger_graphs(h), baseline_graphs(baseline), baseline_config(h.cfg)
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for e in examples:
        ids = tok.encode(render_prompt(e["prompt"]))
        r = rows[e["family"]]
        r["n"] += 1
        budget = answer_budget(tok, e["response"])
        b = generate_baseline(bg, bcfg, ids, eos, budget)
        base_right = is_exact(_text(tok, b, eos), e["response"])
        r["baseline_correct"] += base_right
        free_text = e["family"] == FREE_TEXT_FAMILY
        if free_text:
            r["baseline_nll"] += output_nll(baseline, ids, b.output_ids)
            r["baseline_tokens"] += len(b.output_ids)
        for c in confidences:
            t = generate_hamburger(hg, h.cfg, ids, eos, c, budget)
            right = is_exact(_text(tok, t, eos), e["response"])
            r[f"correct@{c}"] += right
            # the discordant pairs: what a paired comparison of the two accuracies rests on
            r[f"hamburger_only@{c}"] += right and not base_right
            r[f"baseline_only@{c}"] += base_right and not right
            r[f"tokens@{c}"] += len(t.output_ids)
            r[f"steps@{c}"] += len(t.steps)
            if free_text:
                r[f"nll@{c}"] += output_nll(baseline, ids, t.output_ids)
    families = [_summarise(f, r, confidences) for f, r in rows.items()]
    free = rows.get(FREE_TEXT_FAMILY)
    total: dict[str, float] = defaultdict(float)
    for r in rows.values():
        for k, v in r.items():
            total[k] += v
    overall = _summarise("overall", total, confidences)
    return {"confidences": confidences, "limit": limit, "max_new_tokens": EVAL_MAX_NEW_TOKENS,
            "families": families, "overall": overall,
            "free_text": _free_text(free, confidences) if free else None}


def _free_text(r: dict, confidences: list[float]) -> dict:
    """Perplexities are per generated token (eos included) under the baseline model."""
    out = {"family": FREE_TEXT_FAMILY, "n": int(r["n"]),
           "baseline_ppl_of_baseline": math.exp(r["baseline_nll"] / r["baseline_tokens"])}
    for c in confidences:
        out[f"baseline_ppl_of_hamburger@{c}"] = math.exp(r[f"nll@{c}"] / r[f"tokens@{c}"])
        out[f"tokens_per_step@{c}"] = r[f"tokens@{c}"] / r[f"steps@{c}"]
    return out


def _summarise(family: str, r: dict, confidences: list[float]) -> dict:
    out = {"family": family, "n": int(r["n"]), "baseline_accuracy": r["baseline_correct"] / r["n"]}
    for c in confidences:
        out[f"hamburger_accuracy@{c}"] = r[f"correct@{c}"] / r["n"]
        out[f"tokens_per_step@{c}"] = r[f"tokens@{c}"] / r[f"steps@{c}"]
        out[f"kv_per_token@{c}"] = r[f"steps@{c}"] / r[f"tokens@{c}"]
        out[f"hamburger_only@{c}"] = int(r[f"hamburger_only@{c}"])
        out[f"baseline_only@{c}"] = int(r[f"baseline_only@{c}"])
    return out


def markdown_table(report: dict) -> str:
    """The report's families and overall row as the model card's table."""
    rows, confidences = report["families"] + [report["overall"]], report["confidences"]
    head = "| family | n | baseline acc |" + "".join(
        f" HAMburger acc @{c} | tokens/step @{c} | KV/token @{c} |" for c in confidences)
    sep = "|---" * (3 + 3 * len(confidences)) + "|"
    source = report.get("baseline", {})
    lines = ([f"Baseline: {source['checkpoint']} at step {source['step']}, its {source['weights']} weights.", ""]
             if "checkpoint" in source else [])
    lines += [head, sep]
    for r in rows:
        cells = [r["family"], str(r["n"]), f"{100 * r['baseline_accuracy']:.1f}%"]
        for c in confidences:
            cells += [f"{100 * r[f'hamburger_accuracy@{c}']:.1f}%", f"{r[f'tokens_per_step@{c}']:.2f}",
                      f"{r[f'kv_per_token@{c}']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    free = report.get("free_text")
    if free:
        own = (f"Free text ({free['family']}, n = {free['n']}): the baseline's per-token perplexity of "
               f"its own greedy continuation {free['baseline_ppl_of_baseline']:.2f}")
        levels = ", ".join(f"@{c}: {free[f'baseline_ppl_of_hamburger@{c}']:.2f} "
                           f"({free[f'tokens_per_step@{c}']:.2f} tokens/step)" for c in confidences)
        lines += ["", own + (f"; of HAMburger's {levels}" if confidences else "") + "."]
    return "\n".join(lines)
