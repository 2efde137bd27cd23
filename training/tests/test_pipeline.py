"""The training commands end to end at the `micro` size: every stage runs through the CLI,
writes its checkpoint and log, resumes, and the export loads back as a package."""
import json

import pytest

from hamburger.__main__ import main, pick_device
from hamburger.package import load_models, load_package


def _log(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _cli(work):
    """The global options every test runs the CLI with: `work`, the micro size, one CPU thread."""
    return ["--work", str(work), "--config", "micro", "--device", "cpu", "--threads", "1"]


def _work_copy(work, tmp_path, drop=None):
    """A copy of the fixture's work folder (less stage `drop`) and the CLI options for it."""
    import shutil
    other = tmp_path / "work"
    shutil.copytree(work, other)
    if drop:
        shutil.rmtree(other / drop)
    return other, _cli(other)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    common = _cli(work)
    assert main(common + ["prepare", "--per-family", "40"]) == 0
    assert main(common + ["base", "--steps", "6", "--pause-at", "4"]) == 0
    assert main(common + ["base", "--steps", "6"]) == 0          # resumes at step 4
    assert main(common + ["baseline", "--steps", "3"]) == 0
    assert main(common + ["segment", "--limit", "64"]) == 0
    assert main(common + ["hamburger", "--steps", "3"]) == 0
    return work


def test_prepare_writes_the_requested_task_count(work):
    data = json.loads((work / "data" / "data.json").read_text())
    assert data["train_per_family"] == 40
    assert data["sft_examples"] <= 9 * 40 and data["sft_examples"] >= 9 * 40 - 10   # a few too long ones dropped
    assert data["heldout_examples"] == 900


def test_base_resumes_and_probes_the_heldout_split(work):
    records = _log(work / "base" / "log.jsonl")
    losses = [r for r in records if "loss" in r]
    assert [r["step"] for r in losses] == [4, 6]                 # logged at the end of each command
    probes = [r for r in records if "tf_exact/copy" in r]
    assert [r["step"] for r in probes] == [4, 6]
    assert all(0.0 <= r[f"tf_token/{f}"] <= 1.0 for r in probes for f in ("copy", "json", "spell"))
    # A few steps from random weights: no copying circuit yet.
    assert all(0.0 <= r["induction"] < 0.1 for r in probes)


def test_the_induction_probe_is_fixed_and_leaves_the_training_rng_alone(work):
    import torch
    from hamburger.config import CONFIGS
    from hamburger.model import LlamaForCausalLM, init_weights
    from hamburger.probe import HeldoutProbe
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    first, second = HeldoutProbe(work / "data"), HeldoutProbe(work / "data")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(first.spans[0], second.spans[0]) and torch.equal(first.spans[1], second.spans[1])
    llm = LlamaForCausalLM(CONFIGS["micro"])
    init_weights(llm)
    assert first.measure(llm)["induction"] == second.measure(llm)["induction"]


def test_segment_covers_each_response(work):
    import torch
    from hamburger.data import load_sft
    seg = torch.load(work / "segments.pt")
    by_id = {e.id: e for e in load_sft(work / "data")}
    assert len(seg["groups"]) == 64
    for example_id, groups in seg["groups"].items():
        assert sum(groups) == len(by_id[example_id].response_ids)
        assert all(1 <= k <= 4 for k in groups)


def test_segment_can_follow_the_baseline_entropies(work, tmp_path):
    import torch
    other, common = _work_copy(work, tmp_path)
    assert main(common + ["segment", "--limit", "64", "--entropy-from", "baseline"]) == 0
    by_base, by_baseline = torch.load(work / "segments.pt"), torch.load(other / "segments.pt")
    assert by_base["entropy_from"] == "base" and by_baseline["entropy_from"] == "baseline"
    assert by_base["groups"].keys() == by_baseline["groups"].keys()
    assert all(sum(by_base["groups"][k]) == sum(by_baseline["groups"][k]) for k in by_base["groups"])
    # The baseline's weights are what it reads: without them it stops, the base's still work.
    (other / "baseline" / "checkpoint.pt").unlink()
    with pytest.raises((SystemExit, FileNotFoundError)):
        main(common + ["segment", "--limit", "64", "--entropy-from", "baseline"])
    assert main(common + ["segment", "--limit", "64", "--entropy-from", "base"]) == 0
    with pytest.raises(SystemExit):
        main(common + ["segment", "--entropy-from", "teacher"])


def test_hamburger_stage_logs_its_objective(work):
    last = _log(work / "hamburger" / "log.jsonl")[-1]
    assert last["step"] == 3
    assert last["ce"] > 0 and last["bce"] > 0 and 1.0 <= last["tokens_per_group"] <= 4.0


def test_micro_layers_overrides_the_config_through_training_and_export(work, tmp_path):
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    assert main(common + ["--micro-layers", "2", "hamburger", "--steps", "2"]) == 0
    # A 2-layer micro decoder's checkpoint does not load into the named config's 1-layer one.
    with pytest.raises(SystemExit, match="does not fit the model config"):
        main(common + ["export", "--out", str(tmp_path / "one"), "--overwrite"])
    argv = common + ["--micro-layers", "2", "export", "--out", str(tmp_path / "two"), "--overwrite"]
    assert main(argv) == 0
    h, _, _, man = load_package(tmp_path / "two")
    assert man["architecture"]["micro_layers"] == 2 and len(h.micro_step_decoder.decoders) == 2
    assert man["provenance"]["command"] == "cd training && python3 -m hamburger " + " ".join(argv)
    with pytest.raises(SystemExit, match="--micro-layers must lie in 1..8"):
        main(common + ["--micro-layers", "0", "hamburger", "--steps", "2"])


def test_a_cuda_device_without_cuda_is_refused():
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SystemExit, match="no CUDA GPU"):
        pick_device("cuda")
    with pytest.raises(SystemExit, match="allowed: auto, cpu"):
        pick_device("tpu")
    assert pick_device("auto").type == "cpu"


