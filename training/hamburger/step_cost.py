"""What a hamburger-stage training step costs, measured at small widths and extrapolated by
FLOPs to the 1B recipe (docs/training.md, "The 1B recipe"). Prints figures; asserts nothing.

    .venv/bin/python -m hamburger.step_cost [--widths 256,512] [--repeats 3]

Each width is REFERENCE_1B's shape narrowed (16 layers, heads of 64, a KV head per 4 query
heads, SwiGLU 4 x width, 4 micro layers, the real 128,256-id vocabulary), trained on one batch
of random examples: `step_flops` counts the step's matmul FLOPs from the shapes
`objective.group_forward` builds (checked here against torch's FlopCounterMode on the real
step), the step is timed (forward + backward, fp32 on the CPU), and the time per FLOP carries
the figure to REFERENCE_1B. `memory_bytes` is the arithmetic of a GPU step's memory in bf16
autocast with an fp32 AdamW.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from .config import REFERENCE_1B, ModelConfig
from .data import SftExample
from .model import Hamburger, count_params, init_weights
from .objective import hamburger_loss

GROUP_CYCLE = (1, 2, 3, 2)          # 2 tokens per group, about the authors' speed-up
H100_BF16_FLOPS = 989e12            # dense bf16 peak of one H100 SXM
ASSUMED_MFU = 0.35                  # a plain PyTorch step (no fused kernels) reaches about this share of the peak


def narrowed(width: int) -> ModelConfig:
    return dataclasses.replace(REFERENCE_1B, hidden_size=width, num_heads=width // 64, num_kv_heads=max(1, width // 256),
                               head_dim=64, intermediate_size=4 * width, compose_heads=width // 32)


def sample_batch(rows: int, prompt: int, response: int, vocab: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    examples, groups = [], []
    for i in range(rows):
        ids = torch.randint(0, vocab, (prompt + response,), generator=g).tolist()
        examples.append(SftExample(f"r{i}", "bench", ids[:prompt], ids[prompt:]))
        sizes, left, j = [], response, i
        while left:
            k = min(GROUP_CYCLE[j % len(GROUP_CYCLE)], left)
            sizes.append(k)
            left -= k
            j += 1
        groups.append(sizes)
    return examples, groups


def _layer_flops(cfg: ModelConfig, positions: int, keys: int) -> int:
    """Forward matmul FLOPs of one decoder layer over `positions` queries that each see `keys` keys."""
    d, q, kv = cfg.hidden_size, cfg.num_heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim
    linear = 2 * positions * (d * q + 2 * d * kv + q * d + 3 * d * cfg.intermediate_size)
    return linear + 4 * positions * keys * q            # scores and the weighted sum, over the whole padded matrix


def step_flops(cfg: ModelConfig, examples: list[SftExample], groups: list[list[int]]) -> int:
    """Forward + backward matmul FLOPs of one `hamburger_loss` step: 3 x the forward."""
    d, s = cfg.hidden_size, cfg.max_steps
    t = max(len(e.prompt_ids) + len(gs) - 1 for e, gs in zip(examples, groups))    # the base's padded rows
    base = len(examples) * cfg.num_layers * _layer_flops(cfg, t, t)
    n_groups = sum(len(gs) for gs in groups)
    compose = n_groups * 2 * (d * d + 2 * s * (d + d // 2) * d + d * d + 2 * s * d)
    multi = sum(k > 1 for gs in groups for k in gs)
    m = len(cfg.feature_layers) + s - 1
    micro = multi * cfg.micro_layers * _layer_flops(cfg, m, m)
    tokens = sum(sum(gs) for gs in groups)
    heads = tokens * 2 * (d * cfg.vocab_size + 2 * d * d + d)
    return 3 * (base + compose + micro + heads)


def memory_bytes(cfg: ModelConfig, rows: int, prompt: int, response: int) -> dict[str, float]:
    """A GPU step's memory under bf16 autocast, groups as `sample_batch` cuts them: fp32 weights,
    gradients and AdamW's two moments; per layer and position the bf16 inputs each matmul saves
    and the fp32 residual stream, for the base's positions (prompt + one a group) and the micro
    decoder's (features + 3 tokens for each group of two or more); model.py's explicit attention
    keeps each head's fp32 softmax and its bf16 copy (6 bytes a score) over the base's padded rows;
    the LM head's bf16 logits, their fp32 copy and its softmax over the response tokens."""
    with torch.device("meta"):
        params = count_params(Hamburger(cfg))
    d, q, kv = cfg.hidden_size, cfg.num_heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim
    per_position_layer = 2 * (6 * d + 2 * q + 2 * kv + 3 * cfg.intermediate_size) + 4 * 2 * d
    groups = len(GROUP_CYCLE) * response / sum(GROUP_CYCLE)
    multi = groups * sum(k > 1 for k in GROUP_CYCLE) / len(GROUP_CYCLE)
    base_positions = prompt + groups
    micro_positions = multi * (len(cfg.feature_layers) + cfg.max_steps - 1)
    return {"params": params, "weights_and_adam": 16 * params,
            "base_activations": rows * base_positions * cfg.num_layers * per_position_layer,
            "micro_activations": rows * micro_positions * cfg.micro_layers * per_position_layer,
            "attention": rows * cfg.num_layers * cfg.num_heads * base_positions ** 2 * 6,
            "logits": rows * response * cfg.vocab_size * 10}


