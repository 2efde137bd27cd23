"""The training stages, each resumable from its last checkpoint.

base      language model on the Brown stream + chat-formatted tasks
baseline  ordinary next-token SFT on the task responses, from base
segment   cut the SFT responses into groups by the base's (or the baseline's) entropy
hamburger HAMburger from the base (or baseline) weights: token CE + 0.5 x stop BCE
stop      the stop head calibrated to the hamburger stage's own micro-step misses

A stage's command-line options are the fields of `StageConfig` made by `_option`; the CLI
derives its parser from them and `stage_config` checks every given value in one place.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterator

import torch
from tqdm import tqdm

from .chat_data import ChatFormat, ProjectChat, cached_chat_jsonl, data_digest
from .config import ModelConfig
from .data import SftExample, load_sft
from .distributed import Batch, DataParallel
from .execution import Execution
from .ema import CHECKPOINT_WEIGHTS, WeightAverage, chosen_weights
from .hf_llama import HfChat, graft_onto, grown_from, load_llama
from .model import Hamburger, LlamaForCausalLM, count_params, init_weights
from .probe import HeldoutProbe
from .repeats import REPEAT_PROMPTS, REPEAT_SOURCES, copy_wrappers, repeated_copy, repeated_spans
from .tasks import FAMILIES
from .tokenizer import PAD_ID, SPECIAL_TOKENS, ByteLevelBPE
from .objective import hamburger_loss, lm_loss, response_entropies, sft_batch, sft_loss, split_groups
from .onnx_io import round_to_fp16
from .package import baseline_config
from .segment import STRATEGIES

SEGMENT_SAMPLE_SEED = 0
STAGES = ("base", "baseline", "hamburger", "stop")
REPEAT_STAGES = ("baseline", "hamburger")         # the stages whose repeat rows are copy requests


def _option(stages: tuple[str, ...], help: str, default=MISSING, *, low=None, high=None, exclusive: str = "",
            choices: tuple[str, ...] | None = None, metavar: str = "") -> Field:
    """A `StageConfig` field that `stages` take on the command line as --<name-with-dashes>.
    `low` and `high` bound it, each a number or a function of the stage's config and the model
    config; `exclusive` names an open end ("low" or "high"); `choices` are a string's values or
    a tuple's members; `metavar` names a path option's value in the help."""
    return field(default=default, metadata={"stages": stages, "help": help, "low": low, "high": high,
                                            "exclusive": exclusive, "choices": choices, "metavar": metavar})


def _below_batch(cfg: StageConfig, mcfg: ModelConfig) -> int:
    """Rows of a batch that one kind of row may take: all but one."""
    return cfg.batch_size - 1


@dataclass(frozen=True)
class StageConfig:
    """A stage's budget (the preset's: steps, batch_size, lr, ...) and the options it was run
    with; saved in its checkpoint."""
    steps: int = _option(STAGES, "steps of the stage's cosine schedule (default: the preset's)", low=1)
    batch_size: int
    lr: float = _option(STAGES, "peak learning rate (the hamburger stage's: its LLM's); a resumed stage takes "
                        "this command's (default: the preset's)", low=0, high=1, exclusive="low")
    grafted_lr: float = _option(("hamburger",), "peak learning rate of the compositional embedder and micro-step "
                                "decoder; a resumed stage takes this command's (default: the preset's)", 0.0,
                                low=0, high=1, exclusive="low")
    warmup: int = 50
    weight_decay: float = 0.1
    ckpt_every: int = 100
    seed: int = 0
    # The shipped model's recipe stops phases of these two stages by hand (training/recipes/).
    pause_at: int = _option(("base", "hamburger"), "end this command at step N of the schedule, with a checkpoint "
                            "there, as a run stopped by hand; a later command resumes it (default 0: at --steps)", 0,
                            low=0, high=lambda cfg, mcfg: cfg.steps)
    init_from: str = _option(("base", "hamburger"), "start the LLM from this checkpoint's weights when the stage has "
                             "none yet (hamburger: default the base's; e.g. the baseline's)", "")
    seq_len: int = _option(("base",), "tokens per language-modelling window (default 256)", 256,
                           low=16, high=lambda cfg, mcfg: mcfg.max_position)
    repeat_rows: int = _option(("base", *REPEAT_STAGES), "rows per batch of synthetic repeats (repeats.py; base: "
                               "random spans that occur twice; baseline and hamburger: a span to copy, the hamburger "
                               "stage's in groups of max_steps tokens; default 0)", 0, low=0, high=_below_batch)
    repeat_source: str = _option(REPEAT_STAGES, "what the repeat rows copy: random token ids (default), windows of "
                                 "the training text (the LM stream), or such windows in shuffled order", "random",
                                 choices=REPEAT_SOURCES)
    repeat_prompt: str = _option(REPEAT_STAGES, "how the repeat rows ask for the copy: the span alone after <|user|> "
                                 "(default) or inside one of the copy family's prompts", "bare", choices=REPEAT_PROMPTS)
    # A copy request holds the span twice, with its 3 chat tokens and <|eos|>.
    repeat_max_len: int = _option(REPEAT_STAGES, "longest span the repeat rows copy, in tokens (spans start at 8; "
                                  "default 48)", 48, low=8, high=lambda cfg, mcfg: (mcfg.max_position - 4) // 2)
    unmerged_rows: int = _option(("hamburger",), "rows per batch whose response is fed one token per group, as at "
                                 "confidence 1.0, with no stop loss (default 0)", 0, low=0, high=_below_batch)
    unmerged_families: tuple[str, ...] = _option(("hamburger",), "comma-separated task families the unmerged rows are "
                                                 "drawn from, out of the whole training set (e.g. continue, to keep "
                                                 "the prose); default: the batch's own first rows", (),
                                                 choices=FAMILIES)
    focus_rows: int = _option(("hamburger",), "rows per batch of segmented examples drawn from the focus families, "
                              "on top of the batch's share of them (default 0)", 0, low=0, high=_below_batch)
    focus_families: tuple[str, ...] = _option(("hamburger",), "comma-separated task families the focus rows are "
                                              "drawn from (e.g. arithmetic,table)", (), choices=FAMILIES)
    split_rate: float = _option(("hamburger",), "chance that a segmented group is cut in two at a random point, so "
                                "the base learns the prefixes a calibrated stop head leaves (default 0)", 0.0,
                                low=0, high=1)
    ema_decay: float = _option(REPEAT_STAGES, "keep a moving average of the weights with this decay in the checkpoint "
                               "(e.g. 0.999: about the last 1,000 steps), for `stop --weights ema` and `export "
                               "--baseline-weights ema` (ema.py; default 0, none)", 0.0, low=0, high=1,
                               exclusive="high")
    length_groups: int = _option(("baseline", "hamburger", "stop"), "draw each batch from a run of N batches sorted "
                                 "by length, so that it pads little (default 0: random batches)", 0, low=0, high=1024)
    weights: str = _option(("stop",), "which hamburger weights to calibrate and ship: the checkpoint's last "
                           "(default) or the moving average it keeps when trained with --ema-decay",
                           "last", choices=CHECKPOINT_WEIGHTS)
    init_from_hf: str = _option(("baseline", "hamburger"), "start the LLM from this Hugging Face Llama folder "
                                "(config.json, model.safetensors or its shards, tokenizer files) when the stage has "
                                "no checkpoint yet; the work folder then grows from it (hf_llama.py)", "",
                                metavar="DIR")
    data: str = _option(("baseline", "hamburger", "stop"), "train on this JSONL file of chat examples instead of the "
                        "project's task data (chat_data.py; docs/training.md)", "", metavar="FILE")


def stage_options(stage: str) -> list[Field]:
    """The `StageConfig` fields that `stage` takes on the command line."""
    return [f for f in fields(StageConfig) if stage in f.metadata.get("stages", ())]


def option_flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _bound(end, cfg: StageConfig, mcfg: ModelConfig):
    return end(cfg, mcfg) if callable(end) else end


def stage_config(stage: str, budget: dict, options: dict, mcfg: ModelConfig) -> StageConfig:
    """`stage`'s config: the preset's `budget` with the command's `options` (field name ->
    value), each checked against its field's choices and bounds, and the rules between them."""
    cfg = StageConfig(**{**budget, **options})
    for f in stage_options(stage):
        if f.name not in options:
            continue
        value, flag, meta = options[f.name], option_flag(f.name), f.metadata
        if isinstance(value, tuple) and (not value or not set(value) <= set(meta["choices"])):
            raise SystemExit(f"error: {flag} takes a comma-separated list out of {', '.join(meta['choices'])}; "
                             f"got {','.join(value)!r}")
        if isinstance(value, str) and meta["choices"] and value not in meta["choices"]:
            raise SystemExit(f"error: {flag} takes one of {', '.join(meta['choices'])}; got {value!r}")
        low, high = _bound(meta["low"], cfg, mcfg), _bound(meta["high"], cfg, mcfg)
        if low is None:
            continue
        if high is None:
            if not value >= low:
                raise SystemExit(f"error: {flag} must be at least {low}, got {value}")
            continue
        open_low, open_high = meta["exclusive"] == "low", meta["exclusive"] == "high"
        inside = (low < value if open_low else low <= value) and (value < high if open_high else value <= high)
        if not inside:                                  # nan lies nowhere
            span = (f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
                    if open_low or open_high else f"{low}..{high}")
            raise SystemExit(f"error: {flag} must lie in {span}, got {value}")
    rows = {"repeat_rows": cfg.repeat_rows, "unmerged_rows": cfg.unmerged_rows, "focus_rows": cfg.focus_rows}
    if sum(rows.values()) >= cfg.batch_size:
        raise SystemExit(f"error: {', '.join(map(option_flag, rows))} together must leave at least one of the "
                         f"{cfg.batch_size} rows for the batch's own task examples, got "
                         + " + ".join(map(str, rows.values())))
    if cfg.unmerged_families and not cfg.unmerged_rows:
        raise SystemExit("error: --unmerged-families needs --unmerged-rows N (N > 0): it says where those rows "
                         "come from")
    if cfg.data and cfg.repeat_rows:
        raise SystemExit("error: --repeat-rows adds the project's synthetic copy requests; with --data the batch "
                         "holds the file's examples only")
    if cfg.init_from and cfg.init_from_hf:
        raise SystemExit("error: --init-from CKPT and --init-from-hf DIR both say where the LLM starts; give one")
    if bool(cfg.focus_rows) != bool(cfg.focus_families):
        raise SystemExit("error: --focus-rows N (N > 0) and --focus-families F1,F2 go together: the one says how "
                         "many rows per batch, the other which families they are drawn from")
    return cfg


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


