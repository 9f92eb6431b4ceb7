"""The gradient check a student can press: BPTT against central finite differences.

Finite differences cannot resolve every gradient. Each loss is computed with a rounding
error of about u·S (u the machine epsilon, S the size of the numbers the loss is summed
from), so a difference quotient with step ε carries a noise of about u·S/ε; and the central
difference itself is off by a term in ε². The check therefore

- nudges each weight by ε ≈ ∛u·max(1, |θ|) (where noise and ε² error balance) and by 2ε,
  and combines the two quotients so that their ε² errors cancel (Richardson);
- passes an array when every entry agrees within max(rtol·max|fd|, the rounding floor);
- calls an array "too small to check" when its gradient, by both methods, lies below the
  rounding floor: there a relative error says nothing, and no ✗ is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine.bptt import bptt
from rnnviz.engine.forward import ForwardTrace, forward
from rnnviz.engine.losses import loss_and_grad
from rnnviz.engine.params import Params
from rnnviz.engine.progress import Steps, run_to_end

U = float(np.finfo(np.float64).eps)
EPS = float(np.cbrt(U))  # ≈ 6.1e-6, relative to max(1, |θ|)
RTOL = 1e-6  # an array agrees when every entry is within this fraction of its largest
# The rounding floor is NOISE_FACTOR · u·S/ε. The Richardson combination (4·D(ε) − D(2ε))/3
# carries at most 1.5 u·S/ε of rounding noise; 4 is the margin for S being an estimate.
NOISE_FACTOR = 1.5 * 4

AGREES = "agrees"
TOO_SMALL = "too small to check"
DISAGREES = "disagrees"


@dataclass(frozen=True)
class ArrayCheck:
    """How one array's BPTT gradient compares with finite differences."""

    rel_error: float  # max |fd − bptt| / max |fd| over the nudged entries
    largest: float  # max |fd|: how large this array's gradient is
    noise: float  # the rounding floor: finite differences cannot resolve less than this
    verdict: str  # AGREES, TOO_SMALL or DISAGREES


@dataclass(frozen=True)
class GradCheck:
    arrays: dict[str, ArrayCheck]  # keyed like Params' arrays
    checked: int  # how many entries were nudged

    @property
    def verdict(self) -> str:
        """DISAGREES if any array does, else AGREES if any array could be checked."""
        verdicts = {a.verdict for a in self.arrays.values()}
        if DISAGREES in verdicts:
            return DISAGREES
        return AGREES if AGREES in verdicts else TOO_SMALL

    @property
    def max_rel_error(self) -> float:
        """The largest relative error over the arrays large enough to be checked."""
        errors = [a.rel_error for a in self.arrays.values() if a.verdict != TOO_SMALL]
        return max(errors, default=0.0)


def gradient_check(*args, **kwargs) -> GradCheck:
    """``gradient_check_steps`` run to the end."""
    return run_to_end(gradient_check_steps(*args, **kwargs))


def gradient_check_steps(
    params: Params,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str = "mse",
    loss_at: str = "all",
    max_per_array: int | None = 64,
    seed: int = 0,
) -> Steps[GradCheck]:
    """Compare full BPTT (no truncation, no clipping) with central finite differences.

    Runs in float64 whatever the network's dtype. At most ``max_per_array`` entries of each
    array are nudged (chosen with ``seed``), so the check stays quick for big networks.
    Yields (done, total) after each entry.
    """
    p = params.astype("float64")
    x = np.asarray(x, dtype=np.float64)
    result = bptt(forward(p, x), targets, loss, loss_at)
    if result.exploded_at is not None:
        raise ValueError(
            f"the {result.exploded_in} pass overflowed at step {result.exploded_at}: "
            "there is no finite gradient to check"
        )
    fds = yield from finite_difference_steps(p, x, targets, loss, loss_at, max_per_array, seed)
    return judge(fds, result.grads)


@dataclass(frozen=True, eq=False)
class FiniteDifferences:
    """Finite-difference gradients of some entries of each array, with their rounding floors."""

    index: dict[str, np.ndarray]  # (n,) the flat indices nudged in each array
    grads: dict[str, np.ndarray]  # (n,) ∂L/∂θ of those entries
    noise: dict[str, np.ndarray]  # (n,) the rounding floor of each


