"""The interface every cell implements; the forward and BPTT loops are written once against it.

Notation (PyTorch's): the pre-activation of every gate is split into an input part
``xproj_t = W_ih x_t + b_ih`` and a recurrent part ``hproj_t = W_hh h_{t-1} + b_hh``.
A backward step returns the gradient with respect to both parts, so that the weight
gradients can be accumulated with one matmul each after the time loop. The same steps,
written plainly one vector at a time, are in rnnviz/engine/reference.py.

A step is a few microseconds of arithmetic, so whatever the loops do per step besides it
shows (measured in rnnviz/bench/engine.py). The loops therefore call a step with its index
only: ``make_step`` and ``make_step_backward`` bind the weights and lists of row views of
the pass's arrays once, and the step picks its rows by index instead of being passed them.
For the same reason the steps call bound methods (``W.dot``) and pass ``out`` positionally,
which skips NumPy's dispatch through ``np.dot``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from rnnviz.engine import workspace
from rnnviz.engine.alignment import padded
from rnnviz.engine.params import Params

# advance(t): forward step t + 1 (rows t → t + 1); back(t): backward through step t + 1.
StepFn = Callable[[int], None]


class Rows(Protocol):
    """Row views of an array, indexed by row: a list, usually."""

    def __getitem__(self, t: int, /) -> np.ndarray: ...


@dataclass(frozen=True)
class ForwardRows:
    """Where a forward step reads and writes: row t of each list is a view of one array row.

    ``advance(t)`` reads ``z[t]`` (h_t, and when the inputs are folded x_{t+1}, 1, 0 …
    after it), ``xb[t]`` (x_{t+1}'s projection, when not folded) and ``c[t]``, and writes
    ``h[t + 1]``, ``c[t + 1]`` and ``cache[t]``. ``h`` may be ``z`` when nothing is folded.
    """

    xb: Rows | None  # (G*H,) rows; None when the inputs are folded into z
    z: Rows  # (H [+ fold],) rows
    h: Rows  # (H,) rows
    c: Rows | None  # (H,) rows, LSTM only
    cache: Rows  # (K,) rows
    # The (T, K[, B]) array whose rows ``cache`` lists: a cell that reads parts of each row
    # makes their views for every step in one call each, not one call per step.
    cache_all: np.ndarray | None = None


@dataclass(frozen=True)
class BackwardRows:
    """Where ``back(t)`` reads and writes, row t of each list (see make_step_backward).

    ``stacked``: every row is a (R, ·) stack of row vectors, a Jacobian product.
    """

    dh: Rows  # (H,) total dL/dh_t
    dc: Rows | None  # (H,) the part of dL/dc_t that flows back from c_{t+1}; LSTM only
    dxp: Rows  # (G*H,) dL/d(xproj_t)
    dhp: Rows  # (G*H [+ O],) dL/d(hproj_t) [then dL/dy_{t-1}]
    dh_prev: Rows  # (H,) where dL/dh_{t-1} through this step goes
    dc_prev: Rows | None  # (H,) where dL/dc_{t-1} goes; LSTM only
    stacked: bool = False
    # The arrays whose rows ``dxp`` and ``dhp`` list, (T, ·[, B]), when there are: a cell
    # then makes views of every row's gate blocks in one call, not one call per row.
    dxp_all: np.ndarray | None = None
    dhp_all: np.ndarray | None = None
    # (T, H[, B]) where an LSTM step writes the total dL/dc_t (it computes it anyway:
    # keeping it spares recomputing it for its norms).
    dc_total: np.ndarray | None = None


class Cell(Protocol):
    name: str
    has_cell_state: bool
    # True when every gate's pre-activation is W_hh h + W_ih x + b, so that the inputs can be
    # folded into the recurrent product (not the GRU: r multiplies only the recurrent part).
    folds_inputs: bool
    # True when dL/d(xproj) and dL/d(hproj) differ (GRU: r multiplies the recurrent part of n).
    separate_hidden_grad: bool

    def input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        """Everything that does not depend on h, for all steps at once: (T, G*H)."""
        ...

    def cache_width(self, hidden_size: int) -> int:
        """How many numbers per step the forward pass keeps for the backward pass."""
        ...

    def make_step(self, p: Params, rows: ForwardRows, fold: int = 0) -> StepFn:
        """The forward step for these weights over these rows; with ``fold`` > 0 (a
        ``fold_width``, only for cells that ``folds_inputs``) the inputs ride in ``z``."""
        ...

    def backward_context(
        self, p: Params, h_all: np.ndarray, c_all: np.ndarray | None, cache: np.ndarray
    ) -> Any:
        """Whatever the backward step needs, derived once per sequence with vectorised ops."""
        ...

    def make_step_backward(
        self, p: Params, ctx: Any, rows: BackwardRows, readout: np.ndarray | None = None
    ) -> StepFn:
        """The backward step through step t + 1 (row t) of the sequence ``ctx`` describes.

        ``back(t)`` takes dL/dh_t (and the part of dL/dc_t that flows back from c_{t+1}),
        writes the gradients of the input and recurrent pre-activations into ``dxp[t]`` and
        the first G*H columns of ``dhp[t]``, *writes* dL/dh_{t-1} through this step into
        ``dh_prev[t]`` and dL/dc_{t-1} into ``dc_prev[t]``. When the two pre-activation
        gradients are equal (not ``separate_hidden_grad``), ``dxp[t]`` is a view of those
        columns and is written once.

        With a ``readout`` W_hy (O, H), ``dhp[t]`` has O more columns that already hold
        dL/dy_{t-1}: one product with [W_hh; W_hy] then gives the whole dL/dh_{t-1}, the
        recurrent pull and y_{t-1}'s own, with no separate add in the serial loop.
        """
        ...

    # ---- a batch of B sequences: every array is (T, ·, B), one row per step, whose columns
    # are the sequences (feature-major: each gate's block of a row is one contiguous run) ----
    def batch_input_projection(self, p: Params, x: np.ndarray) -> np.ndarray:
        """(T*B, G*H) from the rows (T*B, I) of every step of every sequence: what
        ``make_batch_step`` adds to the recurrent product."""
        ...

    def make_batch_step(
        self,
        p: Params,
        rows: ForwardRows,
        fold: int = 0,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        """The forward step of a batch: row t of each list is a (·, B) matrix, one sequence a
        column, and each step is one matrix–matrix product. ``rows.xb`` holds
        ``batch_input_projection``'s values as rows (G*H, B), or with ``fold`` the inputs
        ride in ``rows.z`` (as in ``make_step``). Without ``rho``, ``make_step``'s step.

        ``rho`` (B,): sequence b runs with the recurrent matrix rho[b]·W_hh, all of them
        sharing the one product with W_hh (the spectral-radius sweep); not with ``fold``.

        ``reuse``: a dict owned by a run of passes over the same arrays (training: one pass
        an update). A cell may keep there what it derives from the rows (views of every
        step's blocks) and find it again when it is given the same ``rows`` object: building
        those views is most of a small pass's overhead."""
        ...

    def make_batch_step_backward(
        self,
        p: Params,
        ctx: Any,
        rows: BackwardRows,
        readout: np.ndarray | None = None,
        rho: np.ndarray | None = None,
        reuse: dict | None = None,
    ) -> StepFn:
        """``make_step_backward`` for a batch (``ctx`` from ``backward_context`` on (T, ·, B)
        arrays): row t of each list is a (·, B) matrix whose columns are the sequences.

        With ``rho`` (see make_batch_step), ``dhp`` holds rho ⊙ dL/d(pre-activation): the
        gradient of the shared product W_hh h_{t-1}, which is what flows on to dL/dh_{t-1}.
        ``reuse``: see make_batch_step.
        """
        ...


def joint_product(
    W_hh: np.ndarray, readout: np.ndarray | None, stacked: bool
) -> Callable[[np.ndarray, np.ndarray], object]:
    """product(dz, out): out = dz @ [W_hh; W_hy] (just W_hh without a readout).

    A single row is multiplied as the transposed matrix times the vector, through the bound
    method: NumPy's mat-vec is faster than its vec-mat, and ``.dot`` skips ``np.dot``'s
    dispatch. That matrix is aligned and padded with zero columns (see alignment), so a
    row ``dz`` has ``joint_width`` values, zeros after the G*H [+ O] that count. A stack of
    rows (a Jacobian product, no padding) is one matrix product.
    """
    if stacked:
        joint = W_hh if readout is None else np.vstack([W_hh, readout])  # (G*H [+ O], H)
        return lambda dz, out: np.dot(dz, joint, out=out)  # (R, H)
    GH, H = W_hh.shape
    n = GH if readout is None else GH + readout.shape[0]
    joint_T = workspace.take("cell.joint_T", (H, padded(n)), W_hh.dtype)  # (H, joint_width)
    joint_T[:, :GH] = W_hh.T
    if readout is not None:
        joint_T[:, GH:n] = readout.T
    return joint_T.dot


def joint_width(GH: int, O: int) -> int:
    """Values in a row that ``joint_product`` multiplies: G*H, then O, then zeros."""
    return padded(GH + O)


def fold_width(p: Params) -> int:
    """Columns after h_{t-1} in each state row that carry x_t and a 1 into the step's
    product, or 0 when the inputs are projected for all steps up front.

    Folding turns "W_hh h + (W_ih x + b)" into one product [W_hh | W_ih | b] [h; x; 1]: one
    NumPy call fewer in the serial loop. It makes every product wider by I + 1 columns, so
    it pays for a few inputs (a scalar signal) but not for one-hot text.
    """
    I, H = p.input_size, p.hidden_size
    if I > H // 8:
        return 0
    return padded(H + I + 1) - H  # rows of whole 32-byte blocks (see alignment)


def folded_matrix(p: Params, bias: np.ndarray, width: int) -> np.ndarray:
    """[W_hh | W_ih | bias | 0]: multiplies a state row (h_{t-1}, x_t, 1, 0 …) of fold_width."""
    GH, H, I = p.W_hh.shape[0], p.hidden_size, p.input_size
    M = workspace.take("cell.folded", (GH, H + width), p.dtype)  # (G*H, H + width)
    M[:, :H] = p.W_hh
    M[:, H : H + I] = p.W_ih
    M[:, H + I] = bias
    return M
