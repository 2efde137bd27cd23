"""The shipped model's recipe (recipes/hamburger-tiny.sh) and the paper's 1B recipe
(recipes/hamburger-1b.sh, on one or several processes) stay runnable: every command they would
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


def parse_each(argvs, monkeypatch) -> list[argparse.Namespace]:
    """Each command line parsed by the CLI's own parser, run no further; a stage's options also
    pass its stage_config checks. Returns the namespaces with their stage configs set as `cfg`."""
    real_parse = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):
        raise Parsed(real_parse(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    parsed = []
    for argv in argvs:
        with pytest.raises(Parsed) as caught:
            cli.main(argv)
        args = caught.value.args[0]
        args.cfg = None
        if args.command in STAGES:
            given = {f.name: getattr(args, f.name) for f in stage_options(args.command)
                     if getattr(args, f.name) is not None}
            args.cfg = stage_config(args.command, cli.PRESETS[args.preset][args.command], given, CONFIGS[args.config])
        parsed.append(args)
    return parsed


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

    parsed = parse_each(commands, monkeypatch)
    assert parsed[0].command == "prepare" and parsed[0].tokenizer == Path("../models/hamburger-tiny/tokenizer.json")
    final = parsed[-1]
    assert (final.command, final.hamburger_stage, final.baseline_weights) == ("export", "stop", "ema")
    assert [a.command for a in parsed].count("import-package") == 1


RECIPE_1B = RECIPE.with_name("hamburger-1b.sh")
# The 1B recipe moves no files between commands: the stand-in only records.
RECORD_ONLY = """#!/bin/sh
printf '%s\\n' "$*" >> "$RECIPE_LOG"
"""


def recorded_1b_commands(tmp_path, nproc: int, rows: int) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """recipes/hamburger-1b.sh run with a recorder for python: each command's arguments after `-m hamburger`."""
    recorder, log = tmp_path / "python", tmp_path / "commands.txt"
    recorder.write_text(RECORD_ONLY)
    recorder.chmod(0o755)
    script = RECIPE_1B.read_text()
    assert script.count("py=.venv/bin/python\n") == 1
    (tmp_path / "recipes").mkdir(exist_ok=True)
    (tmp_path / "recipes" / RECIPE_1B.name).write_text(script.replace("py=.venv/bin/python\n", f"py={recorder}\n"))
    data = tmp_path / "chat.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n' * 300)
    done = subprocess.run(["bash", str(tmp_path / "recipes" / RECIPE_1B.name), str(tmp_path / "llama"), str(data)],
                          env={**os.environ, "RECIPE_LOG": str(log), "NPROC": str(nproc), "ROWS": str(rows)},
                          capture_output=True, text=True)
    lines = log.read_text().splitlines() if log.exists() else []
    commands = []
    for line in lines:
        argv = shlex.split(line)
        at = argv.index("hamburger")         # after `-m` (and, on several processes, torch.distributed.run's own)
        commands.append((argv[:at - 1], argv[at + 1:]))
    return done, commands


@pytest.mark.parametrize("nproc, rows, accum", [(1, 8, 16), (8, 8, 2), (8, 2, 8)])
def test_the_1b_recipe_parses_on_one_or_several_processes(tmp_path, monkeypatch, nproc, rows, accum):
    done, commands = recorded_1b_commands(tmp_path, nproc, rows)
    assert done.returncode == 0, done.stderr
    parsed = parse_each([argv for _, argv in commands], monkeypatch)
    for (launcher, _), args in zip(commands, parsed):
        if args.cfg is not None:
            # The authors' 128 rows a step: processes x rows a pass x passes accumulated.
            assert (args.cfg.batch_size, args.grad_accum, args.activation_checkpointing) == (128, accum, True)
            assert launcher == (["-m", "torch.distributed.run", f"--nproc_per_node={nproc}"] if nproc > 1 else [])
        else:
            assert launcher == []             # segmentation runs in one process
        if args.command != "stop":            # the stop stage reads the grown work folder
            assert str(args.init_from_hf) == str(tmp_path / "llama")
    assert [a.command for a in parsed] == ["segment", "hamburger", "stop"]
    # One epoch of the 300 examples: 3 steps of 128.
    assert parsed[1].steps == 3


def test_the_1b_recipe_refuses_processes_that_do_not_divide_the_batch(tmp_path):
    done, commands = recorded_1b_commands(tmp_path, 3, 8)
    assert done.returncode == 1 and commands == []
    assert "NPROC=3 processes of ROWS=8 rows a pass do not divide the authors' 128 rows a step" in done.stderr
