"""Element-wise activations of the vanilla cell and their derivatives.

The derivative is written in terms of the activation's *output* h = f(a), because that is
what the forward pass keeps: for tanh f'(a) = 1 - h², for the sigmoid h(1 - h).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, written so that large |a| neither overflows nor warns."""
    # 0.5 * (1 + tanh(a/2)) is exact and never computes exp(+big).
    r = np.multiply(a, 0.5, out=out)
    np.tanh(r, out=r)
    r += 1.0
    r *= 0.5
    return r


def _relu(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


def _linear(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None:
        return a.copy()
    out[...] = a
    return out


_FORWARD: dict[str, Callable[..., np.ndarray]] = {
    "tanh": np.tanh,  # the ufunc itself: a wrapper would add a Python call to every step
    "relu": _relu,
    "sigmoid": sigmoid,
    "linear": _linear,
}


def function(name: str) -> Callable[..., np.ndarray]:
    """The named activation as ``f(a, out=None)``."""
    return _FORWARD[check(name)]


def derivative_from_output(name: str, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """f'(a) given h = f(a), element-wise, same shape as h (into ``out`` when given)."""
    check(name)
    if name == "tanh":
        d = np.multiply(h, h, out=out)
        return np.subtract(1.0, d, out=d)  # in place: one (T, H) temporary, not two
    if name == "sigmoid":
        d = np.subtract(1.0, h, out=out)
        return np.multiply(h, d, out=d)
    if name == "relu":
        # h > 0 exactly where a > 0; the subgradient at 0 is taken as 0, like PyTorch.
        return np.greater(h, 0, out=out if out is not None else np.empty_like(h), casting="unsafe")
    if out is None:
        return np.ones_like(h)
    out.fill(1.0)
    return out


def check(name: str) -> str:
    if name not in _FORWARD:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name
