"""The reference decoder's position convention: `tokens_so_far` puts each fed-back group one
position above its last token, and the rest of the run follows from that."""
import json

import pytest

from conftest import SHIPPED
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs
from hamburger.position_conventions import first_divergent_step


def test_tokens_so_far_shifts_every_group_entry_by_one(shipped):
    h, _, _, man = shipped
    g = json.loads((SHIPPED / "golden" / "sort-hamburger.json").read_text())
    args = (hamburger_graphs(h), h.cfg, g["prompt_ids"], man["tokens"]["eos_id"], g["confidence"], g["max_new_tokens"])
    trained = generate_hamburger(*args)
    shifted = generate_hamburger(*args, position_convention="tokens_so_far")
    assert [s.token_ids for s in trained.steps] == [s["token_ids"] for s in g["steps"]]
    parts = first_divergent_step(trained, shifted)
    assert parts is not None and parts >= 1
    # Step 0 is the prompt at 0..n-1 under both; up to where they part each group sits one higher.
    assert shifted.steps[0].position_id == trained.steps[0].position_id == len(g["prompt_ids"]) - 1
    for s in range(1, parts + 1):
        assert shifted.steps[s].position_id == trained.steps[s].position_id + 1


def test_an_unknown_convention_is_refused(shipped):
    h, _, _, man = shipped
    with pytest.raises(ValueError, match="position_convention must be one of last_token, tokens_so_far, got 'next'"):
        generate_hamburger(hamburger_graphs(h), h.cfg, [1, 2, 3], man["tokens"]["eos_id"], position_convention="next")
