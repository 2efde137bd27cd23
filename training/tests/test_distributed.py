"""The training stages on several processes (distributed.py, execution.py): real gloo process
groups started by torch.distributed.run at the `micro` size, against one process in this one.

Tolerance: a slice's loss is its share of the whole batch's, so N processes compute the same
sums as one, in another order; over these few steps the losses agree to about 2e-7 relative
(float32), and the tests allow 1e-5. Each launch of two processes takes 15-40 s on 2 busy cores."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from hamburger.__main__ import main

from conftest import REPO, TRAINING

REL = 1e-5
# The hamburger stage with every kind of row it has: unmerged, copy requests, cut groups; the
# 64 segmented examples make short batches at each epoch's tail (24 own rows a batch). With a
# weight average, which process 0 alone keeps.
HAMBURGER = ["hamburger", "--steps", "6", "--log-every", "1", "--unmerged-rows", "4", "--repeat-rows", "4",
             "--split-rate", "0.5", "--ema-decay", "0.9"]


def _cli(work):
    return ["--work", str(work), "--config", "micro", "--device", "cpu", "--threads", "1"]


def _two_processes(work, *argv):
    """`python -m hamburger` on two gloo processes, as the docs launch it (--standalone: a free port,
    so that runs beside each other do not meet)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "hamburger", *_cli(work), *argv], cwd=TRAINING, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]


def _losses(work, stage):
    """The log's loss records by step; one a step, as process 0 alone writes the log."""
    records = [json.loads(line) for line in (work / stage / "log.jsonl").read_text().splitlines()]
    curve = {r["step"]: r for r in records if "loss" in r}
    assert len(curve) == sum("loss" in r for r in records)
    return curve


def _checkpoint(work, stage):
    return torch.load(work / stage / "checkpoint.pt", weights_only=False)


def _copy(work, tmp_path, name, *stages):
    other = tmp_path / name
    other.mkdir()
    for part in ("data", "segments.pt", *stages):
        (shutil.copytree if (work / part).is_dir() else shutil.copy)(work / part, other / part)
    return other


def _same_curve(got, want):
    assert sorted(got) == sorted(want)
    for step in want:
        for figure in ("loss", "grad_norm", "ce", "bce", "stop_acc", "tokens_per_group"):
            if figure in want[step]:
                assert got[step][figure] == pytest.approx(want[step][figure], rel=REL), (step, figure)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Prepared data, a base and a segmentation, and the hamburger stage's curve on one process."""
    work = tmp_path_factory.mktemp("work")
    common = _cli(work)
    assert main(common + ["prepare", "--per-family", "40", "--tokenizer",
                          str(REPO / "models" / "hamburger-tiny" / "tokenizer.json")]) == 0
    assert main(common + ["base", "--steps", "2", "--seq-len", "32"]) == 0
    assert main(common + ["segment", "--limit", "64"]) == 0
    assert main(common + HAMBURGER) == 0
    return work


@pytest.fixture(scope="module")
def two(work, tmp_path_factory):
    """The same hamburger stage on two processes, paused at step 3."""
    two = _copy(work, tmp_path_factory.mktemp("two"), "work", "base")
    _two_processes(two, *HAMBURGER, "--pause-at", "3")
    return two


def test_two_processes_follow_the_one_process_curve(work, two):
    one = _losses(work, "hamburger")
    _same_curve(_losses(two, "hamburger"), {step: one[step] for step in (1, 2, 3)})
    ck = _checkpoint(two, "hamburger")
    assert ck["step"] == 3 and ck["ema_since"] == 0


def test_a_two_process_checkpoint_resumes_on_one_process(work, two, tmp_path):
    resumed = _copy(two, tmp_path, "resumed", "base", "hamburger")
    assert main(_cli(resumed) + HAMBURGER) == 0
    _same_curve(_losses(resumed, "hamburger"), _losses(work, "hamburger"))
    got, want = _checkpoint(resumed, "hamburger"), _checkpoint(work, "hamburger")
    for name, weights in want["ema"].items():
        assert torch.allclose(got["ema"][name], weights, atol=1e-5), name
    assert torch.equal(got["rng"], want["rng"]) and got["py_rng"] == want["py_rng"]


def test_two_accumulation_passes_of_half_the_batch_make_the_whole_batch(work, tmp_path):
    other = _copy(work, tmp_path, "accumulated", "base")
    assert main(_cli(other) + HAMBURGER + ["--grad-accum", "2"]) == 0
    _same_curve(_losses(other, "hamburger"), _losses(work, "hamburger"))


@pytest.mark.parametrize("stage, argv", [("base", ["--seq-len", "32", "--repeat-rows", "3"]),
                                         ("baseline", ["--repeat-rows", "4"]),
                                         ("stop", [])])
def test_every_stage_trains_on_two_processes(work, tmp_path, stage, argv):
    needs = {"base": (), "baseline": ("base",), "stop": ("base", "hamburger")}[stage]
    one, two = (_copy(work, tmp_path, name, *needs) for name in ("one", "two"))
    command = [stage, "--steps", "2", "--log-every", "1", *argv]
    assert main(_cli(one) + command) == 0
    _two_processes(two, *command)
    _same_curve(_losses(two, stage), _losses(one, stage))


def test_activation_checkpointing_and_bf16_change_how_a_step_runs(work, tmp_path):
    runs = {}
    for name, options in (("plain", []), ("checkpointed", ["--activation-checkpointing"]),
                          ("bf16", ["--precision", "bf16"])):
        other = _copy(work, tmp_path, name, "base")
        assert main(_cli(other) + ["baseline", "--steps", "2", "--log-every", "1", *options]) == 0
        runs[name] = _losses(other, "baseline")
    _same_curve(runs["checkpointed"], runs["plain"])
    # bf16 autocast on the CPU: the same curve to bf16's precision, not float32's.
    assert [r["loss"] for r in runs["bf16"].values()] == pytest.approx([r["loss"] for r in runs["plain"].values()],
                                                                       rel=1e-3)
    assert [r["loss"] for r in runs["bf16"].values()] != [r["loss"] for r in runs["plain"].values()]


def test_bad_execution_options_are_named(work, tmp_path, monkeypatch):
    other = _copy(work, tmp_path, "bad", "base")
    with pytest.raises(SystemExit, match="--grad-accum must be at least 1, got 0"):
        main(_cli(other) + ["baseline", "--grad-accum", "0"])
    with pytest.raises(SystemExit, match=r"a batch of 32 rows cannot be cut into 1 processes x 33 accumulation"):
        main(_cli(other) + ["baseline", "--grad-accum", "33"])
    with pytest.raises(SystemExit, match="--log-every must be at least 1"):
        main(_cli(other) + ["baseline", "--log-every", "0"])
    for name, value in (("RANK", "1"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "1")):
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=r"segment runs in one process; torch.distributed.run starts only the "
                                         r"training stages \(base, baseline, hamburger, stop\)"):
        main(_cli(other) + ["segment", "--limit", "8"])
