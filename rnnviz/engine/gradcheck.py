"""The gradient check a student can press: BPTT against central finite differences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.bptt import bptt
from rnnviz.engine.forward import forward
from rnnviz.engine.losses import loss_and_grad
from rnnviz.engine.params import Params
from rnnviz.engine.progress import Steps, run_to_end


@dataclass(frozen=True)
class GradCheck:
    max_rel_error: float  # the largest over all arrays
    rel_error: dict[str, float]  # max |fd − bptt| / max |fd| per array
    checked: int  # how many entries were perturbed


def gradient_check(*args, **kwargs) -> GradCheck:
    """``gradient_check_steps`` run to the end."""
    return run_to_end(gradient_check_steps(*args, **kwargs))


def gradient_check_steps(
    params: Params,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str = "mse",
    loss_at: str = "all",
    eps: float = 1e-6,
    max_per_array: int | None = 64,
    seed: int = 0,
) -> Steps[GradCheck]:
    """Compare full BPTT (no truncation, no clipping) with (L(θ+ε) − L(θ−ε)) / 2ε.

    Runs in float64 whatever the network's dtype. At most ``max_per_array`` entries of each
    array are perturbed (chosen with ``seed``), so the check stays quick for big networks.
    Yields (done, total) after each entry.
    """
    p = params.astype("float64")
    x = np.asarray(x, dtype=np.float64)
    analytic = bptt(forward(p, x), targets, loss, loss_at).grads
    rng = np.random.default_rng(seed)
    plan = {}
    for name, a in p.arrays().items():
        idx = np.arange(a.size)
        if max_per_array is not None and a.size > max_per_array:
            idx = np.sort(rng.choice(a.size, size=max_per_array, replace=False))
        plan[name] = idx
    total, done = sum(i.size for i in plan.values()), 0
    errors = {}
    for name, idx in plan.items():
        base = p.arrays()[name]
        fd = np.empty(idx.size)
        for j, flat in enumerate(idx):
            values = []
            for sign in (1.0, -1.0):
                a = base.copy()
                a.flat[flat] += sign * eps
                y = forward(p.with_arrays(**{name: a}), x).y
                values.append(loss_and_grad(loss, y, targets, loss_at)[0])
            fd[j] = (values[0] - values[1]) / (2 * eps)
            done += 1
            yield done, total
        exact = analytic[name].reshape(-1)[idx]
        scale = max(float(np.max(np.abs(fd))), 1e-12) if fd.size else 1.0
        errors[name] = float(np.max(np.abs(fd - exact)) / scale) if fd.size else 0.0
    return GradCheck(max(errors.values()), errors, done)
