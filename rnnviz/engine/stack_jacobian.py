"""How the top layer's last output depends on every layer's output at every step.

o_t^(k) is layer k's output at step t ([h_t forward; h_t backward]). The Jacobian
∂o_T^top/∂o_t^(k) is the total derivative through every path: along layer k's own recurrence,
up through the layers above, and along theirs. Its rows are pulled back like gradients — the
cells' own backward steps on R = D*H rows at once, from the top layer down, each layer's rows
entering the one below through W_ih — so it is exactly the map BPTT applies. For the LSTM,
c_t is held fixed (as in jacobian_norms): the derivative is with respect to h_t alone.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import BackwardRows
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.stack import StackTrace


def depth_jacobian_norms(trace: StackTrace) -> np.ndarray:
    """‖∂o_T^top/∂o_t^(k)‖₂ for every layer k and step t: (L, T). Beyond the float range: inf."""
    p, T = trace.params, trace.T
    D, H = p.num_directions, p.hidden_size
    R = D * H
    out = np.zeros((p.num_layers, T))  # (L, T)
    pull = np.zeros((T, R, R), dtype=p.dtype)  # (T, R, D*H): rows of ∂o_T/∂o_t^(k), from above
    pull[T - 1] = np.eye(R)  # the top layer's o_T is o_T itself
    with np.errstate(all="ignore"):
        for k in range(p.num_layers - 1, -1, -1):
            total = np.empty((T, R, R), dtype=p.dtype)  # (T, R, D*H) through every path
            below = np.zeros((T, R, p.layers[k][0].W_ih.shape[1]), dtype=p.dtype)  # (T, R, I_k)
            for d in range(D):
                given = pull[:, :, d * H : (d + 1) * H]  # (T, R, H) step order
                P, dxp = _pull_back(trace.layers[k][d], given if d == 0 else given[::-1])
                total[:, :, d * H : (d + 1) * H] = P if d == 0 else P[::-1]
                if k > 0:
                    dx = np.matmul(dxp, p.layers[k][d].W_ih)  # (T, R, I_k)
                    below += dx if d == 0 else dx[::-1]
            out[k] = _spectral_norms(total)
            pull = below
    return out


def _pull_back(trace: ForwardTrace, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows P_t = given_t + (P_{t+1} pulled back through step t+1), for t = T..1 in the
    direction's order, and the pre-activation rows of every step: (T, R, H), (T, R, G*H)."""
    p = trace.params
    T, R, H = given.shape
    GH = p.n_gates * H
    cell = get_cell(p.cell)
    ctx = cell.backward_context(p, trace.h_all, trace.c_all, trace.cache)
    P = np.array(given)  # (T, R, H)
    through = np.empty((T, R, H), dtype=p.dtype)  # (T, R, H) what step t+1 sends back to t
    dhp = np.empty((T, R, GH), dtype=p.dtype)  # (T, R, G*H)
    dxp = np.empty((T, R, GH), dtype=p.dtype) if cell.separate_hidden_grad else dhp
    C = np.zeros((T, R, H), dtype=p.dtype) if cell.has_cell_state else None  # ∂/∂c_t rows
    scratch = np.empty((R, H), dtype=p.dtype)  # where step 1 sends its pull: h_0 is no output
    back = cell.make_step_backward(
        p,
        ctx,
        BackwardRows(
            dh=list(P),
            dc=None if C is None else list(C),
            dxp=list(dxp),
            dhp=list(dhp),
            dh_prev=[scratch, *through[:-1]],
            dc_prev=None if C is None else [np.empty((R, H), dtype=p.dtype), *C[:-1]],
            stacked=True,
        ),
    )
    for t in range(T - 1, -1, -1):
        back(t)
        if t:
            P[t - 1] += through[t - 1]
    return P, dxp


def _spectral_norms(M: np.ndarray) -> np.ndarray:
    """The largest singular value of every M[t]: (T,), inf where M[t] is not finite."""
    norms = np.full(M.shape[0], np.inf)  # (T,)
    finite = np.isfinite(M).all(axis=(1, 2))
    if finite.any():
        norms[finite] = np.linalg.svd(M[finite], compute_uv=False)[:, 0]
    return norms
