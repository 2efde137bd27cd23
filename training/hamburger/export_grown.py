"""The package of a work folder grown from a Hugging Face Llama (`export` there), written as
`import-reference` writes the authors' release: the manifest's tokens and chat template from the
Llama folder (`manifest_tokens`), its tokenizer.json as it is, the graphs from the checkpoints.
The baseline is the baseline stage's checkpoint when the work folder has one, else the Llama's
own weights (what the authors compare with). No golden traces: they are written from the
project's held-out task prompts, which a user's data do not have.
"""
from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from .config import ModelConfig
from .ema import chosen_weights
from .export import segment_summary, stage_summary
from .hf_llama import grown_from, load_llama
from .import_reference import default_weights, manifest_tokens, read_hf_folder
from .model import Hamburger, LlamaForCausalLM
from .package import export_models, manifest, write_manifest_folder
from .train import baseline_from_checkpoint, load_checkpoint, load_state


def export_grown(work: Path, cfg: ModelConfig, out: Path, overwrite: bool, *, command: str,
                 hamburger_stage: str = "hamburger", baseline_weights: str = "last", weights: str | None = None) -> Path:
    record = grown_from(work)
    llama = Path(record["folder"])
    hf = read_hf_folder(llama)
    tokens = manifest_tokens(hf, cfg.vocab_size)
    source = work / hamburger_stage / "checkpoint.pt"
    if not source.exists():
        raise SystemExit(f"error: {source} does not exist; run the {hamburger_stage} stage first")
    source_ck = load_checkpoint(source)
    baseline_ckpt = work / "baseline" / "checkpoint.pt"
    if baseline_ckpt.exists():
        baseline_which = chosen_weights(load_checkpoint(baseline_ckpt), baseline_weights, baseline_ckpt,
                                        "--baseline-weights")[1]
    elif baseline_weights != "last":
        raise SystemExit(f"error: --baseline-weights {baseline_weights} chooses among the baseline checkpoint's "
                         f"weights, and {baseline_ckpt} does not exist (the baseline is then {llama}'s own)")
    else:
        baseline_which = {"weights": "the Llama folder's own"}
    weights = weights or default_weights(cfg)
    provenance = {
        "grown_from": str(llama),
        "stages": {s: stage_summary(work, s) for s in ("baseline", "hamburger", "stop")
                   if s != "stop" or hamburger_stage == "stop"},
        "hamburger_weights": source_ck.get("calibrated", {"weights": "last"}),
        "baseline_weights": baseline_which,
        "segmentation": segment_summary(work),
        "date": datetime.date.today().isoformat(),
        "command": command,
    }
    man = manifest(cfg, tokens, Path(out).name, f"HAMburger grown from {llama.name}.", provenance, True, weights)

    def load_hamburger() -> Hamburger:
        h = Hamburger(cfg)
        load_state(h, source_ck["model"], f"the {hamburger_stage} checkpoint")
        return h.eval()

    def load_baseline() -> LlamaForCausalLM:
        if baseline_ckpt.exists():
            return baseline_from_checkpoint(baseline_ckpt, cfg, baseline_weights)[0]
        return load_llama(llama, cfg)

    def write(folder: Path) -> None:
        export_models(load_hamburger, load_baseline, folder, weights)
        shutil.copyfile(llama / "tokenizer.json", folder / "tokenizer.json")

    return write_manifest_folder(Path(out), man, write, overwrite)
