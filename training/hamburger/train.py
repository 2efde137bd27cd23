"""The training stages, each resumable from its last checkpoint.

base      language model on the Brown stream + chat-formatted tasks
baseline  ordinary next-token SFT on the task responses, from base
distill   (optional) the baseline regenerates the responses greedily (self-distillation)
segment   cut the SFT responses into groups by the base's entropy
hamburger HAMburger from the base weights: token CE + 0.5 x stop BCE
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import torch
from tqdm import tqdm

from .config import ModelConfig
from .data import SftExample, load_sft, save_sft
from .decode import generate_baseline
from .ema import WeightAverage, chosen_weights
from .graphs import baseline_graphs
from .model import Hamburger, LlamaForCausalLM, count_params, init_weights
from .probe import HeldoutProbe
from .repeats import copy_wrappers, repeated_copy, repeated_spans
from .tokenizer import SPECIAL_TOKENS, ByteLevelBPE
from .objective import hamburger_loss, lm_loss, response_entropies, response_logits, sft_batch, sft_loss, split_groups
from .onnx_io import round_to_fp16
from .package import baseline_config
from .segment import ENTROPY_SOURCES, STRATEGIES

DISTILLED = "sft_distilled.pt"
SEGMENT_SAMPLE_SEED = 0


@dataclass(frozen=True)
class StageConfig:
    steps: int
    batch_size: int
    lr: float
    grafted_lr: float = 0.0          # hamburger stage: learning rate of the new modules
    warmup: int = 50
    weight_decay: float = 0.1
    ckpt_every: int = 100
    seed: int = 0
    repeat_rows: int = 0             # base, baseline and hamburger stages: rows per batch of synthetic repeats (repeats.py)
    repeat_source: str = "random"    # baseline and hamburger stages: the copied spans are random ids or windows of the LM stream
                                     # ("text"), or such windows shuffled ("shuffled")
    repeat_prompt: str = "bare"      # baseline and hamburger stages: the span alone after <|user|>, or in a copy family prompt ("copy")
    repeat_max_len: int = 48         # baseline and hamburger stages: longest copied span (repeats.SPAN_LENGTHS)
    unmerged_rows: int = 0           # hamburger stage: rows per batch fed one token per group, no stop loss
    unmerged_families: tuple[str, ...] = ()  # hamburger stage: the unmerged rows are drawn from these task
                                     # families of the whole SFT set (empty: the batch's own first rows)
    focus_rows: int = 0              # hamburger stage: rows per batch of segmented examples of focus_families
    focus_families: tuple[str, ...] = ()  # hamburger stage: the task families the focus rows are drawn from
    split_rate: float = 0.0          # hamburger stage: chance that a segmented group is cut in two (split_groups)
    miss_target: str = "argmax"      # stop stage: a stop target before each argmax miss, or the expected miss ("expected")
    weights: str = "last"            # stop stage: the hamburger checkpoint's weights ("last") or their moving average ("ema")
    end_weight: float = 1.0          # baseline and hamburger stages: loss weight of each answer's last token
    ema_decay: float = 0.0           # baseline and hamburger stages: decay of the moving average of the weights
                                     # saved beside them (ema.py; 0: none)
    length_groups: int = 0           # SFT-style stages: batches drawn from runs of this many batches sorted by length
    distill_weight: float = 0.0      # hamburger stage: weight of the KL to the SFT baseline's next-token distributions
                                     # (objective.distill_kl; 0: none)
    distill_teacher: str = "last"    # hamburger stage: the baseline checkpoint's last weights or their average ("ema")


class Run:
    """A stage's folder: checkpoint, log, and the config it was started with."""

    def __init__(self, folder: Path, stage: str, cfg: StageConfig):
        self.folder = folder / stage
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ckpt = self.folder / "checkpoint.pt"
        self.log_path = self.folder / "log.jsonl"
        self.stage, self.cfg = stage, cfg

    def log(self, record: dict) -> None:
        with open(self.log_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def save(self, model: torch.nn.Module, opt: torch.optim.Optimizer, step: int, elapsed: float,
             extra: dict | None = None) -> None:
        tmp = self.ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "stage_config": asdict(self.cfg), "rng": torch.get_rng_state(),
                    "py_rng": random.getstate(), **(extra or {})}, tmp)
        tmp.replace(self.ckpt)


