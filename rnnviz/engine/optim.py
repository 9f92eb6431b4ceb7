"""Optimisers as pure functions: ``update(arrays, grads, state) -> (arrays, state)``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Arrays = dict[str, np.ndarray]
OPTIMISERS: tuple[str, ...] = ("sgd", "adam")


@dataclass(frozen=True)
class OptState:
    step: int = 0
    slots: dict[str, Arrays] = field(default_factory=dict)  # e.g. {"m": {...}, "v": {...}}


@dataclass(frozen=True)
class SGD:
    """Plain SGD, or with heavy-ball momentum: v ← μ v − η g, θ ← θ + v."""

    lr: float = 0.05
    momentum: float = 0.0

    def update(self, arrays: Arrays, grads: Arrays, state: OptState) -> tuple[Arrays, OptState]:
        if self.momentum == 0.0:
            return {k: a - self.lr * grads[k] for k, a in arrays.items()}, OptState(state.step + 1)
        v_old = state.slots.get("v", {k: np.zeros_like(a) for k, a in arrays.items()})
        v = {k: self.momentum * v_old[k] - self.lr * grads[k] for k in arrays}
        new = {k: a + v[k] for k, a in arrays.items()}
        return new, OptState(state.step + 1, {"v": v})


@dataclass(frozen=True)
class Adam:
    """Kingma & Ba (2015), with bias correction."""

    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def update(self, arrays: Arrays, grads: Arrays, state: OptState) -> tuple[Arrays, OptState]:
        # Every weight as one vector: a dozen NumPy calls per update instead of a dozen per
        # array (an LSTM has six), which at the size of a training batch is time that shows.
        step = state.step + 1
        theta, g = _flat(arrays), _flat(grads, arrays)  # (N,) each
        m_old, v_old = state.slots.get("m", {}).get(FLAT), state.slots.get("v", {}).get(FLAT)
        m = (1 - self.beta1) * g
        v = g * g
        v *= 1 - self.beta2
        if m_old is not None and v_old is not None:
            m += self.beta1 * m_old
            v += self.beta2 * v_old
        c1, c2 = 1 - self.beta1**step, 1 - self.beta2**step
        denom = np.sqrt(v / c2)
        denom += self.eps
        delta = m / c1
        delta *= self.lr
        delta /= denom
        new = theta - delta
        return _unflat(new, arrays), OptState(step, {"m": {FLAT: m}, "v": {FLAT: v}})


FLAT = "all"  # Adam's slot key: the moments of every weight, concatenated in the arrays' order


def _flat(values: Arrays, order: Arrays | None = None) -> np.ndarray:
    keys = values if order is None else order
    return np.concatenate([values[k].ravel() for k in keys])


def _unflat(flat: np.ndarray, like: Arrays) -> Arrays:
    out, at = {}, 0
    for k, a in like.items():
        out[k] = flat[at : at + a.size].reshape(a.shape)
        at += a.size
    return out


def make_optimiser(name: str, lr: float, momentum: float = 0.0) -> SGD | Adam:
    if not lr > 0:
        raise ValueError("the learning rate must be positive")
    if name == "sgd":
        if not 0 <= momentum < 1:
            raise ValueError("momentum must lie in [0, 1)")
        return SGD(lr, momentum)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"unknown optimiser {name!r}; choose one of {', '.join(OPTIMISERS)}")
