"""The ρ sweep (41 values of ρ): every ρ in turn against all of them sharing one product per
step (engine/batched.scaled_sweep), taking turns so that both see the same machine."""

from __future__ import annotations

import argparse

import numpy as np

from rnnviz.bench.machine import machine_line
from rnnviz.bench.table import best_of_each, print_table
from rnnviz.engine import bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.sweep import radius_sweep

CASES: tuple[tuple[str, int, int], ...] = (
    ("vanilla", 200, 32),
    ("lstm", 200, 32),
    ("vanilla", 1000, 64),
    ("lstm", 1000, 64),
)


def one_at_a_time(p, x, y, rhos) -> None:
    for rho in rhos:
        bptt(forward(with_spectral_radius(p, rho), x), y, "mse", "last")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=41, help="values of ρ in 0.5 .. 1.5")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(machine_line())
    rhos = np.linspace(0.5, 1.5, args.count)
    rows = []
    for cell, T, H in CASES:
        rng = np.random.default_rng(0)
        p = init_params(cell, 1, H, 1, rng)
        x, y = rng.standard_normal((T, 1)), rng.standard_normal((T, 1))
        alone, together = best_of_each(
            [
                lambda p=p, x=x, y=y: one_at_a_time(p, x, y, rhos),
                lambda p=p, x=x, y=y: radius_sweep(p, x, y, rhos, "mse", "last"),
            ],
            repeats=args.repeats,
        )
        rows.append(
            [
                cell,
                f"{T}x{H}",
                f"{alone * 1e3:.0f}",
                f"{together * 1e3:.0f}",
                f"{alone / together:.1f}x",
            ]
        )
    print_table(["cell", "T x H", "one ρ at a time ms", "batched ms", "speed-up"], rows)
    print(f"{args.count} values of ρ, loss at the last step, float64")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
