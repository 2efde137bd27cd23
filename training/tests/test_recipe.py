"""The shipped model's recipe (recipes/hamburger-tiny.sh) stays runnable: every command it would
run parses with today's CLI and passes its stage's checks. Nothing is trained."""
import argparse
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from hamburger import __main__ as cli
from hamburger.config import CONFIGS
from hamburger.train import STAGES, stage_config, stage_options

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "hamburger-tiny.sh"

# Stands in for the venv's python: records each command and leaves the checkpoint files that
# the recipe moves and copies between commands.
RECORDER = r"""#!/bin/sh
printf '%s\n' "$*" >> "$RECIPE_LOG"
[ "$1" = -m ] || exit 0
case $5 in
  base|baseline|hamburger|stop) mkdir -p "$4/$5" && : > "$4/$5/checkpoint.pt" ;;
  import-package) mkdir -p "$4/baseline" "$4/hamburger" && : > "$4/hamburger/checkpoint.pt" ;;
esac
"""


class Parsed(Exception):
    pass


def test_every_command_of_the_recipe_parses_and_passes_its_stage_checks(tmp_path, monkeypatch):
    recorder, log = tmp_path / "python", tmp_path / "commands.txt"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    # The copy sits in tmp_path/recipes/, so that the recipe's `cd ..` lands in tmp_path.
    script = RECIPE.read_text()
    for line, stand_in in (("./setup-venv.sh\n", ""), ("py=.venv/bin/python\n", f"py={recorder}\n")):
        assert script.count(line) == 1
        script = script.replace(line, stand_in)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / RECIPE.name).write_text(script)
    subprocess.run(["bash", str(tmp_path / "recipes" / RECIPE.name)], check=True,
                   env={**os.environ, "RECIPE_LOG": str(log)})
    commands = [shlex.split(line)[2:] for line in log.read_text().splitlines() if line.startswith("-m hamburger ")]

    real_parse = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):
        raise Parsed(real_parse(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    parsed = []
    for argv in commands:
        with pytest.raises(Parsed) as caught:
            cli.main(argv)
        args = caught.value.args[0]
        parsed.append(args)
        if args.command in STAGES:
            given = {f.name: getattr(args, f.name) for f in stage_options(args.command)
                     if getattr(args, f.name) is not None}
            stage_config(args.command, cli.PRESETS[args.preset][args.command], given, CONFIGS[args.config])
    assert parsed[0].command == "prepare" and parsed[0].tokenizer == Path("../models/hamburger-tiny/tokenizer.json")
    final = parsed[-1]
    assert (final.command, final.hamburger_stage, final.baseline_weights) == ("export", "stop", "ema")
    assert [a.command for a in parsed].count("import-package") == 1
