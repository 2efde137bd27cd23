"""Held-out probe during training: teacher-forced exact match per task family.

Greedy exact match needs every response token right; with teacher forcing, a sequence is
right when every response token is the argmax, which tracks greedy accuracy closely and
costs one batched forward per family instead of a decode loop.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .data import SftExample, encode_example, load_heldout
from .model import LlamaForCausalLM
from .objective import IGNORE, sft_batch
from .repeats import repeated_spans
from .tasks import Example
from .tokenizer import PAD_ID, SPECIAL_TOKENS, ByteLevelBPE

INDUCTION_ROWS, INDUCTION_LEN, INDUCTION_SEED = 8, 128, 4242


class HeldoutProbe:
    def __init__(self, data: Path, per_family: int = 16):
        tok = ByteLevelBPE.load(data / "tokenizer.json")
        by_family: dict[str, list[SftExample]] = {}
        for r in load_heldout(data / "heldout.jsonl"):
            chosen = by_family.setdefault(r["family"], [])
            if len(chosen) < per_family:
                chosen.append(encode_example(tok, Example(r["family"], r["prompt"], r["response"], r["id"])))
        self.by_family = by_family
        # Fixed repeated spans (own RNG, so the training run's draws do not change): token accuracy
        # on second occurrences measures the copying (induction) circuit on its own.
        with torch.random.fork_rng():
            torch.manual_seed(INDUCTION_SEED)
            self.spans = repeated_spans(INDUCTION_ROWS, INDUCTION_LEN, len(SPECIAL_TOKENS), tok.vocab_size)

    @torch.no_grad()
    def measure(self, llm: LlamaForCausalLM) -> dict[str, float]:
        """{"tf_exact/<family>": share of sequences all right, "tf_token/<family>": share of tokens,
        "induction": token accuracy on the second occurrences of random spans}."""
        was_training = llm.training
        llm.eval()
        out: dict[str, float] = {}
        for family, examples in self.by_family.items():
            inputs, targets = sft_batch(examples, PAD_ID)
            inputs, targets = inputs.to(llm.lm_head.weight.device), targets.to(llm.lm_head.weight.device)
            scored = targets != IGNORE
            right = (llm(inputs).argmax(-1) == targets) | ~scored                 # [B, T]
            out[f"tf_exact/{family}"] = round(right.all(-1).float().mean().item(), 3)
            out[f"tf_token/{family}"] = round(((right & scored).sum() / scored.sum()).item(), 3)
        inputs, targets = (t.to(llm.lm_head.weight.device) for t in self.spans)
        scored = targets != IGNORE
        out["induction"] = round(((llm(inputs).argmax(-1) == targets) & scored).sum().item() / scored.sum().item(), 3)
        llm.train(was_training)
        return out
