"""Backpropagation through time over one sequence: one loop over any cell, with truncation
and clipping. ``bptt`` in bptt.py sends a single sequence here and a batch to batched.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import BackwardRows, StepFn, joint_width
from rnnviz.engine.clipping import clip_by_global_norm
from rnnviz.engine.jacobian import jacobian_norms
from rnnviz.engine.losses import loss_and_grad, scored_steps
from rnnviz.engine.numerics import FLUSH_BELOW, row_norms
from rnnviz.engine.single_forward import ForwardTrace

# The backward chain is checked for having vanished completely every 16 steps.
FLUSH_MASK = 15


@dataclass(frozen=True, eq=False)
class BPTTResult:
    """What one backward pass found. Per-step arrays have a row per step t = 1..T.

    Per-step quantities are measured *before* clipping, so a plot shows the real curve;
    ``grads`` are the gradients after clipping (what an optimiser would apply).
    If the computation stopped being finite, ``exploded_at`` is the first step (in the
    order of computation) where it did, ``exploded_in`` says in which pass, the affected
    rows are 0 with ``valid`` False, and the parameter gradients are all zero.
    """

    loss: float
    dy: np.ndarray  # (T, O) dL/dy_t
    grads: dict[str, np.ndarray]  # keyed like Params' arrays: W_ih, W_hh, b_ih, b_hh, W_hy, b_y
    dL_dh: np.ndarray  # (T, H) total dL/dh_t; its rows lie in memory last step first
    dL_dh_norm: np.ndarray  # (T,)
    dL_dc_norm: np.ndarray | None  # (T,) LSTM only: total dL/dc_t
    dW_hh_contrib: np.ndarray  # (T,) ‖step t's term of dW_hh‖_F
    jacobian_norm: np.ndarray | None  # (T,) ‖∂h_T/∂h_t‖₂, when asked for
    jacobian_overflow_at: int | None  # steps ≤ this have a norm beyond float range (shown as 0)
    state_jacobian_norm: np.ndarray | None  # (T,) LSTM: ‖∂h_T/∂(h_t, c_t)‖₂, cell path included
    grad_norm_before_clip: float
    grad_norm_after_clip: float
    exploded_at: int | None
    exploded_in: str | None  # "forward" | "backward" | None
    valid: np.ndarray  # (T,) bool

    @property
    def clipped(self) -> bool:
        return self.grad_norm_after_clip < self.grad_norm_before_clip


def truncation_cuts(T: int, truncate: int | None) -> np.ndarray:
    """cut[t] is True when no gradient flows from step t+2 back into step t+1 (row t).

    Truncation splits the sequence into windows of k steps counted back from the last
    step, as if the state were detached at each window's start: the loss at step T sends
    its gradient through exactly k states (h_T … h_{T−k+1}). With T = 7, k = 3 the windows
    are [1], [2, 3, 4], [5, 6, 7]. Every window still gets its own losses' gradients.
    """
    cut = np.zeros(T, dtype=bool)  # (T,)
    if truncate is not None:
        if truncate < 1:
            raise ValueError("the truncation window must be at least 1 step")
        steps = np.arange(1, T + 1)  # 1-based step of each row
        cut = ((T - steps) % truncate == 0) & (steps < T)  # the last step of an earlier window
    return cut


def bptt_single(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str = "mse",
    loss_at: str = "all",
    truncate: int | None = None,
    clip: float | None = None,
    jacobians: bool = False,
) -> BPTTResult:
    """The gradient of the loss on ``trace``'s outputs for every weight, and for every h_t.

    The textbook version of this loop is rnnviz/engine/reference.py; tests hold them equal
    to 1e-12 (tests/engine/test_reference.py). This one is built for speed and runs in
    stages, each a function below:

    1. ``backward_chain``: the serial loop from the last step to the first, giving dL/dh_t
       and the pre-activation gradients of every step;
    2. ``chain_norms``, ``first_nonfinite_row``, ``flush_faint_rows``: whether the chain
       stayed finite, and no subnormal leftovers;
    3. ``weight_gradients``: each weight's sum over the steps, one matmul after the loop;
    4. ``overflowed_sum_row``: whether those sums stayed finite;

    then clipping (the per-step quantities are the ones from before it) and, when asked
    for, the Jacobian norms.
    """
    p, T = trace.params, trace.T
    if T == 0:
        raise ValueError("backpropagation through time needs at least one step")
    value, dy = loss_and_grad(loss, trace.y, targets, loss_at)  # dy: (T, O)
    zero_grads = {k: np.zeros_like(a) for k, a in p.arrays().items()}
    if trace.exploded_at is not None:
        return _exploded(trace, value, dy, zero_grads, trace.exploded_at, "forward", clip)

    cuts = truncation_cuts(T, truncate)  # (T,)
    first_scored = int(scored_steps(T, loss_at)[0])
    with np.errstate(all="ignore"):
        chain = backward_chain(trace, dy, cuts, first_scored)
        norms = chain_norms(chain)
        bad = first_nonfinite_row(norms)
        if bad is not None:
            return _exploded(trace, value, dy, zero_grads, bad + 1, "backward", clip, chain.dH, bad)
        flush_faint_rows(chain, norms)
        h_prev = trace.h_all[:-1]  # (T, H)
        raw = weight_gradients(trace.x, h_prev, trace.h, chain, dy)
        bad = overflowed_sum_row(trace.x, h_prev, norms, raw)
        if bad is not None:
            return _exploded(trace, value, dy, zero_grads, bad + 1, "backward", clip, chain.dH, bad)
        grads, before, after = clip_by_global_norm(raw, clip)
        jac, jac_overflow = jacobian_norms(trace) if jacobians else (None, None)
        state_jac = None
        if jacobians and get_cell(p.cell).has_cell_state:
            state_jac = jacobian_norms(trace, include_cell_state=True)[0]
        dc_norm = None if chain.dC_total is None else row_norms(chain.dC_total)
        return BPTTResult(
            loss=value,
            dy=dy,
            grads=grads,
            dL_dh=chain.dH,
            dL_dh_norm=norms.dH,
            dL_dc_norm=dc_norm,
            # ‖outer(a, b)‖_F = ‖a‖ ‖b‖: no need to form the T outer products.
            dW_hh_contrib=norms.dhp * row_norms(trace.h_all[:-1]),
            jacobian_norm=jac,
            jacobian_overflow_at=jac_overflow,
            state_jacobian_norm=state_jac,
            grad_norm_before_clip=before,
            grad_norm_after_clip=after,
            exploded_at=None,
            exploded_in=None,
            valid=np.ones(T, dtype=bool),
        )


@dataclass(frozen=True, eq=False)
class Chain:
    """The backward chain's per-step gradients: rows in step order, laid out last step first."""

    dH: np.ndarray  # (T, H) the total dL/dh_t
    dhp: np.ndarray  # (T, G*H) dL/d(hproj_t)
    dxp: np.ndarray  # (T, G*H) dL/d(xproj_t): dhp itself unless the cell separates them
    dC_total: np.ndarray | None  # (T, H) LSTM: the total dL/dc_t
    ctx: Any  # the cell's backward context