def load_checkpoint(path: Path) -> dict:
    if not path.exists():
        raise SystemExit(f"error: checkpoint {path} does not exist; run the stage that writes it first")
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises several kinds for truncated or foreign files
        raise SystemExit(f"error: checkpoint {path} is corrupt or not a checkpoint ({type(e).__name__}: {e})")


def load_state(model: torch.nn.Module, state: dict, what: str) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise SystemExit(f"error: {what} does not fit the model config: {str(e)[:500]}")


def baseline_from_checkpoint(path: Path, cfg: ModelConfig, which: str) -> tuple[LlamaForCausalLM, dict, int]:
    """The baseline LLM in a baseline-stage checkpoint as `export` ships it: its last weights or
    their moving average (`which`), rounded to float16; with what those weights are (the
    package's provenance) and the checkpoint's step."""
    ck = load_checkpoint(path)
    weights, chosen = chosen_weights(ck, which, path, "--baseline-weights")
    baseline = LlamaForCausalLM(baseline_config(cfg))
    load_state(baseline, weights, f"the baseline checkpoint {path}")
    round_to_fp16(baseline)
    baseline.eval()
    return baseline, chosen, ck["step"]


def lr_at(step: int, cfg: StageConfig, peak: float) -> float:
    if step < cfg.warmup:
        return peak * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def autocast(device: torch.device):
    """bf16 on CUDA as the reference trains; plain fp32 on CPU, where bf16 is slower here."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def _loop(run: Run, model: torch.nn.Module, groups: list[dict], batch_loss: Callable[[int], tuple[torch.Tensor, dict]],
          device: torch.device, probe: Callable[[], dict] | None = None, extra: dict | None = None) -> None:
    """`extra`: entries stored in every checkpoint beside the model and optimizer."""
    cfg = run.cfg
    model.to(device)
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    peaks = [g["peak_lr"] for g in opt.param_groups]
    step, elapsed = 0, 0.0
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    ck: dict = {}
    if run.ckpt.exists():
        ck = load_checkpoint(run.ckpt)
        load_state(model, ck["model"], str(run.ckpt))
        if "opt" in ck:
            opt.load_state_dict(ck["opt"])
            # load_state_dict brings back the checkpoint's peaks; this command's --lr / --grafted-lr win,
            # so that a resumed stage can continue at another learning rate (training-log run 14).
            saved = [g["peak_lr"] for g in opt.param_groups]
            if saved != peaks:
                print(f"peak learning rates {sorted(set(saved))} -> {sorted(set(peaks))} (this command's)")
            for g, peak in zip(opt.param_groups, peaks):
                g["peak_lr"] = peak
        else:
            print(f"{run.ckpt} holds weights imported from {ck.get('imported_from', 'a package')}: "
                  "a fresh optimizer state")
        step, elapsed = ck["step"], ck["elapsed"]
        if "rng" in ck:
            torch.set_rng_state(ck["rng"])
            random.setstate(ck["py_rng"])
        print(f"resuming {run.stage} at step {step}/{cfg.steps}")
    average, since = None, step
    if cfg.ema_decay:
        kept = ck.get("ema")
        if kept is not None:
            since = ck["ema_since"]
        average = WeightAverage(model, cfg.ema_decay, kept)
        print(f"weight average (decay {cfg.ema_decay}) " + (f"goes on from step {since}" if kept is not None
                                                           else f"starts at step {step}'s weights"))
    elif "ema" in ck:
        print(f"{run.ckpt}'s weight average is dropped: this command has no --ema-decay")

    def saved_extra() -> dict:
        if average is None:
            return extra or {}
        return {**(extra or {}), "ema": average.state_dict(), "ema_since": since}
    model.train()
    bar = tqdm(total=cfg.steps, initial=step, desc=run.stage, dynamic_ncols=True)
    t0 = time.time()
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg, g["peak_lr"])
        with autocast(device):
            loss, metrics = batch_loss(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if average is not None:
            average.update(model)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
        if step % 10 == 0 or step == cfg.steps:
            run.log({"step": step, "loss": loss.item(), "grad_norm": float(gnorm),
                     "elapsed_s": round(elapsed + time.time() - t0, 1), **metrics})
        if step % cfg.ckpt_every == 0 or step == cfg.steps:
            run.save(model, opt, step, elapsed + time.time() - t0, saved_extra())
            if probe is not None:
                with autocast(device):
                    run.log({"step": step, **probe()})
    bar.close()


def _param_groups(named: list[tuple[str, torch.nn.Parameter]], lr: float) -> list[dict]:
    seen, decay, no_decay = set(), [], []
    for n, p in named:
        if id(p) in seen:
            continue
        seen.add(id(p))
        (decay if p.dim() >= 2 else no_decay).append(p)
    return [{"params": decay, "peak_lr": lr}, {"params": no_decay, "peak_lr": lr, "weight_decay": 0.0}]


def train_base(work: Path, mcfg: ModelConfig, cfg: StageConfig, seq_len: int, device: torch.device,
               init_from: Path | None = None) -> None:
    """`init_from`: start from another run's base checkpoint (weights only; a fresh schedule)."""
    stream = torch.load(work / "data" / "lm.pt").long()
    run = Run(work, "base", cfg)
    torch.manual_seed(cfg.seed)
    llm = LlamaForCausalLM(mcfg)
    init_weights(llm)
    if init_from is not None and not run.ckpt.exists():
        load_state(llm, load_checkpoint(init_from)["model"], str(init_from))
    print(f"base: {count_params(llm) / 1e6:.2f}M parameters, {len(stream) / 1e6:.2f}M tokens in the stream")

    def batch(step: int):
        starts = torch.randint(0, len(stream) - seq_len - 1, (cfg.batch_size - cfg.repeat_rows,))
        windows = torch.stack([stream[s:s + seq_len + 1] for s in starts.tolist()])
        if not cfg.repeat_rows:
            return lm_loss(llm, windows), {}
        spans, span_targets = repeated_spans(cfg.repeat_rows, seq_len, len(SPECIAL_TOKENS), mcfg.vocab_size)
        inputs, targets = torch.cat([windows[:, :-1], spans]), torch.cat([windows[:, 1:], span_targets])
        return sft_loss(llm, inputs, targets), {}

    probe = HeldoutProbe(work / "data")
    _loop(run, llm, _param_groups(list(llm.named_parameters()), cfg.lr), batch, device, lambda: probe.measure(llm))


