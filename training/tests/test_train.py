"""Batch drawing of the SFT-style stages (train.py)."""
import random

from hamburger.data import SftExample
from hamburger.train import _sft_sampler


def _examples(n, seed=0):
    rng = random.Random(seed)
    return [SftExample(f"e{i}", "copy", [1] * rng.randint(1, 60), [2] * rng.randint(1, 60)) for i in range(n)]


def _length(e):
    return len(e.prompt_ids) + len(e.response_ids)


def _padded(batches):
    return sum(len(b) * max(_length(e) for e in b) for b in batches)


def test_random_batches_are_the_epoch_s_shuffled_order():
    examples = _examples(96)
    sample = _sft_sampler(examples, 8, seed=3)
    order = list(range(96))
    random.Random(3).shuffle(order)
    assert [e.id for e in sample(2)] == [f"e{i}" for i in order[16:24]]
    assert [e.id for e in sample(12)] != [e.id for e in sample(0)]          # epoch 1 reshuffles


def test_length_groups_draw_every_example_once_an_epoch_in_batches_of_like_length():
    examples = _examples(96)
    grouped = _sft_sampler(examples, 8, seed=3, length_groups=4)
    plain = _sft_sampler(examples, 8, seed=3)
    epoch = [grouped(step) for step in range(12)]
    assert sorted(e.id for b in epoch for e in b) == sorted(e.id for e in examples)
    assert all(len(b) == 8 for b in epoch)
    # Each batch is a contiguous slice of its sorted run of 32: its lengths do not interleave
    # with another batch's of the same run.
    for run in range(3):
        spans = sorted((min(map(_length, b)), max(map(_length, b))) for b in epoch[4 * run:4 * run + 4])
        assert all(hi <= lo for (_, hi), (lo, _) in zip(spans, spans[1:]))
    assert _padded(epoch) < 0.8 * _padded([plain(step) for step in range(12)])
    # Within a batch the rows are not sorted (the hamburger stage treats its first rows apart).
    assert any([_length(e) for e in b] != sorted(map(_length, b)) for b in epoch)


def test_length_grouped_batches_are_a_pure_function_of_the_step():
    examples = _examples(100)
    a = _sft_sampler(examples, 8, seed=1, length_groups=4)
    b = _sft_sampler(examples, 8, seed=1, length_groups=4)
    assert [e.id for e in a(17)] == [e.id for e in b(17)]
    assert [e.id for e in a(5)] == [e.id for e in b(5)]
    assert [e.id for e in a(5)] != [e.id for e in a(6)]
    # The epoch's tail (100 = 12 batches + 4) still yields a batch.
    assert 1 <= len(a(12)) <= 8
