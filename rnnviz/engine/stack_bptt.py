"""BPTT through a stack: the single-layer chain (``layer_backward``), once per layer and
direction, from the top layer down (a bidirectional layer's two directions of up to 48
units in one loop where that computes the same: joint_backward.py).

The top layer's directions get dL/dy_t through their slice of the readout. Every layer below
gets the gradient of its outputs from the layer above, dL/dx_t of that layer
(Σ over its directions of dL/d(W_ih x_t + b_ih) W_ih), read through an identity "readout":
the chain then adds it to dL/dh_t at every step, exactly like a readout's pull. A backward
direction runs over reversed steps, so its dL/dy is reversed in, and its rows out.

Truncation detaches every layer's state, in both directions, at the same window boundaries
(see truncation_cuts): gradients still cross layers at every step, but never a boundary in
time. Clipping rescales all gradients together (embedding and readout included).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnnviz.engine.clipping import clip_by_global_norm
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.jacobian import jacobian_norms
from rnnviz.engine.joint_backward import backward_both
from rnnviz.engine.joint_directions import JOINT_MAX_UNITS
from rnnviz.engine.losses import loss_and_grad
from rnnviz.engine.single_bptt import LayerBackward, layer_backward, truncation_cuts
from rnnviz.engine.stack import StackTrace
from rnnviz.engine.stack_jacobian import depth_jacobian_norms
from rnnviz.engine.stack_params import (
    EMBEDDING,
    READOUT_BIAS,
    READOUT_WEIGHT,
    RNN_PREFIX,
    recurrent_key,
)


@dataclass(frozen=True, eq=False)
class DirectionGradients:
    """What the backward pass found for one direction of one layer, rows in step order."""

    dL_dh: np.ndarray  # (T, H) total dL/dh_t, through every path (later steps, layers above)
    dL_dh_norm: np.ndarray  # (T,)
    dL_dc_norm: np.ndarray | None  # (T,) LSTM: total dL/dc_t
    dW_hh_contrib: np.ndarray  # (T,) ‖step t's term of dL/dW_hh‖_F
    # ‖∂h_last/∂h_t‖₂ within this direction's own recurrence (its last step: T for the
    # forward direction, 1 for the backward one), when asked for; and where it overflowed.
    jacobian_norm: np.ndarray | None  # (T,)
    # The step where that product overflowed: the norms of the steps it has not reached
    # yet (forward: ≤ it; backward: ≥ it) are 0.
    jacobian_overflow_at: int | None


@dataclass(frozen=True, eq=False)
class StackBPTTResult:
    """One backward pass through a stack. ``grads`` are keyed by the canonical state_dict
    names of ``StackParams.arrays()`` and clipped; per-step quantities are before clipping.

    After an explosion (``exploded_in`` "forward" or "backward") every gradient is zero,
    every per-step array is zero and ``valid`` is False: ``exploded_at`` is the step
    (in step order) of the first non-finite value, in the order of computation.
    """

    loss: float
    dy: np.ndarray  # (T, O)
    grads: dict[str, np.ndarray]
    layers: tuple[tuple[DirectionGradients, ...], ...]  # [layer][direction]
    dL_dx: np.ndarray  # (T, I) dL/dx_t of layer 0's inputs (the embedded rows with an embedding)
    # ‖∂o_T^top/∂o_t^(k)‖₂ for layer k and step t: how the top layer's last output o_T
    # (both directions) depends on layer k's output at t through every path; when asked for.
    depth_jacobian_norm: np.ndarray | None  # (L, T)
    grad_norm_before_clip: float
    grad_norm_after_clip: float
    exploded_at: int | None
    exploded_in: str | None
    valid: np.ndarray  # (T,) bool

    @property
    def clipped(self) -> bool:
        return self.grad_norm_after_clip < self.grad_norm_before_clip

    @property
    def dL_dh_norm(self) -> np.ndarray:
        """‖dL/dh_t‖ of every layer and direction: (L, D, T)."""
        return np.array([[g.dL_dh_norm for g in dirs] for dirs in self.layers])


def direction_cuts(cuts: np.ndarray, direction: int) -> np.ndarray:
    """The truncation cuts in a direction's own order of steps (see truncation_cuts)."""
    if direction == 0:
        return cuts
    rev = np.zeros_like(cuts)  # (T,)
    # Step order: no gradient from row t+1 into row t. Reversed, row j is step row T−1−j
    # and its recurrence reads row j−1: the same boundary is rev[T−2−t].
    rev[:-1] = cuts[:-1][::-1]
    return rev


