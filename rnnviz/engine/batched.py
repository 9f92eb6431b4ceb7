"""A batch of B sequences of equal length: the forward pass and BPTT, matrix by matrix.

``forward`` and ``bptt`` come here when the inputs are (B, T, I). Inside, every array is
time-major and feature-major, (T, ·, B): a step reads and writes one contiguous (·, B)
matrix whose columns are the sequences, and each product of the serial loop multiplies
all B sequences at once (a matrix–matrix product, where one sequence costs a
matrix–vector product). A gate's values for every sequence are then one contiguous run,
so the cells' single-sequence step functions run a batch as they are, each element-wise
call on one run (on (B, ·) rows a gate's block is strided: ~2x the time a call, measured
at B = 8, H = 32). The trace and the result show the arrays batch-first, (B, T, ·), as
views.

- A batch of one runs the single-sequence code, so it is exactly as fast, and gets a batch
  axis added.
- The loss of a batch is the mean over its sequences (PyTorch's reduction on
  ``batch_first`` outputs), so every per-step gradient of sequence b is 1/B times what
  that sequence alone would give; the weight gradients are the mean of theirs.
- If any sequence overflows, the batch is redone one sequence at a time, and each sequence
  reports its own overflow as it would alone (rare: a diverging run). The weight gradients
  are then the mean over the sequences, with zeros for those that overflowed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.cells import get_cell
from rnnviz.engine.cells.base import BackwardRows, Cell, ForwardRows, fold_width, joint_width
from rnnviz.engine.clipping import clip_by_global_norm
from rnnviz.engine.jacobian import jacobian_norms
from rnnviz.engine.losses import loss_and_grad, scored_steps
from rnnviz.engine.numerics import global_norm, row_norms
from rnnviz.engine.params import Params
from rnnviz.engine.single_bptt import (
    BPTTResult,
    Chain,
    bptt_single,
    chain_norms,
    cut_windows,
    first_nonfinite_row,
    flush_faint_rows,
    overflowed_sum_row,
    run_windows,
    truncation_cuts,
    weight_gradients,
)
from rnnviz.engine.single_forward import ForwardTrace, forward_single, initial_state


def as_batch_inputs(x: np.ndarray | list, input_size: int, dtype: np.dtype) -> np.ndarray:
    """Check and shape a batch of sequences as (B, T, I)."""
    arr = np.asarray(x, dtype=dtype)
    if arr.ndim != 3 or arr.shape[2] != input_size or arr.shape[0] < 1:
        raise ValueError(f"inputs have shape {arr.shape}; expected (B, T, {input_size})")
    return np.ascontiguousarray(arr)


def _initial_states(p: Params, state: np.ndarray | None, B: int) -> np.ndarray:
    """(B, H): one state for every sequence ((H,) or None: zeros), or one each (B, H)."""
    arr = None if state is None else np.asarray(state, dtype=p.dtype)
    if arr is not None and arr.ndim == 2:
        if arr.shape != (B, p.hidden_size):
            raise ValueError(f"initial states have shape {arr.shape}; expected ({B}, H)")
        return arr
    return np.broadcast_to(initial_state(p, arr), (B, p.hidden_size))


def forward_batch(
    p: Params,
    x: np.ndarray | list,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    rho: np.ndarray | None = None,
    reuse: dict | None = None,
) -> ForwardTrace:
    """The forward pass of a batch x (B, T, I); h0, c0: (H,) for every sequence, or (B, H).

    ``rho`` (B,): sequence b runs with the recurrent matrix rho[b]·W_hh (see scaled_sweep);
    the trace's ``params`` are then those of rho = 1.

    ``reuse``: a dict owned by a run of passes of one shape (see batch_gradients): the pass
    keeps its arrays and their row views there and the next one of the same shape takes
    them again, so that only the numbers change. Each such pass overwrites the last one's
    trace: for callers that keep none.
    """
    cell = get_cell(p.cell)
    x = as_batch_inputs(x, p.input_size, p.dtype)  # (B, T, I)
    B, T, H = x.shape[0], x.shape[1], p.hidden_size
    # None: zeros, which the working memory below starts as (z) or is set to (c).
    h0s = None if h0 is None else _initial_states(p, h0, B)  # (B, H)
    c0s = None if c0 is None or not cell.has_cell_state else _initial_states(p, c0, B)
    if B == 1 and rho is None:
        one = forward_single(
            p, x[0], None if h0s is None else h0s[0], None if c0s is None else c0s[0]
        )
        return _with_batch_axis(one)
    # The inputs cannot ride in a product that is scaled per sequence.
    fold = fold_width(p) if cell.folds_inputs and rho is None else 0
    shape = (p.cell, p.dtype, T, B, H, p.input_size, fold)
    kept = None if reuse is None or rho is not None else reuse.get("batch.forward")
    if kept is None or kept[0] != shape:
        kept = (shape, *_forward_arrays(p, cell, T, B, fold))
        if reuse is not None and rho is None:
            reuse["batch.forward"] = kept
    _, z, c, cache, xb, rows = kept
    h = z[:, :H]  # (T+1, H, B)
    h[0] = 0.0 if h0s is None else h0s.T
    if c is not None:
        c[0] = 0.0 if c0s is None else c0s.T
    with np.errstate(all="ignore"):
        if fold:
            z[:-1, H : H + p.input_size] = x.transpose(1, 2, 0)
        else:
            # One matmul for all steps of all sequences, on 2-D rows: np.dot on a 3-D array
            # does not reach BLAS and is ~20x slower.
            x_rows = _rows(x.transpose(1, 0, 2))  # (T*B, I)
            xb_rows = cell.batch_input_projection(p, x_rows)  # (T*B, G*H)
            xb[...] = xb_rows.reshape(T, B, -1).transpose(0, 2, 1)  # (T, G*H, B)
        step = cell.make_batch_step(
            p, rows, fold, None if rho is None else np.asarray(rho, dtype=p.dtype).reshape(B), reuse
        )
        for t in range(T):
            step(t)
        y = np.dot(_rows(h[1:].transpose(0, 2, 1)), p.W_hy.T).reshape(T, B, -1)  # (T, B, O)
        y += p.b_y
    return _finish_batch(p, x, h, c, cache, y)


def _forward_arrays(
    p: Params, cell: Cell, T: int, B: int, fold: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None, ForwardRows]:
    """A batch pass's arrays, (T, ·, B), and the rows the cell's step reads and writes."""
    H = p.hidden_size
    # As in the single-sequence pass, a few inputs ride along with h_{t-1} into the step's
    # product: row t of z is (h_t, x_{t+1}, 1, 0 …) for every sequence, one per column.
    # Working memory reused from the last pass of this shape (see workspace).
    z = workspace.take("batch.z", (T + 1, H + fold, B), p.dtype)  # (T+1, H + fold, B)
    if fold:
        z[:-1, H + p.input_size] = 1.0
    c = None
    if cell.has_cell_state:
        c = workspace.take("batch.c", (T + 1, H, B), p.dtype, zero=False)  # (T+1, H, B)
    cache = workspace.take("batch.cache", (T, cell.cache_width(H), B), p.dtype, zero=False)
    xb = None if fold else np.empty((T, p.n_gates * H, B), dtype=p.dtype)  # (T, G*H, B)
    rows = ForwardRows(
        xb=None if xb is None else list(xb),
        z=list(z),
        h=list(z[:, :H]),
        c=None if c is None else list(c),
        cache=list(cache),
        cache_all=cache,
    )
    return z, c, cache, xb, rows


def _finish_batch(
    p: Params,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray | None,
    cache: np.ndarray,
    y: np.ndarray,
) -> ForwardTrace:
    """Blank each sequence from the step where it overflowed (in place), and wrap the arrays
    batch-first. ``h``, ``c`` (T+1, H, B), ``cache`` (T, K, B), ``y`` (T, B, O)."""
    each: list[int | None] = [None] * x.shape[0]
    with np.errstate(all="ignore"):
        # An array holding inf or NaN has a sum that is not finite: one sum per array, and
        # the step-by-step check only when one is not (5x less time at a training size).
        # y_t = W_hy h_t + b is not finite wherever h_t is not (inf·0 is NaN): y stands for h.
        total = y.sum() + (0.0 if c is None else c[1:].sum())
        ok = None
        if not np.isfinite(total):
            ok = np.isfinite(h[1:]).all(axis=1) & np.isfinite(y).all(axis=2)  # (T, B)
            if c is not None:
                ok &= np.isfinite(c[1:]).all(axis=1)
    if ok is not None:
        for b in np.flatnonzero(~ok.all(axis=0)).tolist():
            k = int(np.argmin(ok[:, b]))  # the first bad row of sequence b
            h[k + 1 :, :, b] = 0.0
            cache[k:, :, b] = 0.0
            y[k:, b] = 0.0
            if c is not None:
                c[k + 1 :, :, b] = 0.0
            each[b] = k + 1
    bad = [e for e in each if e is not None]
    return ForwardTrace(
        p,
        x,
        h.transpose(2, 0, 1),
        None if c is None else c.transpose(2, 0, 1),
        cache.transpose(2, 0, 1),
        y.transpose(1, 0, 2),
        min(bad) if bad else None,
        tuple(each),
    )


def _with_batch_axis(one: ForwardTrace) -> ForwardTrace:
    c_all = None if one.c_all is None else one.c_all[None]
    return ForwardTrace(
        one.params,
        one.x[None],
        one.h_all[None],
        c_all,
        one.cache[None],
        one.y[None],
        one.exploded_at,
        (one.exploded_at,),
    )


def bptt_batch(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str = "mse",
    loss_at: str = "all",
    truncate: int | None = None,
    clip: float | None = None,
    jacobians: bool = False,
) -> BPTTResult:
    """``bptt`` for a batched trace: targets (B, T, O) for mse or (B, T) for xent.

    The result's per-step arrays are (B, T) and (B, T, ·); ``valid`` is (B, T);
    ``exploded_at`` is the first step at which any sequence overflowed.
    """
    p, B, T = trace.params, trace.batch, trace.T
    if T == 0:
        raise ValueError("backpropagation through time needs at least one step")
    value, dy = loss_and_grad(loss, trace.y, targets, loss_at)  # (B, T, O), checks targets
    if B == 1:
        one = bptt_single(
            trace.sequence(0), np.asarray(targets)[0], loss, loss_at, truncate, clip, jacobians
        )
        return _stacked([one], clip, 1.0)
    if trace.exploded_at is not None:
        return _one_by_one(trace, targets, loss, loss_at, truncate, clip, jacobians)
    H = p.hidden_size
    h_t = _time_major(trace.h_all)  # (T+1, B, H)
    dy_t = np.ascontiguousarray(dy.transpose(1, 0, 2))  # (T, B, O)
    first_scored = int(scored_steps(T, loss_at)[0])
    with np.errstate(all="ignore"):
        chain = _batch_chain(trace, dy_t, truncation_cuts(T, truncate), first_scored)
        # Every step of every sequence as one row: the single-sequence stages apply as they are.
        flat = _step_rows(chain, with_dH=True)
        norms = chain_norms(flat)
        if first_nonfinite_row(norms) is not None:
            return _one_by_one(trace, targets, loss, loss_at, truncate, clip, jacobians)
        flush_faint_rows(flat, norms)
        x_rows = _rows(trace.x.transpose(1, 0, 2))  # (T*B, I)
        h_prev = h_t[:-1].reshape(T * B, H)  # (T*B, H)
        raw = weight_gradients(
            x_rows, h_prev, h_t[1:].reshape(T * B, H), flat, dy_t.reshape(T * B, -1)
        )
        if overflowed_sum_row(x_rows, h_prev, norms, raw) is not None:
            return _one_by_one(trace, targets, loss, loss_at, truncate, clip, jacobians)
        grads, before, after = clip_by_global_norm(raw, clip)
        dc_norm = None
        if chain.dC_total is not None:
            dc = _rows(chain.dC_total.transpose(0, 2, 1))  # (T*B, H)
            dc_norm = _per_sequence(row_norms(dc), T, B)
        jac, jac_overflow, state_jac = _jacobians(trace) if jacobians else (None, None, None)
        return BPTTResult(
            loss=value,
            dy=dy,
            grads=grads,
            dL_dh=flat.dH.reshape(T, B, H).transpose(1, 0, 2),  # (B, T, H)
            dL_dh_norm=_per_sequence(norms.dH, T, B),
            dL_dc_norm=dc_norm,
            dW_hh_contrib=_per_sequence(norms.dhp * row_norms(h_prev), T, B),
            jacobian_norm=jac,
            jacobian_overflow_at=jac_overflow,
            state_jacobian_norm=state_jac,
            grad_norm_before_clip=before,
            grad_norm_after_clip=after,
            exploded_at=None,
            exploded_in=None,
            valid=np.ones((B, T), dtype=bool),
        )


def batch_gradients(
    p: Params,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str,
    loss_at: str,
    truncate: int | None = None,
    reuse: dict | None = None,
) -> tuple[float, dict[str, np.ndarray], float]:
    """The batch's loss, the gradient of every weight, without clipping, and their global
    norm: what a training update needs, and only that.

    ``bptt`` also measures every step (norms of dL/dh_t, of each step's dW_hh term, …);
    at the size of a training batch (T = 50, H = 32, B = 8) that bookkeeping costs as much
    as the backward loop itself. The numbers are ``bptt``'s; when anything is not finite,
    they come from ``bptt`` itself, with its per-sequence handling of overflow.

    ``reuse``: a dict the caller keeps from one update to the next (see forward_batch):
    the passes then take their arrays and row views from the last update's.
    """
    trace = forward_batch(p, x, reuse=reuse)
    B, T = trace.batch, trace.T
    if B == 1 or trace.exploded_at is not None or T == 0:
        r = bptt_batch(trace, targets, loss, loss_at, truncate)
        return r.loss, r.grads, r.grad_norm_before_clip
    value, dy = loss_and_grad(loss, trace.y, targets, loss_at)  # (B, T, O)
    H = p.hidden_size
    dy_t = np.ascontiguousarray(dy.transpose(1, 0, 2))  # (T, B, O)
    first_scored = int(scored_steps(T, loss_at)[0])
    with np.errstate(all="ignore"):
        chain = _batch_chain(trace, dy_t, truncation_cuts(T, truncate), first_scored, None, reuse)
        flat = _step_rows(chain, with_dH=False)
        h_t = _time_major(trace.h_all)  # (T+1, B, H)
        x_rows = _rows(trace.x.transpose(1, 0, 2))  # (T*B, I)
        raw = weight_gradients(
            x_rows,
            h_t[:-1].reshape(T * B, H),
            h_t[1:].reshape(T * B, H),
            flat,
            dy_t.reshape(T * B, -1),
        )
        # The global norm is finite exactly when every gradient is: one check, not one per array.
        norm = global_norm(list(raw.values()))
    if not (np.isfinite(value) and np.isfinite(norm)):
        r = bptt_batch(trace, targets, loss, loss_at, truncate)
        return r.loss, r.grads, r.grad_norm_before_clip
    return value, raw, norm


def _per_sequence(a: np.ndarray, T: int, B: int) -> np.ndarray:
    return np.ascontiguousarray(a.reshape(T, B).T)  # (B, T) from (T*B,) in step order


def _rows(a: np.ndarray) -> np.ndarray:
    """(T, B, F) of any strides as contiguous rows (T*B, F): step by step, each sequence's."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def _time_major(a: np.ndarray) -> np.ndarray:
    """A trace's (B, T, F) array as a contiguous (T, B, F) copy."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def _step_rows(chain: Chain, with_dH: bool) -> Chain:
    """The chain's feature-major (T, F, B) arrays as rows (T*B, F) in step order, one per
    step of each sequence: copies the single-sequence stages (norms, flushing, weight
    gradients) take as they are."""
    dhp = _rows(chain.dhp.transpose(0, 2, 1))  # (T*B, G*H)
    dxp = dhp if chain.dxp is chain.dhp else _rows(chain.dxp.transpose(0, 2, 1))
    dH = _rows(chain.dH.transpose(0, 2, 1)) if with_dH else None  # (T*B, H)
    return Chain(dH, dhp, dxp, None, None)


def _batch_chain(
    trace: ForwardTrace,
    dy_t: np.ndarray,
    cuts: np.ndarray,
    first_scored: int,
    rho: np.ndarray | None = None,
    reuse: dict | None = None,
) -> Chain:
    """bptt.backward_chain for a batch: the same serial loop, each row a (·, B) matrix.

    ``dy_t`` is (T, B, O). The chain's arrays are time-major, feature-major and in step
    order, (T, ·, B), as the forward pass's (see the module's notes). ``reuse``: see
    forward_batch.
    """
    p, T, B, H = trace.params, trace.T, trace.batch, trace.params.hidden_size
    cell = get_cell(p.cell)
    windows = cut_windows(cuts)
    GH, O = p.n_gates * H, p.output_size
    shape = (p.cell, p.dtype, T, B, H, O, tuple(windows))
    kept = None if reuse is None else reuse.get("batch.chain")
    if kept is None or kept[0] != shape:
        kept = (shape, *_chain_arrays(p, cell, T, B, windows))
        if reuse is not None:
            reuse["batch.chain"] = kept
    _, dz, dxp, dH, dC, rows = kept
    # Rows the loop does not reach (it stops where the chain has vanished) stay zeros.
    for a in (dz, dH, dC, rows.dc_total, dxp if cell.separate_hidden_grad else None):
        if a is not None:
            a.fill(0.0)
    dz[1:, GH : GH + O] = dy_t[:-1].transpose(0, 2, 1)
    ends = [last for _, last in windows]
    dH[ends] = np.matmul(p.W_hy.T, dy_t[ends].transpose(0, 2, 1))  # (W, H, B)
    # The trace's arrays are (B, T, ·) views of the forward pass's (T, ·, B) ones.
    h_t, cache_t = trace.h_all.transpose(1, 2, 0), trace.cache.transpose(1, 2, 0)
    c_t = None if trace.c_all is None else trace.c_all.transpose(1, 2, 0)
    ctx = cell.backward_context(p, h_t, c_t, cache_t)
    back = cell.make_batch_step_backward(
        p, ctx, rows, p.W_hy, None if rho is None else rho.reshape(B), reuse
    )
    run_windows(back, windows, rows.dh, rows.dc or [None] * T, first_scored)
    dhp = dz[:, :GH] if cell.separate_hidden_grad else dxp  # (T, G*H, B)
    return Chain(dH, dhp, dxp, rows.dc_total, ctx)


def _chain_arrays(
    p: Params, cell: Cell, T: int, B: int, windows: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, BackwardRows]:
    """A batch chain's arrays, (T, ·, B), and the rows the cell's backward step reads and
    writes (dz, dxp, dH, dC, rows); their values are set by _batch_chain."""
    H, GH, O = p.hidden_size, p.n_gates * p.hidden_size, p.output_size
    # Row t of dz holds dL/d(hproj_t) and dL/dy_{t-1}, then zeros, as in the
    # single-sequence chain: the cell's step multiplies it by the padded [W_hh; W_hy].
    dz = workspace.take("batch.dz", (T, joint_width(GH, O), B), p.dtype, zero=False)
    dxp = np.empty((T, GH, B), dtype=p.dtype) if cell.separate_hidden_grad else dz[:, :GH]
    dH = workspace.take("batch.dH", (T, H, B), p.dtype, zero=False)  # the total dL/dh_t
    dC = dC_total = None
    if cell.has_cell_state:
        dC = workspace.take("batch.dC", (T, H, B), p.dtype, zero=False)  # (T, H, B)
        dC_total = workspace.take("batch.dC_total", (T, H, B), p.dtype, zero=False)
    dHr = list(dH)
    dCr = list(dC) if dC is not None else [None] * T
    drop_h = np.zeros((H, B), dtype=p.dtype)  # (H, B) what truncation drops
    drop_c = np.zeros((H, B), dtype=p.dtype) if dC is not None else None
    h_prev_rows, c_prev_rows = [drop_h, *dHr[:-1]], [drop_c, *dCr[:-1]]
    for first, _ in windows:
        h_prev_rows[first], c_prev_rows[first] = drop_h, drop_c
    rows = BackwardRows(
        dh=dHr,
        dc=dCr if dC is not None else None,
        dxp=list(dxp),
        dhp=list(dz),
        dh_prev=h_prev_rows,
        dc_prev=c_prev_rows if dC is not None else None,
        dxp_all=dxp,
        dhp_all=dz,
        dc_total=dC_total,
    )
    return dz, dxp, dH, dC, rows


def _jacobians(trace: ForwardTrace) -> tuple[np.ndarray, int | None, np.ndarray | None]:
    """Each sequence's ‖∂h_T/∂h_t‖₂ (B, T), the latest step where any overflowed, and the
    LSTM's ‖∂h_T/∂(h_t, c_t)‖₂ (B, T)."""
    seqs = [trace.sequence(b) for b in range(trace.batch)]
    found = [jacobian_norms(s) for s in seqs]
    over = [o for _, o in found if o is not None]
    state = None
    if get_cell(trace.params.cell).has_cell_state:
        state = np.stack([jacobian_norms(s, include_cell_state=True)[0] for s in seqs])
    return np.stack([n for n, _ in found]), max(over) if over else None, state