def _loop(run: Run, model: torch.nn.Module, groups: list[dict], batch_loss: Callable[[int], Batch],
          device: torch.device, execution: Execution, probe: Callable[[], dict] | None = None,
          extra: dict | None = None) -> None:
    """`batch_loss(step)`: the step's whole batch, drawn by every process alike (distributed.py).
    `extra`: entries stored in every checkpoint beside the model and optimizer."""
    cfg = run.cfg
    main = execution.processes.main
    execution.check_batch(cfg.batch_size)
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
        if main:                        # every process holds the same weights: the checkpoint's writer averages them
            average = WeightAverage(model, cfg.ema_decay, kept)
        print(f"weight average (decay {cfg.ema_decay}) " + (f"goes on from step {since}" if kept is not None
                                                           else f"starts at step {step}'s weights"))
    elif "ema" in ck:
        print(f"{run.ckpt}'s weight average is dropped: this command has no --ema-decay")

    def saved_extra() -> dict:
        if average is None:
            return extra or {}
        return {**(extra or {}), "ema": average.state_dict(), "ema_since": since}
    execution.prepare(model)
    parallel = DataParallel(model, execution.processes, device, execution.grad_accum)
    model.train()
    end = cfg.pause_at or cfg.steps
    bar = tqdm(total=end, initial=step, desc=run.stage, dynamic_ncols=True, disable=not main)
    t0 = time.time()
    while step < end:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg, g["peak_lr"])
        opt.zero_grad(set_to_none=True)
        metrics = parallel.backward(batch_loss(step), lambda: execution.autocast(device))
        loss = metrics.pop("loss")
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if average is not None:
            average.update(model)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}")
        if not main:
            continue
        if step % execution.log_every == 0 or step == end:
            run.log({"step": step, "loss": loss, "grad_norm": float(gnorm),
                     "elapsed_s": round(elapsed + time.time() - t0, 1), **metrics})
        if step % cfg.ckpt_every == 0 or step == end:
            run.save(model, opt, step, elapsed + time.time() - t0, saved_extra())
            if probe is not None:
                with execution.autocast(device):
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


