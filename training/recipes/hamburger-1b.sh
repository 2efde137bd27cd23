#!/usr/bin/env bash
# The paper's setting: HAMburger-1B grown from meta-llama/Llama-3.2-1B-Instruct, as the authors'
# run is configured (github.com/Jingyu6/hamburger: train.yaml, hamburger/model/llama.py,
# hamburger/data/segmentor.py), on a chat JSONL of your own (docs/training.md, "Chat data").
#
#   training/recipes/hamburger-1b.sh LLAMA_DIR DATA.jsonl [ROOT]     # ROOT, relative to training/: default work/hamburger-1b
#   NPROC=8 training/recipes/hamburger-1b.sh LLAMA_DIR DATA.jsonl    # 8 GPUs of one machine
#   ROWS=2 ...                                                       # rows a pass on each GPU (default 8, the authors')
#
# LLAMA_DIR: the Hugging Face folder (config.json, model.safetensors, tokenizer.json,
# tokenizer_config.json, generation_config.json). What the authors' run sets and this recipe keeps:
# - segmentation by the Instruct model's own entropies, strategy decreasing_v2, groups of up to 4;
# - all weights trained, the LLM (embedding included) at 5e-5 and the grafted modules at 1e-4,
#   AdamW, gradient clipping at 1.0, a cosine schedule without warm-up, bf16 on the GPU;
# - 128 examples a step: 8 a pass on each of 8 GPUs, 2 passes accumulated; one epoch of the data;
# - examples up to 8,192 tokens.
# What differs (train.py's loop): AdamW's betas are (0.9, 0.95), not (0.9, 0.999); the cosine ends
# at a tenth of each peak (theirs at 1e-5 for both); the stop head may be calibrated after (`stop`).
# Several processes need the launcher of docs/training.md, "Several processes and GPUs"
# (torch.distributed.run, --grad-accum, --activation-checkpointing); segment runs in one process.
# Memory (docs/training.md, "What it needs"): with activation checkpointing 8 rows of 2,048 tokens
# a pass take about 41 GiB; rows of 8,192 tokens need ROWS=2 on an 80 GB GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
llama=${1:?usage: recipes/hamburger-1b.sh LLAMA_DIR DATA.jsonl [ROOT]}
data=${2:?usage: recipes/hamburger-1b.sh LLAMA_DIR DATA.jsonl [ROOT]}
root=${3:-work/hamburger-1b}
nproc=${NPROC:-1}
rows=${ROWS:-8}
py=.venv/bin/python
batch=128                                   # the reference-1b preset's rows a step
if (( rows < 1 || batch % (rows * nproc) )); then
  echo "error: NPROC=$nproc processes of ROWS=$rows rows a pass do not divide the authors' $batch rows a step" >&2
  exit 1
fi
accum=$(( batch / (rows * nproc) ))         # 8 rows a pass on each process: 2 passes on 8 GPUs, 16 on one
steps=$(( ($(grep -c . "$data") + batch - 1) / batch ))    # one epoch
if (( nproc > 1 )); then
  train=("$py" -m torch.distributed.run --nproc_per_node="$nproc" -m hamburger)
else
  train=("$py" -m hamburger)
fi
grow=(--init-from-hf "$llama" --data "$data")

# Segmentation by the Llama's entropies (batches of 4: the entropies take 4 x length x 128,256 floats).
"$py" -m hamburger --work "$root" --preset reference-1b segment --strategy decreasing_v2 --batch-size 4 "${grow[@]}"
# HAMburger: the Llama with a fresh compositional embedder, micro-step decoder and stop head.
"${train[@]}" --work "$root" --preset reference-1b hamburger --steps "$steps" --grad-accum "$accum" \
  --activation-checkpointing "${grow[@]}"
# The stop head calibrated to the model's own micro-step misses (optional; the authors' run has no such stage).
"${train[@]}" --work "$root" --preset reference-1b stop --steps 1000 --grad-accum "$accum" \
  --activation-checkpointing --data "$data"
