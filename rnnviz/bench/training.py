"""Training speed: rnnviz's updates per second against PyTorch's, side by side.

The workload is the issue's: the adding problem at T = 50, H = 32, batches of 8 sequences,
Adam, gradients clipped at norm 1 — rnnviz in float64 through ``engine.train`` (what the
lab's training tab runs), PyTorch in float32 with ``nn.RNN``/``nn.LSTM`` + ``nn.Linear``,
``clip_grad_norm_`` and ``torch.optim.Adam``, both drawing their examples with the same
task code. The two take turns in rounds of a few updates, so a busy spell on a shared
machine slows both alike; each cell's rate is the best round of each.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import print_table
from rnnviz.engine import init_params
from rnnviz.engine.tasks import Task, adding_task
from rnnviz.engine.train import TrainConfig, train

ROUND = 20  # updates per timed round


def rnnviz_rounds(cell: str, task: Task, hidden: int, batch: int) -> Callable[[], float]:
    """A function that runs one round of ROUND updates and returns its seconds."""
    p = init_params(cell, task.input_size, hidden, task.output_size, np.random.default_rng(0))
    config = TrainConfig("adam", 0.01, epochs=10**6, batches_per_epoch=ROUND, batch_size=batch)
    run = train(p, task, replace(config, clip=1.0))

    def one_round() -> float:
        return next(run).seconds

    return one_round


def torch_rounds(cell: str, task: Task, hidden: int, batch: int) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    kind = torch.nn.RNN if cell == "vanilla" else torch.nn.LSTM
    net = kind(task.input_size, hidden, batch_first=True)
    readout = torch.nn.Linear(hidden, task.output_size)
    params = [*net.parameters(), *readout.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)
    rng = np.random.default_rng(0)

    def update() -> None:
        examples = [task.draw(rng) for _ in range(batch)]
        x = torch.from_numpy(np.stack([e.x for e in examples]).astype(np.float32))
        y = torch.from_numpy(np.stack([e.targets[-1] for e in examples]).astype(np.float32))
        opt.zero_grad()
        out, _ = net(x)
        loss = torch.nn.functional.mse_loss(readout(out[:, -1]), y)  # the last step only
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    def one_round() -> float:
        start = time.perf_counter()
        for _ in range(ROUND):
            update()
        return time.perf_counter() - start

    return one_round


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", default="vanilla,lstm", help="comma-separated: vanilla,lstm")
    parser.add_argument("--length", type=int, default=50, help="T")
    parser.add_argument("--hidden", type=int, default=32, help="H")
    parser.add_argument("--batch", type=int, default=8, help="sequences per update")
    parser.add_argument("--rounds", type=int, default=15, help=f"timed rounds of {ROUND}")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)  # as rnnviz: one BLAS thread
        torch_version = f"PyTorch {torch.__version__}"
    except ImportError:
        torch_version = "PyTorch not installed"
    print(machine_line(), f"{torch_version}, 1 thread", sep="; ")
    task = adding_task(args.length)
    rows = []
    for cell in args.cells.split(","):
        ours = rnnviz_rounds(cell, task, args.hidden, args.batch)
        theirs = torch_rounds(cell, task, args.hidden, args.batch)
        fns = [ours] if theirs is None else [ours, theirs]
        best = [float("inf")] * len(fns)
        for fn in fns:
            fn()  # warm-up
        for _ in range(args.rounds):
            for i, fn in enumerate(fns):
                best[i] = min(best[i], fn())
        rate = [ROUND / b for b in best]
        torch_cols = (
            ["—", "—"] if theirs is None else [f"{rate[1]:.0f}", f"{rate[0] / rate[1]:.2f}x"]
        )
        rows.append([cell, f"{rate[0]:.0f}", *torch_cols])
    print(
        f"adding problem T = {args.length}, H = {args.hidden}, batch {args.batch}, Adam lr 0.01, "
        "clip 1.0; rnnviz float64, PyTorch float32"
    )
    print_table(["cell", "rnnviz updates/s", "PyTorch updates/s", "rnnviz / PyTorch"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
