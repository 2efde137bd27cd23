#!/usr/bin/env bash
# The whole training pipeline for the shipped model, stage by stage; every stage resumes
# from its checkpoint, so rerunning this after an interruption continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")"
py=/usr/bin/python3
for stage in prepare base baseline segment hamburger; do
  if [ "$stage" = prepare ] && [ -f work/data/data.json ]; then continue; fi
  "$py" -m hamburger "$@" "$stage"
done
"$py" -m hamburger "$@" export --overwrite
