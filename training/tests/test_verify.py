"""The reference verify decoder gives the baseline's greedy output; the audit and the
package's eval/audit-reference.json agree with what they describe."""
import json

import pytest

from conftest import SHIPPED, assert_same_figures
from hamburger.decode import Trace, MacroStep, generate_hamburger
from hamburger.graphs import baseline_graphs, hamburger_graphs
from hamburger.verify import AUDIT_CONFIDENCE, AUDIT_REFERENCE_FILE, audit_reference, audit_trace, generate_verified

BASELINE_GOLDEN = sorted((SHIPPED / "golden").glob("*-baseline.json"))


@pytest.mark.parametrize("confidence", [AUDIT_CONFIDENCE, 0.5])
@pytest.mark.parametrize("path", BASELINE_GOLDEN, ids=[p.stem for p in BASELINE_GOLDEN])
def test_verify_output_equals_baseline_greedy_output(path, confidence, shipped):
    h, baseline, _, man = shipped
    g = json.loads(path.read_text())
    run = generate_verified(hamburger_graphs(h), baseline_graphs(baseline), h.cfg, g["prompt_ids"],
                            man["tokens"]["eos_id"], confidence, g["max_new_tokens"])
    assert run.output_ids == g["output_ids"]
    totals = run.totals()
    assert totals["baseline_forwards"] == len(run.steps)
    assert totals["accepted"] == len(run.output_ids) - sum(s.token is not None for s in run.steps)
    for step in run.steps:
        assert step.accepted <= len(step.drafts)
        # the baseline's own token replaces a rejected draft, never repeats it
        if step.token is not None and step.accepted < len(step.drafts):
            assert step.token != step.drafts[step.accepted]


def test_verify_respects_a_token_limit_inside_a_group(shipped):
    h, baseline, _, man = shipped
    g = json.loads(BASELINE_GOLDEN[0].read_text())
    for limit in (1, 2, 3, 5):
        run = generate_verified(hamburger_graphs(h), baseline_graphs(baseline), h.cfg, g["prompt_ids"],
                                man["tokens"]["eos_id"], 0.0, limit)
        assert run.output_ids == g["output_ids"][:limit]


def test_auditing_the_baseline_own_output_agrees_everywhere(shipped):
    _, baseline, _, _ = shipped
    g = json.loads(BASELINE_GOLDEN[0].read_text())
    trace = Trace("baseline", g["prompt_ids"], None, g["max_new_tokens"],
                  [MacroStep(s["position_id"], s["token_ids"]) for s in g["steps"]])
    audit = audit_trace(baseline, trace)
    assert audit["totals"]["agreement_rate"] == 1.0
    assert audit["totals"]["mean_accepted_prefix"] == 1.0
    for step, golden in zip(audit["steps"], g["steps"]):
        assert step["verdicts"][0]["baseline_prob"] == pytest.approx(golden["micro"][0]["prob"], abs=1e-4)


def test_audit_verdicts_follow_the_argmax(shipped):
    h, baseline, _, man = shipped
    g = json.loads(BASELINE_GOLDEN[0].read_text())
    trace = generate_hamburger(hamburger_graphs(h), h.cfg, g["prompt_ids"], man["tokens"]["eos_id"], 0.0, 24)
    audit = audit_trace(baseline, trace)
    for step in audit["steps"]:
        for v in step["verdicts"]:
            assert v["agrees"] == (v["token_id"] == v["baseline_top_id"])
            assert v["baseline_prob"] <= v["baseline_top_prob"] + 1e-12
        prefix = step["accepted_prefix"]
        assert all(v["agrees"] for v in step["verdicts"][:prefix])
        assert prefix == len(step["verdicts"]) or not step["verdicts"][prefix]["agrees"]
    assert audit["totals"]["checked"] == len(trace.output_ids)


def test_shipped_audit_reference_is_current(shipped):
    h, baseline, tok, _ = shipped
    ref = json.loads((SHIPPED / AUDIT_REFERENCE_FILE).read_text())
    prompts = [{"id": p["id"], "family": p["family"], "prompt": p["prompt"]} for p in ref["prompts"]]
    assert len(prompts) == len(BASELINE_GOLDEN)
    got = audit_reference(h, baseline, tok, prompts, ref["confidence"], ref["max_new_tokens"])
    assert_same_figures(json.loads(json.dumps(got)), ref)
    for p in ref["prompts"]:
        golden = json.loads((SHIPPED / "golden" / f"{p['family']}-baseline.json").read_text())
        assert p["verify"]["output_ids"] == golden["output_ids"]
