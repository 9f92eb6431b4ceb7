"""GRU cell, as ``nn.GRU`` (gate rows r, z, n):

r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells.base import BackwardRows, ForwardRows, StepFn, joint_product
from rnnviz.engine.params import Params


@dataclass(frozen=True)
class GRUContext:
    cache: np.ndarray  # (T, 4H): r, z, n, hn = W_hn h_{t-1} + b_hn
    h_all: np.ndarray  # (T+1, H)
    hidden_size: int


class GRU:
    name = "gru"
    has_cell_state = False
    separate_hidden_grad = True
    folds_inputs = False

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        H = p.hidden_size
        # r and z's rows halved (see _make_step) in the weights and bias, not in the (T, 3H)
        # result: a pass over it fewer, and halving is exact, so the values are the same.
        scale = np.ones(3 * H, dtype=p.dtype)  # (3H,)
        scale[: 2 * H] = 0.5
        bias = p.b_ih.copy()
        # b_hr and b_hz add like b_ir and b_iz; b_hn sits inside r ⊙ (…) and cannot be folded.
        bias[: 2 * H] += p.b_hh[: 2 * H]
        bias *= scale
        xb = np.dot(x, p.W_ih.T * scale)  # (T, 3H); np.dot, not @: faster for a few inputs
        xb += bias
        return xb

    def cache_width(self, hidden_size: int) -> int:
        return 4 * hidden_size

    def make_step(self, p: Params, rows: ForwardRows, fold: int = 0) -> StepFn:
        if fold:
            raise ValueError("the GRU cannot fold its inputs into the recurrent product")
        return _make_step(p, rows, None)

    def batch_input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        return self.input_projection(p, x)  # (T*B, 3H)

    def make_batch_step(
        self,
        p: Params,
        rows: ForwardRows,
        fold: int = 0,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        if fold:
            raise ValueError("the GRU cannot fold its inputs into the recurrent product")
        return _make_step(p, rows, rho)

    def make_batch_step_backward(
        self,
        p: Params,
        ctx: GRUContext,
        rows: BackwardRows,
        readout: np.ndarray | None = None,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        return _factored_back(p, ctx, rows, readout, rho)

    def backward_context(self, p: Params, h_all, c_all, cache) -> GRUContext:
        return GRUContext(cache, h_all, p.hidden_size)

    def make_step_backward(
        self, p: Params, ctx: GRUContext, rows: BackwardRows, readout: np.ndarray | None = None
    ) -> StepFn:
        if not rows.stacked:
            return _factored_back(p, ctx, rows, readout, None)
        H = ctx.hidden_size
        product = joint_product(p.W_hh, readout, rows.stacked)
        dh_rows, dxp_rows, dhp_rows, dh_prev = rows.dh, rows.dxp, rows.dhp, rows.dh_prev

        def back(t: int) -> None:
            row, h_prev, dh = ctx.cache[t], ctx.h_all[t], dh_rows[t]
            r, z, n, hn = row[:H], row[H : 2 * H], row[2 * H : 3 * H], row[3 * H :]
            dxp, dhp, out = dxp_rows[t], dhp_rows[t], dh_prev[t]  # (…, 3H), (…, 3H [+ O])
            dan = dh * (1.0 - z) * (1.0 - n * n)  # through n = tanh(a_n)
            np.multiply(dan * hn, r * (1.0 - r), out=dxp[..., :H])  # a_r
            np.multiply(dh * (h_prev - n), z * (1.0 - z), out=dxp[..., H : 2 * H])  # a_z
            dxp[..., 2 * H :] = dan
            dhp[..., : 2 * H] = dxp[..., : 2 * H]
            np.multiply(dan, r, out=dhp[..., 2 * H : 3 * H])  # a_n's recurrent part is gated by r
            product(dhp, out)  # (…, H) [+ W_hyᵀ dy_{t-1}]
            out += dh * z  # h_{t-1} also reaches h_t directly, through the gate z

        return back


def _make_step(p: Params, rows: ForwardRows, rho: np.ndarray | None) -> StepFn:
    """The forward step over rows of one sequence (·,), or of a batch (·, B) with each
    sequence in a column (see batched.py); ``rho`` (B,): see Cell.make_batch_step."""
    if rows.cache_all is None or rows.xb is None:
        raise ValueError("the GRU step needs the cache as an array and the inputs projected")
    H, xb_rows, h, kept = p.hidden_size, rows.xb, rows.h, rows.cache_all  # (T, 4H[, B])
    lead = kept.shape[2:]  # () for one sequence, (B,) for a batch
    # σ(a) = (1 + tanh(a/2)) / 2, as activations.sigmoid computes it: with the rows of r and
    # z halved in the matrix (and in xb, see input_projection), a tanh and one multiply-add
    # give the sigmoids — bit for bit (see lstm._make_step).
    M = workspace.take("gru.W_hh", p.W_hh.shape, p.dtype, zero=False)  # (3H, H), aligned
    np.copyto(M, p.W_hh)
    M[: 2 * H] *= 0.5
    b_hn = p.b_hh[2 * H :].reshape(H, *(1 for _ in lead))  # (H[, 1])
    # Views of every step's blocks, each list made in one call (a slice in the step costs
    # ~0.13 µs): r, z, n, hn, then W_hh h's rows, r and z together, xb's r, z and n.
    r_r, z_r, n_r, hn_r = (list(kept[:, k * H : (k + 1) * H]) for k in range(4))
    hp_r, rz_r = list(kept[:, : 3 * H]), list(kept[:, : 2 * H])
    xrz_r = [x[: 2 * H] for x in xb_rows]
    xn_r = [x[2 * H :] for x in xb_rows]
    w_dot, add, mul, tanh = M.dot, np.add, np.multiply, np.tanh

    def step(t: int) -> None:
        h_prev, h_out, hp, rz, n = h[t], h[t + 1], hp_r[t], rz_r[t], n_r[t]
        w_dot(h_prev, hp)  # r, z (halved), n rows of W_hh h
        if rho is not None:
            hp *= rho  # each sequence's own ρ·W_hh h_t
        add(n, b_hn, hn_r[t])  # hn = W_hn h + b_hn, kept for the backward step
        rz += xrz_r[t]
        tanh(rz, rz)
        rz *= 0.5
        rz += 0.5  # r, z
        mul(r_r[t], hn_r[t], n)
        n += xn_r[t]
        tanh(n, n)
        # h = n + z ⊙ (h_prev − n) is (1 − z) n + z h_prev with one fewer temporary.
        np.subtract(h_prev, n, h_out)
        h_out *= z_r[t]
        h_out += n

    return step


def _factored_back(
    p: Params,
    ctx: GRUContext,
    rows: BackwardRows,
    readout: np.ndarray | None,
    rho: np.ndarray | None,
) -> StepFn:
    """The backward step (written out in make_step_backward's stacked branch) with every
    factor that does not depend on the gradient computed for all steps at once: each
    pre-activation gradient is then dh_t times a factor, and the serial loop makes 4
    element-wise NumPy calls a step instead of 19.

        dL/da_n = dh ⊙ (1 − z)(1 − n²) =: dh ⊙ F_n      (through n = tanh(a_n))
        dL/da_r = dh ⊙ F_n ⊙ hn ⊙ r(1 − r),  dL/da_z = dh ⊙ (h_{t-1} − n) ⊙ z(1 − z)
        dL/d(W_hn h + b_hn) = dh ⊙ F_n ⊙ r              (a_n's recurrent part is gated by r)

    Rows are (·,) for one sequence or (·, B) for a batch (feature-major: ctx's arrays are
    (T, ·, B)); ``rows.dxp_all`` and ``rows.dhp_all`` are needed. ``rho``: see
    Cell.make_batch_step_backward.
    """
    if rows.dxp_all is None or rows.dhp_all is None:
        raise ValueError("the GRU's backward step needs dxp_all and dhp_all")
    H = ctx.hidden_size
    product = joint_product(p.W_hh, readout, False)
    cache, h_prev = ctx.cache, ctx.h_all[:-1]  # (T, 4H, …), (T, H, …)
    T, lead, dtype = cache.shape[0], cache.shape[2:], cache.dtype  # lead: (), or (B,)
    r, z, n, hn = (cache[:, k * H : (k + 1) * H] for k in range(4))  # (T, H, …) each
    # Per step the factors of dL/d(xproj) (r, z, n) and of dL/d(hproj) (r, z, hn), each a
    # (3, H, …) block that multiplies dh_t in one call. Gate-major while they are computed
    # (each a contiguous run), read a step at a time.
    Fx = workspace.take("gru.Fx", (3, T, H, *lead), dtype, zero=False)
    Fh = workspace.take("gru.Fh", (3, T, H, *lead), dtype, zero=False)
    F_n, scratch = Fx[2], Fh[2]
    np.multiply(n, n, out=F_n)
    np.subtract(1.0, F_n, out=F_n)
    np.subtract(1.0, z, out=scratch)
    F_n *= scratch  # (1 − z)(1 − n²)
    np.subtract(1.0, r, out=Fx[0])
    Fx[0] *= r
    Fx[0] *= hn
    Fx[0] *= F_n  # F_n ⊙ hn ⊙ r(1 − r)
    np.subtract(1.0, z, out=Fx[1])
    Fx[1] *= z
    np.subtract(h_prev, n, out=scratch)
    Fx[1] *= scratch  # (h_{t-1} − n) ⊙ z(1 − z)
    Fh[:2] = Fx[:2]
    np.multiply(F_n, r, out=Fh[2])
    Fx_r, Fh_r, z_r = list(Fx.swapaxes(0, 1)), list(Fh.swapaxes(0, 1)), list(z)
    dxp3 = list(rows.dxp_all[:, : 3 * H].reshape(T, 3, H, *lead))  # views: r, z, n
    dhp3 = list(rows.dhp_all[:, : 3 * H].reshape(T, 3, H, *lead))
    dh_rows, dhp, dh_prev = rows.dh, rows.dhp, rows.dh_prev
    tmp = np.empty((H, *lead), dtype=dtype)  # (H[, B]) scratch
    mul, add = np.multiply, np.add

    def back(t: int) -> None:
        dh, out, dh3 = dh_rows[t], dh_prev[t], dhp3[t]
        mul(Fx_r[t], dh, dxp3[t])
        mul(Fh_r[t], dh, dh3)
        if rho is not None:
            dh3 *= rho
        product(dhp[t], out)  # (H, …) [+ W_hyᵀ dy_{t-1}]
        mul(dh, z_r[t], tmp)  # h_{t-1} also reaches h_t directly, through the gate z
        add(out, tmp, out)

    return back
