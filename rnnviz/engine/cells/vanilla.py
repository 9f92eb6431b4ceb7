"""Elman cell, as ``nn.RNN``: h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

from __future__ import annotations

import numpy as np

from rnnviz.engine import activations, workspace
from rnnviz.engine.cells.base import (
    BackwardRows,
    ForwardRows,
    StepFn,
    folded_matrix,
    joint_product,
)
from rnnviz.engine.params import Params


class Vanilla:
    name = "vanilla"
    has_cell_state = False
    separate_hidden_grad = False
    folds_inputs = True

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        # np.dot, not @: for a few inputs matmul's own inner loop is several times slower.
        xb = np.dot(x, p.W_ih.T)
        xb += p.b_ih + p.b_hh  # in place: a second (T, G*H) temporary costs more than the add
        return xb  # (T, H)

    def cache_width(self, hidden_size: int) -> int:
        return 0

    def make_step(self, p: Params, rows: ForwardRows, fold: int = 0) -> StepFn:
        act, z, h = activations.function(p.activation), rows.z, rows.h
        if fold:
            m_dot = folded_matrix(p, p.b_ih + p.b_hh, fold).dot

            def folded_step(t: int) -> None:
                h_out = h[t + 1]
                m_dot(z[t], h_out)  # (H,) W_hh h_t + W_ih x_{t+1} + b, one product
                act(h_out, h_out)

            return folded_step

        w_dot, add, xb = p.W_hh.dot, np.add, rows.xb

        def step(t: int) -> None:
            h_out = h[t + 1]
            w_dot(z[t], h_out)
            add(h_out, xb[t], h_out)
            act(h_out, h_out)

        return step

    def batch_input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        return self.input_projection(p, x)  # (T*B, H)

    def make_batch_step(
        self,
        p: Params,
        rows: ForwardRows,
        fold: int = 0,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        if rho is None:
            # Rows (·, B), one sequence a column: the single-sequence step runs them as they are.
            return self.make_step(p, rows, fold)
        act, w_dot = activations.function(p.activation), p.W_hh.dot
        z, h, xb = rows.z, rows.h, rows.xb

        def scaled_step(t: int) -> None:
            h_out = h[t + 1]
            w_dot(z[t], h_out)  # (H, B)
            h_out *= rho  # each sequence's own ρ·W_hh h_t
            h_out += xb[t]
            act(h_out, h_out)

        return scaled_step

    def make_batch_step_backward(
        self,
        p: Params,
        ctx: np.ndarray,
        rows: BackwardRows,
        readout: np.ndarray | None = None,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        if rho is None:
            # The single-sequence step runs rows (·, B) as they are: f'(a_t) is (H, B) here.
            return self.make_step_backward(p, ctx, rows, readout)
        fp, mul = list(ctx), np.multiply
        product = joint_product(p.W_hh, readout, stacked=False)
        dh, dxp, dhp, dh_prev = rows.dh, rows.dxp, rows.dhp, rows.dh_prev

        def scaled_back(t: int) -> None:
            da = dxp[t]
            mul(dh[t], fp[t], da)
            da *= rho
            product(dhp[t], dh_prev[t])

        return scaled_back

    def backward_context(self, p: Params, h_all, c_all, cache) -> np.ndarray:
        # f'(a_t), (T, H); computed from the last step to the first and seen in step order, so
        # that its rows lie in memory in the order the backward loop reads them.
        out = workspace.take("bptt.fprime", h_all[1:].shape, p.dtype, zero=False)
        return activations.derivative_from_output(p.activation, h_all[:0:-1], out)[::-1]

    def make_step_backward(
        self, p: Params, ctx: np.ndarray, rows: BackwardRows, readout: np.ndarray | None = None
    ) -> StepFn:
        fp, mul = list(ctx), np.multiply
        product = joint_product(p.W_hh, readout, rows.stacked)
        dh, dxp, dhp, dh_prev = rows.dh, rows.dxp, rows.dhp, rows.dh_prev

        def back(t: int) -> None:
            mul(dh[t], fp[t], dxp[t])  # (…, H) dL/da_t: dhp[t]'s first H columns
            product(dhp[t], dh_prev[t])  # (…, H) W_hhᵀ da_t [+ W_hyᵀ dy_{t-1}]

        return back
