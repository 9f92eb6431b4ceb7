"""Losses on the readout y_t and their gradients dL/dy_t, matching PyTorch's reductions."""

from __future__ import annotations

import numpy as np

LOSSES: tuple[str, ...] = ("mse", "xent")
LOSS_AT: tuple[str, ...] = ("all", "last")


def scored_steps(T: int, loss_at: str) -> np.ndarray:
    """0-based indices of the steps the loss looks at."""
    if loss_at == "all":
        return np.arange(T)
    if loss_at == "last":
        return np.array([T - 1])
    raise ValueError(f"unknown loss_at {loss_at!r}; choose one of {', '.join(LOSS_AT)}")


def as_targets(targets: np.ndarray | list, loss: str, T: int, O: int) -> np.ndarray:
    """Check targets: (T, O) reals for mse, (T,) integer classes in [0, O) for xent."""
    arr = np.asarray(targets)
    if loss == "mse":
        arr = arr.astype(np.float64)
        if arr.ndim == 1 and O == 1:
            arr = arr[:, None]
        if arr.shape != (T, O):
            raise ValueError(f"targets have shape {arr.shape}; expected ({T}, {O}) for mse")
        return arr
    if loss == "xent":
        flat = arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr
        if flat.shape != (T,):
            raise ValueError(f"targets have shape {arr.shape}; expected {T} class indices")
        if not np.all(np.isfinite(flat.astype(float))) or np.any(flat != np.round(flat)):
            raise ValueError("xent targets must be whole numbers (class indices)")
        classes = flat.astype(np.int64)
        if classes.size and (classes.min() < 0 or classes.max() >= O):
            raise ValueError(f"xent targets must lie in 0..{O - 1} (the output size is {O})")
        return classes
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def loss_and_grad(
    loss: str, y: np.ndarray, targets: np.ndarray, loss_at: str = "all"
) -> tuple[float, np.ndarray]:
    """(L, dL/dy) for outputs y (T, O); steps that are not scored get a zero gradient.

    For a batch, y (B, T, O) and targets (B, T, O) (mse) or (B, T) (xent): L is the mean
    over every sequence's scored steps, PyTorch's reduction on ``batch_first`` outputs.
    """
    if y.ndim == 3:
        return _batch_loss_and_grad(loss, y, targets, loss_at)
    T, O = y.shape
    tgt = as_targets(targets, loss, T, O)
    idx = scored_steps(T, loss_at)
    dy = np.zeros_like(y)  # (T, O)
    with np.errstate(all="ignore"):
        if loss == "mse":
            diff = y[idx] - tgt[idx]  # (S, O)
            n = diff.size  # nn.MSELoss() averages over every scored element
            value = float(np.sum(diff * diff) / n)
            dy[idx] = 2.0 * diff / n
            return value, dy
        logits = y[idx]  # (S, O)
        rows, top = np.arange(idx.size), np.argmax(logits, axis=1)  # (S,) each
        shifted = logits - logits[rows, top][:, None]  # (S, O) ≤ 0, the top one exactly 0
        # log Σ exp = log(1 + rest) with rest the other classes' share: log1p keeps it exact
        # when one class dominates, where log(Σ) would round to 0 and the loss vanish.
        e = np.exp(shifted)  # (S, O)
        e[rows, top] = 0.0
        log_p = shifted - np.log1p(e.sum(axis=1, keepdims=True))  # (S, O)
        target_log_p = log_p[rows, tgt[idx]]  # (S,)
        value = float(-np.mean(target_log_p))
        grad = np.exp(log_p)  # softmax
        grad[rows, tgt[idx]] = np.expm1(target_log_p)  # p − 1 without cancelling to 0
        dy[idx] = grad / idx.size
        return value, dy


def _batch_loss_and_grad(
    loss: str, y: np.ndarray, targets: np.ndarray | list, loss_at: str
) -> tuple[float, np.ndarray]:
    """The scored steps of all B sequences, one after the other, as one sequence scored
    everywhere: the same mean over every scored element (mse) or step (xent)."""
    B, T, O = y.shape
    arr = np.asarray(targets)
    if arr.shape[:1] != (B,):
        raise ValueError(f"targets have shape {arr.shape}; expected {B} sequences first")
    if loss == "mse" and arr.ndim == 2 and O == 1:
        arr = arr[..., None]
    if loss == "xent" and arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.shape[1:2] != (T,):
        raise ValueError(f"targets have shape {arr.shape}; expected {T} steps per sequence")
    idx = scored_steps(T, loss_at)
    S = idx.size
    value, g = loss_and_grad(
        loss, y[:, idx].reshape(B * S, O), arr[:, idx].reshape(B * S, *arr.shape[2:]), "all"
    )
    dy = np.zeros_like(y)  # (B, T, O)
    dy[:, idx] = g.reshape(B, S, O)
    return value, dy