def measure(cfg: ModelConfig, rows: int, prompt: int, response: int, repeats: int) -> dict:
    torch.manual_seed(0)
    h = Hamburger(cfg)
    init_weights(h)
    examples, groups = sample_batch(rows, prompt, response, cfg.vocab_size)
    counter = FlopCounterMode(display=False)
    with counter:
        loss, _ = hamburger_loss(h, examples, groups)
        loss.backward()
    times = []
    for _ in range(repeats):
        h.zero_grad(set_to_none=True)
        t0, c0 = time.perf_counter(), time.process_time()
        loss, _ = hamburger_loss(h, examples, groups)
        loss.backward()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    wall, cpu = min(times)
    return {"params": count_params(h), "tokens": rows * (prompt + response), "flops": step_flops(cfg, examples, groups),
            "counted": counter.get_total_flops(), "seconds": wall, "cpu_seconds": cpu}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m hamburger.step_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--widths", default="256,512", help="hidden sizes to measure (default 256,512)")
    p.add_argument("--rows", type=int, default=4)
    p.add_argument("--prompt", type=int, default=128, help="prompt tokens per row (default 128)")
    p.add_argument("--response", type=int, default=256, help="response tokens per row (default 256)")
    p.add_argument("--repeats", type=int, default=3, help="timed steps per width; the fastest counts (default 3)")
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; a batch of {args.rows} x "
          f"({args.prompt} prompt + {args.response} response) tokens, groups {GROUP_CYCLE} repeated")
    per_flop = []
    for width in (int(w) for w in args.widths.split(",")):
        r = measure(narrowed(width), args.rows, args.prompt, args.response, args.repeats)
        per_flop.append((r["seconds"] / r["flops"], r["cpu_seconds"] / r["flops"]))
        print(f"width {width}: {r['params'] / 1e6:.1f} M parameters, {r['flops'] / 1e9:.2f} GFLOP a step "
              f"(FlopCounterMode: {r['counted'] / 1e9:.2f}), {r['seconds']:.2f} s a step ({r['cpu_seconds']:.2f} "
              f"CPU-s on {torch.get_num_threads()} threads), {r['seconds'] / r['tokens'] * 1e3:.2f} ms a token, "
              f"{r['flops'] / r['seconds'] / 1e9:.1f} GFLOP/s")
    cfg = REFERENCE_1B
    examples, groups = sample_batch(args.rows, args.prompt, args.response, cfg.vocab_size)
    flops = step_flops(cfg, examples, groups)
    tokens = args.rows * (args.prompt + args.response)
    wall, cpu = (flops * x for x in per_flop[-1])
    print(f"REFERENCE_1B: {flops / 1e12:.2f} TFLOP a step, {flops / tokens / 1e9:.2f} GFLOP a token; at the widest "
          f"width's time per FLOP here {wall:.0f} s a step ({cpu:.0f} CPU-s), {wall / tokens:.2f} s a token")
    gpu_hours_per_gtoken = flops / tokens * 1e9 / (H100_BF16_FLOPS * ASSUMED_MFU) / 3600
    print(f"one H100 at {ASSUMED_MFU:.0%} of {H100_BF16_FLOPS / 1e12:.0f} TFLOP/s: {gpu_hours_per_gtoken:.1f} GPU-hours "
          f"per billion training tokens; 8 x H100: {gpu_hours_per_gtoken / 8:.2f} hours per billion")
    for length in (1024, 2048, 8192):
        m = memory_bytes(cfg, 8, length // 3, length - length // 3)
        parts = ", ".join(f"{k} {v / 2**30:.1f}" for k, v in m.items() if k != "params")
        print(f"memory of a pass of 8 rows x {length} tokens (2/3 response): "
              f"{sum(v for k, v in m.items() if k != 'params') / 2**30:.1f} GiB ({parts} GiB; "
              f"{m['params'] / 1e9:.3f} B parameters)")

if __name__ == "__main__":
    main()
