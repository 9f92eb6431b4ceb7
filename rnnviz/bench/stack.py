"""Stacks against the single-layer engine: forward + BPTT of L layers, one or two directions.

A stack of one unidirectional layer runs the single-layer forward pass and backward chain
itself, so its time should equal ``forward`` + ``bptt``'s (ratio ≈ 1). A stack of L layers
and D directions does L*D such passes; its reference is the sum of the single-layer
forward + bptt of each of those L*D layers on inputs of its own width (layers above the
first read D*H values a step). The ratio shows what the stacking itself costs: the
identity readout that passes the layer above's pull into each chain (a wider product per
step) and the dL/dx products between layers. A bidirectional layer of up to 48 units runs
its two directions as one chain (rnnviz/bench/joint.py times that alone), which can bring
the ratio below 1.
"""

from __future__ import annotations

import argparse

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine import bptt, forward, init_params
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack

# (cell, T, H, layers, bidirectional)
CASES: tuple[tuple[str, int, int, int, bool], ...] = (
    ("vanilla", 1000, 128, 1, False),
    ("lstm", 1000, 128, 1, False),
    ("gru", 1000, 128, 1, False),
    ("vanilla", 200, 32, 3, True),
    ("lstm", 200, 32, 3, True),
    ("gru", 200, 32, 3, True),
    ("lstm", 1000, 128, 3, False),
)


def run_case(cell: str, T: int, H: int, layers: int, bidirectional: bool) -> list[str]:
    rng = np.random.default_rng(0)
    single = init_params(cell, 1, H, 1, rng, scheme="orthogonal", gain=0.9)
    if layers == 1 and not bidirectional:
        stack = StackParams.from_single(single)
    else:
        stack = init_stack(cell, 1, H, 1, rng, num_layers=layers, bidirectional=bidirectional,
                           scheme="orthogonal", gain=0.9)  # fmt: skip
    x, y = rng.standard_normal((T, 1)), rng.standard_normal((T, 1))
    # Each direction of each layer alone, as a single layer with a readout of one output.
    alone = []
    for k in range(layers):
        for d in range(stack.num_directions):
            p = stack.layer_params(k, d).with_arrays(W_hy=single.W_hy, b_y=single.b_y)
            alone.append((p, rng.standard_normal((T, p.input_size))))
    # One timed function for all of them: a sum of separate best times would be a best case
    # no single run reaches.
    t_stack, reference = best_of_each(
        [
            lambda: stack_bptt(stack_forward(stack, x), y),
            lambda: [bptt(forward(p, xk), y) for p, xk in alone],
        ],
        repeats=7,
    )
    return [
        cell,
        f"{T}x{H}",
        f"{layers}{' bi' if bidirectional else ''}",
        f"{t_stack * 1e3:.2f}",
        f"{reference * 1e3:.2f}",
        f"{t_stack / reference:.2f}x",
    ]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    print(machine_line())
    rows = [run_case(*case) for case in CASES]
    print_table(["cell", "T x H", "layers", "stack ms", "reference ms", "ratio"], rows)
    print(
        "reference = the sum of forward + bptt of each layer and direction alone; "
        "ratio = stack / reference"
    )
    return 0