def train_base(work: Path, mcfg: ModelConfig, cfg: StageConfig, device: torch.device,
               execution: Execution = Execution()) -> None:
    """`cfg.init_from`: start from another run's base checkpoint (weights only; a fresh schedule)."""
    stream = torch.load(work / "data" / "lm.pt").long()
    run = Run(work, "base", cfg)
    torch.manual_seed(cfg.seed)
    llm = LlamaForCausalLM(mcfg)
    init_weights(llm)
    if cfg.init_from and not run.ckpt.exists():
        load_state(llm, load_checkpoint(Path(cfg.init_from))["model"], cfg.init_from)
    print(f"base: {count_params(llm) / 1e6:.2f}M parameters, {len(stream) / 1e6:.2f}M tokens in the stream")

    def batch(step: int):
        starts = torch.randint(0, len(stream) - cfg.seq_len - 1, (cfg.batch_size - cfg.repeat_rows,))
        windows = torch.stack([stream[s:s + cfg.seq_len + 1] for s in starts.tolist()])
        if not cfg.repeat_rows:
            return Batch(len(windows), lambda rows: (lm_loss(llm, windows, rows), {}))
        spans, span_targets = repeated_spans(cfg.repeat_rows, cfg.seq_len, len(SPECIAL_TOKENS), mcfg.vocab_size)
        inputs, targets = torch.cat([windows[:, :-1], spans]), torch.cat([windows[:, 1:], span_targets])
        return Batch(len(inputs), lambda rows: (sft_loss(llm, inputs, targets, rows), {}))

    probe = HeldoutProbe(work / "data")
    _loop(run, llm, _param_groups(list(llm.named_parameters()), cfg.lr), batch, device, execution,
          lambda: probe.measure(llm))