@dataclass(frozen=True, eq=False)
class _ChainNorms:
    """The norm of every row of the chain's arrays; ``dxp`` is ``dhp`` when the arrays are."""

    dH: np.ndarray  # (T,)
    dhp: np.ndarray  # (T,)
    dxp: np.ndarray  # (T,)


def backward_chain(
    trace: ForwardTrace, dy: np.ndarray, cuts: np.ndarray, first_scored: int
) -> Chain:
    """dL/dh_t and the pre-activation gradients of every step: the serial loop, T down to 1.

    Truncation ``cuts`` split the steps into windows (see truncation_cuts); the loop stops
    early when the chain has vanished and no earlier step is scored (``first_scored``).
    """
    p, T, H = trace.params, trace.T, trace.params.hidden_size
    cell = get_cell(p.cell)
    windows = cut_windows(cuts)
    has_c = cell.has_cell_state
    GH, O = p.n_gates * H, p.output_size
    # Row t of dz is dL/d(hproj_t) followed by dL/dy_{t-1}: the cell multiplies the whole
    # row by [W_hh; W_hy] and gets all of dL/dh_{t-1} in one product (see Cell).
    # The arrays are not zeroed up front: every row the loop reaches is written whole (a
    # memset of them all was ~5% of a gated pass at 1000 x 128); what it leaves is set below.
    dz = _last_step_first("bptt.dz", (T, joint_width(GH, O)), p.dtype)  # (T, G*H + O [+ 0 …])
    dz[:, GH:] = 0.0  # dy_{t-1}'s columns (none for the first step), then the padding
    dz[1:, GH : GH + O] = dy[:-1]
    dhp = dz[:, :GH]  # (T, G*H)
    dxp = _last_step_first("bptt.dxp", (T, GH), p.dtype) if cell.separate_hidden_grad else dhp
    dH = _last_step_first("bptt.dH", (T, H), p.dtype)  # (T, H) the total dL/dh_t
    # Nothing flows into a window's last step from after it: only y_t's own pull.
    ends = [last for _, last in windows]
    dH[ends] = np.dot(dy[ends], p.W_hy)  # (W, H)
    dC_future = _last_step_first("bptt.dC", (T, H), p.dtype) if has_c else None  # (T, H)
    if dC_future is not None:
        dC_future[ends] = 0.0
    dC_total = _last_step_first("bptt.dC_total", (T, H), p.dtype) if has_c else None
    ctx = cell.backward_context(p, trace.h_all, trace.c_all, trace.cache)
    # Row views in lists: indexing them is cheaper than slicing, and this is the serial part.
    dHr = list(dH)
    dCr = list(dC_future) if dC_future is not None else [None] * T  # all None without c
    # What flows out of a window's first step is dropped (truncation), into scratch rows.
    drop_h = np.zeros(H, dtype=p.dtype)  # (H,)
    drop_c = np.zeros(H, dtype=p.dtype) if has_c else None
    h_prev_rows, c_prev_rows = [drop_h, *dHr[:-1]], [drop_c, *dCr[:-1]]
    for first, _ in windows:
        h_prev_rows[first], c_prev_rows[first] = drop_h, drop_c
    back = cell.make_step_backward(
        p,
        ctx,
        BackwardRows(
            dh=dHr,
            dc=dCr if has_c else None,
            dxp=list(dxp),
            dhp=list(dz),
            dh_prev=h_prev_rows,
            dc_prev=c_prev_rows if has_c else None,
            dxp_all=dxp,
            dhp_all=dz,
            dc_total=dC_total,
        ),
        readout=p.W_hy,
    )
    reached = run_windows(back, windows, dHr, dCr, first_scored)
    for a in (dz, dxp, dH, dC_future, dC_total):
        if a is not None:
            a[:reached] = 0.0  # the chain had vanished: nothing reaches these steps
    return Chain(dH, dhp, dxp, dC_total, ctx)


