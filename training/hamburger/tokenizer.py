"""Byte-level BPE: training, encoding, and the Hugging Face `tokenizer.json` it is shipped as.

The pre-tokenizer is the one the engine's @huggingface/tokenizers applies to the same file:
special tokens split out first, then every digit on its own, then the GPT-2 pattern, then
bytes mapped to printable characters. Byte symbols are all in the vocabulary, so no text
ever needs an unknown token.
"""
from __future__ import annotations

import collections
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import regex

SPECIAL_TOKENS = ("<|pad|>", "<|bos|>", "<|eos|>", "<|user|>", "<|assistant|>")
PAD_ID, EOS_ID = SPECIAL_TOKENS.index("<|pad|>"), SPECIAL_TOKENS.index("<|eos|>")
BYTE_VOCAB = len(SPECIAL_TOKENS) + 256   # a tokenizer without merges: one id per byte
GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
DIGIT = regex.compile(r"\p{Nd}")
SPECIAL_SPLIT = regex.compile("(" + "|".join(regex.escape(s) for s in SPECIAL_TOKENS) + ")")


@lru_cache(maxsize=1)
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable unicode characters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


def split_digits(text: str) -> list[str]:
    """Digits(individual_digits=True): every digit its own piece, the rest kept between."""
    out, last = [], 0
    for m in DIGIT.finditer(text):
        if m.start() > last:
            out.append(text[last:m.start()])
        out.append(m.group())
        last = m.end()
    if last < len(text):
        out.append(text[last:])
    return out


def pretokenize(text: str) -> list[str]:
    """Ordinary text (no special tokens) -> byte-mapped pre-tokens."""
    b2u = byte_to_unicode()
    words = []
    for piece in split_digits(text):
        for w in GPT2_PATTERN.findall(piece):
            words.append("".join(b2u[b] for b in w.encode("utf-8")))
    return words


def train_bpe(texts: Iterable[str], vocab_size: int) -> list[tuple[str, str]]:
    """Learn merges until the vocabulary (specials + 256 bytes + merges) reaches vocab_size."""
    word_counts: collections.Counter[str] = collections.Counter()
    for t in texts:
        for part in SPECIAL_SPLIT.split(t):
            if part and part not in SPECIAL_TOKENS:
                word_counts.update(pretokenize(part))
    words = [list(w) for w in word_counts]
    counts = list(word_counts.values())
    pair_counts: collections.Counter[tuple[str, str]] = collections.Counter()
    where: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
    for i, (w, c) in enumerate(zip(words, counts)):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += c
            where[pair].add(i)
    merges: list[tuple[str, str]] = []
    n_merges = vocab_size - len(SPECIAL_TOKENS) - 256
    for _ in range(n_merges):
        if not pair_counts:
            break
        # Ties broken by the pair itself so training is deterministic.
        best = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for i in list(where[best]):
            w, c = words[i], counts[i]
            for pair in zip(w, w[1:]):
                pair_counts[pair] -= c
                if pair_counts[pair] <= 0:
                    del pair_counts[pair]
            new_w, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == best[0] and w[j + 1] == best[1]:
                    new_w.append(joined)
                    j += 2
                else:
                    new_w.append(w[j])
                    j += 1
            words[i] = new_w
            for pair in zip(new_w, new_w[1:]):
                pair_counts[pair] += c
                where[pair].add(i)
        del where[best]
    return merges


class ByteLevelBPE:
    def __init__(self, merges: list[tuple[str, str]]):
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.vocab: dict[str, int] = {s: i for i, s in enumerate(SPECIAL_TOKENS)}
        for ch in byte_to_unicode().values():
            self.vocab[ch] = len(self.vocab)
        for a, b in merges:
            self.vocab[a + b] = len(self.vocab)
        self.id_to_token = {i: s for s, i in self.vocab.items()}
        self.u2b = {u: b for b, u in byte_to_unicode().items()}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def special_id(self, token: str) -> int:
        return self.vocab[token]

    def _bpe(self, word: str) -> list[int]:
        if word in self._cache:
            return self._cache[word]
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(parts, parts[1:]))]
            rank, i = min(ranked)
            if rank == 1 << 30:
                break
            pair = (parts[i], parts[i + 1])
            merged, j = [], 0
            while j < len(parts):
                if j + 1 < len(parts) and (parts[j], parts[j + 1]) == pair:
                    merged.append(parts[j] + parts[j + 1])
                    j += 2
                else:
                    merged.append(parts[j])
                    j += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for part in SPECIAL_SPLIT.split(text):
            if not part:
                continue
            if part in SPECIAL_TOKENS:
                ids.append(self.vocab[part])
            else:
                for w in pretokenize(part):
                    ids.extend(self._bpe(w))
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        out, buf = [], bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok in SPECIAL_TOKENS:
                if buf:
                    out.append(buf.decode("utf-8", errors="replace"))
                    buf = bytearray()
                if not skip_special:
                    out.append(tok)
            else:
                buf.extend(self.u2b[c] for c in tok)
        if buf:
            out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)

    def to_hf_json(self) -> dict:
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for i, s in enumerate(SPECIAL_TOKENS)
            ],
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": self.vocab,
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_hf_json(), ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> "ByteLevelBPE":
        try:
            data = json.loads(Path(path).read_text())
            merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in data["model"]["merges"]]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path} is not a byte-level BPE tokenizer.json ({e})") from e
        tok = cls(merges)  # type: ignore[arg-type]
        if tok.vocab != data["model"]["vocab"]:
            raise ValueError(f"{path}: vocab does not follow from its merges; it was not written by this tokenizer")
        return tok


PARITY_STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces and   runs   of\twhitespace\n\nand newlines\n",
    "Count from 1 to 12: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
    "3.14159 + 2,718 = 5859.14159; 1e-5 0x1F",
    "naïve café résumé — “quotes” and ‘single’ ¿qué? ñ",
    "日本語のテキスト and 中文 mixed with English",
    "emoji: 🍔🍟 👩‍💻 🇫🇷 ❤️",
    'def f(x):\n    return {"a": [1, 2, 3], \'b\': x ** 2}  # comment',
    '{"name": "Alice", "age": 31, "city": "Paris"}',
    "| key | value |\n|-----|-------|\n| a   | 1     |",
    "It's, I'm, we'll, they've, she'd, don't, CAN'T",
    "<|user|>\nSpell 'garden'.\n<|assistant|>\ng-a-r-d-e-n<|eos|>",
    "tabs\t\tand\r\nwindows line ends\r\n",
    "",
    " ",
    "ZWJ\u200dand\u00a0nbsp and \u2028 line sep",
]
