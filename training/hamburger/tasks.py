"""Synthetic instruction tasks whose answers can be checked exactly.

Families run from low perplexity (copy, count, json, table: the answer is fixed by the
prompt) to high (continue: the next sentence of real text). Generation is deterministic
in the seed; an example belongs to the train or held-out split by a hash of its answer
(see split_of), so the two splits never share a prompt or a synthetic answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .corpus import Document, Split

FAMILIES = ("copy", "count", "json", "table", "sort", "reverse", "arithmetic", "spell", "continue")
MAX_EXAMPLE_CHARS = 600  # prompt + response; the model's context is 256 BPE tokens
HELDOUT_BUCKETS = 10  # one prompt-hash bucket in ten is held out
PASSAGE_TRIES = 10_000  # draws before copy/continue give up on unsuitable passages

NAMES = ("Alice", "Bob", "Carmen", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
         "Kate", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara")
CITIES = ("Paris", "Rome", "Tokyo", "Lima", "Cairo", "Oslo", "Madrid", "Berlin", "Dublin",
          "Nairobi", "Seoul", "Toronto", "Sydney", "Vienna", "Prague", "Boston", "Denver",
          "Lisbon", "Athens", "Mumbai")
COLORS = ("red", "blue", "green", "yellow", "purple", "orange", "black", "white", "gray", "pink")
ANIMALS = ("cat", "dog", "horse", "rabbit", "parrot", "turtle", "goat", "fox", "owl", "hamster")
PLACES = ("ones", "tens", "hundreds", "thousands")

Passages = Sequence[Sequence[str]]  # paragraphs, each a list of sentences
Words = Sequence[str]


@dataclass(frozen=True)
class Example:
    family: str
    prompt: str
    response: str
    id: str


def common_words(docs: Iterable[Document], n: int) -> list[str]:
    """The n most frequent lowercase alphabetic words of 3-10 letters (ties alphabetical)."""
    counts: Counter[str] = Counter()
    for doc in docs:
        for paragraph in doc.paragraphs:
            for token in paragraph.split():
                word = token.strip("\"'()[],.;:!?")
                if re.fullmatch(r"[a-z]{3,10}", word):
                    counts[word] += 1
    return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]]


def _join(items: Iterable[object]) -> str:
    return ", ".join(str(item) for item in items)


COPY_TEMPLATES = (   # also wrap the hamburger stage's synthetic copies (repeats.copy_wrappers)
    "Repeat this passage exactly:\n{text}",
    "Copy the following text word for word.\n\n{text}",
    "Write this back verbatim: {text}",
    "Please repeat after me: {text}",
)


def _copy(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    for _ in range(PASSAGE_TRIES):
        sentences = rng.choice(passages)
        start = rng.randrange(len(sentences))
        tokens = " ".join(sentences[start:]).split()[:rng.randint(8, 40)]
        text = " ".join(tokens)
        if len(tokens) >= 8 and len(text) <= 270:
            break
    else:
        raise ValueError("no passage of 8 to 40 words found for 'copy'")
    return rng.choice(COPY_TEMPLATES).format(text=text), text


def _continue(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    template, one_sentence = rng.choice((
        ("Continue this passage:\n{text}", False),
        ("Write the next sentence of this text.\n\n{text}", True),
        ("Here is the beginning of a paragraph. Continue it.\n{text}", False),
        ("What comes next? {text}", False),
    ))
    for _ in range(PASSAGE_TRIES):
        sentences = rng.choice(passages)
        if len(sentences) < 2:
            continue
        split_at = rng.randint(1, len(sentences) - 1)
        context = " ".join(sentences[:split_at])
        following = sentences[split_at:]
        # A short next sentence gets company, unless the prompt asks for exactly one.
        taken = 2 if not one_sentence and len(following) > 1 and len(following[0]) < 60 else 1
        response = " ".join(following[:taken])
        if len(context) <= 360 and 10 <= len(response) <= 200:
            return template.format(text=context), response
    raise ValueError("no paragraph with a short enough start and next sentence for 'continue'")


def _count(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    step = rng.choice((1, 1, 1, 2, 5, 10))
    length = rng.randint(5, 20)
    down = rng.random() < 0.3
    base = rng.randint(0, 40) * step if step in (5, 10) else rng.randint(0, 200)
    # Counting down starts high enough that it never goes below zero.
    first = base + step * (length - 1) if down else base
    values = [first - step * i if down else first + step * i for i in range(length)]
    templates = {
        (False, False): ("Count from {a} to {b}.", "List the numbers from {a} to {b}.",
                         "Write the integers from {a} through {b}, separated by commas.",
                         "Count up from {a} to {b}."),
        (False, True): ("Count from {a} to {b} by {step}s.",
                        "List the numbers from {a} to {b} in steps of {step}.",
                        "Skip-count by {step}s from {a} to {b}.",
                        "Count up from {a} to {b}, going up by {step} each time."),
        (True, False): ("Count down from {a} to {b}.", "List the numbers from {a} down to {b}.",
                        "Count backwards from {a} to {b}."),
        (True, True): ("Count down from {a} to {b} by {step}s.",
                       "List the numbers from {a} down to {b} in steps of {step}.",
                       "Count backwards from {a} to {b}, going down by {step} each time."),
    }[(down, step > 1)]
    prompt = rng.choice(templates).format(a=values[0], b=values[-1], step=step)
    return prompt, _join(values)


FIELDS: dict[str, Callable[[random.Random, Words], str | int]] = {
    "name": lambda rng, words: rng.choice(NAMES),
    "age": lambda rng, words: rng.randint(18, 90),
    "city": lambda rng, words: rng.choice(CITIES),
    "color": lambda rng, words: rng.choice(COLORS),
    "pet": lambda rng, words: rng.choice(ANIMALS),
    "year": lambda rng, words: rng.randint(1900, 2024),
    "score": lambda rng, words: rng.randint(0, 100),
    "word": lambda rng, words: rng.choice(words),
    "id": lambda rng, words: rng.randint(1000, 9999),
}


def _json(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    keys = rng.sample(list(FIELDS), rng.randint(2, 5))
    record = {key: FIELDS[key](rng, words) for key in keys}
    pairs = list(record.items())
    style = rng.randrange(4)
    if style == 0:
        prompt = f"Make a JSON object with {_join(f'{k} = {v}' for k, v in pairs)}."
    elif style == 1:
        prompt = f"Create a JSON object from these fields: {'; '.join(f'{k}: {v}' for k, v in pairs)}."
    elif style == 2:
        lines = "\n".join(f"{k} = {v}" for k, v in pairs)
        prompt = f"Write JSON with the following keys and values.\n{lines}"
    else:
        said = [f"{k} is {v}" for k, v in pairs]
        prompt = f"Return a JSON object where {', '.join(said[:-1])} and {said[-1]}."
    return prompt, json.dumps(record)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = [columns, ["---"] * len(columns), *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def _table(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    columns = rng.sample(list(FIELDS), rng.randint(2, 3))
    rows = [[FIELDS[column](rng, words) for column in columns] for _ in range(rng.randint(2, 4))]
    header = _join(columns)
    style = rng.randrange(4)
    if style == 0:
        records = "; ".join(_join(row) for row in rows)
        prompt = f"Make a markdown table with columns {header} from these records: {records}."
    elif style == 1:
        prompt = f"Create a markdown table.\nColumns: {header}\n" + "\n".join(_join(r) for r in rows)
    elif style == 2:
        prompt = "Put these records in a markdown table:\n" + "\n".join(
            _join(f"{c}={v}" for c, v in zip(columns, row)) for row in rows)
    else:
        prompt = f"Format the following as a markdown table with the header {header}:\n" + "\n".join(
            f"- {_join(row)}" for row in rows)
    return prompt, markdown_table(columns, rows)


def _short_list(rng: random.Random, words: Words, kinds: Sequence[str]) -> tuple[str, list]:
    kind = rng.choice(kinds)
    size = rng.randint(4, 8)
    if kind == "words":
        return kind, rng.sample(list(words), size)
    if kind == "numbers":
        return kind, rng.sample(range(1000), size)
    return kind, rng.sample("ABCDEFGHIJKLMNOPQRSTUVWXYZ", size)


def _sort(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    kind, items = _short_list(rng, words, ("words", "numbers"))
    descending = rng.random() < 0.4
    templates = {
        ("words", False): ("Sort these words alphabetically: {items}.",
                           "Put these words in alphabetical order: {items}.",
                           "Arrange in A-Z order: {items}."),
        ("words", True): ("Sort these words in reverse alphabetical order: {items}.",
                          "Put these words in Z-A order: {items}.",
                          "Arrange these words from Z to A: {items}."),
        ("numbers", False): ("Sort these numbers from smallest to largest: {items}.",
                             "Put these numbers in ascending order: {items}.",
                             "Arrange in increasing order: {items}."),
        ("numbers", True): ("Sort these numbers from largest to smallest: {items}.",
                            "Put these numbers in descending order: {items}.",
                            "Arrange in decreasing order: {items}."),
    }[(kind, descending)]
    prompt = rng.choice(templates).format(items=_join(items))
    return prompt, _join(sorted(items, reverse=descending))


def _reverse(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    _, items = _short_list(rng, words, ("words", "numbers", "letters"))
    template = rng.choice((
        "Reverse this list: {items}.",
        "Write these items in reverse order: {items}.",
        "Reverse the order of: {items}.",
        "Give this sequence backwards: {items}.",
    ))
    return template.format(items=_join(items)), _join(reversed(items))


def _digit(number: int, place: int) -> int:
    return number // 10 ** place % 10


def addition_steps(a: int, b: int) -> list[str]:
    """Column addition, ones first: one line per column with its carry."""
    lines, carry = [], 0
    for place in range(len(str(max(a, b)))):
        x, y = _digit(a, place), _digit(b, place)
        total = x + y + carry
        line = f"{PLACES[place]}: {x} + {y}{' + 1' if carry else ''} = {total}, write {total % 10}"
        carry = total // 10
        lines.append(line + (", carry 1" if carry else ""))
    if carry:
        lines.append(f"{PLACES[len(str(max(a, b)))]}: write 1")
    return lines + [f"Answer: {a + b}"]


def subtraction_steps(a: int, b: int) -> list[str]:
    """Column subtraction of b <= a, ones first: a column that would go negative borrows 10."""
    lines, borrow = [], 0
    for place in range(len(str(a))):
        x, y = _digit(a, place), _digit(b, place)
        minus_borrow = " - 1" if borrow else ""
        value = x - y - borrow
        if value < 0:
            lines.append(f"{PLACES[place]}: {x + 10} - {y}{minus_borrow} = {value + 10}, borrow 1")
            borrow = 1
        else:
            lines.append(f"{PLACES[place]}: {x} - {y}{minus_borrow} = {value}")
            borrow = 0
    return lines + [f"Answer: {a - b}"]


def _place_parts(number: int) -> list[int]:
    """347 -> [300, 40, 7]: the nonzero place values, highest first."""
    digits = str(number)
    return [int(d) * 10 ** (len(digits) - 1 - i) for i, d in enumerate(digits) if d != "0"]


def multiplication_steps(a: int, b: int) -> list[str]:
    """Split the multi-digit factor into place values, multiply each, add the parts."""
    if b < 10:
        products = [(part, b) for part in _place_parts(a)]
    else:
        products = [(a, part) for part in _place_parts(b)]
    lines = [f"{x} x {y} = {x * y}" for x, y in products]
    if len(products) > 1:
        lines.append(" + ".join(str(x * y) for x, y in products) + f" = {a * b}")
    return lines + [f"Answer: {a * b}"]


def _operand(rng: random.Random, digit_counts: Sequence[int]) -> int:
    digits = rng.choice(digit_counts)
    return rng.randint(10 ** (digits - 1), 10 ** digits - 1)


def _arithmetic(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    op = rng.choice("+-x")
    if op == "x":
        a, b = _operand(rng, (2, 3)), _operand(rng, (1, 2))
        b = max(b, 2)
        steps = multiplication_steps(a, b)
    else:
        a, b = _operand(rng, (2, 3)), _operand(rng, (2, 3))
        if op == "-":
            a, b = max(a, b), min(a, b)
        steps = addition_steps(a, b) if op == "+" else subtraction_steps(a, b)
    spoken = {"+": "plus", "-": "minus", "x": "times"}[op]
    template = rng.choice((
        "What is {a} {op} {b}? Show your working.",
        "Calculate {a} {op} {b} step by step.",
        "Work out {a} {spoken} {b}, showing each step.",
        "Compute {a} {op} {b}. Show the steps.",
    ))
    return template.format(a=a, b=b, op=op, spoken=spoken), "\n".join(steps)


def _spell(rng: random.Random, words: Words, passages: Passages) -> tuple[str, str]:
    word = rng.choice(words)
    template = rng.choice((
        "Spell '{w}'.",
        "Spell the word {w} letter by letter.",
        'How do you spell "{w}"? Write it with hyphens between the letters.',
        "Write out the letters of '{w}', separated by hyphens.",
    ))
    return template.format(w=word), "-".join(word)


_GENERATORS = {
    "copy": _copy, "count": _count, "json": _json, "table": _table, "sort": _sort,
    "reverse": _reverse, "arithmetic": _arithmetic, "spell": _spell, "continue": _continue,
}


def _text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def split_of(example: Example) -> Split:
    """The split an example belongs to, by a hash of its answer: a synthetic answer is a
    function of its prompt, so no held-out answer (and no held-out prompt) is ever trained
    on. `continue` is keyed by its prompt instead, since one paragraph opening may go on
    differently in different documents; its text comes from held-out documents anyway."""
    key = example.prompt if example.family == "continue" else example.response
    return "heldout" if _text_hash(key)[0] % HELDOUT_BUCKETS == 0 else "train"


def generate(family: str, rng: random.Random, words: Words, passages: Passages) -> Example:
    """One example of `family`; copy and continue draw their text from `passages`."""
    make = _GENERATORS[family]
    while True:
        prompt, response = make(rng, words, passages)
        if len(prompt) + len(response) <= MAX_EXAMPLE_CHARS:
            return Example(family, prompt, response, f"{family}:{_text_hash(prompt).hex()[:12]}")


def make_split(
    n_per_family: dict[str, int] | int,
    seed: int,
    split: Split,
    words: Words,
    passages: Passages,
) -> list[Example]:
    """Distinct examples (by prompt) that belong to `split`, grouped by family in FAMILIES order."""
    counts = dict.fromkeys(FAMILIES, n_per_family) if isinstance(n_per_family, int) else n_per_family
    unknown = set(counts) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown task families {sorted(unknown)}; known: {', '.join(FAMILIES)}")
    examples = []
    for family in FAMILIES:
        wanted = counts.get(family, 0)
        # One stream per family, so changing one family's count leaves the others unchanged.
        rng = random.Random(f"{seed}/{split}/{family}")
        prompts: set[str] = set()
        for _ in range(50 * wanted + 1000):
            if len(prompts) == wanted:
                break
            example = generate(family, rng, words, passages)
            if split_of(example) == split and example.prompt not in prompts:
                prompts.add(example.prompt)
                examples.append(example)
        if len(prompts) < wanted:
            raise ValueError(f"only {len(prompts)} distinct {split} '{family}' prompts found, "
                             f"{wanted} wanted: give more words or passages")
    return examples


def exact_match(example: Example, output_text: str) -> bool:
    return output_text.strip() == example.response.strip()


def family_of(example_id: str) -> str:
    family = example_id.split(":", 1)[0]
    if family not in FAMILIES:
        raise ValueError(f"{example_id!r} is not a task example id")
    return family