def finite_difference_steps(
    p: Params,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str,
    loss_at: str,
    max_per_array: int | None = None,
    seed: int = 0,
) -> Steps[FiniteDifferences]:
    """(4·D(ε) − D(2ε)) / 3 with D(h) = (L(θ+h) − L(θ−h)) / 2h, for every entry of ``p``
    (float64) or ``max_per_array`` of each. Nothing here uses BPTT: the floors come from
    the forward pass alone, so a wrong gradient cannot widen its own tolerance."""
    scale = rounding_scale(forward(p, x), targets, loss, loss_at)
    rng = np.random.default_rng(seed)
    plan = {}
    for name, a in p.arrays().items():
        idx = np.arange(a.size)
        if max_per_array is not None and a.size > max_per_array:
            idx = np.sort(rng.choice(a.size, size=max_per_array, replace=False))
        plan[name] = idx
    total, done = sum(i.size for i in plan.values()), 0
    grads, noises = {}, {}
    for name, idx in plan.items():
        base = p.arrays()[name]
        fd, noise = np.empty(idx.size), np.empty(idx.size)  # (n,) each
        for j, flat in enumerate(idx):
            theta = float(base.flat[flat])
            quotients = []
            for k in (1.0, 2.0):
                values, nudged = [], []
                for sign in (1.0, -1.0):
                    a = base.copy()
                    a.flat[flat] = theta + sign * k * EPS * max(1.0, abs(theta))
                    nudged.append(a.flat[flat])  # what θ ± kε rounded to
                    y = forward(p.with_arrays(**{name: a}), x).y
                    values.append(loss_and_grad(loss, y, targets, loss_at)[0])
                step = nudged[0] - nudged[1]  # the exact step between the two nudged weights
                quotients.append((values[0] - values[1]) / step)
                if k == 1.0:
                    noise[j] = NOISE_FACTOR * U * scale / (step / 2)
            fd[j] = (4 * quotients[0] - quotients[1]) / 3  # the ε² errors cancel
            done += 1
            yield done, total
        grads[name], noises[name] = fd, noise
    return FiniteDifferences(plan, grads, noises)


def judge(fds: FiniteDifferences, grads: dict[str, np.ndarray]) -> GradCheck:
    """The verdict on gradients ``grads`` (keyed and shaped like Params' arrays)."""
    arrays = {
        name: compare(fd, grads[name].reshape(-1)[fds.index[name]], fds.noise[name])
        for name, fd in fds.grads.items()
    }
    return GradCheck(arrays, sum(i.size for i in fds.index.values()))


def compare(fd: np.ndarray, exact: np.ndarray, noise: np.ndarray) -> ArrayCheck:
    """The verdict on one array from its entries' finite differences ``fd``, BPTT's values
    ``exact`` and rounding floors ``noise`` (all (n,))."""
    largest = float(np.max(np.abs(fd), initial=0.0))
    diff = np.abs(fd - exact)  # (n,)
    worst = float(np.max(diff, initial=0.0))
    rel = worst / largest if largest > 0 else (0.0 if worst == 0 else float("inf"))
    floor = float(np.max(noise, initial=0.0))
    if np.all(np.abs(fd) <= noise) and np.all(np.abs(exact) <= noise):
        verdict = TOO_SMALL
    elif np.all(diff <= np.maximum(RTOL * largest, noise)):
        verdict = AGREES
    else:
        verdict = DISAGREES
    return ArrayCheck(rel, largest, floor, verdict)


def rounding_scale(trace: ForwardTrace, targets: np.ndarray, loss: str, loss_at: str) -> float:
    """S: the size of the rounding error in the loss, in units of the machine epsilon.

    A relative rounding error u in a number v changes the loss by u·|∂L/∂v|·|v|. Summed over
    the loss itself and the outputs y_t (rounded at the size of W_hy h_t and b_y), this
    keeps the floor honest when the loss is small but the outputs are not (a trained
    network).
    """
    p = trace.params
    value, dy = loss_and_grad(loss, trace.y, targets, loss_at)  # dy: (T, O)
    y_size = np.abs(trace.h) @ np.abs(p.W_hy).T + np.abs(p.b_y)  # (T, O)
    return float(abs(value) + np.sum(np.abs(dy) * y_size))
