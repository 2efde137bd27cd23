"""Synthetic repeated spans: every scored target is the token seen one span earlier."""
import torch

from hamburger.objective import IGNORE
from hamburger.repeats import SPAN_LENGTHS, repeated_spans


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
