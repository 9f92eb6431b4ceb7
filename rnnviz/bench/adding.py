"""The training tab's default run, per cell and seed: the loss it reaches and how long it takes.

The tab's defaults (TrainingSettings()) are meant to show, on a two-core laptop, an LSTM
learning the adding problem while a vanilla RNN stays near the baseline 1/6. This trains
exactly what pressing Start does (the lab's fresh network for the task, the form's
settings), with the session's seed and the form's seed both set to each seed in turn, so
each row is a different network and a different stream of examples.

The loss printed is the mean over the last 10 epochs: one epoch's loss is the mean of only
batches × batch size (32) sequences, too noisy to compare runs by.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import numpy as np

from rnnviz.bench.table import print_table
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.session.training_setup import TrainingSettings, training_setup

LAST = 10  # epochs averaged for the loss printed


def run(cell: str, seed: int, settings: TrainingSettings, marks: list[int]) -> list[str]:
    """One row: the cell, the seed, the loss at each of ``marks`` epochs, the seconds."""
    lab = Lab(Session(SessionConfig(cell=cell, seed=seed)))
    settings = replace(settings, seed=seed)
    task, config = training_setup(lab, settings)
    losses = []
    start = time.perf_counter()
    for report in lab.training_steps(task, config, settings.hidden_size):
        losses.append(report.loss)
    seconds = time.perf_counter() - start
    at = [np.mean(losses[max(0, m - LAST) : m]) for m in marks]
    return [cell, str(seed), *(f"{v:.4f}" for v in at), f"{seconds:.1f}"]


def main(argv: list[str] | None = None) -> int:
    default = TrainingSettings()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", default="lstm,vanilla", help="comma-separated cells")
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--hidden", type=int, default=default.hidden_size)
    parser.add_argument("--epochs", type=int, default=default.epochs)
    parser.add_argument("--lr", default=default.lr)
    args = parser.parse_args(argv)
    settings = replace(default, hidden_size=args.hidden, epochs=args.epochs, lr=args.lr)
    marks = sorted({*range(50, args.epochs, 50), args.epochs})
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"NumPy {np.__version__}, load {os.getloadavg()[0]:.2f}; task {settings.task}, "
        f"T = {settings.length}, H = {settings.hidden_size}, {settings.optimiser} "
        f"lr {settings.lr}, clip {settings.clip}, baseline 1/6 = {1 / 6:.4f}"
    )
    rows = [
        run(cell, seed, settings, marks)
        for cell in args.cells.split(",")
        for seed in range(args.first, args.first + args.seeds)
    ]
    headers = ["cell", "seed", *(f"loss @{m}" for m in marks), "seconds"]
    print_table(headers, rows)
    print(f"loss @N: the mean loss of epochs N − {LAST - 1} .. N; seconds: the whole run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