def _sft_sampler(examples: list[SftExample], batch_size: int, seed: int,
                 length_groups: int = 0) -> Callable[[int], list[SftExample]]:
    """Epoch-wise shuffled batches, a pure function of the step (so resuming needs no state).

    `length_groups` G > 0: each run of G batches of the shuffled order is sorted by length,
    cut into G batches, and those are drawn in a shuffled order, so a batch pads to a length
    near its own examples' (on the byte-level data, G = 16 pads 0.41x the tokens of random
    batches; docs/history/training-log.md run 11)."""

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


def chat_format(work: Path, mcfg: ModelConfig) -> ChatFormat:
    """How `--data` is rendered and tokenized: with the Llama folder's template and tokenizer
    in a work folder grown from one, else with the project's template and `prepare`'s tokenizer."""
    grown = grown_from(work)
    if grown is not None:
        return HfChat(Path(grown["folder"]), mcfg.vocab_size)
    tokenizer = work / "data" / "tokenizer.json"
    if not tokenizer.is_file():
        raise SystemExit(f"error: --data is tokenized with {tokenizer}, which does not exist; run `prepare` "
                         "first, or grow from a Hugging Face Llama with --init-from-hf DIR (its tokenizer)")
    return ProjectChat(tokenizer)


def training_examples(work: Path, mcfg: ModelConfig, data: str) -> list[SftExample]:
    """The stage's SFT examples: the --data file's (their tokens cached in work/chat-tokens),
    else the project's (work/data/sft.pt)."""
    if data:
        return cached_chat_jsonl(Path(data), chat_format(work, mcfg), mcfg.max_position, work / "chat-tokens")
    return load_sft(work / "data")


