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
        step = state.step + 1
        zeros = {k: np.zeros_like(a) for k, a in arrays.items()}
        m_old, v_old = state.slots.get("m", zeros), state.slots.get("v", zeros)
        m = {k: self.beta1 * m_old[k] + (1 - self.beta1) * grads[k] for k in arrays}
        v = {k: self.beta2 * v_old[k] + (1 - self.beta2) * grads[k] ** 2 for k in arrays}
        c1, c2 = 1 - self.beta1**step, 1 - self.beta2**step
        new = {
            k: a - self.lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + self.eps)
            for k, a in arrays.items()
        }
        return new, OptState(step, {"m": m, "v": v})


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
