#!/usr/bin/env bash
# Every stage from scratch at the cpu preset's budgets (about 100 minutes on 2 cores), then
# export: a first model, not the shipped one, whose recipe is recipes/hamburger-tiny.sh. Every
# stage resumes from its checkpoint, so rerunning this after an interruption continues where it stopped.
# Data are prepared with the shipped tokenizer, so that a rerun reproduces the shipped
# model's token ids; `.venv/bin/python -m hamburger prepare` without --tokenizer trains a new one.
set -euo pipefail
cd "$(dirname "$0")"
./setup-venv.sh
py=.venv/bin/python
work=work
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --work ]; then work=${args[$((i + 1))]}; fi
done
if [ ! -f "$work/data/data.json" ]; then
  "$py" -m hamburger "$@" prepare --tokenizer ../models/hamburger-tiny/tokenizer.json
fi
"$py" -m hamburger "$@" base
"$py" -m hamburger "$@" baseline
"$py" -m hamburger "$@" segment
# run 7: the unmerged rows keep confidence 1.0 at the baseline's level; run 8: the cut groups
# teach the base the group prefixes that the calibrated stop head leaves at inference
"$py" -m hamburger "$@" hamburger --unmerged-rows 8 --split-rate 0.5
"$py" -m hamburger "$@" stop                                 # run 7: the stop head learns its own misses
"$py" -m hamburger "$@" export --hamburger-stage stop --out "$work/package" --overwrite   # beside the work, never over the shipped model