def run_windows(
    back: StepFn,
    windows: list[tuple[int, int]],
    dHr: list[np.ndarray],
    dCr: list[np.ndarray | None],
    first_scored: int,
) -> int:
    """The serial loop: ``back(t)`` from each window's last row down to its first.

    Every few steps it checks whether the chain has vanished (rows of ``dHr`` and ``dCr``,
    dL/dh_t and dL/dc_t, all below FLUSH_BELOW): it flushes them to 0 and stops when no
    earlier step is scored, leaving the rows it did not reach as they are. Returns how many
    first rows it did not reach (0 when it ran through).
    """
    flush_mask = FLUSH_MASK
    for first, last in windows:
        # dCr[last] is still zero: nothing flows into a window from after it.
        for t in range(last, first, -1):
            back(t)
            if not t & flush_mask and _vanished(dHr[t - 1], dCr[t - 1]):
                dHr[t - 1][...] = 0.0
                dc = dCr[t - 1]
                if dc is not None:
                    dc[...] = 0.0
                if t - 1 < first_scored:
                    return t  # nothing flows any more and no earlier loss adds to it
        back(first)
    return 0


def chain_norms(chain: Chain) -> _ChainNorms:
    """The norms of every row of the chain, one pass each."""
    dH_norm, dhp_norm = row_norms(chain.dH), row_norms(chain.dhp)  # (T,) each
    dxp_norm = dhp_norm if chain.dxp is chain.dhp else row_norms(chain.dxp)
    return _ChainNorms(dH_norm, dhp_norm, dxp_norm)


def first_nonfinite_row(norms: _ChainNorms) -> int | None:
    """The row where the chain stopped being finite, in the order of computation, or None.

    The chain runs from the last step down, so that is the last such row. A row holding inf
    or NaN has a norm that is not finite, and a finite row whose norm is beyond the float
    range is overflow too.
    """
    bad = ~(np.isfinite(norms.dH) & np.isfinite(norms.dhp) & np.isfinite(norms.dxp))  # (T,)
    return int(np.flatnonzero(bad)[-1]) if bad.any() else None


