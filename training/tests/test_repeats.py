"""Synthetic repeated spans: every scored target is the token seen one span earlier."""
import random

import torch

from conftest import SHIPPED
from hamburger.chat import render_prompt
from hamburger.objective import IGNORE
from hamburger.repeats import SPAN_LENGTHS, copy_wrappers, repeated_copy, repeated_spans
from hamburger.tasks import COPY_TEMPLATES
from hamburger.tokenizer import ByteLevelBPE


def test_scored_targets_repeat_the_first_occurrence():
    torch.manual_seed(3)
    inputs, targets = repeated_spans(4, 256, 5, 2048)
    assert inputs.shape == targets.shape == (4, 256)
    assert int(inputs.min()) >= 5 and int(inputs.max()) < 2048
    for row_in, row_t in zip(inputs.tolist(), targets.tolist()):
        scored = [j for j, t in enumerate(row_t) if t != IGNORE]
        assert len(scored) > 256 // 3          # nearly half the row, minus span starts and the cut
        # Each scored target is the next input token, and equals the token one span back.
        for j in scored[:-1] if scored[-1] == 255 else scored:
            assert row_t[j] == row_in[j + 1]
            assert any(row_in[j + 1 - n] == row_t[j] and row_in[j - n] == row_in[j]
                       for n in range(SPAN_LENGTHS[0], SPAN_LENGTHS[1] + 1) if j - n >= 0)

def test_the_first_token_of_a_repeat_is_not_scored():
    torch.manual_seed(0)
    inputs, targets = repeated_spans(1, 40, 5, 2048)
    row_in, row_t = inputs[0].tolist(), targets[0].tolist()
    n = next(k for k in range(SPAN_LENGTHS[0], 21) if row_in[k] == row_in[0] and row_in[k + 1] == row_in[1])
    assert row_t[n - 1] == IGNORE                  # predicting the repeat's first token: unknowable
    assert row_t[n] == row_in[n + 1] == row_in[1]  # and from there on, copied
    assert all(t == IGNORE for t in row_t[:n - 1])


def test_a_repeated_copy_writes_its_prompt_span_back_in_groups_of_max_steps():
    example, groups = repeated_copy(random.Random(7), 5, 2048, 4)
    bos, user, eos, assistant = 1, 3, 2, 4
    span = example.prompt_ids[2:-1]
    assert example.prompt_ids[:2] == [bos, user] and example.prompt_ids[-1] == assistant
    assert SPAN_LENGTHS[0] <= len(span) <= SPAN_LENGTHS[1] and all(5 <= t < 2048 for t in span)
    assert example.response_ids == span + [eos]
    n = len(example.response_ids)
    assert sum(groups) == n and groups[:-1] == [4] * (len(groups) - 1) and 1 <= groups[-1] <= 4
    # Seeded: the same rng state draws the same row (a resumed stage draws its rows again).
    again, _ = repeated_copy(random.Random(7), 5, 2048, 4)
    assert again.prompt_ids == example.prompt_ids
    assert repeated_copy(random.Random(8), 5, 2048, 4)[0].prompt_ids != example.prompt_ids


def test_a_repeated_copy_of_text_copies_a_window_without_special_tokens():
    text = torch.arange(5, 1005)                          # ids 5..1004, so a window is a run of consecutive ids
    text[::50] = 2                                         # an <|eos|> every 50 tokens, as between chat-formatted tasks
    example, groups = repeated_copy(random.Random(7), 5, 2048, 4, text)
    span = example.prompt_ids[2:-1]
    assert SPAN_LENGTHS[0] <= len(span) <= SPAN_LENGTHS[1]
    assert span == list(range(span[0], span[0] + len(span))) and 2 not in span
    assert example.response_ids == span + [2] and sum(groups) == len(span) + 1
    assert repeated_copy(random.Random(7), 5, 2048, 4, text)[0].prompt_ids == example.prompt_ids
    # Nothing but special tokens: random ids instead of a window that would put <|eos|> in the answer.
    fallback, _ = repeated_copy(random.Random(7), 5, 2048, 4, torch.full((1000,), 2))
    assert all(5 <= t < 2048 for t in fallback.prompt_ids[2:-1])


def test_a_repeated_copy_span_reaches_max_len():
    rng = random.Random(3)
    lengths = {len(repeated_copy(rng, 5, 2048, 4, max_len=128)[0].response_ids) - 1 for _ in range(400)}
    assert min(lengths) >= SPAN_LENGTHS[0] and max(lengths) == 128 and max(lengths) > SPAN_LENGTHS[1]


def test_a_shuffled_copy_of_text_holds_a_window_s_tokens_in_another_order():
    text = torch.arange(5, 1005)
    example, _ = repeated_copy(random.Random(7), 5, 2048, 4, text, shuffle=True)
    span = example.prompt_ids[2:-1]
    assert sorted(span) == list(range(min(span), min(span) + len(span)))   # one window, every token once
    assert span != sorted(span)
    assert example.response_ids == span + [2]


def test_copy_wrappers_are_the_copy_family_s_prompts_around_the_span():
    tok = ByteLevelBPE.load(SHIPPED / "tokenizer.json")
    wrappers = copy_wrappers(tok)
    assert len(wrappers) == len(COPY_TEMPLATES)
    text = "Dr. Isaacs was so pleased with the quality of her study"
    span = tok.encode(text)
    # Wrapped ids decode to the prompt the copy family renders for the same passage, less the
    # space before it: copy_wrappers leaves that space to the span's first token.
    rendered = {tok.decode(before + span + after) for before, after in wrappers}
    assert rendered == {render_prompt(t.format(text=text)).replace(": Dr", ":Dr") for t in COPY_TEMPLATES}
    example, groups = repeated_copy(random.Random(5), 5, 2048, 4, wrappers=wrappers)
    before, after = next((b, a) for b, a in wrappers if example.prompt_ids[:len(b)] == b
                         and example.prompt_ids[-len(a):] == a)
    assert example.response_ids == example.prompt_ids[len(before):-len(after)] + [2]
    assert sum(groups) == len(example.response_ids)
