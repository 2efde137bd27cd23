#!/usr/bin/env bash
# The recipe of the shipped model, models/hamburger-tiny: every command of its lineage in
# order, from an empty work folder to the package (docs/history/training-log.md, runs 3-22,
# tells why each one was run). It reproduces the package's provenance (data, segmentation,
# each stage's steps, which weights ship), not its bytes: the shipped model was trained with
# torch 1.13 (docs/training.md). About a day on 2 CPU cores (the log's wall times).
#
#   training/recipes/hamburger-tiny.sh [ROOT]     # ROOT, relative to training/: default work/hamburger-tiny-recipe
#
# Two work folders, as the lineage has: runs 3-14 from scratch to run 14's package, and runs
# 15-22 from that package (its work folders were lost with their machine; `import-package`
# seeded the next ones with its float16 weights and a fresh optimizer). Left out, as nothing
# later starts from them: runs 1-2 (other data), the probes (4b, 5, 9, 11, 16b-16f, 18e,
# 19a-19c, 20a', 20c, 22a-24a), and the stop stages and exports of the packages shipped between
# runs 7 and 19. `--pause-at N` ends a command where the log stopped that run by hand; the next
# command resumes its checkpoint. Every command resumes its own stage, so after an
# interruption rerun the commands from the one that stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
./setup-venv.sh
py=.venv/bin/python
root=${1:-work/hamburger-tiny-recipe}
if [ -e "$root" ]; then
  echo "error: $root exists; the recipe starts from an empty folder" >&2
  exit 1
fi
first=$root/runs-3-14
second=$root/runs-15-22
soup=$root/run-19-sources
tokenizer=../models/hamburger-tiny/tokenizer.json   # run 1's BPE: the shipped token ids
runs_3_14() { "$py" -m hamburger --work "$first" "$@"; }
runs_15_22() { "$py" -m hamburger --work "$second" "$@"; }

# Runs 3-4: data and base (first/base/checkpoint.pt).
runs_3_14 prepare --per-family 12000 --tokenizer "$tokenizer"
runs_3_14 base --steps 1500 --pause-at 500                    # run 3
runs_3_14 base --steps 1500 --pause-at 800 --repeat-rows 4
runs_3_14 base --steps 1500                                   # -> base at 1,500
mv "$first/base" "$first/base-run3"
runs_3_14 base --steps 2000 --pause-at 1500 --repeat-rows 8 --init-from "$first/base-run3/checkpoint.pt"
                                                              # run 4: base at 1,500, the copying circuit formed

# Runs 4, 6, 7: the SFT baseline (first/baseline/checkpoint.pt). The log's `--lr 3e-4` for runs 6
# and 7 did not reach a resumed stage before run 14; they trained at the preset's 5e-4, as here.
runs_3_14 baseline --steps 400                                # run 4
runs_3_14 baseline --steps 1600                               # run 6
runs_3_14 baseline --steps 3000                               # run 7: baseline at 3,000, shipped until run 17

# Runs 6-10: segmented by the base's entropy, HAMburger from the baseline (first/hamburger/checkpoint.pt).
runs_3_14 segment --strategy sliding --limit 48000            # first/segments.pt
runs_3_14 hamburger --steps 2400 --unmerged-rows 8 --init-from "$first/baseline/checkpoint.pt"   # run 7
runs_3_14 hamburger --steps 3400 --unmerged-rows 8                    # run 7b
runs_3_14 hamburger --steps 5400 --unmerged-rows 8 --split-rate 0.5   # run 8
runs_3_14 hamburger --steps 6400 --unmerged-rows 8 --split-rate 0.5   # run 8b
runs_3_14 hamburger --steps 7400 --unmerged-rows 8 --split-rate 0.7   # run 8c
runs_3_14 hamburger --steps 8600 --unmerged-rows 8 --split-rate 0.7   # run 10: hamburger at 8,600

# Runs 12-14: segmented by the baseline's entropy; synthetic copies, then the 10x-rate phase.
runs_3_14 segment --strategy sliding --entropy-from baseline --limit 48000   # run 12: first/segments.pt again
runs_3_14 hamburger --steps 10000 --unmerged-rows 8 --split-rate 0.7                 # run 12
runs_3_14 hamburger --steps 20000 --pause-at 11010 --unmerged-rows 8 --split-rate 0.7   # run 12b
runs_3_14 hamburger --steps 20000 --pause-at 12700 --unmerged-rows 8 --split-rate 0.7 --repeat-rows 8   # run 13
# Run 14: the log raised the LLM's peak in the checkpoint by hand; --lr on a resumed stage does that now.
runs_3_14 hamburger --steps 20000 --pause-at 15450 --lr 3e-3 --unmerged-rows 6 --split-rate 0.7 --repeat-rows 12
runs_3_14 hamburger --steps 16450 --lr 1.39e-3 --grafted-lr 6.47e-3 --unmerged-rows 8 --split-rate 0.7 \
  --repeat-rows 8                                             # hamburger at 16,450
runs_3_14 stop                                                # first/stop/checkpoint.pt at 300
runs_3_14 export --hamburger-stage stop --out "$root/run14-package" --overwrite

# Session 11: a work folder seeded from run 14's package (second/baseline at 3,000, second/hamburger
# at 16,450 with run 14's calibrated stop head), segmented by that baseline's entropy.
runs_15_22 prepare --per-family 12000 --tokenizer "$tokenizer"
runs_15_22 import-package --package "$root/run14-package"
runs_15_22 segment --strategy sliding --entropy-from baseline --limit 48000   # second/segments.pt

