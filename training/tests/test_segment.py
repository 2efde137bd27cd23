import math

import pytest

from hamburger.segment import confident_entropy, decreasing_v2, sliding, small_group

V = 2048


def test_confident_entropy_matches_definition():
    c = 0.7
    rest = (1 - c) / (V - 1)
    expected = -(c * math.log(c) + (V - 1) * rest * math.log(rest))
    assert confident_entropy(c, V) == pytest.approx(expected)
    assert confident_entropy(0.95, V) < confident_entropy(0.7, V)


@pytest.mark.parametrize("entropies,expected", [
    # hard first token, easy followers, capped at max_steps = 4
    ([2.0, 0.1, 0.2, 0.01, 0.01, 3.0], [4, 1, 1]),
    # 0.7 is not below 0.3 x 2.0 = 0.6: new group; 0.1 < 0.3 x 0.7
    ([2.0, 0.7, 0.1], [1, 2]),
    # below the 0.05 floor always extends (up to max_steps)
    ([0.0, 0.04, 0.04, 0.04, 0.04], [4, 1]),
    # both followers are below 0.3 x the group's peak 2.0
    ([2.0, 0.5, 0.59], [3]),
    ([1.0, 1.0, 1.0], [1, 1, 1]),
    ([], []),
])
def test_decreasing_v2(entropies, expected):
    assert decreasing_v2(entropies, 4, V) == expected


def test_sliding_extends_below_the_07_confidence_entropy():
    lim = confident_entropy(0.7, V)
    e = [5.0, lim - 0.01, lim - 0.01, lim + 0.01, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert sliding(e, 4, V) == [3, 4, 2]


def test_small_group_isolates_hard_tokens_and_packs_the_rest():
    lim = confident_entropy(0.95, V)
    hard, easy = lim + 1.0, lim / 2
    e = [hard, easy, easy, hard, easy, easy, easy, easy, easy, hard]
    assert small_group(e, 4, V) == [1, 2, 1, 4, 1, 1]


@pytest.mark.parametrize("fn", [decreasing_v2, sliding, small_group])
def test_groups_cover_the_response_within_max_steps(fn):
    import random
    rng = random.Random(7)
    for _ in range(50):
        e = [rng.choice([0.0, 0.01, 0.3, 1.5, 4.0]) for _ in range(rng.randint(1, 40))]
        g = fn(e, 3, V)
        assert sum(g) == len(e) and all(1 <= k <= 3 for k in g)
