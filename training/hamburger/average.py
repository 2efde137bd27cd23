"""Weight averaging of hamburger-stage checkpoints (a "model soup").

Checkpoints that continue one run for a while on different data mixes or for different
lengths sit in one basin of the loss; their element-wise mean is often better than each
of them (training-log, session 15: four 500-1,000-step continuations of run 18, averaged,
gained 4 points at 0.9 over the best of them). The mean is written as the work folder's
hamburger checkpoint, without optimizer state, so that `stop` calibrates its stop head
and `export` ships it; a hamburger stage resumed from it starts a fresh optimizer.
"""
import json
from pathlib import Path

import torch

from .config import ModelConfig
from .model import Hamburger
from .train import load_checkpoint, load_state


def average_checkpoints(work: Path, sources: list[Path], mcfg: ModelConfig, overwrite: bool = False) -> dict:
    """Writes work/hamburger/checkpoint.pt as the mean of `sources`' weights; returns its
    step (the latest source's) and the sources with their steps."""
    if len(sources) < 2:
        raise SystemExit(f"error: average takes two or more hamburger checkpoints, got {len(sources)}")
    folder = work / "hamburger"
    if (folder / "checkpoint.pt").exists() and not overwrite:
        raise SystemExit(f"error: {folder / 'checkpoint.pt'} exists; pass --overwrite to replace it with the average")
    if (work / "stop" / "checkpoint.pt").exists():
        raise SystemExit(f"error: {work / 'stop'} calibrates other weights than the average; remove it first")
    states, steps = [], []
    shape_check = Hamburger(mcfg)
    for path in sources:
        ck = load_checkpoint(path)
        if not isinstance(ck, dict) or "model" not in ck:
            raise SystemExit(f"error: {path} holds no model weights; average takes checkpoint.pt files of the "
                             "hamburger stage")
        # Loading into the model checks every name and shape against the config.
        load_state(shape_check, ck["model"], f"{path} (a hamburger-stage checkpoint)")
        states.append(ck["model"])
        steps.append(int(ck.get("step", 0)))
    mean = {name: (sum(s[name].float() for s in states) / len(states)).to(t.dtype) if t.is_floating_point() else t
            for name, t in states[0].items()}
    record = {"step": max(steps), "averaged_from": [{"checkpoint": str(p), "step": n} for p, n in zip(sources, steps)]}
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": mean, "step": record["step"], "elapsed": 0.0,
                "imported_from": f"the average of {len(sources)} checkpoints", **record}, folder / "checkpoint.pt")
    # A fresh log whose one record is the lineage, so that export's provenance names the sources.
    (folder / "log.jsonl").write_text(json.dumps(record) + "\n")
    return record