def stack_bptt(
    trace: StackTrace,
    targets: np.ndarray | list,
    loss: str = "mse",
    loss_at: str = "all",
    truncate: int | None = None,
    clip: float | None = None,
    jacobians: bool = False,
) -> StackBPTTResult:
    """The gradient of the loss on the stack's outputs for every array and every h_t."""
    p, T = trace.params, trace.T
    if T == 0:
        raise ValueError("backpropagation through time needs at least one step")
    value, dy = loss_and_grad(loss, trace.y, targets, loss_at)  # dy: (T, O)
    if trace.exploded_at is not None:
        return _exploded(trace, value, dy, trace.exploded_at, "forward", clip)
    cuts = truncation_cuts(T, truncate)  # (T,)
    D, H = p.num_directions, p.hidden_size
    per_layer: list[tuple[LayerBackward, ...]] = []
    grads: dict[str, np.ndarray] = {}
    outside = dy  # (T, O) dL/dy, then the layer above's dL/dx: (T, D*H)
    dx = np.zeros((T, p.input_size), dtype=p.dtype)  # (T, I)
    with np.errstate(all="ignore"):
        for k in range(p.num_layers - 1, -1, -1):
            dirs: list[LayerBackward] = []
            dx = np.zeros((T, p.layers[k][0].W_ih.shape[1]), dtype=p.dtype)  # (T, I_k)
            read, dys, cut = [], [], []
            for d in range(D):
                reader = p.W_hy[:, d * H : (d + 1) * H] if k == p.num_layers - 1 else None
                pull = outside if reader is not None else outside[:, d * H : (d + 1) * H]
                read.append(_read_by(trace.layers[k][d], reader))
                dys.append(pull if d == 0 else pull[::-1])
                cut.append(direction_cuts(cuts, d))
            found = None
            if D == 2 and H <= JOINT_MAX_UNITS and np.array_equal(cut[0], cut[1]):
                # Both directions' chains in one loop; None when they must run apart.
                found = backward_both((read[0], read[1]), (dys[0], dys[1]), cut[0])
            if found is None:
                # One at a time, as a direction that overflows ends the pass.
                found = (layer_backward(read[d], dys[d], cut[d]) for d in range(D))
            for d, lb in enumerate(found):
                if lb.exploded_row is not None:
                    step = lb.exploded_row + 1 if d == 0 else T - lb.exploded_row
                    return _exploded(trace, value, dy, step, "backward", clip)
                dirs.append(lb)
                for field in ("W_ih", "W_hh", "b_ih", "b_hh"):
                    grads[RNN_PREFIX + recurrent_key(field, k, d)] = lb.grads[field]
                # What layer k's inputs receive from this direction, in step order.
                if k > 0 or p.embedding is not None:
                    dx_d = np.dot(lb.dxp, p.layers[k][d].W_ih)  # (T, I_k)
                    dx += dx_d if d == 0 else dx_d[::-1]
            bad = np.flatnonzero(~np.isfinite(dx).all(axis=1))
            if bad.size:
                return _exploded(trace, value, dy, int(bad[-1]) + 1, "backward", clip)
            per_layer.append(tuple(dirs))
            outside = dx
        per_layer.reverse()
        grads[READOUT_WEIGHT] = dy.T @ trace.top  # (O, D*H)
        grads[READOUT_BIAS] = dy.sum(axis=0)
        if p.embedding is not None:
            dE = np.zeros_like(p.embedding)  # (V, I)
            np.add.at(dE, trace.tokens, dx)  # each token's row collects its steps' dL/dx
            if p.padding_idx is not None:
                dE[p.padding_idx] = 0.0  # nn.Embedding never updates its padding row
            grads[EMBEDDING] = dE
        if not all(np.isfinite(g).all() for g in grads.values()):
            return _exploded(trace, value, dy, 1, "backward", clip)
        ordered = {name: grads[name] for name in p.arrays()}
        clipped, before, after = clip_by_global_norm(ordered, clip)
        depth = depth_jacobian_norms(trace) if jacobians else None
    return StackBPTTResult(
        loss=value,
        dy=dy,
        grads=clipped,
        layers=tuple(
            tuple(_in_step_order(trace, k, d, lb, jacobians) for d, lb in enumerate(dirs))
            for k, dirs in enumerate(per_layer)
        ),
        dL_dx=dx,
        depth_jacobian_norm=depth,
        grad_norm_before_clip=before,
        grad_norm_after_clip=after,
        exploded_at=None,
        exploded_in=None,
        valid=np.ones(T, dtype=bool),
    )