# Runs 15-16: a phase at the high rate on synthetic copies, then the low rate (the second phase's
# peaks are those whose cosine gives 1.5e-4 and 7e-4 at its first step).
runs_15_22 hamburger --steps 24000 --pause-at 18300 --lr 3e-3 --unmerged-rows 6 --split-rate 0.7 --repeat-rows 12
runs_15_22 hamburger --steps 19300 --lr 1.42e-3 --grafted-lr 6.61e-3 --unmerged-rows 8 --split-rate 0.7 \
  --repeat-rows 8                                             # run 15: hamburger at 19,300
copies=(--repeat-source shuffled --repeat-prompt copy)
runs_15_22 hamburger --steps 27000 --pause-at 19700 --lr 3e-3 --unmerged-rows 6 --split-rate 0.7 --repeat-rows 12 \
  "${copies[@]}"
runs_15_22 hamburger --steps 27000 --pause-at 20800 --lr 3e-3 --unmerged-rows 6 --split-rate 0.7 --repeat-rows 12 \
  "${copies[@]}" --repeat-max-len 96
copies+=(--repeat-max-len 96)
runs_15_22 hamburger --steps 21800 --lr 1.43e-3 --grafted-lr 6.69e-3 --unmerged-rows 8 --split-rate 0.7 \
  --repeat-rows 8 "${copies[@]}"                              # run 16: hamburger at 21,800

# Run 17: the baseline on HAMburger's data mix, from the imported baseline (second/baseline at 5,000).
runs_15_22 baseline --steps 5000 --lr 1.2e-3 --repeat-rows 10 "${copies[@]}"

# Run 18: the unmerged rows all prose; every later hamburger command has its rows.
rows=(--unmerged-rows 8 --unmerged-families continue --split-rate 0.7 --repeat-rows 8 "${copies[@]}")
runs_15_22 hamburger --steps 22800 --lr 1.44e-3 --grafted-lr 6.71e-3 "${rows[@]}"    # hamburger at 22,800

# Run 19: the mean of four continuations of run 18, each at the peaks whose cosine gives 1.5e-4 and
# 7e-4 at its first step.
hamburger_checkpoint=$second/hamburger/checkpoint.pt
mkdir -p "$soup"
runs_15_22 hamburger --steps 23800 --lr 1.44e-3 --grafted-lr 6.74e-3 "${rows[@]}"
cp "$hamburger_checkpoint" "$soup/18b.pt"                     # 18b at 23,800
runs_15_22 hamburger --steps 24800 --lr 1.45e-3 --grafted-lr 6.76e-3 "${rows[@]}"
cp "$hamburger_checkpoint" "$soup/18c.pt"                     # 18c at 24,800, from 18b
cp "$soup/18b.pt" "$hamburger_checkpoint"
runs_15_22 hamburger --steps 24800 --lr 1.45e-3 --grafted-lr 6.76e-3 "${rows[@]}" \
  --focus-rows 6 --focus-families arithmetic,table
cp "$hamburger_checkpoint" "$soup/18d.pt"                     # 18d at 24,800, from 18b
runs_15_22 hamburger --steps 25300 --lr 1.49e-3 --grafted-lr 6.94e-3 "${rows[@]}"
cp "$hamburger_checkpoint" "$soup/18f.pt"                     # 18f at 25,300, from 18d
runs_15_22 average "$soup/18b.pt" "$soup/18c.pt" "$soup/18d.pt" "$soup/18f.pt" --overwrite   # hamburger at 25,300

# Run 20: 2,000 steps on from the mean with a moving average of the weights, then the stop head.
runs_15_22 hamburger --steps 26300 --lr 1.45e-3 --grafted-lr 6.78e-3 "${rows[@]}" --ema-decay 0.998
runs_15_22 hamburger --steps 27300 --lr 1.46e-3 --grafted-lr 6.8e-3 "${rows[@]}" --ema-decay 0.999
                                                              # hamburger at 27,300, its average since 25,300
runs_15_22 stop --weights ema --steps 900                     # second/stop/checkpoint.pt at 900

# Runs 21-22: the baseline on with a moving average of its weights (second/baseline at 12,500).
runs_15_22 baseline --steps 7500 --lr 8e-4 --ema-decay 0.999 --repeat-rows 10 "${copies[@]}"    # run 21
runs_15_22 baseline --steps 12500 --lr 8e-4 --ema-decay 0.999 --repeat-rows 10 "${copies[@]}"   # run 22

runs_15_22 export --hamburger-stage stop --baseline-weights ema --out "$root/hamburger-tiny" --overwrite

# What the provenance says apart from the figures and the date must be the shipped package's.
"$py" - "$root/hamburger-tiny/hamburger.json" ../models/hamburger-tiny/hamburger.json <<'EOF'
import json, sys
made, shipped = (json.load(open(path))["provenance"] for path in sys.argv[1:])
def lineage(p):
    return {"data": p["data"], "steps": {s: v.get("step") for s, v in p["stages"].items()},
            "hamburger_weights": p["hamburger_weights"], "baseline_weights": p["baseline_weights"],
            "segmentation": {k: p["segmentation"][k] for k in ("strategy", "entropy_from")}}
if lineage(made) != lineage(shipped):
    sys.exit(f"the provenance differs from the shipped package's:\n{lineage(made)}\n{lineage(shipped)}")
print("provenance as shipped; tokens per group", made["segmentation"]["tokens_per_group"],
      "(shipped", shipped["segmentation"]["tokens_per_group"], ")")
EOF
