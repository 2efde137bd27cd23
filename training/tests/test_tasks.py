import json
import random
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from hamburger.corpus import Document, brown_dir, passages, read_brown, split_documents
from hamburger.tasks import (
    FAMILIES,
    MAX_EXAMPLE_CHARS,
    Example,
    addition_steps,
    common_words,
    exact_match,
    family_of,
    generate,
    make_split,
    markdown_table,
    multiplication_steps,
    split_of,
    subtraction_steps,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = 7
CONTINUE_INSTRUCTIONS = (
    "Continue this passage:\n",
    "Write the next sentence of this text.\n\n",
    "Here is the beginning of a paragraph. Continue it.\n",
    "What comes next? ",
)


@pytest.fixture(scope="module")
def corpus():
    docs = read_brown(brown_dir(REPO_ROOT))
    train_docs, heldout_docs = split_documents(docs, "train"), split_documents(docs, "heldout")
    return {
        "words": common_words(train_docs, 1500),
        "train": passages(train_docs),
        "heldout": passages(heldout_docs),
        "train_text": "\n".join(p for d in train_docs for p in d.paragraphs),
        "heldout_text": "\n".join(p for d in heldout_docs for p in d.paragraphs),
    }


@pytest.fixture(scope="module")
def train(corpus):
    return make_split(60, SEED, "train", corpus["words"], corpus["train"])


@pytest.fixture(scope="module")
def heldout(corpus):
    return make_split(30, SEED, "heldout", corpus["words"], corpus["heldout"])


def of_family(examples, family):
    return [e for e in examples if e.family == family]


def listed_items(prompt: str) -> list[str]:
    """The comma-separated list after the instruction's colon, without the final period."""
    return prompt.split(": ", 1)[1].removesuffix(".").split(", ")


def evaluate(expression: str) -> int:
    """Left-to-right value of '12 - 7 - 1', '790 x 10' or '7 + 5 + 1'."""
    tokens = expression.split()
    value = int(tokens[0])
    for op, number in zip(tokens[1::2], map(int, tokens[2::2])):
        value = {"+": value + number, "-": value - number, "x": value * number}[op]
    return value


def test_same_seed_gives_identical_bytes(corpus, train):
    again = make_split(60, SEED, "train", corpus["words"], corpus["train"])
    encode = lambda examples: json.dumps([asdict(e) for e in examples]).encode()
    assert encode(again) == encode(train)
    other = make_split(60, SEED + 1, "train", corpus["words"], corpus["train"])
    assert len({e.prompt for e in other} & {e.prompt for e in train}) < len(train) // 4


def test_counts_ids_and_families(corpus, train, heldout):
    assert [e.family for e in train] == [f for f in FAMILIES for _ in range(60)]
    assert len(heldout) == 30 * len(FAMILIES)
    ids = [e.id for e in train + heldout]
    assert len(set(ids)) == len(ids)
    assert all(family_of(e.id) == e.family for e in train + heldout)
    partial = make_split({"spell": 3, "json": 2}, SEED, "train", corpus["words"], corpus["train"])
    assert [e.family for e in partial] == ["json", "json", "spell", "spell", "spell"]
    # A family's stream does not depend on the other families' counts.
    assert partial[2:] == of_family(train, "spell")[:3]
    with pytest.raises(ValueError, match="unknown task families"):
        make_split({"poetry": 1}, SEED, "train", corpus["words"], corpus["train"])


def test_train_and_heldout_are_disjoint(corpus, train, heldout):
    assert not {e.prompt for e in train} & {e.prompt for e in heldout}
    assert not {e.response for e in train} & {e.response for e in heldout}
    assert all(split_of(e) == "train" for e in train)
    assert all(split_of(e) == "heldout" for e in heldout)
    # Keyed by answer: the held-out spelling words are never spelled in training.
    big_train = make_split({"spell": 1000}, SEED, "train", corpus["words"], corpus["train"])
    assert not {e.response for e in big_train} & {e.response for e in of_family(heldout, "spell")}
    # Held-out passages come from held-out documents only.
    for example in of_family(heldout, "copy") + of_family(heldout, "continue"):
        assert example.response in corpus["heldout_text"]
        assert example.response not in corpus["train_text"]


def test_size_limits(corpus, train, heldout):
    examples = train + heldout
    assert max(len(e.prompt) + len(e.response) for e in examples) <= MAX_EXAMPLE_CHARS
    assert max(len(e.response) for e in examples) <= 300
    mostly = [10 <= len(e.response) <= 150 for e in examples]
    assert sum(mostly) / len(mostly) > 0.75
    rng = random.Random(0)
    for family in FAMILIES:
        for _ in range(100):
            e = generate(family, rng, corpus["words"], corpus["train"])
            assert len(e.prompt) + len(e.response) <= MAX_EXAMPLE_CHARS


def test_prompts_vary_in_wording(train):
    for family in FAMILIES:
        openings = {e.prompt.split()[0] + " " + e.prompt.split()[1] for e in of_family(train, family)}
        assert len(openings) >= 3, (family, openings)


def test_copy_repeats_a_real_passage(corpus, train):
    for e in of_family(train, "copy"):
        assert e.prompt.endswith(e.response)
        assert 8 <= len(e.response.split()) <= 40
        assert e.response in corpus["train_text"]


def test_continue_gives_the_next_sentences_of_a_paragraph(corpus, train):
    paragraphs = [" ".join(sentences) for sentences in corpus["train"]]
    for e in of_family(train, "continue"):
        [instruction] = [i for i in CONTINUE_INSTRUCTIONS if e.prompt.startswith(i)]
        start = e.prompt[len(instruction):]
        assert any(p.startswith(start + " " + e.response) for p in paragraphs), e


def test_count(train):
    for e in of_family(train, "count"):
        first, last = map(int, re.search(r"from (\d+) (?:up |down )?(?:to|through) (\d+)", e.prompt).groups())
        step_named = re.search(r"by (\d+)|steps of (\d+)", e.prompt)
        step = int("".join(step_named.groups(""))) if step_named else 1
        down = " down " in e.prompt or "backwards" in e.prompt
        values = [int(v) for v in e.response.split(", ")]
        assert values == list(range(first, last + (-1 if down else 1), -step if down else step))
        assert 5 <= len(values) <= 20 and min(values) >= 0


def test_json_holds_exactly_the_given_fields(train):
    for e in of_family(train, "json"):
        pairs = re.findall(r"\b(name|age|city|color|pet|year|score|word|id)(?: = |: | is )(\w+)", e.prompt)
        expected = {key: int(value) if value.isdigit() else value for key, value in pairs}
        parsed = json.loads(e.response)
        assert parsed == expected and list(parsed) == [key for key, _ in pairs]
        assert 2 <= len(parsed) <= 5
        assert e.response == "{" + ", ".join(f'"{k}": ' + (str(v) if isinstance(v, int) else f'"{v}"')
                                             for k, v in parsed.items()) + "}"


def test_table_lists_every_record_in_order(train):
    for e in of_family(train, "table"):
        lines = e.response.split("\n")
        cells = [line.removeprefix("| ").removesuffix(" |").split(" | ") for line in lines]
        header, separator, rows = cells[0], cells[1], cells[2:]
        assert separator == ["---"] * len(header) and 2 <= len(rows) <= 4
        assert all(len(row) == len(header) for row in rows)
        assert all(column in e.prompt for column in header)
        position = 0
        for row in rows:
            plain = ", ".join(row)
            keyed = ", ".join(f"{c}={v}" for c, v in zip(header, row))
            found = max(e.prompt.find(plain, position), e.prompt.find(keyed, position))
            assert found >= position, (e.prompt, row)
            position = found + 1


def test_sort(train):
    descending_words = ("reverse alphabetical", "Z-A", "Z to A", "largest to smallest",
                        "descending", "decreasing")
    for e in of_family(train, "sort"):
        items = listed_items(e.prompt)
        numeric = all(item.isdigit() for item in items)
        descending = any(word in e.prompt for word in descending_words)
        expected = sorted(items, key=int if numeric else None, reverse=descending)
        assert e.response.split(", ") == expected
        assert 4 <= len(items) <= 8


def test_reverse(train):
    for e in of_family(train, "reverse"):
        items = listed_items(e.prompt)
        assert e.response.split(", ") == items[::-1] and len(items) >= 4


def test_spell(train):
    for e in of_family(train, "spell"):
        named = re.search(r"['\"](\w+)['\"]|word (\w+) letter", e.prompt)
        word = named.group(1) or named.group(2)
        letters = e.response.split("-")
        assert "".join(letters) == word and all(len(letter) == 1 for letter in letters)


def test_arithmetic_working_is_consistent(train):
    for e in of_family(train, "arithmetic"):
        a, op, b = re.search(r"(\d+) (\+|-|x|plus|minus|times) (\d+)", e.prompt).groups()
        a, b = int(a), int(b)
        answer = {"+": a + b, "plus": a + b, "-": a - b, "minus": a - b, "x": a * b, "times": a * b}[op]
        lines = e.response.split("\n")
        assert lines[-1] == f"Answer: {answer}" and answer >= 0
        for line in lines[:-1]:
            for expression, result in re.findall(r"([\d+x -]+) = (\d+)", line.split(": ")[-1]):
                assert evaluate(expression) == int(result), line


def test_column_steps_exact():
    assert addition_steps(347, 285) == [
        "ones: 7 + 5 = 12, write 2, carry 1",
        "tens: 4 + 8 + 1 = 13, write 3, carry 1",
        "hundreds: 3 + 2 + 1 = 6, write 6",
        "Answer: 632",
    ]
    assert addition_steps(950, 87) == [
        "ones: 0 + 7 = 7, write 7",
        "tens: 5 + 8 = 13, write 3, carry 1",
        "hundreds: 9 + 0 + 1 = 10, write 0, carry 1",
        "thousands: write 1",
        "Answer: 1037",
    ]
    assert subtraction_steps(652, 387) == [
        "ones: 12 - 7 = 5, borrow 1",
        "tens: 15 - 8 - 1 = 6, borrow 1",
        "hundreds: 6 - 3 - 1 = 2",
        "Answer: 265",
    ]
    assert multiplication_steps(347, 6) == [
        "300 x 6 = 1800", "40 x 6 = 240", "7 x 6 = 42", "1800 + 240 + 42 = 2082", "Answer: 2082",
    ]
    assert multiplication_steps(47, 30) == ["47 x 30 = 1410", "Answer: 1410"]


def test_column_digits_spell_the_answer():
    rng = random.Random(1)
    for _ in range(300):
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        written = [int(d) for d in re.findall(r"write (\d)", "\n".join(addition_steps(a, b)))]
        assert int("".join(map(str, written[::-1]))) == a + b
        high, low = max(a, b), min(a, b)
        digits = [line.split(" = ")[1].split(",")[0] for line in subtraction_steps(high, low)[:-1]]
        assert int("".join(digits[::-1])) == high - low


def test_markdown_table_format():
    assert markdown_table(["name", "age"], [["Alice", 31], ["Bob", 4]]) == (
        "| name | age |\n| --- | --- |\n| Alice | 31 |\n| Bob | 4 |"
    )


def test_common_words_counts_lowercase_alphabetic_words():
    doc = Document("ca01", "ca", ['The cat saw "the cat." Cats nap; the dog-house, an ox, x1y.',
                                  "dog dog zebra's extraordinarily"], [])
    assert common_words([doc], 3) == ["cat", "dog", "the"]
    assert common_words([doc], 10) == ["cat", "dog", "the", "nap", "saw"]


def test_exact_match_and_family_of():
    example = Example("spell", "Spell 'cat'.", "c-a-t", "spell:0123456789ab")
    assert exact_match(example, "  c-a-t\n")
    assert not exact_match(example, "c-a-t.")
    assert not exact_match(example, "C-A-T")
    assert family_of("continue:abc") == "continue"
    with pytest.raises(ValueError):
        family_of("poetry:abc")
