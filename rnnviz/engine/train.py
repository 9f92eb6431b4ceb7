"""Training in the loop: a generator that yields one report per epoch, so a worker thread can
show progress, pause between epochs, or stop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rnnviz.engine.batched import batch_gradients
from rnnviz.engine.clipping import clip_by_global_norm
from rnnviz.engine.optim import OptState, make_optimiser
from rnnviz.engine.params import Params
from rnnviz.engine.stepper import RNN
from rnnviz.engine.tasks import Task


@dataclass(frozen=True)
class TrainingHistory:
    """A training run as the lab shows it and a session file keeps it."""

    task: Task
    losses: tuple[float, ...]  # per epoch
    norm_before: tuple[float, ...]  # mean gradient norm per epoch, before clipping
    norm_after: tuple[float, ...]
    params: Params | None  # the latest weights


@dataclass(frozen=True)
class TrainConfig:
    optimiser: str = "adam"
    lr: float = 0.01
    momentum: float = 0.0
    epochs: int = 100
    batches_per_epoch: int = 4
    batch_size: int = 8  # sequences whose gradients are averaged per update
    clip: float | None = 1.0
    truncate: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        make_optimiser(self.optimiser, self.lr, self.momentum)  # checks name, lr, momentum
        if self.epochs < 1 or self.batches_per_epoch < 1 or self.batch_size < 1:
            raise ValueError("epochs, batches and batch size must each be at least 1")
        if self.clip is not None and not self.clip > 0:
            raise ValueError("the clipping threshold must be positive")
        if self.truncate is not None and self.truncate < 1:
            raise ValueError("the truncation window must be at least 1 step")


@dataclass(frozen=True)
class EpochReport:
    epoch: int  # 1-based
    loss: float  # mean over the epoch's sequences, before each update
    grad_norm_before_clip: float  # mean over the epoch's updates
    grad_norm_after_clip: float
    params: Params  # the weights after this epoch
    updates: int = 0  # optimiser steps in this epoch
    seconds: float = 0.0  # the time this epoch's computation took (not the consumer's)


def train(params: Params, task: Task, config: TrainConfig) -> Iterator[EpochReport]:
    """Mini-batch training; the same seed always gives the same run.

    Each update draws ``batch_size`` sequences and runs them as one batch (B, T, I) through
    the engine: every step of the serial loop is one matrix–matrix product for all of them.
    The batch's loss is the mean of the sequences' losses, so its gradient is the mean of
    theirs, as if each were run alone.
    """
    if params.input_size != task.input_size or params.output_size != task.output_size:
        raise ValueError(
            f"the {task.name} task needs {task.input_size} inputs and {task.output_size} "
            f"outputs; this network has {params.input_size} and {params.output_size}"
        )
    opt = make_optimiser(config.optimiser, config.lr, config.momentum)
    rng = np.random.default_rng(config.seed)
    state = OptState()
    reuse: dict = {}  # every update's passes have the same shape (see batch_gradients)
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        losses, before, after = [], [], []
        for _ in range(config.batches_per_epoch):
            examples = [task.draw(rng) for _ in range(config.batch_size)]
            x = np.stack([ex.x for ex in examples])  # (B, T, I)
            targets = np.stack([ex.targets for ex in examples])  # (B, T, O) or (B, T)
            loss, grads, norm = batch_gradients(
                params, x, targets, task.loss, task.loss_at, config.truncate, reuse
            )
            losses.append(loss)  # the batch's mean: every batch has the same size
            clipped, norm_before, norm_after = clip_by_global_norm(grads, config.clip, norm)
            before.append(norm_before)
            after.append(norm_after)
            if np.isfinite(norm_before):
                arrays, state = opt.update(params.arrays(), clipped, state)
                params = params.with_arrays(**arrays)
        yield EpochReport(
            epoch,
            float(np.mean(losses)),
            float(np.mean(before)),
            float(np.mean(after)),
            params,
            config.batches_per_epoch,
            time.perf_counter() - start,
        )


def sample_text(
    params: Params,
    vocab: str,
    prime: str,
    n: int,
    temperature: float,
    rng: np.random.Generator,
) -> str:
    """Continue ``prime`` by ``n`` characters, sampling softmax(y / temperature) each step."""
    if not temperature > 0:
        raise ValueError("the temperature must be positive")
    rnn, eye = RNN(params), np.eye(len(vocab))
    y = None
    for c in prime:
        y = rnn.step(eye[vocab.index(c)])
    out = []
    for _ in range(n):
        if y is None:
            k = int(rng.integers(len(vocab)))
        else:
            z = y / temperature
            prob = np.exp(z - z.max())
            k = int(rng.choice(len(vocab), p=prob / prob.sum()))
        out.append(vocab[k])
        y = rnn.step(eye[k])
    return "".join(out)
