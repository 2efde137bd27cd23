"""evaluate.py: the free-text figures (the baseline's likelihood of a continuation), the answer
budget, the discordant pairs, a baseline-stage checkpoint judged in place of the package's
baseline, and larger held-out splits (`heldout`) that begin with the package's."""
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


def test_the_discordant_pairs_are_counted_per_family_and_overall():
    # Both models run on the same examples; the counts are what a paired comparison needs.
    # Overall the two accuracies are equal (11 of 18) and still differ on two examples.
    report = evaluate_package(SHIPPED, [0.9], 2)
    reference = json.loads((SHIPPED / "eval" / "reference.json").read_text())
    pairs = {f["family"]: (f["hamburger_only@0.9"], f["baseline_only@0.9"]) for f in report["families"] + [report["overall"]]}
    assert pairs == {"copy": (0, 0), "count": (1, 0), "json": (0, 0), "table": (0, 0), "sort": (0, 1),
                     "reverse": (0, 0), "arithmetic": (0, 0), "spell": (0, 0), "continue": (0, 0), "overall": (1, 1)}
    for f, want in zip(report["families"] + [report["overall"]], reference["families"] + [reference["overall"]]):
        assert f["hamburger_accuracy@0.9"] == want["hamburger_accuracy@0.9"], f["family"]
        assert f["hamburger_accuracy@0.9"] - f["baseline_accuracy"] == \
            pytest.approx((f["hamburger_only@0.9"] - f["baseline_only@0.9"]) / f["n"]), f["family"]


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
        assert f["hamburger_only@1.0"] == f["baseline_only@1.0"] == 0, f["family"]
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


def test_a_larger_heldout_split_begins_with_the_packages_per_family(tmp_path):
    from hamburger.__main__ import main
    from hamburger.data import load_heldout
    out = tmp_path / "heldout-101.jsonl"
    assert main(["heldout", "--per-family", "101", "--out", str(out)]) == 0
    larger, shipped = load_heldout(out), load_heldout(SHIPPED / "eval" / "heldout.jsonl")
    assert len(larger) == 9 * 101 and len(shipped) == 9 * 100
    first = [e for i, e in enumerate(larger) if i % 101 != 100]        # grouped by family, in order
    assert first == shipped
    extra = [e for i, e in enumerate(larger) if i % 101 == 100]
    assert [e["family"] for e in extra] == [e["family"] for e in shipped[::100]]
    assert not {e["prompt"] for e in extra} & {e["prompt"] for e in shipped}


def test_heldout_and_evaluate_refuse_what_cannot_be_had(tmp_path):
    from hamburger.__main__ import main
    with pytest.raises(SystemExit, match=r"only \d+ distinct heldout 'spell' prompts found, 1000 wanted"):
        main(["heldout", "--per-family", "1000", "--out", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit, match=r"--per-family must lie in 1..5000, got 0"):
        main(["heldout", "--per-family", "0", "--out", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit, match=r"missing.jsonl does not exist; write a held-out split with `heldout"):
        evaluate_package(SHIPPED, [0.9], 1, heldout=tmp_path / "missing.jsonl")


def test_evaluate_reads_another_heldout_file(tmp_path):
    lines = (SHIPPED / "eval" / "heldout.jsonl").read_text().splitlines()
    picked = tmp_path / "two.jsonl"
    picked.write_text(lines[100] + "\n" + lines[401] + "\n")                 # count #0, sort #1
    report = evaluate_package(SHIPPED, [0.9], 0, heldout=picked)
    assert [(f["family"], f["n"], f["baseline_accuracy"], f["hamburger_accuracy@0.9"]) for f in report["families"]] == \
        [("count", 1, 0.0, 1.0), ("sort", 1, 1.0, 0.0)]
