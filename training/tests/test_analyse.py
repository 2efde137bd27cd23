"""The reference analysis of a text (hamburger/analyse.py) reproduces the golden file that the
engine's test/engine/textAnalysis.test.ts reads, and its groups follow the decoding rules."""
import json

from conftest import REPO, SHIPPED, assert_same_figures
from hamburger.analyse import analyse_text, golden_analyses
from hamburger.decode import generate_hamburger
from hamburger.graphs import hamburger_graphs

GOLDEN = REPO / "test" / "fixtures" / "analysis" / "hamburger-tiny.json"


def test_reference_reproduces_the_golden_analyses(shipped):
    assert_same_figures(golden_analyses(SHIPPED, shipped), json.loads(GOLDEN.read_text()))


def test_analysing_the_models_own_output_gives_its_groups(shipped):
    h, _, tok, man = shipped
    golden = json.loads((SHIPPED / "golden" / "count-hamburger-c0.5.json").read_text())
    eos = man["tokens"]["eos_id"]
    trace = generate_hamburger(hamburger_graphs(h), h.cfg, golden["prompt_ids"], eos, 0.5, 64)
    got = analyse_text(hamburger_graphs(h), h.cfg, golden["prompt_ids"], trace.output_ids, eos, 0.5)
    assert [g["token_ids"] for g in got["groups"]] == [s.token_ids for s in trace.steps]
    assert [g["position_id"] for g in got["groups"]] == [s.position_id for s in trace.steps]
    assert [t["reason"] for g in got["groups"] for t in g["tokens"]] == [m.reason for s in trace.steps for m in s.micro]
    assert got["summary"]["divergences"] == 0
