"""Command line of the training pipeline: `python3 -m hamburger <command>` from training/.

Every stage is resumable: rerunning a command continues from its checkpoint.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shlex
import sys
import time
import typing
from pathlib import Path

import torch

from .config import CONFIGS, ModelConfig
from .data import DataConfig
from .distributed import join, launched_world, leave
from .ema import CHECKPOINT_WEIGHTS
from .execution import add_execution_options, execution_options
from .onnx_io import WEIGHT_FORMATS
from .segment import ENTROPY_SOURCES, STRATEGIES
from .synthetic_release import SHAPES
from .tokenizer import BYTE_VOCAB, PAD_ID
from .train import STAGES, TRAINERS, StageConfig, option_flag, stage_config, stage_options

HAMBURGER_STAGES = ("hamburger", "stop")
STAGE_HELP = {"base": "train the base stage", "baseline": "train the baseline stage",
              "hamburger": "train the hamburger stage",
              "stop": "optional: calibrate the hamburger stage's stop head to its own micro-step misses"}

MAX_VOCAB = 32767                   # the LM stream is stored as int16

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WORK = REPO / "training" / "work"
DEFAULT_PACKAGE = REPO / "models" / "hamburger-tiny"

# Stage budgets on a CPU (every stage once in about 100 minutes on 2 cores: pipeline.sh; the shipped
# model took many more steps, recipes/hamburger-tiny.sh) and on a CUDA GPU.
PRESETS = {
    "cpu": {"base": dict(steps=1500, batch_size=16, lr=2e-3, warmup=50, ckpt_every=50),
            "baseline": dict(steps=400, batch_size=32, lr=5e-4, warmup=10, ckpt_every=50),
            "hamburger": dict(steps=600, batch_size=32, lr=3e-4, grafted_lr=2e-3, warmup=30, ckpt_every=50),
            "stop": dict(steps=300, batch_size=32, lr=1e-3, warmup=20, ckpt_every=50)},
    "gpu": {"base": dict(steps=20000, batch_size=64, lr=1e-3, warmup=500, ckpt_every=1000),
            "baseline": dict(steps=3000, batch_size=64, lr=3e-4, warmup=100, ckpt_every=500),
            "hamburger": dict(steps=6000, batch_size=64, lr=1e-4, grafted_lr=1e-3, warmup=200, ckpt_every=500),
            "stop": dict(steps=1000, batch_size=64, lr=1e-3, warmup=50, ckpt_every=250)},
    # The authors' 1B run (recipes/hamburger-1b.sh; their train.yaml and configure_optimizers): 128 rows a step
    # (8 a pass x 2 accumulated x 8 GPUs), AdamW with weight decay 0.01, the LLM at 5e-5 and the grafted modules
    # at 1e-4, no warm-up, a checkpoint every 2,048 steps; steps: one epoch of the data, which the recipe counts.
    "reference-1b": {"base": dict(steps=20000, batch_size=64, lr=1e-3, warmup=500, ckpt_every=1000),
                     "baseline": dict(steps=1000, batch_size=128, lr=5e-5, warmup=0, weight_decay=0.01, ckpt_every=2048),
                     "hamburger": dict(steps=1000, batch_size=128, lr=5e-5, grafted_lr=1e-4, warmup=0,
                                       weight_decay=0.01, ckpt_every=2048),
                     "stop": dict(steps=1000, batch_size=128, lr=1e-3, warmup=50, ckpt_every=250)},
}


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise SystemExit(f"error: --device {name!r} is not a device ({e}); allowed: auto, cpu, cuda, cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"error: --device {name} asked for CUDA, but this torch sees no CUDA GPU; use cpu or auto")
    if device.type not in ("cpu", "cuda"):
        raise SystemExit(f"error: --device {name!r}: allowed: auto, cpu, cuda, cuda:N")
    return device


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


def _add_stage_options(parser: argparse.ArgumentParser, stage: str) -> None:
    """One option per `StageConfig` field that `stage` takes; None where not given, so that the
    preset's value stays. `train.stage_config` checks the values."""
    types = typing.get_type_hints(StageConfig)
    for f in stage_options(stage):
        choices = f.metadata["choices"]
        is_list = types[f.name] == tuple[str, ...]
        if choices:
            metavar = ",".join(choices[:2]) + ",..." if is_list else "|".join(choices)
        elif f.metadata["metavar"]:
            metavar = f.metadata["metavar"]
        else:
            metavar = {int: "N", float: "X"}.get(types[f.name], "CKPT")
        parser.add_argument(option_flag(f.name), type=_comma_list if is_list else types[f.name], metavar=metavar,
                            help=f.metadata["help"])