def _read_by(trace: ForwardTrace, reader: np.ndarray | None) -> ForwardTrace:
    """The layer's trace with a readout: the top layer's slice of W_hy, or an identity that
    passes the layer above's pull on h_t straight into dL/dh_t."""
    p = trace.params
    if reader is None:
        reader = np.eye(p.hidden_size, dtype=p.dtype)  # (H, H)
    bias = np.zeros(reader.shape[0], dtype=p.dtype)
    return replace(trace, params=p.with_arrays(W_hy=np.ascontiguousarray(reader), b_y=bias))


def _in_step_order(
    trace: StackTrace, k: int, d: int, lb: LayerBackward, jacobians: bool
) -> DirectionGradients:
    flip = (lambda a: a) if d == 0 else (lambda a: a[::-1])
    jac, overflow = None, None
    if jacobians:
        jac, overflow = jacobian_norms(trace.layers[k][d])
        jac = flip(jac)
        if overflow is not None and d == 1:
            overflow = trace.T - overflow + 1  # its steps ≥ this one overflowed
    return DirectionGradients(
        dL_dh=flip(lb.dL_dh),
        dL_dh_norm=flip(lb.dL_dh_norm),
        dL_dc_norm=None if lb.dL_dc_norm is None else flip(lb.dL_dc_norm),
        dW_hh_contrib=flip(lb.dW_hh_contrib),
        jacobian_norm=jac,
        jacobian_overflow_at=overflow,
    )


def _exploded(
    trace: StackTrace, value: float, dy: np.ndarray, step: int, where: str, clip: float | None
) -> StackBPTTResult:
    p, T, H = trace.params, trace.T, trace.params.hidden_size
    zero = np.zeros(T)  # (T,)
    has_c = p.cell == "lstm"
    blank = DirectionGradients(
        np.zeros((T, H), dtype=p.dtype), zero, zero if has_c else None, zero, None, None
    )
    zero_grads = {name: np.zeros_like(a) for name, a in p.arrays().items()}
    clip_by_global_norm(zero_grads, clip)  # still validates the threshold
    return StackBPTTResult(
        loss=value if where == "backward" and np.isfinite(value) else float(np.inf),
        dy=np.nan_to_num(dy, nan=0.0, posinf=0.0, neginf=0.0),
        grads=zero_grads,
        layers=tuple((blank,) * p.num_directions for _ in range(p.num_layers)),
        dL_dx=np.zeros_like(trace.x),
        depth_jacobian_norm=None,
        grad_norm_before_clip=float(np.inf),
        grad_norm_after_clip=0.0,
        exploded_at=step,
        exploded_in=where,
        valid=np.zeros(T, dtype=bool),
    )