def _one_by_one(
    trace: ForwardTrace,
    targets: np.ndarray | list,
    loss: str,
    loss_at: str,
    truncate: int | None,
    clip: float | None,
    jacobians: bool,
) -> BPTTResult:
    """Each sequence on its own, gathered as the batch's result (see the module's notes)."""
    tgt = np.asarray(targets)
    results = [
        bptt_single(trace.sequence(b), tgt[b], loss, loss_at, truncate, None, jacobians)
        for b in range(trace.batch)
    ]
    return _stacked(results, clip, 1.0 / trace.batch)


def _stacked(results: list[BPTTResult], clip: float | None, scale: float) -> BPTTResult:
    """Single-sequence results as one batch result; gradients times ``scale`` (1/B: the
    batch's loss is the mean of theirs)."""
    T = results[0].dL_dh_norm.shape[0]

    def stack(name: str) -> np.ndarray:
        return np.stack([getattr(r, name) for r in results]) * scale

    def stack_or_none(name: str, fill: np.ndarray) -> np.ndarray | None:
        found = [getattr(r, name) for r in results]
        if all(a is None for a in found):
            return None
        return np.stack([fill if a is None else a for a in found])

    if len(results) == 1:  # a batch of one: its own result, clipped already
        r = results[0]
        grads, before, after = r.grads, r.grad_norm_before_clip, r.grad_norm_after_clip
    else:
        raw = {k: sum(r.grads[k] * scale for r in results) for k in results[0].grads}
        grads, before, after = clip_by_global_norm(raw, clip)
    overflowed = sorted((r.exploded_at, r.exploded_in) for r in results if r.exploded_at)
    jac_over = [r.jacobian_overflow_at for r in results if r.jacobian_overflow_at is not None]
    dc = None if results[0].dL_dc_norm is None else stack("dL_dc_norm")
    return BPTTResult(
        loss=float(np.mean([r.loss for r in results])),
        dy=stack("dy"),
        grads=grads,
        dL_dh=stack("dL_dh"),
        dL_dh_norm=stack("dL_dh_norm"),
        dL_dc_norm=dc,
        dW_hh_contrib=stack("dW_hh_contrib"),
        jacobian_norm=stack_or_none("jacobian_norm", np.zeros(T)),
        jacobian_overflow_at=max(jac_over) if jac_over else None,
        state_jacobian_norm=stack_or_none("state_jacobian_norm", np.zeros(T)),
        grad_norm_before_clip=before,
        grad_norm_after_clip=after,
        exploded_at=overflowed[0][0] if overflowed else None,
        exploded_in=overflowed[0][1] if overflowed else None,
        valid=np.stack([r.valid for r in results]),
    )


