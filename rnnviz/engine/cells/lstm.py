"""LSTM cell, as ``nn.LSTM`` (gate rows i, f, g, o):

i, f, o = σ(·), g = tanh(·)     of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
c_t = f ⊙ c_{t-1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells.base import (
    BackwardRows,
    ForwardRows,
    StepFn,
    folded_matrix,
    joint_product,
)
from rnnviz.engine.params import Params


@dataclass(frozen=True)
class LSTMContext:
    kept: np.ndarray  # (T, 5H) the forward's cache: activated i, f, g, o, then tanh(c_t)
    c_all: np.ndarray  # (T+1, H)
    hidden_size: int

    @property
    def gates(self) -> np.ndarray:
        return self.kept[:, : 4 * self.hidden_size]  # (T, 4H)

    @property
    def tanh_c(self) -> np.ndarray:
        return self.kept[:, 4 * self.hidden_size :]  # (T, H)


class LSTM:
    name = "lstm"
    has_cell_state = True
    separate_hidden_grad = False
    folds_inputs = True

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        """W_ih x + b for every step, the rows of i, f and o halved (see make_step)."""
        xb = np.dot(x, p.W_ih.T)  # np.dot, not @: faster for a few inputs
        xb += p.b_ih + p.b_hh  # in place: a second (T, G*H) temporary costs more than the add
        xb *= _tanh_scale(p.hidden_size)
        return xb  # (T, 4H)

    def cache_width(self, hidden_size: int) -> int:
        # i, f, g, o, then tanh(c_t): the step computes it for h_t, and the backward step
        # needs it (keeping it spares a tanh over every c_t, ~10% of a forward pass).
        return 5 * hidden_size

    def make_step(self, p: Params, rows: ForwardRows, fold: int = 0) -> StepFn:
        return _make_step(p, rows, fold, None, None)

    def batch_input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        return self.input_projection(p, x)  # (T*B, 4H)

    def make_batch_step(
        self,
        p: Params,
        rows: ForwardRows,
        fold: int = 0,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        return _make_step(p, rows, fold, rho, reuse)

    def make_batch_step_backward(
        self,
        p: Params,
        ctx: LSTMContext,
        rows: BackwardRows,
        readout: np.ndarray | None = None,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        return _factored_back(p, ctx, rows, readout, rho, reuse)

    def backward_context(self, p: Params, h_all, c_all, cache) -> LSTMContext:
        return LSTMContext(cache, c_all, p.hidden_size)

    def make_step_backward(
        self, p: Params, ctx: LSTMContext, rows: BackwardRows, readout: np.ndarray | None = None
    ) -> StepFn:
        if not rows.stacked:
            return _factored_back(p, ctx, rows, readout, None, None)
        H = ctx.hidden_size
        product = joint_product(p.W_hh, readout, rows.stacked)
        dh_rows, dc_rows, dxp, dhp, dh_prev, dc_prev = (
            rows.dh,
            rows.dc,
            rows.dxp,
            rows.dhp,
            rows.dh_prev,
            rows.dc_prev,
        )

        gates_all, tc_all = ctx.gates, ctx.tanh_c  # (T, 4H), (T, H)

        def back(t: int) -> None:
            dh, gates, tc = dh_rows[t], gates_all[t], tc_all[t]  # (…, H), (4H,), (H,)
            i, f, g, o = gates[:H], gates[H : 2 * H], gates[2 * H : 3 * H], gates[3 * H :]
            # dL/dc_t collects the direct path and the path through h_t = o ⊙ tanh(c_t).
            dc_total = dh * o * (1.0 - tc * tc)
            dc_total += dc_rows[t]
            da = dxp[t]  # (…, 4H): dhp[t]'s first 4H columns
            # Each gate's pre-activation gradient: chain rule through σ' = s(1-s), tanh' = 1-g².
            np.multiply(dc_total * g, i * (1.0 - i), out=da[..., :H])
            np.multiply(dc_total * ctx.c_all[t], f * (1.0 - f), out=da[..., H : 2 * H])
            np.multiply(dc_total * i, 1.0 - g * g, out=da[..., 2 * H : 3 * H])
            np.multiply(dh * tc, o * (1.0 - o), out=da[..., 3 * H :])
            product(dhp[t], dh_prev[t])  # (…, H) [+ W_hyᵀ dy_{t-1}]
            np.multiply(dc_total, f, dc_prev[t])

        return back


def _make_step(
    p: Params, rows: ForwardRows, fold: int, rho: np.ndarray | None, reuse: dict | None
) -> StepFn:
    """The forward step over rows of one sequence (4H,), or of a batch (4H, B) with each
    sequence in a column (see batched.py); ``rho`` (B,), ``reuse``: see
    Cell.make_batch_step."""
    H, xb, z, h, c = p.hidden_size, rows.xb, rows.z, rows.h, rows.c
    # σ(a) = (1 + tanh(a/2)) / 2, as activations.sigmoid computes it: with the rows of
    # i, f and o halved in the matrix (and in xb), one tanh over all four gates gives every
    # activation, and one multiply-add turns those of i, f, o into sigmoids — 10 NumPy
    # calls a step instead of 15. Halving is exact in floating point and (t + 1)/2 rounds
    # as t/2 + 1/2 does, so the numbers are bit for bit those of the plain step.
    scale = _tanh_scale(H)  # (4H,)
    if rows.cache_all is None:
        raise ValueError("the LSTM step needs the cache as an array (ForwardRows.cache_all)")
    kept = rows.cache_all  # (T, 5H[, B]): i, f, g, o, tanh(c_t)
    lead = kept.shape[2:]  # () for one sequence, (B,) for a batch
    if fold:
        # One product with [W_hh | W_ih | b] gives every gate's whole pre-activation.
        M = folded_matrix(p, p.b_ih + p.b_hh, fold)  # (4H, H + fold), aligned, our own
        M *= scale[:, None]
    else:
        M = workspace.take("lstm.W_hh", p.W_hh.shape, p.dtype, zero=False)  # aligned
        np.multiply(p.W_hh, scale[:, None], out=M)
    shift = 0.5 * (scale != 1.0)  # (4H,) 0.5 for i, f, o; 0 for g
    views = None if reuse is None else reuse.get("lstm.step")
    if views is None or views[0] is not rows:
        # Views of every step's blocks, each list made in one call: slicing them in the
        # step would cost ~0.13 µs a slice.
        gates = kept[:, : 4 * H]  # (T, 4H[, B])
        gate_r, tc_r = list(gates), list(kept[:, 4 * H :])
        flat_r = gate_r
        if lead:
            # A batch's gates as flat rows, the scale repeated for each sequence: a ufunc
            # over one contiguous run is ~2x faster than over a (4H, B) operand broadcast.
            scale, shift = np.repeat(scale, lead[0]), np.repeat(shift, lead[0])  # (4H*B,)
            flat_r = list(gates.reshape(gates.shape[0], -1))  # rows are contiguous: views
        blocks = tuple(list(gates[:, k * H : (k + 1) * H]) for k in range(4))  # i, f, g, o
        views = (rows, gate_r, tc_r, flat_r, blocks, scale, shift)
        if reuse is not None:
            reuse["lstm.step"] = views
    _, gate_r, tc_r, flat_r, (i_r, f_r, g_r, o_r), scale, shift = views
    m_dot, mul, tanh = M.dot, np.multiply, np.tanh
    tmp = np.empty((H, *lead), dtype=p.dtype)  # (H[, B]) scratch

    def step(t: int) -> None:
        g_flat, c_out, tc = flat_r[t], c[t + 1], tc_r[t]  # (4H[*B],), (H[, B]) ×2
        m_dot(z[t], gate_r[t])
        if rho is not None:
            gate_r[t] *= rho  # each sequence's own ρ·W_hh h_t
        if xb is not None:
            gate_r[t] += xb[t]
        tanh(g_flat, g_flat)
        g_flat *= scale
        g_flat += shift
        mul(f_r[t], c[t], c_out)
        mul(i_r[t], g_r[t], tmp)
        c_out += tmp
        tanh(c_out, tc)
        mul(o_r[t], tc, h[t + 1])

    return step


def _factored_back(
    p: Params,
    ctx: LSTMContext,
    rows: BackwardRows,
    readout: np.ndarray | None,
    rho: np.ndarray | None,
    reuse: dict | None,
) -> StepFn:
    """The backward step with every factor that does not depend on the gradient computed
    for all steps at once, so that the serial loop only multiplies: dc_t = dh_t ⊙ A_t +
    dc_t^future, then each gate's pre-activation gradient is dc_t (or dh_t, for o) times
    its factor — 6 NumPy calls a step instead of 23 (the step written out in
    make_step_backward's stacked branch and in reference.py).

    Rows are lists; each row is (H,)-shaped per value for one sequence, or (H, B) for a
    batch (feature-major: ctx's arrays are (T, ·, B)); ``rows.dxp_all`` and
    ``rows.dc_total`` are needed. ``rho``, ``reuse``: see Cell.make_batch_step_backward.
    """
    if rows.dxp_all is None or rows.dc_total is None:
        raise ValueError("the LSTM's backward step needs dxp_all and dc_total")
    H = ctx.hidden_size
    product = joint_product(p.W_hh, readout, False)
    kept, c_prev = ctx.kept, ctx.c_all[:-1]  # (T, 5H, …), (T, H, …)
    T, lead, dtype = kept.shape[0], kept.shape[2:], kept.dtype  # lead: (), or (B,) for a batch
    i, f, g, o, tc = (kept[:, k * H : (k + 1) * H] for k in range(5))  # (T, H, …) each
    # The same forward arrays come back as new view objects: known by where they lie. The
    # views kept hold them, so that memory cannot be another array's meanwhile.
    where = (kept.__array_interface__["data"][0], kept.shape, kept.strides)
    views = None if reuse is None else reuse.get("lstm.back")
    if views is None or views[0] is not rows or views[1] != where:
        factors = (
            workspace.take("lstm.slope", kept.shape, dtype, zero=False),  # σ' = s(1 − s)
            workspace.take("lstm.A", tc.shape, dtype, zero=False),  # ∂h_t/∂c_t
            # Gate-major, each gate's factor one contiguous run: a pass over all steps
            # writes ~2x faster there than into every step's block; the loop reads a
            # step's three at a stride.
            workspace.take("lstm.G3", (3, T, H, *lead), dtype, zero=False),  # i, f, g
            workspace.take("lstm.Go", tc.shape, dtype, zero=False),
        )
        _, A, G3, Go = factors
        # Splitting the gate axis of a slice is always a view: writes land in dxp.
        da3 = list(rows.dxp_all[:, : 3 * H].reshape(T, 3, H, *lead))  # i, f, g
        da_o = list(rows.dxp_all[:, 3 * H : 4 * H])  # (H, …)
        total_r, total3_r = list(rows.dc_total), list(rows.dc_total[:, None])
        step_rows = (list(A), list(G3.swapaxes(0, 1)), list(Go), list(f), da3, da_o)
        step_rows += (total_r, total3_r)  # dL/dc_t, and the same broadcast over i, f, g
        views = (rows, where, factors, step_rows, kept)
        if reuse is not None:
            reuse["lstm.back"] = views
    _, _, (slope, A, G3, Go), (A_r, G3_r, Go_r, f_r, da3, da_o, total_r, total3_r), _ = views
    # Over the whole cache, a contiguous array: ~3x faster than over its gate columns alone,
    # a strided view (measured at 1000 x 128). Only i, f and o's are used.
    np.subtract(1.0, kept, out=slope)
    slope *= kept
    np.multiply(tc, tc, out=A)  # o ⊙ (1 − tanh² c_t)
    np.subtract(1.0, A, out=A)
    A *= o
    np.multiply(g, slope[:, :H], out=G3[0])
    np.multiply(c_prev, slope[:, H : 2 * H], out=G3[1])
    G_g = G3[2]  # i ⊙ tanh'(a_g) = i ⊙ (1 − g²)
    np.multiply(g, g, out=G_g)
    np.subtract(1.0, G_g, out=G_g)
    G_g *= i
    np.multiply(tc, slope[:, 3 * H : 4 * H], out=Go)  # (T, H, …)
    da_all = list(rows.dxp) if rho is not None else None
    dh_rows, dc_rows, dhp, dh_prev, dc_prev = (
        rows.dh,
        rows.dc,
        rows.dhp,
        rows.dh_prev,
        rows.dc_prev,
    )
    mul, add = np.multiply, np.add

    def back(t: int) -> None:
        dh, total = dh_rows[t], total_r[t]  # (H, …) ×2
        mul(dh, A_r[t], total)
        add(total, dc_rows[t], total)
        mul(G3_r[t], total3_r[t], da3[t])
        mul(dh, Go_r[t], da_o[t])
        if da_all is not None:
            da_all[t] *= rho
        product(dhp[t], dh_prev[t])  # (H, …) [+ W_hyᵀ dy_{t-1}]
        mul(total, f_r[t], dc_prev[t])

    return back


def _tanh_scale(H: int) -> np.ndarray:
    """(4H,) 0.5 for the rows of the sigmoid gates i, f, o; 1 for g."""
    scale = np.full(4 * H, 0.5)
    scale[2 * H : 3 * H] = 1.0
    return scale
