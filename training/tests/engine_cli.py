"""The TypeScript engine's CLI, for tests that check a package the Python side wrote by
running it in the engine (the repository's node_modules, from `npm ci`)."""
import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
needs_engine = pytest.mark.skipif(not (REPO / "node_modules" / "tsx").exists(), reason="the engine needs `npm ci` first")


def engine_generate(package, prompt="ab ba ab", tokens=12, raw=True, trace=None, mode="hamburger"):
    """`generate --json` on a package (greedy, confidence 0): its JSON result, or None and its error output."""
    args = ["npx", "tsx", "engine/cli/main.ts", "generate", "--model", str(package), "--prompt", prompt, "--mode", mode,
            "--confidence", "0", "--max-new-tokens", str(tokens), "--json"]
    if raw:
        args.append("--raw")
    if trace is not None:
        args += ["--trace", str(trace)]
    run = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    return (json.loads(run.stdout), None) if run.returncode == 0 else (None, run.stderr)