def _sft_sampler(examples: list[SftExample], batch_size: int, seed: int,
                 length_groups: int = 0) -> Callable[[int], list[SftExample]]:
    """Epoch-wise shuffled batches, a pure function of the step (so resuming needs no state).

    `length_groups` G > 0: each run of G batches of the shuffled order is sorted by length,
    cut into G batches, and those are drawn in a shuffled order, so a batch pads to a length
    near its own examples' (on the byte-level data, G = 16 pads 0.41x the tokens of random
    batches; docs/training-log.md run 11)."""

    def sample(step: int) -> list[SftExample]:
        epoch, offset = divmod(step * batch_size, len(examples))
        order = list(range(len(examples)))
        random.Random(seed + epoch).shuffle(order)
        if not length_groups:
            return [examples[i] for i in order[offset:offset + batch_size]]
        span = batch_size * length_groups
        start = offset // span * span
        run = sorted(order[start:start + span], key=lambda i: len(examples[i].prompt_ids) + len(examples[i].response_ids))
        batches = [run[i:i + batch_size] for i in range(0, len(run), batch_size)]
        rng = random.Random(f"{seed}/{epoch}/{start}")
        rng.shuffle(batches)
        chosen = batches[(offset - start) // batch_size]
        rng.shuffle(chosen)          # rows are not ordered by length (the hamburger stage's first rows are unmerged)
        return [examples[i] for i in chosen]

    return sample


def _step_rng(cfg: StageConfig, step: int) -> random.Random:
    """The rng of one batch's random choices (copy rows, group cuts): seeded by the step, so a
    resumed run draws what an uninterrupted one would."""
    return random.Random(cfg.seed * 1_000_003 + step)


def _copy_rows(work: Path, mcfg: ModelConfig,
               cfg: StageConfig) -> Callable[[random.Random], Iterator[tuple[SftExample, list[int]]]]:
    """The stage's `repeat_rows` synthetic copy requests (repeats.repeated_copy), drawn one by one
    with an rng, each with its group sizes."""
    text = (torch.load(work / "data" / "lm.pt").long()
            if cfg.repeat_rows and cfg.repeat_source in ("text", "shuffled") else None)
    wrappers = copy_wrappers(ByteLevelBPE.load(work / "data" / "tokenizer.json")) if cfg.repeat_prompt == "copy" else None
    if wrappers and max(len(b) + len(a) for b, a in wrappers) + 2 * cfg.repeat_max_len + 1 > mcfg.max_position:
        raise SystemExit(f"error: a copy prompt around a span of {cfg.repeat_max_len} tokens and its copy exceed "
                         f"the model's {mcfg.max_position} positions; lower --repeat-max-len")

    def draw(rng: random.Random) -> Iterator[tuple[SftExample, list[int]]]:
        for _ in range(cfg.repeat_rows):
            yield repeated_copy(rng, len(SPECIAL_TOKENS), mcfg.vocab_size, mcfg.max_steps, text, cfg.repeat_max_len,
                                cfg.repeat_source == "shuffled", wrappers)

    return draw


def train_baseline(work: Path, mcfg: ModelConfig, cfg: StageConfig, pad_id: int, device: torch.device) -> None:
    """Next-token SFT on the task responses, plus `repeat_rows` synthetic copy requests per batch
    when asked: the same data the hamburger stage saw, so that the comparison is fair
    (training-log run 17)."""
    examples = load_sft(work / "data")
    run = Run(work, "baseline", cfg)
    llm = LlamaForCausalLM(baseline_config(mcfg))
    if not run.ckpt.exists():          # a resumed stage (or one seeded by import-package) has its own weights
        load_state(llm, load_checkpoint(work / "base" / "checkpoint.pt")["model"], "the base checkpoint")
    sample = _sft_sampler(examples, cfg.batch_size - cfg.repeat_rows, cfg.seed, cfg.length_groups)
    copies = _copy_rows(work, mcfg, cfg)

    def batch(step: int):
        chunk = sample(step) + [example for example, _ in copies(_step_rng(cfg, step))]
        inputs, targets = sft_batch(chunk, pad_id)
        return sft_loss(llm, inputs, targets, end_weight=cfg.end_weight), {}

    probe = HeldoutProbe(work / "data")
    _loop(run, llm, _param_groups(list(llm.named_parameters()), cfg.lr), batch, device, lambda: probe.measure(llm))


def distill(work: Path, mcfg: ModelConfig, limit: int, eos_id: int, max_new_tokens: int = 192) -> dict:
    """Self-distillation: the SFT baseline regenerates `limit` responses (the sample segment takes) greedily, so
    that segmentation and HAMburger training follow what the model itself would write.
    Writes data/sft_distilled.pt; a response that does not end in eos keeps the original."""
    examples = load_sft(work / "data")
    if limit:
        examples = random.Random(SEGMENT_SAMPLE_SEED).sample(examples, min(limit, len(examples)))
    llm = LlamaForCausalLM(baseline_config(mcfg))
    load_state(llm, load_checkpoint(work / "baseline" / "checkpoint.pt")["model"], "the baseline checkpoint")
    graphs = baseline_graphs(llm.eval())
    out, changed = [], 0
    for e in tqdm(examples, desc="distill"):
        ids = generate_baseline(graphs, llm.model.cfg, e.prompt_ids, eos_id, max_new_tokens).output_ids
        if ids[-1] == eos_id and ids != e.response_ids:
            out.append(replace(e, response_ids=ids))
            changed += 1
        else:
            out.append(e)
    save_sft(out, work / "data" / DISTILLED)
    return {"examples": len(out), "changed": changed}


def segment(work: Path, mcfg: ModelConfig, strategy: str, pad_id: int, responses: str = "sft.pt",
            limit: int = 0, batch_size: int = 64, device: torch.device = torch.device("cpu"),
            entropy_from: str = "base") -> dict:
    """Writes segments.pt: the responses file used and, per example id, its group sizes, for
    a seeded sample of `limit` examples across families (0: all); the hamburger stage trains
    on those. `entropy_from`: whose entropies cut the responses, the base stage's or the SFT
    baseline's (the model a HAMburger stage started `--init-from` the baseline grows from: the
    base of run 4 does not copy prose, its SFT baseline does; docs/training-log.md)."""
    if strategy not in STRATEGIES:
        raise SystemExit(f"error: unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    if entropy_from not in ENTROPY_SOURCES:
        raise SystemExit(f"error: unknown entropy source {entropy_from!r}; allowed: {', '.join(ENTROPY_SOURCES)}")
    examples = load_sft(work / "data", responses)
    if limit:
        # sft.pt is grouped by family: a prefix would hold only the first families.
        examples = random.Random(SEGMENT_SAMPLE_SEED).sample(examples, min(limit, len(examples)))
    # Batches of similar length waste little on padding.
    examples = sorted(examples, key=lambda e: len(e.prompt_ids) + len(e.response_ids))
    llm = LlamaForCausalLM(baseline_config(mcfg))
    load_state(llm, load_checkpoint(work / entropy_from / "checkpoint.pt")["model"], f"the {entropy_from} checkpoint")
    llm.to(device).eval()
    split = STRATEGIES[strategy]
    out: dict[str, list[int]] = {}
    for i in tqdm(range(0, len(examples), batch_size), desc="segment"):
        chunk = examples[i:i + batch_size]
        for e, ent in zip(chunk, response_entropies(llm, chunk, pad_id)):
            out[e.id] = split(ent, mcfg.max_steps, mcfg.vocab_size)
    torch.save({"strategy": strategy, "responses": responses, "entropy_from": entropy_from, "groups": out},
               work / "segments.pt")
    sizes = [k for gs in out.values() for k in gs]
    return {"strategy": strategy, "responses": responses, "entropy_from": entropy_from, "groups": len(sizes),
            "tokens_per_group": sum(sizes) / len(sizes)}


def _segmentation(work: Path) -> tuple[list[SftExample], dict[str, list[int]]]:
    """The SFT responses that `segment` cut (the self-distilled ones where it cut those), every
    one, and the group sizes of the segmented ones by example id."""
    seg_path = work / "segments.pt"
    if not seg_path.exists():
        raise SystemExit(f"error: {seg_path} does not exist; run the segment stage first")
    seg = torch.load(seg_path)
    return load_sft(work / "data", seg.get("responses", "sft.pt")), seg["groups"]


def _segmented(responses: list[SftExample], groups: dict[str, list[int]]) -> list[SftExample]:
    examples = [e for e in responses if e.id in groups]
    if not examples:
        raise SystemExit("error: no training example has a segmentation; rerun segment")
    return examples


def _of_families(responses: list[SftExample], families: tuple[str, ...]) -> list[SftExample]:
    """Every example of `families`, segmented or not (unmerged rows need no groups)."""
    examples = [e for e in responses if e.family in families]
    if not examples:
        raise SystemExit(f"error: the training data has no example of {', '.join(families)}")
    return examples


def train_hamburger(work: Path, mcfg: ModelConfig, cfg: StageConfig, pad_id: int, device: torch.device,
                    init_from: Path | None = None) -> None:
    """`init_from`: the checkpoint whose LLM weights start the base (default: the base stage's;
    the SFT baseline's makes HAMburger start from an instruction-tuned model, as the
    reference starts from Llama-3.2-1B-Instruct). With `cfg.distill_weight`, the work folder's
    baseline checkpoint (as `export` would ship it) is the teacher of every batch."""
    responses, groups = _segmentation(work)
    examples = _segmented(responses, groups)
    run = Run(work, "hamburger", cfg)
    torch.manual_seed(cfg.seed)
    h = Hamburger(mcfg)
    init_weights(h.comp_embedder)
    init_weights(h.micro_step_decoder)
    if not run.ckpt.exists():          # a resumed stage (or one seeded by import-package) has its own weights
        start = init_from or work / "base" / "checkpoint.pt"
        load_state(h.model, load_checkpoint(start)["model"], str(start))
    grafted = [(n, p) for n, p in h.named_parameters() if not n.startswith("model.")]
    param_groups = _param_groups(list(h.model.named_parameters()), cfg.lr) + _param_groups(grafted, cfg.grafted_lr)
    n = cfg.unmerged_rows
    own = cfg.batch_size - cfg.repeat_rows - cfg.focus_rows - (n if cfg.unmerged_families else 0)
    # The unmerged rows come first (the batch's own first rows unless drawn from their families).
    samplers = [_sft_sampler(examples, own, cfg.seed, cfg.length_groups)]
    if cfg.unmerged_families:
        samplers.insert(0, _sft_sampler(_of_families(responses, cfg.unmerged_families), n, cfg.seed + 2))
    if cfg.focus_rows:
        samplers.append(_sft_sampler(_of_families(examples, cfg.focus_families), cfg.focus_rows, cfg.seed + 3))

    def sample(step: int) -> list[SftExample]:
        return [e for draw in samplers for e in draw(step)]
    copies = _copy_rows(work, mcfg, cfg)
    teacher = None
    if cfg.distill_weight:
        teacher, _, _ = baseline_from_checkpoint(work / "baseline" / "checkpoint.pt", mcfg, cfg.distill_teacher)
        teacher.to(device)

    def batch(step: int):
        # The unmerged rows keep plain next-token decoding (confidence 1.0), and with
        # `unmerged_families` such as continue the prose, as good as the baseline's while the
        # others learn the groups.
        chunk = sample(step)
        rng = _step_rng(cfg, step)
        rows = ([([1] * len(e.response_ids), [True] * len(e.response_ids)) for e in chunk[:n]]
                + [split_groups(groups[e.id], cfg.split_rate, rng) for e in chunk[n:]])
        for example, sizes in copies(rng):
            chunk.append(example)
            rows.append(split_groups(sizes, cfg.split_rate, rng))
        teacher_logits = response_logits(teacher, chunk, pad_id) if teacher is not None else None
        return hamburger_loss(h, chunk, [sizes for sizes, _ in rows], stop_at_end=[ends for _, ends in rows],
                              supervise_stop=[False] * n + [True] * (len(chunk) - n), end_weight=cfg.end_weight,
                              teacher_logits=teacher_logits, distill_weight=cfg.distill_weight)

    _loop(run, h, param_groups, batch, device)


def train_stop(work: Path, mcfg: ModelConfig, cfg: StageConfig, device: torch.device) -> None:
    """Calibrates the stop head of the trained HAMburger model to its own micro decoder: the
    segmentation's group ends plus every token whose successor the model gets wrong are stop
    targets (`miss_target` "expected": the probability that it does, a soft target);
    everything but the stop head stays frozen. Writes work/stop/checkpoint.pt, the whole
    model, which `export --hamburger-stage stop` ships."""
    responses, groups = _segmentation(work)
    examples = _segmented(responses, groups)
    source = work / "hamburger" / "checkpoint.pt"
    if not source.exists():
        raise SystemExit(f"error: {source} does not exist; run the hamburger stage first")
    run = Run(work, "stop", cfg)
    h = Hamburger(mcfg)
    source_ck = load_checkpoint(source)
    weights, which = chosen_weights(source_ck, cfg.weights, source, "--weights")
    load_state(h, weights, str(source))
    if run.ckpt.exists():
        # A stop stage resumed over newer hamburger weights would ship the old ones.
        old = load_checkpoint(run.ckpt)
        calibrated = (old.get("hamburger_step", source_ck["step"]), old.get("calibrated", {}).get("weights", "last"))
        if calibrated != (source_ck["step"], cfg.weights):
            raise SystemExit(f"error: {run.ckpt} calibrates the hamburger stage's step {calibrated[0]} "
                             f"({calibrated[1]} weights), but {source} is at step {source_ck['step']} and this "
                             f"command asks for its {cfg.weights} weights; remove {run.folder} to calibrate them")
    stop_head = h.micro_step_decoder.stop_head
    for p in h.parameters():
        p.requires_grad_(False)
    for p in stop_head.parameters():
        p.requires_grad_(True)
    sample = _sft_sampler(examples, cfg.batch_size, cfg.seed + 1, cfg.length_groups)

    def batch(step: int):
        chunk = sample(step)
        return hamburger_loss(h, chunk, [groups[e.id] for e in chunk], stop_on_miss=cfg.miss_target)

    _loop(run, h, _param_groups(list(stop_head.named_parameters()), cfg.lr), batch, device,
          extra={"hamburger_step": source_ck["step"], "calibrated": which})