def _bounded(flag: str, value, low, high):
    """`value` if it lies in low..high (nan never does), else a clear error naming the flag."""
    if not low <= value <= high:
        raise SystemExit(f"error: {flag} must lie in {low}..{high}, got {value}")
    return value


def _data_vocab(work: Path) -> int | None:
    """The vocabulary size `prepare` wrote into work/data: every later stage's model takes it,
    so a byte-level work folder (`prepare --vocab-size 261`) needs no other flag."""
    meta = work / "data" / "data.json"
    return json.loads(meta.read_text())["vocab_size"] if meta.exists() else None


def _grown(work: Path) -> bool:
    from .hf_llama import grown_from
    return grown_from(work) is not None


def _grown_config(args: argparse.Namespace, mcfg: ModelConfig) -> ModelConfig:
    """A work folder grown from a Hugging Face Llama builds every model from the Llama's
    config.json (recorded by the command that gave --init-from-hf), not from --config."""
    from .hf_llama import grown_from, hf_model_config, record_growth
    folder = getattr(args, "init_from_hf", None)
    if folder:
        grown = hf_model_config(Path(folder), args.micro_layers)
        args.work.mkdir(parents=True, exist_ok=True)
        record_growth(args.work, Path(folder), grown)
        return grown
    record = grown_from(args.work)
    if record is None:
        return mcfg
    grown = ModelConfig.from_dict(record["model_config"])
    if args.micro_layers is not None and args.micro_layers != grown.micro_layers:
        raise SystemExit(f"error: {args.work} grows from {record['folder']} with {grown.micro_layers} micro layers; "
                         f"--micro-layers {args.micro_layers} builds another model")
    return grown


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m hamburger", description=__doc__)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="folder for data, checkpoints and logs")
    p.add_argument("--config", choices=sorted(CONFIGS), default="tiny", help="model size")
    p.add_argument("--micro-layers", type=int, help="override the config's micro-decoder depth (every stage "
                   "and export of one work folder must use the same value)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="cpu", help="stage budgets")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all cores)")
    p.add_argument("--device", default="auto", help="auto (cuda when available, else cpu), cpu, cuda, cuda:N")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("prepare", help="tokenizer, LM stream, task data, held-out split")
    s.add_argument("--per-family", type=int, default=DataConfig.train_per_family,
                   help="training examples per task family")
    s.add_argument("--tokenizer", type=Path, help="reuse this tokenizer.json instead of training one")
    s.add_argument("--vocab-size", type=int, default=DataConfig.vocab_size,
                   help=f"tokenizer size: {BYTE_VOCAB} (5 specials + 256 bytes) is byte-level, more adds BPE merges; "
                        f"later stages build their model with it (default {DataConfig.vocab_size})")
    s.add_argument("--max-len", type=int, default=DataConfig.max_len,
                   help=f"longest task example kept, in tokens (default {DataConfig.max_len})")
    for stage in STAGES:
        stage_parser = sub.add_parser(stage, help=f"{STAGE_HELP[stage]} (resumable)")
        _add_stage_options(stage_parser, stage)
        add_execution_options(stage_parser)
    s = sub.add_parser("segment", help="segment SFT responses by the base's (or the baseline's) entropy")
    s.add_argument("--strategy", choices=tuple(STRATEGIES), default="sliding",
                   help="how entropies cut a response into groups (default sliding, the shipped model's)")
    s.add_argument("--entropy-from", choices=ENTROPY_SOURCES, default="base",
                   help="whose entropies cut the responses: the base stage's (default) or the SFT baseline's "
                        "(when the hamburger stage starts --init-from the baseline)")
    s.add_argument("--limit", type=int, help="segment only the first N examples "
                   "(default: as many as the preset's hamburger stage trains on)")
    s.add_argument("--init-from-hf", metavar="DIR", help="cut the responses by this Hugging Face Llama folder's "
                   "entropies instead (the model a HAMburger grown from it starts as, as the authors segment); the "
                   "work folder then grows from it")
    s.add_argument("--data", metavar="FILE", help="segment this JSONL file of chat examples instead of the "
                   "project's task data (give the later stages the same file)")
    s.add_argument("--batch-size", type=int, default=64, metavar="N", help="examples per forward (default 64; "
                   "fewer for long examples or a large vocabulary: the entropies take N x length x vocabulary floats)")
    s = sub.add_parser("export", help="write the model package from the checkpoints")
    s.add_argument("--out", type=Path, default=DEFAULT_PACKAGE)
    s.add_argument("--overwrite", action="store_true")
    s.add_argument("--hamburger-stage", choices=HAMBURGER_STAGES, default="hamburger",
                   help="whose checkpoint holds the HAMburger weights: the hamburger stage's (default) or the "
                        "stop stage's (the same weights with a calibrated stop head)")
    s.add_argument("--baseline-weights", choices=CHECKPOINT_WEIGHTS, default="last",
                   help="which of the baseline checkpoint's weights to ship: its last (the default) or the "
                        "moving average it keeps when trained with --ema-decay (ema)")
    s = sub.add_parser("heldout", help="write a held-out split of another size (its first 100 per family are "
                       "the package's)")
    s.add_argument("--per-family", type=int, required=True, help="examples per task family")
    s.add_argument("--out", type=Path, required=True, help="the JSONL file to write (eval --file reads it)")
    s = sub.add_parser("evaluate", help="held-out exact match with the reference decoders")
    s.add_argument("--package", type=Path, default=REPO / "models" / "hamburger-tiny")
    s.add_argument("--heldout", type=Path, help="held-out examples (JSONL, as `heldout` writes); default: the "
                   "package's eval/heldout.jsonl")
    s.add_argument("--confidence", type=float, nargs="*", default=[0.9, 0.8],
                   help="HAMburger's confidence levels (none: the baseline alone)")
    s.add_argument("--limit", type=int, default=0, help="examples per family (0: all)")
    s.add_argument("--baseline-checkpoint", type=Path, help="judge this baseline-stage checkpoint (e.g. "
                   "work/baseline/checkpoint.pt during training) in place of the package's baseline")
    s.add_argument("--baseline-weights", choices=CHECKPOINT_WEIGHTS, default="last",
                   help="with --baseline-checkpoint: its last weights (default) or their moving average (ema)")
    s.add_argument("--json", type=Path, help="also write the figures here")
    s = sub.add_parser("positions", help="teacher-forced accuracy by position in a group, against the baseline")
    s.add_argument("--package", type=Path, default=REPO / "models" / "hamburger-tiny")
    s.add_argument("--strategy", default="sliding", help="segmentation of the held-out responses")
    s.add_argument("--entropy-from", choices=ENTROPY_SOURCES, default="base",
                   help="whose entropies (in --work) cut the held-out responses")
    s.add_argument("--limit", type=int, default=30, help="examples per family (0: all)")
    s.add_argument("--split-rate", type=float, default=0.0, help="cut each held-out group in two at a random "
                   "point with this chance, as a calibrated stop head does at inference (default 0)")
    s.add_argument("--json", type=Path, help="also write the figures here")
    s = sub.add_parser("import-package", help="seed the baseline and hamburger checkpoints from a package "
                       "(to train on from a shipped model; the work folder must be prepared with its tokenizer)")
    s.add_argument("--package", type=Path, default=REPO / "models" / "hamburger-tiny")
    s.add_argument("--overwrite", action="store_true", help="replace checkpoints the work folder already has")
    s = sub.add_parser("average", help="write the mean of several hamburger-stage checkpoints' weights as the "
                       "work folder's hamburger checkpoint (a model soup; then stop and export)")
    s.add_argument("checkpoints", type=Path, nargs="+", help="two or more hamburger-stage checkpoint.pt files")
    s.add_argument("--overwrite", action="store_true", help="replace the work folder's hamburger checkpoint")
    s = sub.add_parser("import-reference", help="the authors' HAMburger release (a Lightning checkpoint) and its "
                       "Hugging Face Llama folder into a model package")
    s.add_argument("--checkpoint", type=Path, required=True, help="the Lightning checkpoint (state-dict names as model.py)")
    llama = s.add_mutually_exclusive_group(required=True)
    llama.add_argument("--hf-dir", type=Path, help="a Hugging Face Llama folder: config.json, tokenizer.json, "
                       "tokenizer_config.json, generation_config.json (e.g. meta-llama/Llama-3.2-1B-Instruct)")
    llama.add_argument("--from-hub", metavar="ID", help="fetch that folder from the Hugging Face Hub through its cache "
                       "(gated models: `hf auth login` or HF_TOKEN)")
    s.add_argument("--revision", help="with --from-hub: a branch, tag or commit (default main)")
    s.add_argument("--out", type=Path, required=True)
    baseline = s.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", action="store_true", help="the Llama folder's own weights (model.safetensors "
                          "or its shards) are the baseline, as HAMburger was grown from them")
    baseline.add_argument("--baseline-from", type=Path, help="another Llama folder whose weights are the baseline "
                          "(default: none; baseline mode then runs HAMburger's own LLM one token per step)")
    s.add_argument("--max-position", type=int, default=8192, help="positions the package allows (default 8192, "
                   "at most config.json's max_position_embeddings; a load may ask for fewer)")
    s.add_argument("--feature-layers", help="1-based base layers feeding the micro decoder, comma-separated "
                   "(default: every quarter of the layers, as the authors' 4,8,12,16)")
    s.add_argument("--compose-heads", type=int, default=64, help="heads of the compositional embedder (default 64)")
    s.add_argument("--weights", choices=WEIGHT_FORMATS, help="how the package stores its weights (default: int8 "
                   "above 500 M parameters, as the 1B release; fp16 below; docs/real-models.md)")
    s.add_argument("--overwrite", action="store_true")
    s = sub.add_parser("repack", help="a package with its weights stored another way (int8, fp16, fp32), "
                       "everything else copied")
    s.add_argument("--package", type=Path, required=True)
    s.add_argument("--weights", choices=WEIGHT_FORMATS, required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--overwrite", action="store_true")
    s = sub.add_parser("synthetic-release", help="write a synthetic release: the authors' Lightning checkpoint and a "
                       "Llama-3.2-1B-Instruct folder (hf/) with seeded random weights, as import-reference reads them")
    s.add_argument("--out", type=Path, required=True, help="the folder to write (it appears whole or not at all)")
    s.add_argument("--shape", choices=sorted(SHAPES), required=True,
                   help="tiny (hidden 64, 2 layers, about 42 MB) or 1b (the released HAMburger-1B's, about 5.5 GB)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    s.add_argument("--overwrite", action="store_true")
    args = p.parse_args(argv)
    if launched_world() > 1 and args.command not in STAGES:
        raise SystemExit(f"error: {args.command} runs in one process; torch.distributed.run starts only the "
                         f"training stages ({', '.join(STAGES)}) on several")

    if args.threads:
        torch.set_num_threads(args.threads)
    mcfg = CONFIGS[args.config]
    if args.micro_layers is not None:
        mcfg = dataclasses.replace(mcfg, micro_layers=_bounded("--micro-layers", args.micro_layers, 1, 8))
    if args.command not in ("prepare", "heldout", "evaluate", "import-reference", "repack"):
        vocab = _data_vocab(args.work)
        if vocab is not None:
            mcfg = dataclasses.replace(mcfg, vocab_size=vocab)
        mcfg = _grown_config(args, mcfg)
    device = pick_device(args.device)
    args.work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    if args.command == "prepare":
        from .data import prepare
        data_cfg = DataConfig(train_per_family=args.per_family,
                              vocab_size=_bounded("--vocab-size", args.vocab_size, BYTE_VOCAB, MAX_VOCAB),
                              max_len=_bounded("--max-len", args.max_len, 16, mcfg.max_position))
        prepare(REPO, args.work / "data", data_cfg, args.tokenizer)
        print((args.work / "data" / "data.json").read_text())
    elif args.command in STAGES:
        given = {f.name: getattr(args, f.name) for f in stage_options(args.command)
                 if getattr(args, f.name) is not None}
        cfg = stage_config(args.command, PRESETS[args.preset][args.command], given, mcfg)
        execution = execution_options(args)
        processes, device = join(device)
        try:
            TRAINERS[args.command](args.work, mcfg, cfg, device, dataclasses.replace(execution, processes=processes))
        finally:
            leave(processes)
    elif args.command == "segment":
        from .train import segment
        budget = PRESETS[args.preset]["hamburger"]
        # A --data file is segmented whole; the project's data as many as the preset trains on.
        limit = args.limit if args.limit is not None else 0 if args.data else budget["steps"] * budget["batch_size"]
        print(json.dumps(segment(args.work, mcfg, args.strategy, limit, device, args.entropy_from,
                                 _bounded("--batch-size", args.batch_size, 1, 4096), args.data or "",
                                 args.init_from_hf or "")))
    elif args.command == "export":
        command = "cd training && python3 -m hamburger " + shlex.join(sys.argv[1:] if argv is None else argv)
        if _grown(args.work):
            from .export_grown import export_grown
            if args.out == DEFAULT_PACKAGE:
                raise SystemExit(f"error: {args.work} grows from a Hugging Face Llama; name its package with --out "
                                 "(the default is the shipped model's folder)")
            print(export_grown(args.work, mcfg, args.out, args.overwrite, hamburger_stage=args.hamburger_stage,
                               baseline_weights=args.baseline_weights, command=command))
        else:
            from .export import export_from_checkpoints
            export_from_checkpoints(args.work, mcfg, args.out, args.overwrite, hamburger_stage=args.hamburger_stage,
                                    baseline_weights=args.baseline_weights, command=command)
    elif args.command == "heldout":
        from .data import heldout_split, write_heldout
        try:
            examples = heldout_split(REPO, _bounded("--per-family", args.per_family, 1, 5000))
        except ValueError as e:             # a family with fewer distinct held-out prompts than asked
            raise SystemExit(f"error: {e}") from None
        write_heldout(examples, args.out)
        print(json.dumps({"out": str(args.out), "examples": len(examples)}))
    elif args.command == "evaluate":
        from .evaluate import evaluate_package, markdown_table
        for c in args.confidence:
            _bounded("--confidence", c, 0, 1)
        if args.baseline_weights != "last" and args.baseline_checkpoint is None:
            raise SystemExit("error: --baseline-weights chooses among a checkpoint's weights; name the checkpoint "
                             "with --baseline-checkpoint")
        report = evaluate_package(args.package, args.confidence, _bounded("--limit", args.limit, 0, 10**6),
                                  args.baseline_checkpoint, args.baseline_weights, args.heldout)
        print(markdown_table(report))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
    elif args.command == "positions":
        from .positions import markdown_table, position_accuracy
        report = position_accuracy(args.package, args.work / args.entropy_from / "checkpoint.pt", args.strategy,
                                   args.limit, pad_id=PAD_ID, split_rate=_bounded("--split-rate", args.split_rate, 0, 1))
        print(markdown_table(report))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
    elif args.command == "import-package":
        from .import_package import import_package
        print(json.dumps(import_package(args.work, args.package, mcfg, args.overwrite)))
    elif args.command == "average":
        from .average import average_checkpoints
        print(json.dumps(average_checkpoints(args.work, args.checkpoints, mcfg, args.overwrite)))
    elif args.command == "import-reference":
        from .import_reference import fetch_hf_folder, import_reference
        layers = None
        if args.feature_layers is not None:
            try:
                layers = tuple(int(x) for x in args.feature_layers.split(","))
            except ValueError:
                raise SystemExit(f"error: --feature-layers must be comma-separated layer numbers, got {args.feature_layers!r}")
        if args.revision is not None and args.from_hub is None:
            raise SystemExit("error: --revision goes with --from-hub")
        hf_dir = fetch_hf_folder(args.from_hub, args.revision) if args.from_hub is not None else args.hf_dir
        print(import_reference(args.checkpoint, hf_dir, args.out, hf_dir if args.baseline else args.baseline_from,
                               args.max_position, layers, args.compose_heads, args.overwrite, args.weights,
                               hf_name=args.from_hub))
    elif args.command == "repack":
        from .repack import repack
        print(repack(args.package, args.out, args.weights, args.overwrite))
    elif args.command == "synthetic-release":
        from .synthetic_release import write_synthetic_release
        print(json.dumps(write_synthetic_release(args.out, args.shape, _bounded("--seed", args.seed, 0, 2**63 - 1),
                                                 args.overwrite)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024        # Linux reports KiB
    print(f"{args.command} took {time.time() - t0:.0f} s, peak memory {peak_mb:.0f} MiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
