"""How a stage's steps run, apart from what they train (train.StageConfig): on how many processes
(distributed.py), in how many gradient-accumulation passes, at which precision, with or without
activation checkpointing, logged how often. None of it is saved in the checkpoint: a stage
resumes under other choices, and all but the precision leave its figures as they were (up to
float rounding)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial

import torch
from torch.utils.checkpoint import checkpoint

from .distributed import Processes
from .model import DecoderLayer

PRECISIONS = ("auto", "bf16", "fp32")


@dataclass(frozen=True)
class Execution:
    processes: Processes = Processes()
    grad_accum: int = 1                 # forward and backward passes per process and optimizer step
    precision: str = "auto"             # bf16 autocast on CUDA, float32 on the CPU (where bf16 is slower)
    activation_checkpointing: bool = False
    log_every: int = 10

    def autocast(self, device: torch.device) -> torch.autocast:
        bf16 = self.precision == "bf16" or (self.precision == "auto" and device.type == "cuda")
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16)

    def check_batch(self, batch_size: int) -> None:
        """A stage's batch fills every process's every accumulation pass (the tail of an epoch may
        still leave some empty)."""
        parts = self.processes.world * self.grad_accum
        if batch_size < parts:
            raise SystemExit(f"error: a batch of {batch_size} rows cannot be cut into {self.processes.world} "
                             f"processes x {self.grad_accum} accumulation passes ({parts} slices of at least one "
                             "row); lower --grad-accum or --nproc_per_node")

    def prepare(self, model: torch.nn.Module) -> None:
        if self.activation_checkpointing:
            checkpoint_layers(model)


def checkpoint_layers(model: torch.nn.Module) -> None:
    """Each decoder layer (the base's and the micro decoder's) keeps only its input for the
    backward pass and runs again there, instead of keeping every activation inside it. The
    layers' forward is replaced on the instances, so that the parameter names, and with them the
    checkpoints, stay as they are."""
    for layer in model.modules():
        if isinstance(layer, DecoderLayer):
            layer.forward = partial(checkpoint, layer.forward, use_reentrant=False)


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--grad-accum", type=int, default=1, metavar="K",
                        help="cut each process's share of a batch into K forward and backward passes, summed "
                             "into one optimizer step: the same batch (the stage's batch size) in less memory "
                             "(default 1)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="bf16 autocast or float32; auto (default): bf16 on CUDA, float32 on the CPU")
    parser.add_argument("--activation-checkpointing", action="store_true",
                        help="recompute each decoder layer's activations in the backward pass instead of "
                             "keeping them: less memory for about a third more compute")
    parser.add_argument("--log-every", type=int, default=10, metavar="N",
                        help="write the loss to the stage's log every N steps (default 10)")


def execution_options(args: argparse.Namespace) -> Execution:
    """The options of `add_execution_options`, checked, for one process (distributed.join finds the others)."""
    for flag, value in (("--grad-accum", args.grad_accum), ("--log-every", args.log_every)):
        if value < 1:
            raise SystemExit(f"error: {flag} must be at least 1, got {value}")
    return Execution(grad_accum=args.grad_accum, precision=args.precision,
                     activation_checkpointing=args.activation_checkpointing, log_every=args.log_every)
