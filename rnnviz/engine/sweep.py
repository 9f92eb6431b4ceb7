"""The spectral-radius sweep: ‖dL/dh_t‖ for every t and every ρ — the phase diagram of
vanishing (ρ < 1) and exploding (ρ > 1) gradients."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.bptt import bptt
from rnnviz.engine.forward import forward
from rnnviz.engine.params import Params
from rnnviz.engine.progress import Steps, run_to_end
from rnnviz.engine.spectral import with_spectral_radius


def radius_sweep_steps(
    params: Params,
    x: np.ndarray,
    targets: np.ndarray,
    rhos: np.ndarray,
    loss: str = "mse",
    loss_at: str = "last",
    truncate: int | None = None,
) -> Steps[tuple[np.ndarray, np.ndarray]]:
    """Yields (done, total) after each ρ and returns (norms (R, T), valid (R, T)).

    norms[r, t-1] = ‖dL/dh_t‖ at spectral radius rhos[r]. The same recurrent matrix is
    rescaled to each ρ, so only the scale changes. Steps where the computation overflowed
    have valid False and norm 0. A worker thread can stop between two ρ.
    """
    rhos = np.asarray(rhos, dtype=float)  # (R,)
    T = np.asarray(x).shape[0]
    norms = np.zeros((rhos.size, T))  # (R, T)
    valid = np.zeros((rhos.size, T), dtype=bool)  # (R, T)
    for r, rho in enumerate(rhos):
        result = bptt(
            forward(with_spectral_radius(params, rho), x),
            targets,
            loss,
            loss_at,
            truncate=truncate,
        )
        norms[r], valid[r] = result.dL_dh_norm, result.valid
        yield r + 1, rhos.size
    return norms, valid


def radius_sweep(*args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """``radius_sweep_steps`` run to the end."""
    return run_to_end(radius_sweep_steps(*args, **kwargs))
