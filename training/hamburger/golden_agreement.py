"""How far another storage of a package's weights keeps its golden traces:
`python3 -m hamburger.golden_agreement PACKAGE [--golden-from DIR]`. Each golden trace of
DIR (default: the package's own golden/, which `repack` copies from the original) is run
again by the engine's CLI on PACKAGE with the trace's prompt, mode, confidence and length;
prints, per trace, whether the tokens are identical and how many agree before the first
difference, and the totals, as JSON."""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def agreement(package: Path, golden: Path) -> dict:
    rows = []
    for path in sorted(golden.glob("*.json")):
        trace = json.loads(path.read_text())
        args = ["npx", "tsx", "engine/cli/main.ts", "generate", "--model", str(package.resolve()), "--prompt", trace["prompt"],
                "--mode", trace["mode"], "--max-new-tokens", str(trace["max_new_tokens"]), "--json"]
        if trace["mode"] == "hamburger":
            args += ["--confidence", str(trace["confidence"])]
        got = json.loads(subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True).stdout)["token_ids"]
        want = trace["output_ids"]
        prefix = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        rows.append({"trace": path.name, "identical": got == want, "agreeing_prefix": prefix, "tokens": len(want)})
    return {"package": str(package), "golden": str(golden), "traces": len(rows),
            "identical": sum(r["identical"] for r in rows), "agreeing_tokens": sum(r["agreeing_prefix"] for r in rows),
            "golden_tokens": sum(r["tokens"] for r in rows), "rows": rows}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("package", type=Path)
    p.add_argument("--golden-from", type=Path, help="a folder of golden traces (default: PACKAGE/golden)")
    a = p.parse_args()
    print(json.dumps(agreement(a.package, a.golden_from or a.package / "golden"), indent=1))
