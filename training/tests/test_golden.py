"""The shipped package, read back from its ONNX files, reproduces its golden traces."""
import json

import pytest

from conftest import SHIPPED, assert_same_figures
from hamburger.decode import generate_baseline, generate_hamburger
from hamburger.graphs import baseline_graphs, hamburger_graphs
from hamburger.package import baseline_config

GOLDEN = sorted((SHIPPED / "golden").glob("*.json"))


def test_there_are_goldens_for_eight_families_in_both_modes():
    traces = [json.loads(p.read_text()) for p in GOLDEN]
    assert len({t["family"] for t in traces}) >= 8
    assert {t["mode"] for t in traces} == {"hamburger", "baseline"}


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_reference_decoder_reproduces_golden(path, shipped):
    h, baseline, tok, man = shipped
    g = json.loads(path.read_text())
    eos = man["tokens"]["eos_id"]
    if g["mode"] == "hamburger":
        trace = generate_hamburger(hamburger_graphs(h), h.cfg, g["prompt_ids"], eos, g["confidence"], g["max_new_tokens"])
    else:
        trace = generate_baseline(baseline_graphs(baseline), baseline_config(h.cfg), g["prompt_ids"], eos,
                                  g["max_new_tokens"])
    got = trace.to_dict()
    assert [s["token_ids"] for s in got["steps"]] == [s["token_ids"] for s in g["steps"]]
    assert [s["position_id"] for s in got["steps"]] == [s["position_id"] for s in g["steps"]]
    for gs, es in zip(got["steps"], g["steps"]):
        for gm, em in zip(gs["micro"], es["micro"]):
            assert gm["prob"] == pytest.approx(em["prob"], abs=1e-5)
            assert gm["reason"] == em["reason"]
            if em["stop_prob"] is not None:
                assert gm["stop_prob"] == pytest.approx(em["stop_prob"], abs=1e-5)
    assert tok.decode(got["output_ids"], skip_special=True) == g["text"]


def test_reference_evaluation_reproduces(shipped):
    from hamburger.data import load_heldout
    from hamburger.evaluate import evaluate_models
    h, baseline, tok, man = shipped
    ref = json.loads((SHIPPED / "eval" / "reference.json").read_text())
    got = evaluate_models(h, baseline, tok, man["tokens"]["eos_id"], load_heldout(SHIPPED / "eval" / "heldout.jsonl"),
                          ref["confidences"], ref["limit"])
    assert_same_figures(got, ref)
