"""A bidirectional stack with each layer's two directions as one chain of twice the width
(rnnviz/engine/joint_directions.py, joint_backward.py), against two chains a layer.

forward: ``stack_forward`` against each direction of each layer a single-layer ``forward``
of its own, on the same inputs (the stack's forward pass as it was before).
backward: each layer's two backward chains and weight gradients, ``backward_both`` against
``layer_backward`` once per direction (what ``stack_bptt`` ran before), every layer read
out as in the stack and pulled by the same standard-normal dL/dy. The ratios show what
running the two serial chains as one saves (below 1: faster).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine.forward import ForwardTrace, forward
from rnnviz.engine.joint_backward import backward_both
from rnnviz.engine.joint_directions import JOINT_MAX_UNITS
from rnnviz.engine.single_bptt import layer_backward
from rnnviz.engine.stack import StackTrace, stack_forward
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


def read_out(trace: StackTrace) -> list[tuple[ForwardTrace, ForwardTrace]]:
    """Each layer's two directions with the readout stack_bptt gives them: the top layer's
    slice of W_hy, an identity below."""
    p, H = trace.params, trace.params.hidden_size
    layers = []
    for k, dirs in enumerate(trace.layers):
        pair = []
        for d, t in enumerate(dirs):
            top = k == p.num_layers - 1
            W_hy = np.ascontiguousarray(p.W_hy[:, d * H : (d + 1) * H]) if top else np.eye(H)
            b_y = np.zeros(W_hy.shape[0])
            pair.append(replace(t, params=t.params.with_arrays(W_hy=W_hy, b_y=b_y)))
        layers.append((pair[0], pair[1]))
    return layers


def run_case(cell: str, T: int, H: int, layers: int) -> list[str]:
    rng = np.random.default_rng(0)
    p = init_stack(cell, 1, H, 1, rng, num_layers=layers, bidirectional=True,
                   scheme="orthogonal", gain=0.9)  # fmt: skip
    x = rng.standard_normal((T, 1))  # (T, 1)
    joint, separate = best_of_each([lambda: stack_forward(p, x), lambda: two_passes(p, x)])
    pairs = read_out(stack_forward(p, x))
    pulls = [tuple(rng.standard_normal((T, a.params.output_size)) for a in ab) for ab in pairs]
    cuts = np.zeros(T, dtype=bool)  # (T,) no truncation

    def joined() -> None:
        if H > JOINT_MAX_UNITS:  # as stack_bptt: two chains
            return apart()
        for ab, dys in zip(pairs, pulls, strict=True):
            backward_both(ab, dys, cuts)

    def apart() -> None:
        for ab, dys in zip(pairs, pulls, strict=True):
            for trace, dy in zip(ab, dys, strict=True):
                layer_backward(trace, dy, cuts)

    back_joint, back_apart = best_of_each([joined, apart])
    return [
        cell,
        f"{T}x{H}",
        f"{layers} bi",
        f"{joint * 1e3:.2f}",
        f"{separate * 1e3:.2f}",
        f"{joint / separate:.2f}x",
        f"{back_joint * 1e3:.2f}",
        f"{back_apart * 1e3:.2f}",
        f"{back_joint / back_apart:.2f}x",
    ]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    print(machine_line())
    rows = [run_case(*case) for case in CASES]
    headers = ["cell", "T x H", "layers", "fwd joint ms", "fwd two ms", "ratio"]
    print_table([*headers, "back joint ms", "back two ms", "ratio"], rows)
    print("best of 15 runs of each, in turns; ratio = joint / two chains a layer")
    return 0