def flush_faint_rows(chain: Chain, norms: _ChainNorms) -> None:
    """Zero the subnormal leftovers of a vanishing chain, in place, and renew their norms.

    The chain is checked for vanishing every few steps only; a very fast decay can leave
    a few subnormal values in between. They carry nothing, and they slow down every
    operation that touches them.
    """
    dH, dhp, dxp = chain.dH, chain.dhp, chain.dxp
    # Rows whose three norms are 0 hold only zeros (often most rows: the chain stopped early)
    # and are left alone: copying them out and back would touch megabytes for nothing.
    faint = (norms.dH < 1e-270) & ((norms.dH > 0) | (norms.dhp > 0) | (norms.dxp > 0))  # (T,)
    if not faint.any():
        return
    for a in (dH, dxp, dhp) if dhp is not dxp else (dH, dxp):
        rows = a[faint]
        rows[np.abs(rows) < FLUSH_BELOW] = 0.0
        a[faint] = rows
    # The norms of what is kept.
    norms.dH[faint], norms.dhp[faint] = row_norms(dH[faint]), row_norms(dhp[faint])
    if dxp is not dhp:
        norms.dxp[faint] = row_norms(dxp[faint])


def weight_gradients(
    x: np.ndarray, h_prev: np.ndarray, h: np.ndarray, chain: Chain, dy: np.ndarray
) -> dict[str, np.ndarray]:
    """Every parameter's gradient: the sum over steps of outer products, one matmul each.

    Rows are steps (x (T, I), h_prev and h (T, H), dy (T, O)); a batch passes the rows of
    all its sequences, (T*B, ·), and the sums run over them all.
    """  # The weight gradients read the pre-activation gradients in step order, contiguous:
    # copying them first and then multiplying is faster than multiplying the loop's
    # reversed, strided rows.
    dhp_steps = _steps_copy("bptt.dhp_steps", chain.dhp)  # (T, G*H)
    same = chain.dxp is chain.dhp
    dxp_steps = dhp_steps if same else _steps_copy("bptt.dxp_steps", chain.dxp)  # (T, G*H)
    b_hh = dhp_steps.sum(axis=0)  # (G*H,)
    return {
        "W_ih": dxp_steps.T @ x,  # (G*H, I)
        "W_hh": dhp_steps.T @ h_prev,  # (G*H, H)
        "b_ih": b_hh.copy() if same else dxp_steps.sum(axis=0),
        "b_hh": b_hh,
        "W_hy": dy.T @ h,  # (O, H)
        "b_y": dy.sum(axis=0),
    }


def overflowed_sum_row(
    x: np.ndarray, h_prev: np.ndarray, norms: _ChainNorms, grads: dict[str, np.ndarray]
) -> int | None:
    """None when every weight gradient is finite; else the row where their sum overflowed.

    Every step's term is finite (the chain was checked) but their sum over time overflowed:
    that row is the one where a running bound of the sum (from T down) leaves the float range.
    """
    if all(np.isfinite(g).all() for g in grads.values()):
        return None
    terms = norms.dxp * (1 + row_norms(x)) + norms.dhp * (1 + row_norms(h_prev))  # (T,)
    running = np.cumsum(terms[::-1])[::-1]  # (T,) Σ_{s ≥ t}
    over = np.flatnonzero(~np.isfinite(running))
    return int(over[-1]) if over.size else 0


