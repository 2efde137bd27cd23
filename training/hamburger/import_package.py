"""Seeding a work folder's stage checkpoints from a model package, so that training can go on
from a shipped model when the work folder that made it is gone (work folders are not
committed).

The package holds float16-rounded weights and no optimizer state: the imported checkpoints
carry the weights, the step and the stage summary of the package's provenance, and a stage
resumed from them starts a fresh optimizer at that step of its schedule. The HAMburger
weights are the package's, so when the package was exported from the `stop` stage the
`hamburger` checkpoint holds the calibrated stop head too. No `stop` checkpoint is written:
one would resume as finished and keep `stop` from calibrating the hamburger stage's new weights.
"""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import torch

from .config import ModelConfig
from .package import load_models

IMPORTED_STAGES = ("baseline", "hamburger")


def _config_differences(ours: ModelConfig, theirs: ModelConfig) -> list[str]:
    return [f"{f.name}: package {getattr(theirs, f.name)!r}, this command {getattr(ours, f.name)!r}"
            for f in fields(ModelConfig) if getattr(ours, f.name) != getattr(theirs, f.name)]


def import_package(work: Path, package: Path, mcfg: ModelConfig, overwrite: bool = False) -> dict[str, int]:
    """Writes work/<stage>/checkpoint.pt and log.jsonl for the baseline (when the package has
    one) and the hamburger stage; returns the step of each."""
    package = Path(package)
    if not (package / "hamburger.json").is_file():
        raise SystemExit(f"error: {package} is not a model package (no hamburger.json)")
    data_tok = work / "data" / "tokenizer.json"
    if not data_tok.is_file():
        raise SystemExit(f"error: {work}/data does not exist; run `prepare --tokenizer {package}/tokenizer.json` "
                         "first, so that the training data use the package's token ids")
    if data_tok.read_bytes() != (package / "tokenizer.json").read_bytes():
        raise SystemExit(f"error: {data_tok} is not {package}/tokenizer.json; the imported weights only fit data "
                         f"prepared with `prepare --tokenizer {package}/tokenizer.json`")
    h, baseline, man = load_models(package)
    diff = _config_differences(mcfg, h.cfg)
    if diff:
        raise SystemExit("error: the package's architecture differs from this command's model config "
                         f"(--config / --micro-layers): {'; '.join(diff)}")
    stages = man.get("provenance", {}).get("stages", {})
    chosen = {s: m for s, m in zip(IMPORTED_STAGES, (baseline, h)) if m is not None}
    existing = [s for s in chosen if (work / s / "checkpoint.pt").exists()]
    if existing and not overwrite:
        raise SystemExit(f"error: {work} already has checkpoints for {', '.join(existing)}; pass --overwrite to "
                         "replace them with the package's")
    steps = {}
    for stage, model in chosen.items():
        summary = stages.get(stage, {})
        step = int(summary.get("step", 0))
        folder = work / stage
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "step": step, "elapsed": float(summary.get("elapsed_s", 0.0)),
                    "imported_from": str(package)}, folder / "checkpoint.pt")
        # A fresh log that starts with the package's record, so a later export keeps the lineage.
        (folder / "log.jsonl").write_text(json.dumps({**summary, "step": step, "imported_from": str(package)}) + "\n")
        steps[stage] = step
    return steps
