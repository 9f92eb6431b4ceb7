"""A bidirectional stack's forward pass with each layer's two directions as one chain of
twice the width (rnnviz/engine/joint_directions.py), against two passes a layer.

"two passes" is the stack's forward pass as it was before: each direction of each layer a
single-layer ``forward`` of its own, on the same inputs. The ratio shows what running the
two serial chains as one saves (below 1: faster).
"""

from __future__ import annotations

import argparse

import numpy as np

from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine.forward import forward
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import StackParams, init_stack

# (cell, T, H, layers): issue 14's 3 layers × 200 steps of 32 units (the vanilla cell tanh).
CASES: tuple[tuple[str, int, int, int], ...] = (
    ("lstm", 200, 32, 3),
    ("gru", 200, 32, 3),
    ("vanilla", 200, 32, 3),
    ("lstm", 200, 48, 3),
    ("lstm", 1000, 128, 2),  # beyond JOINT_MAX_UNITS: two passes either way (ratio ~1)
)


def two_passes(p: StackParams, x: np.ndarray) -> list[np.ndarray]:
    """Each layer's outputs, its directions run one after the other."""
    outputs, below = [], x  # below: (T, I_k)
    for k in range(p.num_layers):
        fwd = forward(p.layer_params(k, 0), below)
        bwd = forward(p.layer_params(k, 1), np.ascontiguousarray(below[::-1]))
        below = np.hstack([fwd.h, bwd.h[::-1]])  # (T, 2H)
        outputs.append(below)
    return outputs


def run_case(cell: str, T: int, H: int, layers: int) -> list[str]:
    rng = np.random.default_rng(0)
    p = init_stack(cell, 1, H, 1, rng, num_layers=layers, bidirectional=True,
                   scheme="orthogonal", gain=0.9)  # fmt: skip
    x = rng.standard_normal((T, 1))  # (T, 1)
    joint, separate = best_of_each([lambda: stack_forward(p, x), lambda: two_passes(p, x)])
    return [
        cell,
        f"{T}x{H}",
        f"{layers} bi",
        f"{joint * 1e3:.2f}",
        f"{separate * 1e3:.2f}",
        f"{joint / separate:.2f}x",
    ]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    rows = [run_case(*case) for case in CASES]
    print_table(["cell", "T x H", "layers", "joint ms", "two passes ms", "ratio"], rows)
    print("best of 15 runs of each, in turns; ratio = joint / two passes")
    return 0
