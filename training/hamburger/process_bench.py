"""Step time of a training stage on one process against several (distributed.py), measured:
`python -m hamburger.process_bench --work WORK [--nproc 2] [--stage base] [--steps 30] [-- STAGE OPTIONS]`.

WORK is a prepared work folder holding what the stage starts from (base: the data; baseline: a
base checkpoint; ...). It is copied, less the stage's own folder, into two scratch folders; the
stage trains from scratch in each for --steps steps with the same global batch, once in one
process of P x T threads (or --single-threads) and once in P processes of T threads started by torch.distributed.run
(the same cores either way), and the milliseconds per step of each are printed from the stage's
log, from step --skip to the last (leaving out start-up and the first steps' warm-up; the log's
times have 0.1 s resolution), with the last loss of each, which agree.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TRAINING = Path(__file__).resolve().parents[1]


def ms_per_step(log: Path, skip: int) -> tuple[float, float]:
    """Milliseconds per step from step `skip` to the last, and the last loss."""
    records = [json.loads(line) for line in log.read_text().splitlines()]
    steps = {r["step"]: r for r in records if "loss" in r}
    last = max(steps)
    if skip >= last or skip not in steps:
        raise SystemExit(f"error: --skip {skip} must name a logged step before the last ({last})")
    return (steps[last]["elapsed_s"] - steps[skip]["elapsed_s"]) * 1000 / (last - skip), steps[last]["loss"]


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m hamburger.process_bench", description=__doc__)
    p.add_argument("--work", type=Path, required=True, help="a prepared work folder (copied, never written)")
    p.add_argument("--stage", choices=("base", "baseline", "hamburger", "stop"), default="base")
    p.add_argument("--config", default="micro")
    p.add_argument("--device", default="cpu", help="cpu, or cuda (each process its own GPU)")
    p.add_argument("--nproc", type=int, default=2, help="processes of the several-process run (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process of that run (default 1)")
    p.add_argument("--single-threads", type=int, help="torch threads of the one-process run (default: nproc x threads)")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--skip", type=int, default=5, help="the step the timing starts after (default 5)")
    p.add_argument("stage_options", nargs="*", help="further options of the stage (after --)")
    args = p.parse_args(argv)
    if not (args.work / "data" / "data.json").exists():
        raise SystemExit(f"error: {args.work} is not a prepared work folder (no data/data.json)")
    single = args.single_threads or args.nproc * args.threads
    if args.nproc < 2 or args.threads < 1 or single < 1:
        raise SystemExit("error: --nproc must be at least 2, --threads and --single-threads at least 1")
    common = ["--config", args.config, "--device", args.device]
    stage = [args.stage, "--steps", str(args.steps), "--log-every", "1", *args.stage_options]
    runs = {f"1 process x {single} threads": (["-m", "hamburger"], single),
            f"{args.nproc} processes x {args.threads} threads": (
                ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(args.nproc), "-m", "hamburger"],
                args.threads)}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, (launcher, threads) in runs.items():
            work = Path(scratch) / str(len(rows))
            shutil.copytree(args.work, work, ignore=lambda folder, names: [args.stage] if Path(folder) == args.work else [])
            command = [sys.executable, *launcher, *common, "--work", str(work), "--threads", str(threads), *stage]
            done = subprocess.run(command, cwd=TRAINING, env={**os.environ, "OMP_NUM_THREADS": str(threads)},
                                  capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"error: {' '.join(command)} failed:\n{done.stderr[-3000:]}")
            ms, loss = ms_per_step(work / args.stage / "log.jsonl", args.skip)
            rows.append({"run": name, "stage": args.stage, "config": args.config, "device": args.device,
                         "ms_per_step": round(ms, 1), "last_loss": round(loss, 6)})
            print(json.dumps(rows[-1]))
    return rows


if __name__ == "__main__":
    main()
