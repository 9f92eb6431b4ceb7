"""Norms of the Jacobian products ∂h_T/∂h_t, the quantity behind vanishing and exploding.

∂h_T/∂h_t = J_T J_{T-1} … J_{t+1}, with J_s = ∂(h_s, c_s)/∂(h_{s-1}, c_{s-1}). The rows of
the running product are pushed back one step at a time with the cell's own backward step
(a vector-Jacobian product on H rows at once), so the Jacobian is exactly the map that BPTT
applies to gradients. For the LSTM the block with c_t held fixed is reported.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import BackwardRows
from rnnviz.engine.numerics import FLUSH_BELOW

_CHUNK = 32  # singular values are computed for this many steps in one batched call


def jacobian_norms(trace, include_cell_state: bool = False) -> tuple[np.ndarray, int | None]:
    """(‖∂h_T/∂h_t‖₂ for t = 1..T, the step where the product overflowed or None).

    Going back from T, the product can overflow; the norms at and before that step are set
    to 0 (never inf) and the step is returned, so callers can mark them.
    With ``include_cell_state`` the LSTM's norm is that of ∂h_T/∂(h_t, c_t): how much h_T
    depends on the whole state at t, the cell-state path included (other cells: the same).
    """
    p, T, H = trace.params, trace.T, trace.params.hidden_size
    cell = get_cell(p.cell)
    push = _pusher(trace, H)
    out = np.zeros(T)  # (T,)
    P_h = np.eye(H)  # (H, H) ∂h_T/∂h_t, rows indexed by h_T
    P_c = np.zeros((H, H)) if cell.has_cell_state else None  # (H, H) ∂h_T/∂c_t
    width = 2 * H if include_cell_state and P_c is not None else H
    chunk = np.empty((_CHUNK, H, width))  # (C, H, H) or (C, H, 2H)
    rows: list[int] = []
    overflow_at: int | None = None
    with np.errstate(all="ignore"):
        for t in range(T - 1, -1, -1):
            chunk[len(rows), :, :H] = P_h
            if width > H:
                chunk[len(rows), :, H:] = P_c
            rows.append(t)
            if len(rows) == _CHUNK:
                _store_norms(out, rows, chunk)
            if t == 0:
                break
            P_h, P_c = push(t, P_h, P_c)
            peak = max(np.max(np.abs(P_h)), 0.0 if P_c is None else np.max(np.abs(P_c)))
            if not np.isfinite(peak):
                overflow_at = t  # 1-based step t, whose row t-1 is the first unusable one
                break
            if peak < FLUSH_BELOW:
                break  # the product has vanished; the earlier norms stay exactly 0
        _store_norms(out, rows, chunk)
    return out, overflow_at


class _Slot:
    """Stands for a list of rows whose every row is the one array it holds at the moment."""

    def __init__(self) -> None:
        self.value: np.ndarray | None = None

    def __getitem__(self, t: int) -> np.ndarray | None:
        return self.value


def _pusher(trace, R: int) -> Callable[[int, np.ndarray, np.ndarray | None], tuple]:
    """push(t, P_h, P_c): rows of ∂h_T/∂(h_t, c_t) → rows of ∂h_T/∂(h_{t-1}, c_{t-1}), one
    batched backward step (R rows at once) through the cell's own backward step."""
    p, H = trace.params, trace.params.hidden_size
    cell = get_cell(p.cell)
    ctx = cell.backward_context(p, trace.h_all, trace.c_all, trace.cache)
    dh, dc, dxp, dhp, dh_prev, dc_prev = (_Slot() for _ in range(6))
    has_c = cell.has_cell_state
    rows = BackwardRows(
        dh=dh,
        dc=dc if has_c else None,
        dxp=dxp,
        dhp=dhp,
        dh_prev=dh_prev,
        dc_prev=dc_prev if has_c else None,
        stacked=True,
    )
    back = cell.make_step_backward(p, ctx, rows)
    GH = p.n_gates * H

    def push(t: int, P_h: np.ndarray, P_c: np.ndarray | None):
        dh.value, dc.value = P_h, P_c
        dh_prev.value = np.empty((R, H))  # (R, H)
        dc_prev.value = np.empty((R, H)) if has_c else None
        dhp.value = np.empty((R, GH))  # (R, G*H)
        # The cell writes one array when the two pre-activation gradients are equal.
        dxp.value = np.empty((R, GH)) if cell.separate_hidden_grad else dhp.value
        back(t)
        return dh_prev.value, dc_prev.value

    return push


def _store_norms(out: np.ndarray, rows: list[int], chunk: np.ndarray) -> None:
    if rows:
        sv = np.linalg.svd(chunk[: len(rows)], compute_uv=False)  # (C, H) descending
        out[rows] = sv[:, 0]
        rows.clear()


def step_jacobians(trace) -> np.ndarray:
    """J_t = ∂s_t/∂s_{t-1} for t = 1..T, where s = h (or (h, c) for the LSTM): (T, S, S).

    Row i of J_t is what the cell's backward step does to the unit vector e_i, so these are
    exactly the maps BPTT applies.
    """
    p, T, H = trace.params, trace.T, trace.params.hidden_size
    cell = get_cell(p.cell)
    has_c = cell.has_cell_state
    S = 2 * H if has_c else H
    push = _pusher(trace, S)
    eye = np.eye(S)  # (S, S): row i is e_i over (h, c)
    out = np.empty((T, S, S))  # (T, S, S)
    with np.errstate(all="ignore"):
        for t in range(T):
            P_h = eye[:, :H].copy()  # (S, H)
            P_c = eye[:, H:].copy() if has_c else None
            new_h, new_c = push(t, P_h, P_c)
            out[t, :, :H] = new_h
            if has_c:
                out[t, :, H:] = new_c
    return out


def jacobian_between(
    trace,
    k: int,
    t: int,
    steps: np.ndarray | None = None,
    include_cell_state: bool = False,
) -> np.ndarray:
    """∂h_t/∂h_k for 0 ≤ k ≤ t ≤ T (1-based steps, h_0 the initial state): (H, H).

    For the LSTM, c_k is held fixed (the h-block of the state Jacobian); with
    ``include_cell_state`` it is ∂h_t/∂(h_k, c_k), (H, 2H): how much h_t depends on the whole
    state at k, the cell-state path included (other cells: the same as without).
    ``steps`` may pass ``step_jacobians(trace)`` already computed, to answer many pairs
    quickly.
    """
    if not 0 <= k <= t <= trace.T:
        raise ValueError(f"need 0 ≤ k ≤ t ≤ {trace.T}, got k = {k}, t = {t}")
    H = trace.params.hidden_size
    J = step_jacobians(trace) if steps is None else steps  # (T, S, S)
    P = np.eye(J.shape[1])  # (S, S)
    with np.errstate(all="ignore"):
        for s in range(k, t):
            P = J[s] @ P  # J[s] maps s_s → s_{s+1}
    return P[:H] if include_cell_state else P[:H, :H]  # (H, S) or (H, H)