def scaled_sweep(
    unit: Params,
    x: np.ndarray,
    targets: np.ndarray,
    rhos: np.ndarray,
    loss: str = "mse",
    loss_at: str = "last",
    truncate: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """‖dL/dh_t‖ of one sequence x (T, I) for the networks with W_hh = ρ·W₁, every ρ at once.

    ``unit`` holds W₁. Returns (norms (R, T), valid (R, T)), row r for rhos[r], each the
    loss of that network alone, as ``bptt(...).dL_dh_norm`` and ``.valid`` would give.
    All R networks share one product with W₁ per step (a matrix–matrix product with R
    rows), each scaling its own row by its ρ. Networks whose computation overflows are
    redone one at a time, so they report exactly as ``bptt`` does.
    """
    rhos = np.asarray(rhos, dtype=unit.dtype)  # (R,)
    x = np.asarray(x, dtype=unit.dtype)
    R, T = rhos.size, x.shape[0]
    tgt = np.asarray(targets)
    batch = np.broadcast_to(x, (R, *x.shape))  # (R, T, I) the same inputs for every ρ
    trace = forward_batch(unit, batch, rho=rhos)
    norms, valid = np.zeros((R, T)), np.ones((R, T), dtype=bool)  # (R, T) each
    redo = [b for b, e in enumerate(trace.exploded_each) if e is not None]
    if len(redo) < R:
        # The batch's loss is the mean of the R losses: R times its dy is each one's own.
        _, dy = loss_and_grad(loss, trace.y, np.broadcast_to(tgt, (R, *tgt.shape)), loss_at)
        dy_t = np.ascontiguousarray(dy.transpose(1, 0, 2)) * R  # (T, R, O)
        with np.errstate(all="ignore"):
            first_scored = int(scored_steps(T, loss_at)[0])
            chain = _batch_chain(trace, dy_t, truncation_cuts(T, truncate), first_scored, rhos)
            flat = _step_rows(chain, with_dH=True)
            found = chain_norms(flat)
            flush_faint_rows(flat, found)
        norms = _per_sequence(found.dH, T, R)
        ok = np.isfinite(norms).all(axis=1)
        for name in ("dhp", "dxp"):
            ok &= np.isfinite(_per_sequence(getattr(found, name), T, R)).all(axis=1)
        redo = sorted({*redo, *np.flatnonzero(~ok).tolist()})
    for b in redo:
        alone = replace(unit, W_hh=unit.W_hh * rhos[b])
        result = bptt_single(forward_single(alone, x), targets, loss, loss_at, truncate)
        norms[b], valid[b] = result.dL_dh_norm, result.valid
    return norms, valid
