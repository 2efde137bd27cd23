"""Synthetic repeated sequences that teach the base to copy from its context.

A small model trained on prose and tasks alone learns bigram shortcuts long before it
learns to look back and copy (run 2 of docs/history/training-log.md: 0.2 teacher-forced token
accuracy on `copy` after 4.9M tokens), while on random spans that occur twice the copying
circuit forms within a few hundred steps at this size. Each row is a run of (span, span)
pairs of random token ids; only the second occurrence of each span is scored.

The hamburger stage takes the same idea one step further (`repeated_copy`): a span to copy,
written back in groups of `max_steps` tokens, so that the base learns to hold the next few
tokens after a match, not only the next one (training-log run 12: copied prose drafts 0.14
right at micro steps 1-3). Its span is random ids by default, or a window of the training
text (`text`), optionally shuffled, of 8 to `max_len` tokens (training-log, probes after run
15), written bare after <|user|> or inside the copy family's prompts (`copy_wrappers`). The
baseline stage can take the same requests as plain next-token rows, so that it sees the data
HAMburger sees (training-log run 17).
"""
from __future__ import annotations

import random
from typing import Sequence

import torch

from .chat import render_prompt
from .data import SftExample
from .objective import IGNORE
from .tasks import COPY_TEMPLATES
from .tokenizer import EOS_ID, SPECIAL_TOKENS, ByteLevelBPE

SPAN_LENGTHS = (8, 48)  # inclusive range of a span's length
REPEAT_SOURCES = ("random", "text", "shuffled")  # what a baseline- or hamburger-stage copy row copies
REPEAT_PROMPTS = ("bare", "copy")                # how it asks for the copy (`copy_wrappers`)
BOS_ID, USER_ID, ASSISTANT_ID = (SPECIAL_TOKENS.index(t) for t in ("<|bos|>", "<|user|>", "<|assistant|>"))


def repeated_spans(rows: int, seq_len: int, low: int, high: int) -> tuple[torch.Tensor, torch.Tensor]:
    """inputs [rows, seq_len] and targets [rows, seq_len] (IGNORE where unpredictable).

    Token ids are drawn from [low, high) with torch's global RNG, so a resumed run that
    restores the RNG state draws the same rows."""
    inputs = torch.empty(rows, seq_len, dtype=torch.long)
    targets = torch.full((rows, seq_len), IGNORE, dtype=torch.long)
    for r in range(rows):
        seq, scored = [], []
        while len(seq) < seq_len + 1:
            n = int(torch.randint(SPAN_LENGTHS[0], SPAN_LENGTHS[1] + 1, ()))
            span = torch.randint(low, high, (n,)).tolist()
            seq += span + span
            scored += [False] * n + [True] * n
        inputs[r] = torch.tensor(seq[:seq_len])
        # Target j is token j+1; it is predictable when token j+1 lies in a second occurrence
        # and is not that occurrence's first token (which follows the unpredictable first copy).
        nxt = torch.tensor(seq[1:seq_len + 1])
        ok = torch.tensor([scored[j + 1] and scored[j] for j in range(seq_len)])
        targets[r] = torch.where(ok, nxt, torch.full_like(nxt, IGNORE))
    return inputs, targets


TEXT_WINDOW_TRIES = 64  # windows of `text` drawn before falling back to random ids


def text_span(rng: random.Random, text: torch.Tensor, n: int, low: int) -> list[int] | None:
    """A window of n tokens of `text` (1-D ids) holding no id below `low` (no special token: a
    window across a chat-formatted task would put <|eos|> inside the answer), or None."""
    for _ in range(TEXT_WINDOW_TRIES):
        start = rng.randrange(0, len(text) - n)
        window = text[start:start + n]
        if int(window.min()) >= low:
            return window.tolist()
    return None


CopyWrapper = tuple[list[int], list[int]]   # prompt ids before and after the span


def copy_wrappers(tok: ByteLevelBPE) -> list[CopyWrapper]:
    """The copy family's prompts (tasks.COPY_TEMPLATES) as ids around a span. A copy circuit
    learnt on bare <|bos|> <|user|> span <|assistant|> prompts does not fire when instruction
    words come before the span (training-log run 16: match + 3 right 0.98 of the time bare,
    0.16 in a copy prompt)."""
    marker = "\x00"
    wrappers = []
    for template in COPY_TEMPLATES:
        before, after = render_prompt(template.format(text=marker)).split(marker)
        # Prose spans start with a word that carries its own leading space.
        wrappers.append((tok.encode(before.rstrip(" ")), tok.encode(after)))
    return wrappers


def repeated_copy(rng: random.Random, low: int, high: int, max_steps: int, text: torch.Tensor | None = None,
                  max_len: int = SPAN_LENGTHS[1], shuffle: bool = False,
                  wrappers: Sequence[CopyWrapper] | None = None) -> tuple[SftExample, list[int]]:
    """A synthetic copy request and its group sizes (the hamburger stage's; the baseline stage
    uses the request alone).

    Prompt: <|bos|> <|user|> span <|assistant|>, or the span inside one of `wrappers` (the
    copy family's own prompts); response: span <|eos|>, in groups of `max_steps` tokens (the
    last one shorter). Span ids are drawn from [low, high) with `rng`, or taken from a window
    of `text` where one without special tokens is found, in `shuffle`d order if asked (prose's
    repeated tokens, which make a one-token match ambiguous, without text the model may have
    memorised); either way a stage that seeds `rng` by step draws the same rows when it
    resumes. The span is SPAN_LENGTHS[0]..`max_len` tokens long: a copy circuit learnt on
    spans of up to 48 tokens does not reach further back (run 15: match + 3 right 0.97 of the
    time on 8-48 random ids, 0.06 on 49-96), and held-out copy answers run to 90."""
    n = rng.randint(SPAN_LENGTHS[0], max_len)
    span = text_span(rng, text, n, low) if text is not None else None
    if span is None:
        span = [rng.randrange(low, high) for _ in range(n)]
    elif shuffle:
        rng.shuffle(span)
    before, after = rng.choice(wrappers) if wrappers else ([BOS_ID, USER_ID], [ASSISTANT_ID])
    response = span + [EOS_ID]
    n = len(response)
    groups = [max_steps] * (n // max_steps) + ([n % max_steps] if n % max_steps else [])
    return SftExample("repeat", "repeat", before + span + after, response), groups
