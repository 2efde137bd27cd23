"""Held-out evaluation of a package with the reference decoders.

Per task family: baseline exact match, HAMburger exact match at each confidence level,
tokens per macro step and KV entries per generated token (each macro step's group becomes
one KV entry; the baseline spends one per token). The engine's `eval` computes the same.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .chat import render_prompt
from .data import load_heldout
from .decode import Trace, generate_baseline, generate_hamburger
from .graphs import baseline_graphs, hamburger_graphs
from .package import baseline_config, load_package

EVAL_MAX_NEW_TOKENS = 192


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


def evaluate_package(folder: Path, confidences: list[float], limit: int = 0) -> dict:
    h, baseline, tok, man = load_package(folder)
    if baseline is None:
        raise SystemExit(f"error: {folder} has no baseline graphs to compare against")
    examples = load_heldout(Path(folder) / "eval" / "heldout.jsonl")
    report = evaluate_models(h, baseline, tok, man["tokens"]["eos_id"], examples, confidences, limit)
    return {"package": str(folder), **report}


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
        b = generate_baseline(bg, bcfg, ids, eos, EVAL_MAX_NEW_TOKENS)
        r["baseline_correct"] += is_exact(_text(tok, b, eos), e["response"])
        for c in confidences:
            t = generate_hamburger(hg, h.cfg, ids, eos, c, EVAL_MAX_NEW_TOKENS)
            r[f"correct@{c}"] += is_exact(_text(tok, t, eos), e["response"])
            r[f"tokens@{c}"] += len(t.output_ids)
            r[f"steps@{c}"] += len(t.steps)
    families = [_summarise(f, r, confidences) for f, r in rows.items()]
    total: dict[str, float] = defaultdict(float)
    for r in rows.values():
        for k, v in r.items():
            total[k] += v
    overall = _summarise("overall", total, confidences)
    return {"confidences": confidences, "limit": limit, "max_new_tokens": EVAL_MAX_NEW_TOKENS,
            "families": families, "overall": overall}


def _summarise(family: str, r: dict, confidences: list[float]) -> dict:
    out = {"family": family, "n": int(r["n"]), "baseline_accuracy": r["baseline_correct"] / r["n"]}
    for c in confidences:
        out[f"hamburger_accuracy@{c}"] = r[f"correct@{c}"] / r["n"]
        out[f"tokens_per_step@{c}"] = r[f"tokens@{c}"] / r[f"steps@{c}"]
        out[f"kv_per_token@{c}"] = r[f"steps@{c}"] / r[f"tokens@{c}"]
    return out


def markdown_table(report: dict) -> str:
    """The report's families and overall row as the model card's table."""
    rows, confidences = report["families"] + [report["overall"]], report["confidences"]
    head = "| family | n | baseline acc |" + "".join(
        f" HAMburger acc @{c} | tokens/step @{c} | KV/token @{c} |" for c in confidences)
    sep = "|---" * (3 + 3 * len(confidences)) + "|"
    lines = [head, sep]
    for r in rows:
        cells = [r["family"], str(r["n"]), f"{100 * r['baseline_accuracy']:.1f}%"]
        for c in confidences:
            cells += [f"{100 * r[f'hamburger_accuracy@{c}']:.1f}%", f"{r[f'tokens_per_step@{c}']:.2f}",
                      f"{r[f'kv_per_token@{c}']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
