"""evaluate.py: the free-text figures (the baseline's likelihood of a continuation), the answer
budget, and a baseline-stage checkpoint judged in place of the package's baseline."""
import json
import math

import pytest
import torch
from conftest import SHIPPED

from hamburger.chat import render_prompt
from hamburger.decode import generate_baseline
from hamburger.evaluate import evaluate_package, markdown_table, output_nll
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


def _checkpoint_of(last: dict, average: dict, step: int) -> dict:
    floats = {n: t.clone() for n, t in average.items() if t.is_floating_point()}
    return {"model": {n: t.clone() for n, t in last.items()}, "ema": floats, "step": step,
            "stage_config": {"ema_decay": 0.999}, "ema_since": step - 100}


def test_a_baseline_checkpoint_stands_in_for_the_packages_baseline(shipped, tmp_path):
    # The checkpoint's average holds the shipped baseline, its last weights HAMburger's LLM:
    # judged by its average it must score what the exporter's Python reference scored; by its
    # last weights, what HAMburger scores at 1.0 (one token per step: its LLM decoding alone).
    h, baseline, _, _ = shipped
    path = tmp_path / "checkpoint.pt"
    torch.save(_checkpoint_of(h.model.state_dict(), baseline.state_dict(), 9100), path)

    averaged = evaluate_package(SHIPPED, [], 2, path, "ema")
    assert averaged["baseline"] == {"checkpoint": str(path), "step": 9100, "weights": "ema",
                                    "ema_decay": 0.999, "ema_since": 9000}
    reference = json.loads((SHIPPED / "eval" / "reference.json").read_text())
    assert {f["family"]: f["baseline_accuracy"] for f in averaged["families"]} == \
        {f["family"]: f["baseline_accuracy"] for f in reference["families"]}
    assert "hamburger_accuracy@0.9" not in averaged["overall"]
    table = markdown_table(averaged)
    assert table.startswith(f"Baseline: {path} at step 9100, its ema weights.")
    assert table.endswith(f"own greedy continuation {averaged['free_text']['baseline_ppl_of_baseline']:.2f}.")

    last = evaluate_package(SHIPPED, [1.0], 1, path, "last")
    assert last["baseline"]["weights"] == "last"
    for f in last["families"]:
        assert f["baseline_accuracy"] == f["hamburger_accuracy@1.0"], f["family"]
    # Same continuation, same judge: the free-text perplexities agree, and differ from the
    # shipped baseline's of its own.
    free = last["free_text"]
    assert free["baseline_ppl_of_hamburger@1.0"] == pytest.approx(free["baseline_ppl_of_baseline"], rel=1e-6)
    shipped_free = evaluate_package(SHIPPED, [], 1)["free_text"]
    assert free["baseline_ppl_of_baseline"] != pytest.approx(shipped_free["baseline_ppl_of_baseline"], rel=0.01)


def test_a_baseline_checkpoint_that_does_not_fit_the_package_is_refused_by_name(shipped, tmp_path):
    _, baseline, _, _ = shipped
    path = tmp_path / "checkpoint.pt"
    state = {n: t for n, t in baseline.state_dict().items() if not n.startswith("model.layers.0.")}
    torch.save(_checkpoint_of(state, state, 5), path)
    with pytest.raises(SystemExit, match=r"the baseline checkpoint .*checkpoint.pt does not fit the model config"):
        evaluate_package(SHIPPED, [], 1, path, "last")
    without_average = _checkpoint_of(baseline.state_dict(), {}, 5)
    del without_average["ema"]
    torch.save(without_average, path)
    with pytest.raises(SystemExit, match="holds no moving average"):
        evaluate_package(SHIPPED, [], 1, path, "ema")
