"""An exponential moving average of a model's weights, kept beside them during training.

The in-run form of a model soup (average.py): continuations of one run sit in one basin, and
their mean was 4-5 points better at confidence 0.9 than each of them, because each step's
weights carry the noise of their last batches (training-log, session 15). The average is
kept in float32 whatever the weights' dtype, saved in the stage's checkpoint as "ema";
`stop --weights ema` calibrates and ships a hamburger stage's, `export --baseline-weights ema`
ships a baseline's (its comparison is only fair when both are averaged).
"""
from pathlib import Path

import torch

# A checkpoint's last weights or their moving average (`stop --weights`, `export --baseline-weights`).
CHECKPOINT_WEIGHTS = ("last", "ema")


def chosen_weights(ck: dict, which: str, path: Path, flag: str) -> tuple[dict[str, torch.Tensor], dict]:
    """A checkpoint's last weights or their moving average (`which`), and what they are for the
    package's provenance. `flag`: the option that asked for them, named in the error."""
    if which == "last":
        return ck["model"], {"weights": "last"}
    if "ema" not in ck:
        raise SystemExit(f"error: {path} holds no moving average of its weights; train that stage with "
                         f"--ema-decay D to keep one, or take its last weights ({flag} last)")
    return {**ck["model"], **ck["ema"]}, {"weights": "ema", "ema_decay": ck["stage_config"]["ema_decay"],
                                          "ema_since": ck["ema_since"]}


class WeightAverage:
    def __init__(self, model: torch.nn.Module, decay: float, state: dict[str, torch.Tensor] | None = None):
        """`state`: a saved average to go on from (a resumed stage); else it starts at the
        model's weights as they are."""
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the decay of a weight average lies in (0, 1), got {decay}")
        self.decay = decay
        floating = {n: t for n, t in model.state_dict().items() if t.is_floating_point()}
        if state is not None and set(state) != set(floating):
            raise SystemExit("error: the checkpoint's weight average does not hold this model's weights")
        start = floating if state is None else state
        self.average = {n: start[n].detach().to(t.device, torch.float32, copy=True) for n, t in floating.items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        weights = model.state_dict()
        for name, avg in self.average.items():
            avg.lerp_(weights[name].float(), 1.0 - self.decay)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.average)
