"""Reference analysis of a text: HAMburger run teacher-forced over it (docs/engine.md, "Analysing
a text"). Every micro step's token is the text's next one; a group ends at eos, at the end of
the text, at max_steps, where the stop head says stop at the confidence level, or else right
after a token the model's greedy choice differs from (`diverged`). The group then goes back as
one composed entry at the position of its last token, as in decoding, so each token is scored
from the state HAMburger itself would be in: a group's first token by the base forward's
heads, the others by the micro decoder.

`python3 -m hamburger.analyse PACKAGE --out FILE` writes the golden analyses that
test/engine/textAnalysis.test.ts requires the engine to reproduce: the prompts of the
package's HAMburger golden traces (at their confidence levels) with their held-out reference
answers as texts, one of them at confidence null, and one answer with no prompt at all. The
file in the repository is regenerated (from training/) with
`.venv/bin/python -m hamburger.analyse ../models/hamburger-tiny --out ../test/fixtures/analysis/hamburger-tiny.json`.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from .config import ModelConfig
from .data import load_heldout
from .decode import KvCache, micro_step, should_stop
from .graphs import BaseGraph, EmbedGraph, MicroGraph, hamburger_graphs
from .package import load_package

REGENERATE = ("cd training && .venv/bin/python -m hamburger.analyse ../models/hamburger-tiny "
              "--out ../test/fixtures/analysis/hamburger-tiny.json")


def score(logits: torch.Tensor, token: int) -> dict:
    """The forced token under the distribution of logits [V] (float64, as the engine): its
    probability, the distribution's entropy in nats, and the model's greedy choice."""
    logp = logits.double().log_softmax(-1)
    probs = logp.exp()
    return {"token_id": token, "prob": float(probs[token]), "entropy": float(-(probs * logp).sum()),
            "greedy_id": int(logits.argmax())}


@torch.no_grad()
def analyse_text(graphs: dict, cfg: ModelConfig, prompt_ids: list[int], text_ids: list[int], eos_id: int,
                 confidence: float | None) -> dict:
    embed: EmbedGraph = graphs["embed"]
    base: BaseGraph = graphs["base"]
    micro: MicroGraph = graphs["micro"]
    n, total = len(prompt_ids), len(text_ids)
    cache = KvCache(cfg.num_layers, cfg, n + total)
    n_feat = len(cfg.feature_layers)

    prompt = embed(torch.tensor(prompt_ids))
    inputs, group = prompt[None, :-1], prompt[-1:]
    positions = torch.arange(n)[None]
    groups: list[dict] = []
    done = 0
    while True:
        feats, logits, stop_logit, *new = base(inputs, group, positions, *cache.view())
        cache.append(tuple(new))
        current = {"position_id": int(positions[0, -1]), "token_ids": [], "tokens": []}
        micro_cache = KvCache(cfg.micro_layers, cfg, n_feat + cfg.max_steps)
        hiddens = feats[:, -1]                                          # [1, F, D]
        while True:
            token = text_ids[done]
            scored = score(logits[0], token)
            scored["stop_prob"] = float(torch.sigmoid(stop_logit[0, 0]))
            current["token_ids"].append(token)
            done += 1
            reason = None
            if token == eos_id:
                reason = "eos"
            elif done >= total:
                reason = "limit"
            elif len(current["token_ids"]) >= cfg.max_steps:
                reason = "max_steps"
            elif should_stop(scored["stop_prob"], confidence):
                reason = "stop_head"
            elif scored["greedy_id"] != token:
                reason = "diverged"
            scored["reason"] = reason
            current["tokens"].append(scored)
            if reason:
                break
            logits, stop_logit = micro_step(micro, embed, micro_cache, hiddens, token)
        groups.append(current)
        if reason in ("eos", "limit"):
            break
        inputs, group = prompt[None, :0], embed(torch.tensor(current["token_ids"]))   # one entry for the group
        positions = torch.tensor([[int(positions[0, -1]) + len(current["token_ids"])]])
    return {"prompt_ids": list(prompt_ids), "text_ids": list(text_ids), "confidence": confidence, "groups": groups,
            "summary": summary(groups)}


def summary(groups: list[dict]) -> dict:
    """The text's figures, as the engine's result.analysis names them."""
    tokens = [t for g in groups for t in g["tokens"]]
    nll = sum(-math.log(t["prob"]) for t in tokens) / len(tokens)
    return {"tokens": len(tokens), "kv_entries": len(groups), "tokens_per_step": len(tokens) / len(groups),
            "perplexity": math.exp(nll), "mean_nll": nll, "mean_entropy": sum(t["entropy"] for t in tokens) / len(tokens),
            "greedy_agreement": sum(t["greedy_id"] == t["token_id"] for t in tokens) / len(tokens),
            "divergences": sum(g["tokens"][-1]["reason"] == "diverged" for g in groups)}


def golden_cases(package: Path) -> list[dict]:
    """What the golden file analyses: each HAMburger golden trace's prompt with its held-out
    reference answer at the trace's confidence; the first prompt again at confidence null;
    the free-text answer with no prompt (after bos alone)."""
    goldens = [json.loads(p.read_text()) for p in sorted((package / "golden").glob("*.json"))]
    answers = {ex["id"]: ex["response"] for ex in load_heldout(package / "eval" / "heldout.jsonl")}
    traces = [g for g in goldens if g["mode"] == "hamburger"]
    cases = [{"name": f"{g['family']}-c{g['confidence']}", "prompt": g["prompt"], "prompt_ids": g["prompt_ids"],
              "text": answers[g["id"]], "confidence": g["confidence"]} for g in traces]
    first = traces[0]
    cases.append({**cases[0], "name": f"{first['family']}-c-null", "confidence": None})
    free = next(g for g in traces if g["family"] == "continue")
    cases.append({"name": "no-prompt", "prompt": "", "prompt_ids": None, "text": answers[free["id"]], "confidence": 0.9})
    return cases


def golden_analyses(package: Path, loaded: tuple | None = None) -> dict:
    """`loaded`: the package as load_package returns it, when the caller has it already."""
    h, _, tok, man = loaded or load_package(package)
    graphs = hamburger_graphs(h)
    eos = man["tokens"]["eos_id"]
    out = []
    for case in golden_cases(package):
        prompt_ids = case["prompt_ids"] or [man["tokens"]["bos_id"]]
        result = analyse_text(graphs, h.cfg, prompt_ids, tok.encode(case["text"]), eos, case["confidence"])
        out.append({"name": case["name"], "prompt": case["prompt"], "text": case["text"], **result})
    return {"regenerate": REGENERATE, "package": man["name"], "cases": out}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Golden analyses of texts by the PyTorch reference (see the module's doc).")
    p.add_argument("package", type=Path)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(golden_analyses(a.package), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {a.out}")
