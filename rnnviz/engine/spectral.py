"""Spectral radius ρ and largest singular value σ_max of recurrent weights, and rescaling.

For a linear RNN ‖∂h_T/∂h_t‖ is governed by powers of W_hh: ρ decides the asymptotic rate,
σ_max bounds every step (‖W^k‖ ≤ σ_max^k). Gated cells have one recurrent block per gate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.engine.params import GATE_NAMES, Params


def spectral_radius(W: np.ndarray) -> float:
    """max |λ| over the eigenvalues of a square matrix."""
    if W.size == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(W.astype(np.float64)))))


def sigma_max(W: np.ndarray) -> float:
    """The largest singular value (the spectral norm ‖W‖₂)."""
    if W.size == 0:
        return 0.0
    return float(np.linalg.norm(W.astype(np.float64), 2))


def gate_spectra(p: Params) -> dict[str, tuple[float, float]]:
    """(ρ, σ_max) of each gate's (H, H) recurrent block, keyed by gate name."""
    return {
        name: (spectral_radius(p.recurrent_block(k)), sigma_max(p.recurrent_block(k)))
        for k, name in enumerate(GATE_NAMES[p.cell])
    }


def recurrent_radius(p: Params) -> float:
    """ρ of W_hh for the vanilla cell; for gated cells the largest over the gate blocks."""
    return max(r for r, _ in gate_spectra(p).values())


def recurrent_sigma_max(p: Params) -> float:
    return max(s for _, s in gate_spectra(p).values())


def rescale_to_radius(W: np.ndarray, target: float) -> np.ndarray:
    """W scaled so that its spectral radius is ``target`` (eigenvalues scale linearly)."""
    if target < 0:
        raise ValueError("the spectral radius cannot be negative")
    rho = spectral_radius(W)
    if rho == 0.0:
        raise ValueError("this matrix has spectral radius 0 and cannot be rescaled to another")
    return W * (target / rho)


def with_spectral_radius(p: Params, target: float, radii: list[float] | None = None) -> Params:
    """The same network with every gate's recurrent block rescaled to spectral radius ``target``.

    ``radii`` may give the blocks' current radii (from ``gate_spectra``), so that moving a
    ρ slider does not recompute eigenvalues of the same matrix each time.
    """
    if target < 0:
        raise ValueError("the spectral radius cannot be negative")
    H = p.hidden_size
    W = p.W_hh.copy()  # (G*H, H)
    for k in range(p.n_gates):
        rho = spectral_radius(p.recurrent_block(k)) if radii is None else radii[k]
        if rho == 0.0:
            raise ValueError("this matrix has spectral radius 0 and cannot be rescaled to another")
        W[k * H : (k + 1) * H] *= target / rho
    return replace(p, W_hh=W)