def _last_step_first(role: str, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """An array whose rows lie in memory from the last step to the first, seen in step order,
    in the engine's working memory for ``role`` (see workspace), holding whatever that
    memory held: the backward chain writes every value it keeps.

    The backward loop goes from the last step to the first: with the rows laid out that way
    it walks forward through memory, which the CPU prefetches better once the arrays
    outgrow the caches.
    """
    return workspace.take(role, shape, dtype, zero=False)[::-1]


def _steps_copy(role: str, a: np.ndarray) -> np.ndarray:
    """``a``'s rows in step order for a matmul: a copy in the working memory for ``role`` when
    they lie last step first; as they are when they lie in step order already (a batch's
    rows: BLAS reads rows at any stride)."""
    if a.strides[0] > 0 and a.strides[1] == a.itemsize:
        return a
    out = workspace.take(role, a.shape, a.dtype, zero=False)
    np.copyto(out, a)
    return out


def cut_windows(cuts: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) rows of each truncation window, the last window first."""
    ends = [*np.flatnonzero(cuts).tolist(), cuts.size - 1]
    starts = [0, *(e + 1 for e in ends[:-1])]
    return list(zip(starts, ends, strict=True))[::-1]


def _tiny(v: np.ndarray) -> bool:
    # Two reductions instead of abs(): no temporary array.
    return bool(v.max() < FLUSH_BELOW and v.min() > -FLUSH_BELOW)


def _vanished(dh: np.ndarray, dc: np.ndarray | None) -> bool:
    return _tiny(dh) and (dc is None or _tiny(dc))


def _exploded(
    trace: ForwardTrace,
    value: float,
    dy: np.ndarray,
    zero_grads: dict[str, np.ndarray],
    step: int,
    where: str,
    clip: float | None,
    dH: np.ndarray | None = None,
    bad_row: int | None = None,
) -> BPTTResult:
    T, H = trace.T, trace.params.hidden_size
    valid = np.zeros(T, dtype=bool)  # (T,)
    if dH is None:
        dH = np.zeros((T, H), dtype=trace.params.dtype)
    else:
        dH = dH.copy()
        dH[: bad_row + 1] = 0.0  # everything computed after the overflow is meaningless
        valid[bad_row + 1 :] = True
    clip_by_global_norm(zero_grads, clip)  # still validates the threshold
    return BPTTResult(
        # After a forward overflow the outputs are placeholders: no loss can be computed.
        loss=value if where == "backward" and np.isfinite(value) else float(np.inf),
        dy=np.nan_to_num(dy, nan=0.0, posinf=0.0, neginf=0.0),
        grads=zero_grads,
        dL_dh=dH,
        dL_dh_norm=row_norms(dH),
        dL_dc_norm=np.zeros(T) if trace.c_all is not None else None,
        dW_hh_contrib=np.zeros(T),
        jacobian_norm=None,
        jacobian_overflow_at=None,
        state_jacobian_norm=None,
        grad_norm_before_clip=float(np.inf),
        grad_norm_after_clip=0.0,
        exploded_at=step,
        exploded_in=where,
        valid=valid,
    )


@dataclass(frozen=True, eq=False)
class LayerBackward:
    """One layer's backward pass driven by a given dL/dy_t, not a loss: a layer in a stack.

    Per-step rows are in the order of the layer's own steps. ``exploded_row`` is the row where
    the chain or a weight gradient's sum stopped being finite, in the order of computation
    (then nothing else here is meaningful), or None.
    """

    dL_dh: np.ndarray  # (T, H) total dL/dh_t
    dL_dh_norm: np.ndarray  # (T,)
    dL_dc_norm: np.ndarray | None  # (T,) LSTM only
    dW_hh_contrib: np.ndarray  # (T,)
    dxp: np.ndarray  # (T, G*H) dL/d(W_ih x_t + b_ih): dL/dx_t = dxp @ W_ih
    grads: dict[str, np.ndarray]  # W_ih, W_hh, b_ih, b_hh, and the reader's W_hy, b_y
    exploded_row: int | None


def layer_backward(trace: ForwardTrace, dy: np.ndarray, cuts: np.ndarray) -> LayerBackward:
    """BPTT through one layer whose outputs y_t = W_hy h_t + b_y (the trace's readout, which
    may be an identity) receive dL/dy_t = ``dy`` from outside; ``cuts`` as truncation_cuts.

    The same stages as ``bptt``, without the loss and clipping: rnnviz/engine/stack_bptt.py
    runs it once per layer and direction, from the top layer down.
    """
    T = trace.T
    scored = np.flatnonzero(np.any(dy != 0, axis=1))  # steps that receive a gradient
    with np.errstate(all="ignore"):
        chain = backward_chain(trace, dy, cuts, int(scored[0]) if scored.size else T)
    return finish_layer_backward(trace, chain, dy)


def finish_layer_backward(trace: ForwardTrace, chain: Chain, dy: np.ndarray) -> LayerBackward:
    """``layer_backward`` after its serial loop: the chain's norms, whether it stayed finite,
    and the weight gradients (also for a chain that ran joined with another, see
    joint_backward.py)."""
    with np.errstate(all="ignore"):
        norms = chain_norms(chain)
        bad = first_nonfinite_row(norms)
        raw: dict[str, np.ndarray] = {}
        if bad is None:
            flush_faint_rows(chain, norms)
            h_prev = trace.h_all[:-1]  # (T, H)
            raw = weight_gradients(trace.x, h_prev, trace.h, chain, dy)
            bad = overflowed_sum_row(trace.x, h_prev, norms, raw)
        dc_norm = None
        if chain.dC_total is not None and bad is None:
            dc_norm = row_norms(chain.dC_total)
        return LayerBackward(
            dL_dh=chain.dH,  # rows last step first in memory, as in bptt: no copy
            dL_dh_norm=norms.dH,
            dL_dc_norm=dc_norm,
            dW_hh_contrib=norms.dhp * row_norms(trace.h_all[:-1]),
            dxp=chain.dxp,
            grads=raw,
            exploded_row=bad,
        )
