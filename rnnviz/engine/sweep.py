"""The spectral-radius sweep: ‖dL/dh_t‖ for every t and every ρ — the phase diagram of
vanishing (ρ < 1) and exploding (ρ > 1) gradients."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.batched import scaled_sweep
from rnnviz.engine.params import Params
from rnnviz.engine.progress import Steps, run_to_end
from rnnviz.engine.spectral import with_spectral_radius

# At most this many ρ are computed together (one product per step for all of them); a
# worker thread can stop between two groups. More would make the progress bar jump.
GROUP = 32


def radius_sweep_steps(
    params: Params,
    x: np.ndarray,
    targets: np.ndarray,
    rhos: np.ndarray,
    loss: str = "mse",
    loss_at: str = "last",
    truncate: int | None = None,
) -> Steps[tuple[np.ndarray, np.ndarray]]:
    """Yields (done, total) after each group of ρ and returns (norms (R, T), valid (R, T)).

    norms[r, t-1] = ‖dL/dh_t‖ at spectral radius rhos[r]. The same recurrent matrix is
    rescaled to each ρ, so only the scale changes: W_hh(ρ) = ρ·W₁ with every gate block of
    W₁ at spectral radius 1, and all the ρ of a group share one matrix product per step
    (batched.scaled_sweep). Steps where the computation overflowed have valid False and
    norm 0.
    """
    rhos = np.asarray(rhos, dtype=float)  # (R,)
    T = np.asarray(x).shape[0]
    norms = np.zeros((rhos.size, T))  # (R, T)
    valid = np.zeros((rhos.size, T), dtype=bool)  # (R, T)
    unit = with_spectral_radius(params, 1.0)
    for group in np.array_split(np.arange(rhos.size), -(-rhos.size // GROUP)):  # even groups
        norms[group], valid[group] = scaled_sweep(
            unit, x, targets, rhos[group], loss, loss_at, truncate
        )
        yield int(group[-1]) + 1, rhos.size
    return norms, valid


def radius_sweep(*args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """``radius_sweep_steps`` run to the end."""
    return run_to_end(radius_sweep_steps(*args, **kwargs))