def test_unmerged_rows_train_token_zero_only_and_are_bounded(work, tmp_path):
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    assert main(common + ["hamburger", "--steps", "2", "--unmerged-rows", "31"]) == 0
    log = _log(other / "hamburger" / "log.jsonl")
    assert log[-1]["step"] == 2 and log[-1]["bce"] > 0          # the one segmented row still trains the stop head
    with pytest.raises(SystemExit, match=r"--unmerged-rows must lie in 0..31, got 32"):
        main(common + ["hamburger", "--steps", "3", "--unmerged-rows", "32"])
    with pytest.raises(SystemExit):
        main(common + ["baseline", "--steps", "3", "--unmerged-rows", "4"])


def test_split_rate_cuts_the_groups_and_is_bounded(work, tmp_path):
    import torch
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    # The micro base is too uncertain to group anything: regroup every response in fours.
    def in_fours(n):
        return [4] * (n // 4) + ([n % 4] if n % 4 else [])
    seg = torch.load(other / "segments.pt")
    seg["groups"] = {k: in_fours(sum(g)) for k, g in seg["groups"].items()}
    torch.save(seg, other / "segments.pt")
    assert main(common + ["hamburger", "--steps", "2", "--split-rate", "1"]) == 0
    # Every group of two or more tokens is cut in two: at most two tokens per group on average.
    assert _log(other / "hamburger" / "log.jsonl")[-1]["tokens_per_group"] <= 2.0
    for bad in ("1.5", "-0.1", "nan"):
        with pytest.raises(SystemExit, match=rf"--split-rate must lie in 0..1, got {bad}"):
            main(common + ["hamburger", "--steps", "3", "--split-rate", bad])
    with pytest.raises(SystemExit):
        main(common + ["stop", "--steps", "3", "--split-rate", "0.5"])


def test_length_groups_reach_the_sft_style_stages_and_are_bounded(work, tmp_path):
    import torch
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    assert main(common + ["baseline", "--steps", "4", "--length-groups", "4"]) == 0     # resumes at 3
    assert torch.load(other / "baseline" / "checkpoint.pt")["stage_config"]["length_groups"] == 4
    assert main(common + ["hamburger", "--steps", "2", "--length-groups", "2"]) == 0
    assert main(common + ["stop", "--steps", "2", "--length-groups", "2"]) == 0
    assert torch.load(other / "stop" / "checkpoint.pt")["stage_config"]["length_groups"] == 2
    for bad in ("-1", "1025"):
        with pytest.raises(SystemExit, match=rf"--length-groups must lie in 0..1024, got {bad}"):
            main(common + ["baseline", "--steps", "5", "--length-groups", bad])
    with pytest.raises(SystemExit):
        main(common + ["base", "--steps", "7", "--length-groups", "4"])


def test_a_byte_level_work_folder_runs_every_stage_and_exports(tmp_path):
    import torch
    from hamburger.tokenizer import ByteLevelBPE
    common = _cli(tmp_path / "work")
    assert main(common + ["prepare", "--per-family", "12", "--vocab-size", "261", "--max-len", "700"]) == 0
    data = tmp_path / "work" / "data"
    tok = ByteLevelBPE.load(data / "tokenizer.json")
    assert tok.vocab_size == 261 and tok.merges == []
    assert tok.encode('"conscious"') == tok.encode('"') + tok.encode("conscious") + tok.encode('"')
    assert len(tok.encode("conscious")) == 9                         # one id per byte
    assert json.loads((data / "data.json").read_text())["max_len"] == 700
    assert main(common + ["base", "--steps", "2", "--seq-len", "96"]) == 0
    # The model follows the data's vocabulary without a flag.
    assert torch.load(tmp_path / "work" / "base" / "checkpoint.pt")["model"]["model.embed_tokens.weight"].shape[0] == 261
    for stage in (["baseline", "--steps", "2"], ["segment", "--limit", "16"], ["hamburger", "--steps", "2"],
                  ["export", "--out", str(tmp_path / "pkg")]):
        assert main(common + stage) == 0
    h, baseline, tok, man = load_package(tmp_path / "pkg")
    assert h.cfg.vocab_size == baseline.model.cfg.vocab_size == tok.vocab_size == 261
    assert man["defaults"]["max_new_tokens"] == 640                  # one id per byte: a longer default


def test_the_data_and_window_sizes_are_bounded(tmp_path):
    common = _cli(tmp_path / "work")
    with pytest.raises(SystemExit, match=r"--vocab-size must lie in 261..32767, got 260"):
        main(common + ["prepare", "--vocab-size", "260"])
    with pytest.raises(SystemExit, match=r"--max-len must lie in 16..1024, got 2000"):
        main(common + ["prepare", "--max-len", "2000"])
    with pytest.raises(SystemExit, match=r"--seq-len must lie in 16..1024, got 8"):
        main(common + ["base", "--seq-len", "8"])
    assert not (tmp_path / "work" / "data").exists()


def test_the_stop_stage_trains_only_the_stop_head_and_exports(work, tmp_path):
    import shutil
    import torch
    from hamburger.train import load_checkpoint
    other, common = _work_copy(work, tmp_path)
    assert main(common + ["stop", "--steps", "2"]) == 0
    log = _log(other / "stop" / "log.jsonl")
    assert log[-1]["step"] == 2 and log[-1]["stop_target_rate"] > 1 / log[-1]["tokens_per_group"] - 1e-6
    before = load_checkpoint(other / "hamburger" / "checkpoint.pt")["model"]
    after = load_checkpoint(other / "stop" / "checkpoint.pt")["model"]
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(".stop_head." in k for k in changed)
    argv = common + ["export", "--hamburger-stage", "stop", "--out", str(tmp_path / "pkg"), "--overwrite"]
    assert main(argv) == 0
    _, _, _, man = load_package(tmp_path / "pkg")
    assert man["provenance"]["stages"]["stop"]["step"] == 2
    assert main(common + ["hamburger", "--steps", "4"]) == 0
    with pytest.raises(SystemExit, match=r"calibrates the hamburger stage's step 3 \(last weights\), but .* is at step 4 and"):
        main(common + ["stop", "--steps", "3"])
    shutil.rmtree(other / "stop")
    with pytest.raises(SystemExit, match="run the stop stage first"):
        main(argv)


def test_positions_counts_every_heldout_response_token_once(work, tmp_path):
    from hamburger.data import load_heldout
    common = _cli(work)
    assert main(common + ["export", "--out", str(tmp_path / "pkg"), "--overwrite"]) == 0
    assert main(common + ["positions", "--package", str(tmp_path / "pkg"), "--limit", "3",
                          "--json", str(tmp_path / "p.json")]) == 0
    report = json.loads((tmp_path / "p.json").read_text())
    _, _, tok, _ = load_package(tmp_path / "pkg")
    rows = load_heldout(tmp_path / "pkg" / "eval" / "heldout.jsonl")
    *heldout, synthetic, wrapped = report["families"]
    assert [f["family"] for f in heldout] == list(dict.fromkeys(r["family"] for r in rows))
    # Three random spans of 8-48 ids + eos, in groups of max_steps (4) with at most one short group each.
    assert synthetic["family"] == "synthetic copy" and synthetic["n"] == 3
    assert 3 * 9 <= sum(synthetic["position_tokens"]) <= 3 * 49
    assert synthetic["position_tokens"][0] - 3 <= synthetic["position_tokens"][3] <= synthetic["position_tokens"][0]
    # The same inside copy prompts: only the span's copy is scored, so the token counts obey the same bounds.
    assert wrapped["family"] == "synthetic copy, copy prompt" and wrapped["n"] == 3
    assert 3 * 9 <= sum(wrapped["position_tokens"]) <= 3 * 49
    for f in heldout:
        mine = [r for r in rows if r["family"] == f["family"]][:3]
        assert f["n"] == 3
        assert sum(f["position_tokens"]) == sum(len(tok.encode(r["response"])) + 1 for r in mine)   # + eos
        assert f["position_tokens"][0] >= max(f["position_tokens"][1:])       # every group has a token 0
        assert all(a is None or 0.0 <= a <= 1.0 for a in f["position_accuracy"])
        assert 0.0 <= f["baseline_token_accuracy"] <= 1.0
    with pytest.raises(SystemExit, match="unknown strategy 'halves'"):
        main(common + ["positions", "--package", str(tmp_path / "pkg"), "--strategy", "halves"])
    with pytest.raises(SystemExit, match="--split-rate must lie in 0..1, got 2.0"):
        main(common + ["positions", "--package", str(tmp_path / "pkg"), "--split-rate", "2"])


def test_repeat_rows_add_synthetic_copies_to_the_hamburger_stage_and_are_bounded(work, tmp_path):
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    assert main(common + ["hamburger", "--steps", "2", "--repeat-rows", "30", "--unmerged-rows", "1"]) == 0
    # 30 of the 32 rows are spans copied in groups of max_steps (4 at the micro size): the mean
    # group grows far beyond what the micro base's segmentation gives.
    assert _log(other / "hamburger" / "log.jsonl")[-1]["tokens_per_group"] > 3.0
    with pytest.raises(SystemExit, match=r"must leave at least one of the 32 rows for the batch's own task examples, got 31 \+ 1 \+ 0"):
        main(common + ["hamburger", "--steps", "3", "--repeat-rows", "31", "--unmerged-rows", "1"])
    with pytest.raises(SystemExit):
        main(common + ["stop", "--steps", "3", "--repeat-rows", "4"])


def test_a_resumed_stage_takes_this_commands_learning_rates(work, tmp_path):
    import torch
    other, common = _work_copy(work, tmp_path)
    saved = torch.load(other / "hamburger" / "checkpoint.pt", weights_only=False)
    assert [g["peak_lr"] for g in saved["opt"]["param_groups"]] == [3e-4, 3e-4, 2e-3, 2e-3]   # the cpu preset
    assert main(common + ["hamburger", "--steps", "4", "--lr", "0.01", "--grafted-lr", "0.02"]) == 0
    resumed = torch.load(other / "hamburger" / "checkpoint.pt", weights_only=False)
    assert resumed["step"] == 4
    assert [g["peak_lr"] for g in resumed["opt"]["param_groups"]] == [0.01, 0.01, 0.02, 0.02]


def test_pause_at_stops_a_command_inside_its_schedule_as_a_run_stopped_by_hand(work, tmp_path):
    import torch
    from hamburger.train import load_checkpoint
    straight, straight_cli = _work_copy(work, tmp_path / "straight")
    paused, paused_cli = _work_copy(work, tmp_path / "paused")
    assert main(straight_cli + ["hamburger", "--steps", "6"]) == 0                        # resumes at 3
    assert main(paused_cli + ["hamburger", "--steps", "6", "--pause-at", "4"]) == 0
    assert load_checkpoint(paused / "hamburger" / "checkpoint.pt")["step"] == 4
    assert main(paused_cli + ["hamburger", "--steps", "6"]) == 0
    # The pause and resume change nothing: the same schedule, batches and weights.
    a, b = (load_checkpoint(w / "hamburger" / "checkpoint.pt")["model"] for w in (straight, paused))
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(SystemExit, match=r"--pause-at must lie in 0..6, got 7"):
        main(paused_cli + ["hamburger", "--steps", "6", "--pause-at", "7"])
    with pytest.raises(SystemExit):
        main(paused_cli + ["stop", "--steps", "2", "--pause-at", "1"])


@pytest.mark.parametrize("flag,value", [("--lr", "0"), ("--lr", "nan"), ("--grafted-lr", "1.5")])
def test_a_learning_rate_outside_0_to_1_is_refused(work, tmp_path, flag, value):
    other, common = _work_copy(work, tmp_path)
    with pytest.raises(SystemExit, match=rf"{flag} must lie in \(0, 1\], got"):
        main(common + ["hamburger", "--steps", "4", flag, value])


def test_a_work_folder_seeded_from_a_package_trains_on_from_its_weights(work, tmp_path):
    import torch
    from hamburger.train import load_checkpoint
    pkg = tmp_path / "pkg"
    assert main(_cli(work) + ["export", "--out", str(pkg), "--overwrite"]) == 0
    seeded = tmp_path / "seeded"
    common = _cli(seeded)
    with pytest.raises(SystemExit, match="run `prepare --tokenizer"):
        main(common + ["import-package", "--package", str(pkg)])
    assert main(common + ["prepare", "--per-family", "40", "--tokenizer", str(pkg / "tokenizer.json")]) == 0
    with pytest.raises(SystemExit, match="micro_layers: package 1, this command 2"):
        main(common + ["--micro-layers", "2", "import-package", "--package", str(pkg)])
    assert main(common + ["import-package", "--package", str(pkg)]) == 0
    h, baseline, _ = load_models(pkg)
    for stage, model in (("hamburger", h), ("baseline", baseline)):
        ck = load_checkpoint(seeded / stage / "checkpoint.pt")
        assert ck["step"] == 3 and "opt" not in ck                 # both stages of the fixture ran 3 steps
        assert all(torch.equal(ck["model"][k], v) for k, v in model.state_dict().items())
    assert not (seeded / "stop").exists()          # stop must calibrate whatever the hamburger stage becomes
    with pytest.raises(SystemExit, match="already has checkpoints for baseline, hamburger; pass --overwrite"):
        main(common + ["import-package", "--package", str(pkg)])
    assert main(common + ["segment", "--limit", "64", "--entropy-from", "baseline"]) == 0   # no base checkpoint
    assert main(common + ["hamburger", "--steps", "5"]) == 0        # resumes at 3 with a fresh optimizer
    assert main(common + ["baseline", "--steps", "4"]) == 0         # resumes at 3; needs no base checkpoint
    assert [r["step"] for r in _log(seeded / "baseline" / "log.jsonl") if "loss" in r] == [4]
    assert [r["step"] for r in _log(seeded / "hamburger" / "log.jsonl")] == [3, 5]
    assert "opt" in load_checkpoint(seeded / "hamburger" / "checkpoint.pt")
    (seeded / "data" / "tokenizer.json").write_text("{}")
    with pytest.raises(SystemExit, match="is not .*tokenizer.json; the imported weights only fit"):
        main(common + ["import-package", "--package", str(pkg), "--overwrite"])
    with pytest.raises(SystemExit, match="is not a model package"):
        main(common + ["import-package", "--package", str(tmp_path), "--overwrite"])


@pytest.mark.parametrize("source,prompt", [("text", "bare"), ("shuffled", "copy")])
def test_repeat_options_reach_the_hamburger_stage_and_are_checked(work, tmp_path, source, prompt):
    import torch
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    assert main(common + ["hamburger", "--steps", "2", "--repeat-rows", "30", "--unmerged-rows", "1",
                          "--repeat-source", source, "--repeat-prompt", prompt]) == 0
    saved = torch.load(other / "hamburger" / "checkpoint.pt", weights_only=False)
    assert saved["stage_config"]["repeat_source"] == source and saved["stage_config"]["repeat_max_len"] == 48
    assert saved["stage_config"]["repeat_prompt"] == prompt
    with pytest.raises(SystemExit, match=r"--repeat-max-len must lie in 8..\d+, got 4000"):
        main(common + ["hamburger", "--steps", "3", "--repeat-rows", "4", "--repeat-max-len", "4000"])
    with pytest.raises(SystemExit, match="--repeat-source takes one of random, text, shuffled; got 'bytes'"):
        main(common + ["hamburger", "--steps", "3", "--repeat-source", "bytes"])
    with pytest.raises(SystemExit):
        main(common + ["hamburger", "--steps", "3", "--repeat-prompt", "chat"])
    with pytest.raises(SystemExit, match="exceed the model's 1024 positions; lower --repeat-max-len"):
        main(common + ["hamburger", "--steps", "3", "--repeat-rows", "4", "--repeat-max-len", "510",
                       "--repeat-prompt", "copy"])


def test_repeat_rows_reach_the_baseline_stage(work, tmp_path):
    import torch
    plain, plain_cli = _work_copy(work, tmp_path / "plain", drop="baseline")
    copies, copies_cli = _work_copy(work, tmp_path / "copies", drop="baseline")
    assert main(plain_cli + ["baseline", "--steps", "2"]) == 0
    assert main(copies_cli + ["baseline", "--steps", "2", "--repeat-rows", "16", "--repeat-source", "shuffled",
                              "--repeat-prompt", "copy", "--repeat-max-len", "64"]) == 0
    saved = torch.load(copies / "baseline" / "checkpoint.pt", weights_only=False)["stage_config"]
    assert (saved["repeat_rows"], saved["repeat_source"], saved["repeat_prompt"], saved["repeat_max_len"]) == (
        16, "shuffled", "copy", 64)
    losses = [[r["loss"] for r in _log(w / "baseline" / "log.jsonl") if "loss" in r] for w in (plain, copies)]
    assert len(losses[0]) == len(losses[1]) == 1 and abs(losses[0][0] - losses[1][0]) > 1e-3
    with pytest.raises(SystemExit, match=r"--repeat-rows must lie in 0..31, got 32"):
        main(copies_cli + ["baseline", "--steps", "3", "--repeat-rows", "32"])


def _recorded_hamburger_batches(monkeypatch) -> list:
    """Each hamburger-stage batch's rows as (family, id), its group sizes and supervise_stop."""
    from hamburger import train
    batches = []
    real_loss = train.hamburger_loss

    def recording_loss(h, examples, groups, **kw):
        batches.append(([(e.family, e.id) for e in examples], groups, kw["supervise_stop"]))
        return real_loss(h, examples, groups, **kw)

    monkeypatch.setattr(train, "hamburger_loss", recording_loss)
    return batches


def test_unmerged_families_draw_the_unmerged_rows_from_those_families(work, tmp_path, monkeypatch):
    import torch
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    batches = _recorded_hamburger_batches(monkeypatch)
    assert main(common + ["hamburger", "--steps", "2", "--unmerged-rows", "5",
                          "--unmerged-families", "continue,json"]) == 0
    assert len(batches) == 2
    for rows, groups, supervised in batches:
        families = [family for family, _ in rows]
        assert len(families) == 32
        assert set(families[:5]) <= {"continue", "json"} and supervised[:5] == [False] * 5
        assert all(set(g) == {1} for g in groups[:5])           # one token per group
        assert supervised[5:] == [True] * 27
    assert torch.load(other / "hamburger" / "checkpoint.pt")["stage_config"]["unmerged_families"] == ("continue", "json")
    for bad in ("poetry", "", "copy,,nope"):
        with pytest.raises(SystemExit, match="--unmerged-families takes a comma-separated list out of copy, "):
            main(common + ["hamburger", "--steps", "3", "--unmerged-rows", "4", "--unmerged-families", bad])
    with pytest.raises(SystemExit, match="--unmerged-families needs --unmerged-rows"):
        main(common + ["hamburger", "--steps", "3", "--unmerged-families", "continue"])


def test_focus_rows_add_segmented_rows_of_the_focus_families(work, tmp_path, monkeypatch):
    import torch
    other, common = _work_copy(work, tmp_path, drop="hamburger")
    batches = _recorded_hamburger_batches(monkeypatch)
    segmented = torch.load(other / "segments.pt")["groups"]
    assert main(common + ["hamburger", "--steps", "2", "--unmerged-rows", "3", "--unmerged-families", "continue",
                          "--focus-rows", "6", "--focus-families", "arithmetic,table"]) == 0
    assert len(batches) == 2
    for rows, groups, supervised in batches:
        assert len(rows) == 32
        assert {family for family, _ in rows[:3]} == {"continue"} and supervised[:3] == [False] * 3
        assert {family for family, _ in rows[-6:]} <= {"arithmetic", "table"} and supervised[3:] == [True] * 29
        assert [groups[-6 + k] for k in range(6)] == [segmented[id_] for _, id_ in rows[-6:]]
    config = torch.load(other / "hamburger" / "checkpoint.pt")["stage_config"]
    assert (config["focus_rows"], config["focus_families"]) == (6, ("arithmetic", "table"))
    with pytest.raises(SystemExit, match="--focus-families takes a comma-separated list out of copy, "):
        main(common + ["hamburger", "--steps", "3", "--focus-rows", "4", "--focus-families", "poetry"])
    for flags in (["--focus-rows", "4"], ["--focus-families", "table"]):
        with pytest.raises(SystemExit, match="--focus-rows N .N > 0. and --focus-families F1,F2 go together"):
            main(common + ["hamburger", "--steps", "3", *flags])
    with pytest.raises(SystemExit, match=r"got 8 \+ 8 \+ 16"):
        main(common + ["hamburger", "--steps", "3", "--repeat-rows", "8", "--unmerged-rows", "8",
                       "--focus-rows", "16", "--focus-families", "table"])


def test_average_writes_the_mean_of_hamburger_checkpoints_and_stop_calibrates_it(work, tmp_path):
    import shutil
    import torch
    from hamburger.train import load_checkpoint
    other, common = _work_copy(work, tmp_path)
    first = load_checkpoint(other / "hamburger" / "checkpoint.pt")
    shifted = {k: (v + 1.0 if v.is_floating_point() else v) for k, v in first["model"].items()}
    torch.save({**first, "model": shifted, "step": 7}, tmp_path / "b.pt")
    shutil.copy(other / "hamburger" / "checkpoint.pt", tmp_path / "a.pt")
    sources = [str(tmp_path / "a.pt"), str(tmp_path / "b.pt")]
    with pytest.raises(SystemExit, match="exists; pass --overwrite"):
        main(common + ["average", *sources])
    assert main(common + ["average", *sources, "--overwrite"]) == 0
    mean = load_checkpoint(other / "hamburger" / "checkpoint.pt")
    assert mean["step"] == 7 and "opt" not in mean
    for name, weight in first["model"].items():
        if weight.is_floating_point():
            assert torch.allclose(mean["model"][name], weight + 0.5, atol=1e-6), name
    assert _log(other / "hamburger" / "log.jsonl")[-1]["averaged_from"][1] == {"checkpoint": sources[1], "step": 7}
    assert main(common + ["stop", "--steps", "2"]) == 0
    assert load_checkpoint(other / "stop" / "checkpoint.pt")["hamburger_step"] == 7
    argv = common + ["export", "--hamburger-stage", "stop", "--out", str(tmp_path / "pkg"), "--overwrite"]
    assert main(argv) == 0
    _, _, _, man = load_package(tmp_path / "pkg")
    assert man["provenance"]["stages"]["hamburger"]["averaged_from"][0]["checkpoint"] == sources[0]
    with pytest.raises(SystemExit, match="calibrates other weights than the average; remove it first"):
        main(common + ["average", *sources, "--overwrite"])
    shutil.rmtree(other / "stop")
    with pytest.raises(SystemExit, match="two or more hamburger checkpoints, got 1"):
        main(common + ["average", sources[0], "--overwrite"])
    with pytest.raises(SystemExit, match=r"baseline/checkpoint.pt \(a hamburger-stage checkpoint\) does not fit"):
        main(common + ["average", sources[0], str(other / "baseline" / "checkpoint.pt"), "--overwrite"])
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(SystemExit, match="other.pt holds no model weights"):
        main(common + ["average", sources[0], str(tmp_path / "other.pt"), "--overwrite"])
    with pytest.raises(SystemExit, match="nope.pt does not exist"):
        main(common + ["average", sources[0], str(tmp_path / "nope.pt"), "--overwrite"])


def test_ema_decay_keeps_a_moving_average_that_stop_calibrates_and_ships(work, tmp_path):
    import shutil
    import torch
    from hamburger.train import load_checkpoint
    other, common = _work_copy(work, tmp_path)
    start = load_checkpoint(other / "hamburger" / "checkpoint.pt")["model"]
    assert main(common + ["hamburger", "--steps", "4", "--ema-decay", "0.5"]) == 0
    ck = load_checkpoint(other / "hamburger" / "checkpoint.pt")
    assert ck["ema_since"] == 3 and ck["stage_config"]["ema_decay"] == 0.5
    # One update at decay 0.5 from step 3's weights: the mean of steps 3 and 4.
    moved = 0
    for name, weight in ck["model"].items():
        if weight.is_floating_point():
            assert ck["ema"][name].dtype == torch.float32
            assert torch.allclose(ck["ema"][name], (start[name] + weight) / 2, atol=1e-6), name
            moved += not torch.equal(start[name], weight)
    assert moved > 10
    assert main(common + ["hamburger", "--steps", "5", "--ema-decay", "0.5"]) == 0
    resumed = load_checkpoint(other / "hamburger" / "checkpoint.pt")
    assert resumed["ema_since"] == 3
    for name, average in resumed["ema"].items():
        assert torch.allclose(average, (ck["ema"][name] + resumed["model"][name]) / 2, atol=1e-6), name

    assert main(common + ["stop", "--steps", "2", "--weights", "ema"]) == 0
    calibrated = load_checkpoint(other / "stop" / "checkpoint.pt")
    assert calibrated["calibrated"] == {"weights": "ema", "ema_decay": 0.5, "ema_since": 3}
    assert main(common + ["export", "--hamburger-stage", "stop", "--out", str(tmp_path / "pkg")]) == 0
    _, _, _, man = load_package(tmp_path / "pkg")
    assert man["provenance"]["hamburger_weights"] == {"weights": "ema", "ema_decay": 0.5, "ema_since": 3}
    for name, weight in calibrated["model"].items():
        if ".stop_head." not in name:
            assert torch.equal(weight, resumed["ema"][name]), name
    with pytest.raises(SystemExit, match=r"step 5 \(ema weights\), but .* asks for its last weights; remove"):
        main(common + ["stop", "--steps", "3", "--weights", "last"])
    shutil.rmtree(other / "stop")

    assert main(common + ["hamburger", "--steps", "6"]) == 0       # no --ema-decay: the average is dropped
    assert "ema" not in load_checkpoint(other / "hamburger" / "checkpoint.pt")
    with pytest.raises(SystemExit, match="holds no moving average of its weights; train that stage with "
                                         "--ema-decay D to keep one, or take its last weights \\(--weights last\\)"):
        main(common + ["stop", "--steps", "2", "--weights", "ema"])
    for bad in ("1", "-0.1", "nan"):
        with pytest.raises(SystemExit, match=r"--ema-decay must lie in \[0, 1\), got"):
            main(common + ["hamburger", "--steps", "7", "--ema-decay", bad])


def test_a_baseline_trained_with_ema_decay_ships_its_average_when_asked(work, tmp_path):
    import torch
    from hamburger.train import load_checkpoint
    other, common = _work_copy(work, tmp_path)
    with pytest.raises(SystemExit, match=r"baseline/checkpoint.pt holds no moving average of its weights; .*"
                                         r"\(--baseline-weights last\)"):
        main(common + ["export", "--baseline-weights", "ema", "--out", str(tmp_path / "refused")])
    start = load_checkpoint(other / "baseline" / "checkpoint.pt")["model"]
    assert main(common + ["baseline", "--steps", "4", "--ema-decay", "0.5"]) == 0     # resumes at 3
    ck = load_checkpoint(other / "baseline" / "checkpoint.pt")
    assert ck["ema_since"] == 3 and ck["stage_config"]["ema_decay"] == 0.5
    for name, weight in ck["model"].items():
        assert torch.allclose(ck["ema"][name], (start[name] + weight) / 2, atol=1e-6), name

    assert main(common + ["export", "--baseline-weights", "ema", "--out", str(tmp_path / "pkg")]) == 0
    _, baseline, _, man = load_package(tmp_path / "pkg")
    assert man["provenance"]["baseline_weights"] == {"weights": "ema", "ema_decay": 0.5, "ema_since": 3}
    shipped, moved = baseline.state_dict(), 0
    for name, average in ck["ema"].items():
        assert torch.equal(shipped[name], average.half().float()), name
        moved += not torch.equal(shipped[name], ck["model"][name].half().float())
    assert moved > 10
    assert main(common + ["export", "--out", str(tmp_path / "last"), "--overwrite"]) == 0
    assert load_package(tmp_path / "last")[3]["provenance"]["baseline_weights"] == {"weights": "last"}