def train_baseline(work: Path, mcfg: ModelConfig, cfg: StageConfig, device: torch.device,
                   execution: Execution = Execution()) -> None:
    """Next-token SFT on the task responses, plus `repeat_rows` synthetic copy requests per batch
    when asked: the same data the hamburger stage saw, so that the comparison is fair
    (training-log run 17)."""
    examples = training_examples(work, mcfg, cfg.data)
    run = Run(work, "baseline", cfg)
    llm = LlamaForCausalLM(baseline_config(mcfg))
    if not run.ckpt.exists():          # a resumed stage (or one seeded by import-package) has its own weights
        if cfg.init_from_hf:
            llm.load_state_dict(load_llama(Path(cfg.init_from_hf), mcfg).state_dict())
        else:
            load_state(llm, load_checkpoint(work / "base" / "checkpoint.pt")["model"], "the base checkpoint")
    sample = _sft_sampler(examples, cfg.batch_size - cfg.repeat_rows, cfg.seed, cfg.length_groups)
    copies = _copy_rows(work, mcfg, cfg)

    def batch(step: int):
        chunk = sample(step) + [example for example, _ in copies(_step_rng(cfg, step))]
        inputs, targets = sft_batch(chunk, PAD_ID)
        return Batch(len(chunk), lambda rows: (sft_loss(llm, inputs, targets, rows), {}))

    probe = None if cfg.data else HeldoutProbe(work / "data")      # it measures the project's task families
    _loop(run, llm, _param_groups(list(llm.named_parameters()), cfg.lr), batch, device, execution,
          probe and (lambda: probe.measure(llm)))


def segment(work: Path, mcfg: ModelConfig, strategy: str, limit: int, device: torch.device,
            entropy_from: str, batch_size: int = 64, data: str = "", init_from_hf: str = "") -> dict:
    """Writes segments.pt: per example id, its group sizes, for a seeded sample of `limit`
    examples across families (0: all); the hamburger stage trains on those. `entropy_from`:
    whose entropies cut the responses, the base stage's or the SFT baseline's (the model a
    HAMburger stage started `--init-from` the baseline grows from: the base of run 4 does not
    copy prose, its SFT baseline does; docs/history/training-log.md); `init_from_hf`: a Hugging
    Face Llama folder's instead (the model a HAMburger grown from it starts as, as the authors
    segment). `data`: the --data file's examples instead of the project's."""
    examples = training_examples(work, mcfg, data)
    if limit:
        # sft.pt is grouped by family: a prefix would hold only the first families.
        examples = random.Random(SEGMENT_SAMPLE_SEED).sample(examples, min(limit, len(examples)))
    # Batches of similar length waste little on padding.
    examples = sorted(examples, key=lambda e: len(e.prompt_ids) + len(e.response_ids))
    if init_from_hf:
        llm, entropy_from = load_llama(Path(init_from_hf), mcfg), "hf"
    else:
        llm = LlamaForCausalLM(baseline_config(mcfg))
        load_state(llm, load_checkpoint(work / entropy_from / "checkpoint.pt")["model"], f"the {entropy_from} checkpoint")
    llm.to(device).eval()
    split = STRATEGIES[strategy]
    out: dict[str, list[int]] = {}
    for i in tqdm(range(0, len(examples), batch_size), desc="segment"):
        chunk = examples[i:i + batch_size]
        for e, ent in zip(chunk, response_entropies(llm, chunk, PAD_ID)):
            out[e.id] = split(ent, mcfg.max_steps, mcfg.vocab_size)
    torch.save({"strategy": strategy, "entropy_from": entropy_from, "groups": out,
                "data": data_digest(Path(data)) if data else "project"}, work / "segments.pt")
    sizes = [k for gs in out.values() for k in gs]
    return {"strategy": strategy, "entropy_from": entropy_from, "groups": len(sizes),
            "tokens_per_group": sum(sizes) / len(sizes)}


