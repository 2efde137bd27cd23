"""The reference decoder under both position conventions (docs/engine.md, "Position
convention") on a package's HAMburger golden prompts, with the first macro step at which the
two outputs part:
`python3 -m hamburger.position_conventions PACKAGE --out FILE` (from training/). The engine's
test/engine/positionConvention.test.ts requires the engine to give the same tokens under each
convention, and to part at the same step."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .decode import POSITION_CONVENTIONS, Trace, generate_hamburger
from .graphs import hamburger_graphs
from .package import load_package


def first_divergent_step(a: Trace, b: Trace) -> int | None:
    """The first macro step whose tokens differ (a shorter run's missing step counts); None: identical."""
    for i in range(max(len(a.steps), len(b.steps))):
        if i >= len(a.steps) or i >= len(b.steps) or a.steps[i].token_ids != b.steps[i].token_ids:
            return i
    return None


def _run(trace: Trace) -> dict:
    return {"steps": [{"position_id": s.position_id, "token_ids": s.token_ids, "probs": [m.prob for m in s.micro]}
                      for s in trace.steps],
            "output_ids": trace.output_ids}


def position_conventions(package: Path) -> dict:
    h, _, _, man = load_package(package)
    graphs = hamburger_graphs(h)
    eos = man["tokens"]["eos_id"]
    rows = []
    for path in sorted((package / "golden").glob("*.json")):
        golden = json.loads(path.read_text())
        if golden["mode"] != "hamburger":
            continue
        runs = {c: generate_hamburger(graphs, h.cfg, golden["prompt_ids"], eos, golden["confidence"],
                                      golden["max_new_tokens"], c) for c in POSITION_CONVENTIONS}
        rows.append({"golden": path.name, "prompt": golden["prompt"], "prompt_ids": golden["prompt_ids"],
                     "confidence": golden["confidence"], "max_new_tokens": golden["max_new_tokens"],
                     "first_divergent_step": first_divergent_step(*runs.values()),
                     "runs": {c: _run(t) for c, t in runs.items()}})
    steps = [r["first_divergent_step"] for r in rows]
    return {"package": man["name"], "prompts": len(rows),
            "diverging": sum(s is not None for s in steps),
            "first_divergent_steps": steps, "rows": rows}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("package", type=Path)
    p.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    a = p.parse_args()
    report = position_conventions(a.package)
    a.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report[k] for k in ("package", "prompts", "diverging", "first_divergent_steps")}))
