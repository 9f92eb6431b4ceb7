"""What the gradient panel states as fact: spectra, how far the last step's loss reaches
back, the curves drawn beside it, and the regime badge.

Every curve here is about ‖∂L_T/∂h_t‖, the gradient of the last step's loss alone
(``rnnviz.engine.reach``), and anchored at its value at t = T:

- ``bound``: ‖∂L_T/∂h_T‖ · (c · σ_max)^(T−t), c = max f′, a true upper bound, for the
  vanilla cell only;
- ``rate``: ‖∂L_T/∂h_T‖ · ρ^(T−t), the long-run rate (exact for a linear cell with a
  normal W_hh), vanilla only;
- ``path``: ‖∂L_T/∂h_T‖ · mean over units of ∏ f_s (LSTM) or ∏ z_s (GRU), the carry path.

The regime is the geometric-mean factor per step of that same curve, so the badge, the
plot and ``rnnviz analyze`` say one thing, before and after the backward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.engine import BPTTResult, ForwardTrace, Params, recurrent_radius, recurrent_sigma_max
from rnnviz.engine.losses import scored_steps
from rnnviz.engine.reach import (
    CARRY_GATE,
    SLOPE_BOUND,
    LastStepGradient,
    gate_path,
    last_step_gradient,
)

# Log plots cannot show 0 or subnormals; norms are clamped to this floor for display.
LOG_FLOOR = 1e-300
# Regime thresholds on the per-step factor of ‖∂L_T/∂h_t‖ going back: over 50 steps
# 0.98 leaves 36 % and 1.02 makes 2.7×, both still readable on the plot.
VANISHING_BELOW = 0.98
EXPLODING_ABOVE = 1.02
REGIME_TIP = (
    "The factor by which ‖∂L<sub>T</sub>/∂h<sub>t</sub>‖, the gradient of the last step's "
    "loss alone, changes per step going back: the geometric mean "
    "(‖∂L<sub>T</sub>/∂h<sub>k</sub>‖ / ‖∂L<sub>T</sub>/∂h<sub>T</sub>‖)<sup>1/(T−k)</sup> "
    "from the last step T back to the first step k it reaches (k = 1 unless truncated), "
    "so it is the slope of the straight line through the ends of that curve. Exact: it comes "
    "from a backward pass of that loss, run for this badge even before B is pressed.<br>"
    f"vanishing below ×{VANISHING_BELOW:g}, exploding above ×{EXPLODING_ABOVE:g}, "
    "near the edge in between; exploding also when the pass overflows."
)


@dataclass(frozen=True)
class Spectra:
    rho: float  # spectral radius of W_hh (largest over gate blocks)
    sigma_max: float  # largest singular value of W_hh (largest over gate blocks)


@dataclass(frozen=True)
class Regime:
    name: str  # "vanishing" | "near the edge" | "exploding" | "" (nothing to measure)
    rate: float | None  # the per-step factor of ‖∂L_T/∂h_t‖ going back, when measured
    text: str  # the badge; "" when there is nothing to measure


NO_REGIME = Regime("", None, "")


@dataclass(frozen=True, eq=False)
class Reach:
    """How far the last step's loss reaches back, with the curves drawn beside it.

    Per-step arrays have a row per step t = 1..T. The curves are None where they do not
    apply (and then are not drawn); their values may be 0 or inf beyond the float range,
    and are NaN before ``first`` (steps the last step's loss does not reach).
    """

    last: np.ndarray  # (T,) ‖∂L_T/∂h_t‖, the last step's term of the loss; 0 where not valid
    valid: np.ndarray  # (T,) bool: rows of ``last`` that were computed
    separate: bool  # the loss scores more than one step: ``last`` differs from the total
    first: int  # the first step the last step's loss reaches (the truncation window's)
    bound: np.ndarray | None  # (T,) ‖∂L_T/∂h_T‖ (c σ_max)^(T−t): vanilla only
    slope_bound: float | None  # c = max f′ in the bound (vanilla only)
    rate: np.ndarray | None  # (T,) ‖∂L_T/∂h_T‖ ρ^(T−t): vanilla only
    path: np.ndarray | None  # (T,) ‖∂L_T/∂h_T‖ · mean ∏ gate: LSTM (f), GRU (z)
    path_gate: str | None  # "f" | "z" | None
    regime: Regime


def spectra(p: Params) -> Spectra:
    return Spectra(recurrent_radius(p), recurrent_sigma_max(p))


def power_curve(base: float, anchor: float, T: int) -> np.ndarray:
    """anchor · base^(T−t) for t = 1..T, shape (T,); 0 or inf where beyond the float range."""
    k = np.arange(T - 1, -1, -1, dtype=float)  # (T,) T − t
    with np.errstate(all="ignore"):
        return anchor * np.power(float(base), k)


def reach(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str,
    loss_at: str,
    truncate: int | None,
    spec: Spectra,
    total: BPTTResult | None = None,
    found: LastStepGradient | None = None,
    theory: bool = True,
) -> Reach:
    """The last step's loss, its bound / rate / gate path, and the regime, for a fed trace.

    ``total`` is the backward pass already run with these settings, if any: when the loss
    scores only the last step it is this curve, and a second pass is saved. ``found``: the
    curve computed elsewhere (a layer of a stack, whose trace alone does not give it), and
    ``theory`` False where the single-layer curves do not hold (none is drawn).
    """
    T, cell = trace.T, trace.params.cell
    separate = scored_steps(T, loss_at).size > 1
    if found is None and total is not None and not separate:
        found = LastStepGradient(
            total.dL_dh_norm, total.valid, total.exploded_at, total.exploded_in
        )
    elif found is None:
        found = last_step_gradient(trace, targets, loss, loss_at, truncate)
    first = 1 if truncate is None else max(T - truncate + 1, 1)
    anchor = float(found.norm[-1]) if found.valid[-1] else math.nan
    usable = math.isfinite(anchor)
    bound = rate = path = None
    slope = None
    if theory and cell == "vanilla":
        slope = SLOPE_BOUND[trace.params.activation]
        if usable:
            bound = power_curve(slope * spec.sigma_max, anchor, T)
            rate = power_curve(spec.rho, anchor, T)
    elif theory and usable:
        products = gate_path(trace)
        path = None if products is None else anchor * products
    for curve in (bound, rate, path):
        if curve is not None:
            # Truncated away: the last step's loss reaches no step before ``first``.
            curve[: first - 1] = np.nan
    return Reach(
        last=found.norm,
        valid=found.valid,
        separate=separate,
        first=first,
        bound=bound,
        slope_bound=slope,
        rate=rate,
        path=path,
        path_gate=CARRY_GATE.get(cell) if theory else None,
        regime=regime(found, first),
    )


def regime(found: LastStepGradient, first: int = 1) -> Regime:
    """Vanishing / near the edge / exploding from ‖∂L_T/∂h_t‖ over steps first..T."""
    if found.exploded_at is not None:
        where = f" ({found.exploded_in} pass)" if found.exploded_in else ""
        return Regime("exploding", None, f"exploding: overflow at t = {found.exploded_at}{where}")
    span = found.norm[first - 1 :]  # (T − first + 1,)
    if span.size < 2:
        return NO_REGIME  # one step: no step back to measure
    if span[-1] == 0.0:
        return Regime("", None, "‖∂L_T/∂h_T‖ = 0: the last step's loss sends no gradient")
    zeros = np.flatnonzero(span == 0.0)
    if zeros.size:
        step = first + int(zeros[-1])
        return Regime("vanishing", 0.0, f"vanishing: ‖∂L_T/∂h_t‖ reaches 0 at t = {step}")
    rate = per_step_rate(span)
    if rate < VANISHING_BELOW:
        name = "vanishing"
    elif rate > EXPLODING_ABOVE:
        name = "exploding"
    else:
        name = "near the edge"
    return Regime(name, rate, f"{name}: ‖∂L_T/∂h_t‖ ×{rate:.3g} per step back")


def per_step_rate(span: np.ndarray) -> float:
    """(span[0] / span[−1])^(1/(n−1)) for a positive (n,) curve, n ≥ 2: the factor per step
    back from its last entry to its first (in logs: the values may span any range)."""
    logs = np.log(span[[0, -1]].astype(np.float64))
    return float(np.exp((logs[0] - logs[1]) / (span.size - 1)))
