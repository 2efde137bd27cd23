"""Where a HAMburger model's tokens go wrong: teacher-forced argmax accuracy by position in a
group (0: the base's own token after a composed group; 1..: micro steps), next to the
baseline's next-token accuracy on the same tokens, on held-out examples segmented as the
training data are (a work folder's entropy model and a strategy), optionally with groups cut
at random as a calibrated stop head cuts them (`split_rate`). Two last rows score fresh
`repeats.repeated_copy` requests, random spans written back in groups of max_steps: `synthetic
copy` after a bare <|user|> shows whether the base carries match + 1, + 2, ... of a copied
span, the read that copy's micro steps need (training-log runs 13-14); `synthetic copy, copy
prompt` asks for the same inside the copy family's prompts, where a circuit learnt on bare
spans does not fire (training-log run 16)."""
from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import torch

from . import tasks
from .data import SftExample, encode_example, load_heldout
from .model import LlamaForCausalLM
from .objective import IGNORE, group_forward, response_entropies, sft_batch, split_groups
from .package import baseline_config, load_package
from .repeats import copy_wrappers, repeated_copy
from .segment import STRATEGIES
from .tokenizer import SPECIAL_TOKENS
from .train import load_checkpoint, load_state

SYNTHETIC_COPIES = 48   # rows of the `synthetic copy` row when `limit` is 0


@torch.no_grad()
def position_accuracy(package: Path, entropy_checkpoint: Path, strategy: str, limit: int, pad_id: int,
                      split_rate: float = 0.0) -> dict:
    h, baseline, tok, _ = load_package(package)
    if baseline is None:
        raise SystemExit(f"error: {package} holds no baseline graphs to compare with")
    if strategy not in STRATEGIES:
        raise SystemExit(f"error: unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    segmenter = LlamaForCausalLM(baseline_config(h.cfg))
    load_state(segmenter, load_checkpoint(entropy_checkpoint)["model"], str(entropy_checkpoint))
    for m in (h, baseline, segmenter):
        m.eval()
    families: dict[str, list[SftExample]] = defaultdict(list)
    for row in load_heldout(package / "eval" / "heldout.jsonl"):
        if not limit or len(families[row["family"]]) < limit:
            families[row["family"]].append(encode_example(tok, tasks.Example(**row)))
    split = STRATEGIES[strategy]
    rng = random.Random(0)
    cases = [(family, examples, [split_groups(split(e, h.cfg.max_steps, h.cfg.vocab_size), split_rate, rng)[0]
                                 for e in response_entropies(segmenter, examples, pad_id)])
             for family, examples in families.items()]
    copies = [repeated_copy(rng, len(SPECIAL_TOKENS), h.cfg.vocab_size, h.cfg.max_steps)
              for _ in range(limit or SYNTHETIC_COPIES)]
    cases.append(("synthetic copy", [e for e, _ in copies], [split_groups(g, split_rate, rng)[0] for _, g in copies]))
    wrappers = copy_wrappers(tok)
    wrapped = [repeated_copy(rng, len(SPECIAL_TOKENS), h.cfg.vocab_size, h.cfg.max_steps, wrappers=wrappers)
               for _ in range(limit or SYNTHETIC_COPIES)]
    cases.append(("synthetic copy, copy prompt", [e for e, _ in wrapped],
                  [split_groups(g, split_rate, rng)[0] for _, g in wrapped]))
    report = []
    for family, examples, groups in cases:
        inputs, targets = sft_batch(examples, pad_id)
        answered = targets != IGNORE
        baseline_right = (baseline(inputs).argmax(-1)[answered] == targets[answered]).float().mean()
        out = group_forward(h, examples, groups)
        slot = torch.arange(h.cfg.max_steps)[None].expand_as(out.valid)[out.valid]   # [N]
        right = (out.logits.argmax(-1) == out.targets).float()
        hits = torch.zeros(h.cfg.max_steps).index_add_(0, slot, right)
        counts = torch.zeros(h.cfg.max_steps).index_add_(0, slot, torch.ones_like(right))
        report.append({"family": family, "n": len(examples), "baseline_token_accuracy": float(baseline_right),
                       "position_accuracy": [float(a) if c else None for a, c in zip(hits / counts.clamp(min=1), counts)],
                       "position_tokens": [int(c) for c in counts]})
    return {"package": str(package), "strategy": strategy, "entropy_from": str(entropy_checkpoint), "limit": limit,
            "split_rate": split_rate, "families": report}


def markdown_table(report: dict) -> str:
    steps = len(report["families"][0]["position_tokens"])
    lines = ["| family | n | baseline | " + " | ".join(f"position {i}" for i in range(steps)) + " |",
             "|---|---|---|" + "---|" * steps]
    for f in report["families"]:
        cells = [f"{a:.3f} ({c})" if a is not None else "-" for a, c in zip(f["position_accuracy"], f["position_tokens"])]
        lines.append(f"| {f['family']} | {f['n']} | {f['baseline_token_accuracy']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
