"""A training stage on several processes: torch.distributed's DistributedDataParallel (DDP),
launched by `python -m torch.distributed.run --nproc_per_node=N -m hamburger <stage> ...`.

Every process draws the whole batch of a step (the draws are seeded functions of the step and
of an RNG state that all processes share) and computes its own contiguous slice of the rows
(`Processes.slices`); DDP adds the slices' gradients up across processes in the backward pass,
so after each step every process holds the same weights, optimizer state and RNG state. Process
0 alone writes the checkpoint and the log; the checkpoint holds the step and that shared
state, nothing of one process, so a stage resumes on any number of processes.

torch.distributed rather than Lightning: the stages' loop (`train._loop`) owns checkpoints that
resume mid-schedule with the RNG state, probes and weight averages; DDP wraps the model and
leaves that loop in place, where Lightning would take it over.
"""
from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Callable, ContextManager

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

# What torch.distributed.run sets for each process it starts.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class Batch:
    """A step's whole batch, drawn alike by every process: how many rows it has (the tail of an
    epoch may have fewer than the stage's batch size) and the loss of a slice of them, with its
    figures, each as that slice's share of the whole batch's (objective.py's `rows`)."""
    rows: int
    loss: Callable[[slice], tuple[torch.Tensor, dict]]


def launched() -> bool:
    return all(name in os.environ for name in LAUNCH_VARIABLES)


def launched_world() -> int:
    """How many processes torch.distributed.run started (1 when it did not start this one)."""
    return int(os.environ["WORLD_SIZE"]) if launched() else 1


@dataclass(frozen=True)
class Processes:
    """This process's place among the processes that train one stage together."""
    rank: int = 0
    world: int = 1
    grouped: bool = False           # joined a process group (launched by torch.distributed.run)

    @property
    def main(self) -> bool:
        """The process that writes the checkpoint and the log."""
        return self.rank == 0

    def slices(self, rows: int, accumulation: int) -> list[slice]:
        """This process's rows of a batch, one slice per accumulation pass: the batch is cut into
        world x accumulation contiguous runs (sizes differing by at most one; empty ones where
        the batch has fewer rows) and process r takes the r-th `accumulation` of them, so that
        N processes of K passes compute the same slices as one process of N x K passes."""
        parts = self.world * accumulation
        first = self.rank * accumulation
        return [slice(rows * p // parts, rows * (p + 1) // parts) for p in range(first, first + accumulation)]

    def sum(self, figures: dict[str, float]) -> dict[str, float]:
        """Each figure summed over the processes (a process whose slices were empty has none);
        every process must call this at the same step."""
        if not self.grouped:
            return figures
        every: list[dict[str, float]] = [{} for _ in range(self.world)]
        dist.all_gather_object(every, figures)
        total: dict[str, float] = {}
        for one in every:
            for name, value in one.items():
                total[name] = total.get(name, 0.0) + value
        return total


def join(device: torch.device) -> tuple[Processes, torch.device]:
    """This process's place and its device. Started by torch.distributed.run, it joins the process
    group (gloo on the CPU, nccl on CUDA) and trains on cuda:LOCAL_RANK when `device` is CUDA."""
    if not launched():
        return Processes(), device
    rank, world, local = (int(os.environ[name]) for name in LAUNCH_VARIABLES)
    if device.type == "cuda":
        if world > 1 and device.index is not None:
            raise SystemExit(f"error: --device {device} names one GPU, but torch.distributed.run started {world} "
                             "processes, each of which takes cuda:LOCAL_RANK; pass --device cuda or auto")
        if device.index is None:
            if local >= torch.cuda.device_count():
                raise SystemExit(f"error: process {local} of this machine would train on cuda:{local}, but torch "
                                 f"sees {torch.cuda.device_count()} GPUs; start at most that many per machine")
            device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    return Processes(rank, world, grouped=True), device


def leave(processes: Processes) -> None:
    if processes.grouped:
        dist.destroy_process_group()


class _LossRunner(torch.nn.Module):
    """The model as DDP's module: its forward runs a loss closure over the model's parameters, since
    the losses call several submodules (objective.group_forward), never the model's own forward,
    and DDP reduces gradients only for passes through its own forward."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, loss: Callable[[], tuple[torch.Tensor, dict]]) -> tuple[torch.Tensor, dict]:
        return loss()


class DataParallel:
    """One optimizer step's forward and backward passes over this process's slices of a batch."""

    def __init__(self, model: torch.nn.Module, processes: Processes, device: torch.device, accumulation: int):
        self.processes, self.accumulation = processes, accumulation
        self.trained = [p for p in model.parameters() if p.requires_grad]
        runner = _LossRunner(model)
        # No buffer of these models changes in training (the rotary tables are fixed): synced once, at the start.
        self.runner = (DistributedDataParallel(runner, device_ids=[device] if device.type == "cuda" else None,
                                               forward_sync_buffers=False) if processes.grouped else runner)

    def backward(self, batch: Batch, autocast: Callable[[], ContextManager]) -> dict[str, float]:
        """Leaves the whole batch's gradient in the parameters and returns its loss and figures
        (each slice's share, summed over slices and processes). The last pass's backward
        reduces across processes; DDP averages there, which the share times the process count
        turns into the sum."""
        figures: dict[str, float] = {}
        slices = self.processes.slices(batch.rows, self.accumulation)
        for i, rows in enumerate(slices):
            last = i == len(slices) - 1
            loss_of = partial(batch.loss, rows) if rows.stop > rows.start else self._nothing
            with nullcontext() if last or not self.processes.grouped else self.runner.no_sync():
                with autocast():
                    loss, metrics = self.runner(loss_of)
                (loss * self.processes.world).backward()
            for name, value in {"loss": loss.item(), **metrics}.items():
                figures[name] = figures.get(name, 0.0) + value
        return self.processes.sum(figures)

    def _nothing(self) -> tuple[torch.Tensor, dict]:
        """An empty slice's loss: zero, through every trained parameter, so that DDP's backward
        still reduces each of them (with zeros) as the other processes expect."""
        return sum(p.sum() for p in self.trained) * 0.0, {}
