"""The free-text figures of evaluate.py: the baseline's likelihood of a continuation."""
import math

import pytest

from hamburger.chat import render_prompt
from hamburger.decode import generate_baseline
from hamburger.evaluate import markdown_table, output_nll
from hamburger.graphs import baseline_graphs
from hamburger.package import baseline_config

PROMPT = "Continue this passage:\nThe river rose all night, and by morning the low fields were under water."


def test_output_nll_of_the_baselines_own_greedy_output_matches_its_trace(shipped):
    # The decoder's per-step probabilities come from the cached graphs; output_nll from one
    # full forward of the torch model: two independent paths to the same numbers.
    h, baseline, tok, man = shipped
    ids = tok.encode(render_prompt(PROMPT))
    trace = generate_baseline(baseline_graphs(baseline), baseline_config(h.cfg), ids, man["tokens"]["eos_id"], 24)
    expected = -sum(math.log(s.micro[0].prob) for s in trace.steps)
    assert output_nll(baseline, ids, trace.output_ids) == pytest.approx(expected, rel=1e-4)


def test_markdown_table_reports_free_text_perplexities():
    row = {"family": "continue", "n": 2, "baseline_accuracy": 0.0, "hamburger_accuracy@0.9": 0.0,
           "tokens_per_step@0.9": 1.25, "kv_per_token@0.9": 0.8}
    report = {"confidences": [0.9], "families": [row], "overall": {**row, "family": "overall"},
              "free_text": {"family": "continue", "n": 2, "baseline_ppl_of_baseline": 3.5,
                            "baseline_ppl_of_hamburger@0.9": 4.25, "tokens_per_step@0.9": 1.25}}
    text = markdown_table(report)
    assert "| continue | 2 | 0.0% | 0.0% | 1.25 | 0.80 |" in text
    assert "own greedy continuation 3.50; of HAMburger's @0.9: 4.25 (1.25 tokens/step)" in text


def test_the_answer_budget_is_raised_only_for_answers_longer_than_the_default():
    from hamburger.evaluate import EVAL_MAX_NEW_TOKENS, answer_budget
    from hamburger.tokenizer import ByteLevelBPE
    assert EVAL_MAX_NEW_TOKENS == 192
    tok = ByteLevelBPE([])                                  # no merges: one id per byte
    assert answer_budget(tok, "Answer: 356") == 192
    assert answer_budget(tok, "x" * 271) == 272
