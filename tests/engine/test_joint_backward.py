"""BPTT through a bidirectional layer's two directions in one loop
(rnnviz/engine/joint_backward.py): the same gradients, norms and Jacobians as a loop per
direction, to rounding, wherever the two are joined; the layers whose loop would do
something different to one direction (asymmetric truncation, an overflow, a chain flushed
at a check) run apart and give exactly what they gave."""

from __future__ import annotations

import sys
import zlib

import numpy as np
import pytest
from stack_edits import with_layer

from rnnviz.engine import joint_backward
from rnnviz.engine.activations import ACTIVATIONS
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import StackBPTTResult, stack_bptt
from rnnviz.engine.stack_params import Layer, StackParams, init_stack

CELLS = [*(("vanilla", a) for a in ACTIVATIONS), ("lstm", "tanh"), ("gru", "tanh")]
RTOL = 1e-13
STACK_BPTT = sys.modules["rnnviz.engine.stack_bptt"]


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


@pytest.fixture
def joined(monkeypatch) -> list[bool]:
    """Whether each call of backward_both joined the two loops (False: they ran apart)."""
    calls: list[bool] = []
    real = joint_backward.backward_both

    def spy(*args):
        found = real(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(STACK_BPTT, "backward_both", spy)
    return calls


def apart(monkeypatch, *args, **kwargs) -> StackBPTTResult:
    """stack_bptt with every layer's directions in loops of their own, as before."""
    with monkeypatch.context() as m:
        m.setattr(STACK_BPTT, "JOINT_MAX_UNITS", 0)
        return stack_bptt(*args, **kwargs)


def assert_close(got: np.ndarray | None, want: np.ndarray | None) -> None:
    """Equal to RTOL relative to the array's scale."""
    assert (got is None) == (want is None)
    if want is not None:
        assert got.shape == want.shape and got.dtype == want.dtype
        scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
        assert float(np.max(np.abs(got - want), initial=0.0)) <= RTOL * scale


def assert_same_result(got: StackBPTTResult, want: StackBPTTResult) -> None:
    assert got.loss == want.loss and got.exploded_at == want.exploded_at
    assert got.exploded_in == want.exploded_in
    np.testing.assert_array_equal(got.valid, want.valid)
    assert got.grads.keys() == want.grads.keys()
    for name, g in want.grads.items():
        assert_close(got.grads[name], g)
    assert got.grad_norm_before_clip == pytest.approx(want.grad_norm_before_clip, rel=RTOL)
    assert got.grad_norm_after_clip == pytest.approx(want.grad_norm_after_clip, rel=RTOL)
    assert_close(got.dL_dx, want.dL_dx)
    assert_close(got.depth_jacobian_norm, want.depth_jacobian_norm)
    for g_dirs, w_dirs in zip(got.layers, want.layers, strict=True):
        for g, w in zip(g_dirs, w_dirs, strict=True):
            for field in ("dL_dh", "dL_dh_norm", "dL_dc_norm", "dW_hh_contrib", "jacobian_norm"):
                assert_close(getattr(g, field), getattr(w, field))


@pytest.mark.parametrize(
    ("truncate", "joins"),
    [(None, True), (6, True), (5, False)],  # T = 24: windows of 6 are symmetric in time
)
@pytest.mark.parametrize("inputs", ["few", "many", "tokens"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_the_joined_loop_gives_the_loops_apart(
    monkeypatch, joined, cell, activation, layers, inputs, truncate, joins
):
    rng = _rng(cell, activation, layers, inputs)
    I = 1 if inputs == "few" else 9 if inputs == "many" else 4
    vocab = 6 if inputs == "tokens" else None
    p = init_stack(cell, I, 5, 2, rng, num_layers=layers, bidirectional=True,
                   vocab_size=vocab, activation=activation, spectral_radius=1.1)  # fmt: skip
    T = 24
    x = rng.integers(0, 6, T) if vocab else rng.standard_normal((T, I))
    h0 = 0.5 * rng.standard_normal((2 * layers, 5))
    c0 = 0.5 * rng.standard_normal((2 * layers, 5)) if cell == "lstm" else None
    trace = stack_forward(p, x, h0, c0)
    targets = rng.standard_normal((T, 2))
    for loss_at in ("all", "last"):
        joined.clear()
        got = stack_bptt(trace, targets, loss_at=loss_at, truncate=truncate, clip=0.5,
                         jacobians=True)  # fmt: skip
        assert joined == ([True] * layers if joins else [])
        want = apart(monkeypatch, trace, targets, loss_at=loss_at, truncate=truncate,
                     clip=0.5, jacobians=True)  # fmt: skip
        assert_same_result(got, want)


@pytest.mark.parametrize(("layer", "direction"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_a_chain_that_overflows_ends_the_pass_where_it_did(monkeypatch, joined, layer, direction):
    """Zero inputs and biases keep every state at 0; one direction of one layer multiplies
    the gradient by 1e40 a step back (the others by less than 1): its chain overflows, and
    the pass reports the step and pass it reported before."""
    rng = _rng("explode-back", layer, direction)
    p = init_stack("vanilla", 1, 4, 1, rng, num_layers=2, bidirectional=True,
                   activation="linear", spectral_radius=0.5)  # fmt: skip
    layers = tuple(
        tuple(Layer(L.W_ih, L.W_hh, L.b_ih * 0, L.b_hh * 0) for L in dirs) for dirs in p.layers
    )
    p = StackParams("vanilla", "linear", layers, p.W_hy, p.b_y * 0)
    q = with_layer(p, layer, direction, W_hh=np.eye(4) * 1e40)
    trace = stack_forward(q, np.zeros((12, 1)))
    got = stack_bptt(trace, np.ones((12, 1)))
    assert got.exploded_in == "backward" and got.exploded_at is not None
    assert joined[-1] is False  # the layer that overflowed ran apart
    want = apart(monkeypatch, trace, np.ones((12, 1)))
    assert (got.exploded_at, got.loss) == (want.exploded_at, want.loss)
    np.testing.assert_array_equal(got.valid, want.valid)


@pytest.mark.parametrize("direction", [0, 1])
def test_a_chain_that_fades_at_a_check_is_flushed_as_before(monkeypatch, joined, direction):
    """Output 0 reads only direction ``direction``, output 1 only the other. Output 0 misses
    its target only at the step that comes first in that direction's loop (the last step
    for the forward direction, the first for the backward one), output 1 at every step. A
    linear cell whose recurrent matrix is 10^-37.5 times the identity carries dL/dh back
    10^-37.5 a step: 8 steps on (its own row 31 of 40, a row the loop checks) it is
    ~1e-300, below FLUSH_BELOW but not 0. Alone, that chain is flushed to 0 there and
    stops; joined with the other, which is not faint, it would go on into subnormal
    numbers. So the layer runs apart: that direction's dL/dh_t from there on is exactly 0."""
    rng = _rng("fade", direction)
    p = init_stack("vanilla", 2, 4, 2, rng, bidirectional=True, activation="linear")
    own, other = (
        slice(4 * direction, 4 * direction + 4),
        slice(4 - 4 * direction, 8 - 4 * direction),
    )
    W_hy = p.W_hy.copy()  # (2, 8)
    W_hy[0, other] = 0.0
    W_hy[1, own] = 0.0
    layers = with_layer(p, 0, direction, W_hh=np.eye(4) * 10**-37.5).layers
    q = StackParams("vanilla", "linear", layers, W_hy, p.b_y)
    T = 40
    trace = stack_forward(q, rng.standard_normal((T, 2)))
    targets = trace.y.copy()  # (T, 2): dL/dy_t = 0 where the target is met
    targets[-1 if direction == 0 else 0, 0] += 1.0
    targets[:, 1] += 1.0
    got = stack_bptt(trace, targets)
    assert joined == [False]
    rows = got.layers[0][direction].dL_dh  # (T, H) in step order
    faded = rows[:32] if direction == 0 else rows[8:]  # its own rows 31 … 0
    assert not faded.any() and rows[32 if direction == 0 else 7].any()
    assert got.layers[0][1 - direction].dL_dh.all()
    want = apart(monkeypatch, trace, targets)
    for d in range(2):
        np.testing.assert_array_equal(got.layers[0][d].dL_dh, want.layers[0][d].dL_dh)


def test_directions_that_receive_nothing_for_a_while_still_join(joined):
    """Scored at the last step only, the backward direction's chain is exact zeros until its
    own last row (step T comes last in its order): zeros stay zeros, flushed or not."""
    rng = _rng("zeros")
    p = init_stack("lstm", 2, 4, 1, rng, num_layers=2, bidirectional=True)
    trace = stack_forward(p, rng.standard_normal((40, 2)))
    got = stack_bptt(trace, rng.standard_normal((40, 1)), loss_at="last")
    assert joined == [True, True]
    assert not got.layers[1][1].dL_dh[:-1].any()  # only step T receives anything
