"""Cutting a response into groups (one future KV entry each) by the base model's entropy.

Each strategy maps the per-token entropies of a response (the entropy of the distribution
that predicted each token) to group sizes, each between 1 and max_steps, summing to the
response length. Insight from the method: a group may start on a hard token, but the
tokens that follow it in the group must be easy given it.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

DECREASING_FLOOR = 0.05
DECREASING_RATIO = 0.3


def confident_entropy(confidence: float, vocab_size: int) -> float:
    """Entropy of one token at probability c with the rest spread over the other V-1."""
    rest = (1.0 - confidence) / (vocab_size - 1)
    return -confidence * math.log(confidence) - (1.0 - confidence) * math.log(rest)


def decreasing_v2(entropies: Sequence[float], max_steps: int, vocab_size: int) -> list[int]:
    groups: list[int] = []
    peak = 0.0
    for i, h in enumerate(entropies):
        if i > 0 and groups[-1] < max_steps and (h < DECREASING_FLOOR or h < DECREASING_RATIO * peak):
            groups[-1] += 1
            peak = max(peak, h)
        else:
            groups.append(1)
            peak = h
    return groups


def sliding(entropies: Sequence[float], max_steps: int, vocab_size: int) -> list[int]:
    limit = confident_entropy(0.7, vocab_size)
    groups: list[int] = []
    for i, h in enumerate(entropies):
        if i > 0 and groups[-1] < max_steps and h < limit:
            groups[-1] += 1
        else:
            groups.append(1)
    return groups


def small_group(entropies: Sequence[float], max_steps: int, vocab_size: int) -> list[int]:
    limit = confident_entropy(0.95, vocab_size)
    groups: list[int] = []
    packing = False  # whether the last group is a pack of easy tokens that may still grow
    for h in entropies:
        if h > limit:
            groups.append(1)
            packing = False
        elif packing and groups[-1] < max_steps:
            groups[-1] += 1
        else:
            groups.append(1)
            packing = True
    return groups


# Whose entropies cut the responses: the base stage's, or the SFT baseline's.
ENTROPY_SOURCES = ("base", "baseline")

STRATEGIES: dict[str, Callable[[Sequence[float], int, int], list[int]]] = {
    "decreasing_v2": decreasing_v2,
    "sliding": sliding,
    "small_group": small_group,
}
