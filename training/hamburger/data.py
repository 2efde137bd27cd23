"""Dataset preparation: tokenizer, language-model stream, task examples, held-out split."""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from . import corpus, tasks
from .chat import render_prompt
from .tokenizer import ByteLevelBPE, train_bpe


@dataclass(frozen=True)
class DataConfig:
    seed: int = 1234
    vocab_size: int = 2048
    train_per_family: int = 12000    # task examples per family for training
    bpe_per_family: int = 4000       # of which the tokenizer is trained on the first N (fixed, so
                                     # that more task data leaves the tokenizer unchanged)
    heldout_per_family: int = 100    # exact-match evaluation examples per family
    max_len: int = 256               # tokens per training sequence
    spell_cap: int = 6000            # spell has ~7,000 distinct train prompts (2,000 words)


@dataclass
class SftExample:
    id: str
    family: str
    prompt_ids: list[int]
    response_ids: list[int]          # ends with eos


def encode_example(tok: ByteLevelBPE, ex: tasks.Example) -> SftExample:
    return SftExample(ex.id, ex.family, tok.encode(render_prompt(ex.prompt)),
                      tok.encode(ex.response) + [tok.special_id("<|eos|>")])


def prepare(repo_root: Path, out: Path, cfg: DataConfig = DataConfig(), tokenizer: Path | None = None) -> None:
    """Writes tokenizer.json, lm.pt (token stream), sft.pt (train examples), heldout.jsonl.

    With `tokenizer`, that tokenizer.json is reused instead of training a new one, so that a
    larger task set can continue training an existing model."""
    out.mkdir(parents=True, exist_ok=True)
    docs = corpus.read_brown(corpus.brown_dir(repo_root))
    train_docs = corpus.split_documents(docs, "train")
    heldout_docs = corpus.split_documents(docs, "heldout")
    words = task_words(docs)
    counts = {f: min(cfg.train_per_family, cfg.spell_cap) if f == "spell" else cfg.train_per_family
              for f in tasks.FAMILIES}
    train = tasks.make_split(counts, cfg.seed, "train", words, corpus.passages(train_docs))
    heldout = tasks.make_split(cfg.heldout_per_family, cfg.seed, "heldout", words, corpus.passages(heldout_docs))

    brown_text = ["\n".join(d.paragraphs) for d in train_docs]
    if tokenizer is None:
        taken: Counter[str] = Counter()
        chat_text = []
        for e in train:
            if taken[e.family] < cfg.bpe_per_family:
                taken[e.family] += 1
                chat_text.append(render_prompt(e.prompt) + e.response + "<|eos|>")
        tok = ByteLevelBPE(train_bpe(brown_text + chat_text, cfg.vocab_size))
    else:
        tok = ByteLevelBPE.load(tokenizer)
        if len(tok.vocab) != cfg.vocab_size:
            raise SystemExit(f"error: {tokenizer} has {len(tok.vocab)} ids; the data config wants {cfg.vocab_size}")
    tok.save(out / "tokenizer.json")

    eos = tok.special_id("<|eos|>")
    pieces = [tok.encode(t) + [eos] for t in brown_text]
    sft = [encode_example(tok, e) for e in train]
    sft = [e for e in sft if len(e.prompt_ids) + len(e.response_ids) <= cfg.max_len]
    pieces += [e.prompt_ids + e.response_ids for e in sft]
    random.Random(cfg.seed).shuffle(pieces)
    stream = torch.tensor([t for p in pieces for t in p], dtype=torch.int16)
    torch.save(stream, out / "lm.pt")
    save_sft(sft, out / "sft.pt")
    write_heldout(heldout, out / "heldout.jsonl")
    (out / "data.json").write_text(json.dumps({
        **cfg.__dict__, "tokenizer_from": str(tokenizer) if tokenizer else None, "lm_tokens": len(stream), "sft_examples": len(sft), "heldout_examples": len(heldout),
        "brown_train_docs": len(train_docs), "brown_heldout_docs": len(heldout_docs)}, indent=2))


def heldout_split(repo_root: Path, per_family: int, seed: int = DataConfig.seed) -> list[tasks.Example]:
    """`prepare`'s held-out split at another size. Each family draws from its own seeded stream,
    so a larger split begins with the examples of a smaller one: with 300 per family, the first
    100 of each are the package's `eval/heldout.jsonl`."""
    docs = corpus.read_brown(corpus.brown_dir(repo_root))
    return tasks.make_split(per_family, seed, "heldout", task_words(docs), corpus.passages(corpus.split_documents(docs, "heldout")))


def task_words(docs: list[corpus.Document]) -> list[str]:
    """The words the task generators draw from: the 2,000 most common of the training files, so
    that both splits, at any size, draw from one list."""
    return tasks.common_words(corpus.split_documents(docs, "train"), 2000)


def write_heldout(examples: list[tasks.Example], path: Path) -> None:
    with open(path, "w") as f:
        for e in examples:
            f.write(json.dumps({"id": e.id, "family": e.family, "prompt": e.prompt, "response": e.response}) + "\n")


def load_sft(folder: Path) -> list[SftExample]:
    path = folder / "sft.pt"
    if not path.exists():
        raise SystemExit(f"error: {path} does not exist; run the stage that writes it first")
    return [SftExample(**d) for d in torch.load(path)]


def save_sft(examples: list[SftExample], path: Path) -> None:
    torch.save([e.__dict__ for e in examples], path)


def load_heldout(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