def _segmentation(work: Path, mcfg: ModelConfig, data: str) -> tuple[list[SftExample], dict[str, list[int]]]:
    """Every SFT example (the --data file's, else the project's), and the group sizes of the
    segmented ones by example id; refused when the segmentation was cut from other data."""
    seg_path = work / "segments.pt"
    if not seg_path.exists():
        raise SystemExit(f"error: {seg_path} does not exist; run the segment stage first")
    seg = torch.load(seg_path)
    cut_from, given = seg.get("data", "project"), data_digest(Path(data)) if data else "project"
    if cut_from != given:
        what = {"project": "the project's task data"}
        raise SystemExit(f"error: {seg_path} was cut from {what.get(cut_from, 'a --data file with sha256 ' + cut_from)}, "
                         f"but this command trains on {what.get(given, '--data ' + data)}; segment that data first")
    return training_examples(work, mcfg, data), seg["groups"]


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


def train_hamburger(work: Path, mcfg: ModelConfig, cfg: StageConfig, device: torch.device,
                    execution: Execution = Execution()) -> None:
    """`cfg.init_from`: the checkpoint whose LLM weights start the base (default: the base
    stage's; the SFT baseline's makes HAMburger start from an instruction-tuned model, as the
    reference starts from Llama-3.2-1B-Instruct)."""
    responses, groups = _segmentation(work, mcfg, cfg.data)
    examples = _segmented(responses, groups)
    run = Run(work, "hamburger", cfg)
    torch.manual_seed(cfg.seed)
    h = Hamburger(mcfg)
    init_weights(h.comp_embedder)
    init_weights(h.micro_step_decoder)
    if not run.ckpt.exists():          # a resumed stage (or one seeded by import-package) has its own weights
        if cfg.init_from_hf:
            graft_onto(h, Path(cfg.init_from_hf))
        else:
            start = Path(cfg.init_from) if cfg.init_from else work / "base" / "checkpoint.pt"
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
        group_sizes, ends = [sizes for sizes, _ in rows], [ends for _, ends in rows]
        supervised = [False] * n + [True] * (len(chunk) - n)
        return Batch(len(chunk), lambda part: hamburger_loss(h, chunk, group_sizes, stop_at_end=ends,
                                                             supervise_stop=supervised, rows=part))

    _loop(run, h, param_groups, batch, device, execution)


def train_stop(work: Path, mcfg: ModelConfig, cfg: StageConfig, device: torch.device,
               execution: Execution = Execution()) -> None:
    """Calibrates the stop head of the trained HAMburger model to its own micro decoder: the
    segmentation's group ends plus every token whose successor the model gets wrong (argmax,
    teacher-forced) are stop targets; everything but the stop head stays frozen. Writes
    work/stop/checkpoint.pt, the whole model, which `export --hamburger-stage stop` ships."""
    responses, groups = _segmentation(work, mcfg, cfg.data)
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
        return Batch(len(chunk), lambda rows: hamburger_loss(h, chunk, [groups[e.id] for e in chunk],
                                                             stop_on_miss=True, rows=rows))

    _loop(run, h, _param_groups(list(stop_head.named_parameters()), cfg.lr), batch, device, execution,
          extra={"hamburger_step": source_ck["step"], "calibrated": which})


TRAINERS: dict[str, Callable[[Path, ModelConfig, StageConfig, torch.device, Execution], None]] = {
    "base": train_base, "baseline": train_baseline, "hamburger": train_hamburger, "stop": train_stop}
