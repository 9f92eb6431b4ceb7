"""What the gradient panel states as fact: spectra, the textbook curves, and the regime."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import BPTTResult, Params, recurrent_radius, recurrent_sigma_max

# Log plots cannot show 0 or subnormals; norms are clamped to this floor for display.
LOG_FLOOR = 1e-300
VANISHING_BELOW = 0.95  # per-step factor of ‖∂h_T/∂h_t‖
EXPLODING_ABOVE = 1.05


@dataclass(frozen=True)
class Spectra:
    rho: float  # spectral radius of W_hh (largest over gate blocks)
    sigma_max: float  # largest singular value of W_hh (largest over gate blocks)


@dataclass(frozen=True)
class Regime:
    name: str  # "vanishing" | "near the edge" | "exploding"
    rate: float | None  # measured per-step factor, geometric mean over the chain
    text: str


def spectra(p: Params) -> Spectra:
    return Spectra(recurrent_radius(p), recurrent_sigma_max(p))


def theory_curve(base: float, last_norm: float, T: int) -> np.ndarray:
    """base^(T−t) · ‖dL/dh_T‖ for t = 1..T: the textbook decay scaled to the last step."""
    with np.errstate(all="ignore"):
        k = np.arange(T - 1, -1, -1, dtype=float)  # (T,) T − t
        curve = last_norm * np.power(base, k)
    return np.clip(np.nan_to_num(curve, nan=LOG_FLOOR, posinf=1e300), LOG_FLOOR, 1e300)


def measured_rate(jacobian_norm: np.ndarray | None) -> float | None:
    """Geometric-mean factor per step of ‖∂h_T/∂h_t‖ over the chain (None if too short)."""
    if jacobian_norm is None or jacobian_norm.size < 2:
        return None
    norms = jacobian_norm[jacobian_norm > 0]
    if norms.size < 2:
        return 0.0  # the product vanished exactly (e.g. dead ReLUs)
    steps = jacobian_norm.size - 1 - int(np.argmax(jacobian_norm > 0))
    return float(np.exp(np.log(norms[0]) / steps)) if steps > 0 else None


def regime(rho: float, result: BPTTResult | None, rate: float | None = None) -> Regime:
    """Vanishing / near the edge / exploding, from the measured rate (ρ when there is none).

    ``rate`` is the chain's growth per step when it was measured without the full Jacobian
    norms (long sequences); otherwise it is read from them.
    """
    if rate is None and result is not None:
        # The LSTM's memory runs through c as well: measure the whole state's sensitivity.
        chain = (
            result.state_jacobian_norm
            if result.state_jacobian_norm is not None
            else result.jacobian_norm
        )
        rate = measured_rate(chain)
    if result is not None and result.exploded_at is not None:
        return Regime("exploding", rate, f"exploding: overflow at t = {result.exploded_at}")
    overflow = result is not None and result.jacobian_overflow_at is not None
    if overflow or (rate is not None and not np.isfinite(rate)):
        return Regime("exploding", None, f"exploding: ‖∂h_T/∂h_t‖ overflows, ρ = {rho:.3g}")
    factor = rate if rate is not None else rho
    source = "per step" if rate is not None else "(ρ)"
    if factor < VANISHING_BELOW:
        name = "vanishing"
    elif factor > EXPLODING_ABOVE:
        name = "exploding"
    else:
        name = "near the edge"
    return Regime(name, rate, f"{name}: ×{factor:.3g} {source}, ρ = {rho:.3g}")
