"""A bidirectional layer's two directions run as one chain of twice the width
(rnnviz/engine/joint_directions.py): the same traces as two separate passes, to rounding,
for every cell, depth, input kind and initial state; an overflow blanks what two separate
passes blank."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from stack_edits import with_layer

from rnnviz.engine.activations import ACTIVATIONS
from rnnviz.engine.forward import ForwardTrace, forward
from rnnviz.engine.joint_directions import forward_both
from rnnviz.engine.stack import StackTrace, finish_stack_trace, initial_states, stack_forward
from rnnviz.engine.stack_params import StackParams, init_stack

CELLS = [*(("vanilla", a) for a in ACTIVATIONS), ("lstm", "tanh"), ("gru", "tanh")]
RTOL = 1e-13


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def separately(p: StackParams, inputs, h0=None, c0=None) -> StackTrace:
    """The stack with each direction of each layer its own ``forward`` pass: the oracle."""
    x = p.embedding[inputs] if p.embedding is not None else np.asarray(inputs, dtype=p.dtype)
    h_rows, c_rows = initial_states(p, h0), initial_states(p, c0)
    layers, outputs, below = [], [], x
    for k in range(p.num_layers):
        fwd = forward(p.layer_params(k, 0), below, h_rows[2 * k], c_rows[2 * k])
        bwd = forward(p.layer_params(k, 1), below[::-1], h_rows[2 * k + 1], c_rows[2 * k + 1])
        layers.append((fwd, bwd))
        below = np.hstack([fwd.h, bwd.h[::-1]])  # (T, 2H)
        outputs.append(below)
    return finish_stack_trace(p, None, x, layers, outputs)


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Equal to RTOL relative to the array's scale (values near 0 differ by rounding of
    the larger terms that cancelled there)."""
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
    assert float(np.max(np.abs(got - want), initial=0.0)) <= RTOL * scale


def assert_same_trace(got: ForwardTrace, want: ForwardTrace) -> None:
    """Same parameters, inputs, layout and exploded step; values equal to rounding."""
    assert got.params is not None and got.exploded_at == want.exploded_at
    np.testing.assert_array_equal(got.params.W_hh, want.params.W_hh)
    # x too: above layer 0 it is the outputs of the layer below, equal to rounding.
    arrays = [(got.x, want.x), (got.h_all, want.h_all), (got.cache, want.cache), (got.y, want.y)]
    assert (got.c_all is None) == (want.c_all is None)
    if want.c_all is not None:
        arrays.append((got.c_all, want.c_all))
    for g, w in arrays:
        assert g.flags.c_contiguous
        assert_close(g, w)


def make_case(cell: str, activation: str, layers: int, inputs: str, T: int = 23):
    """A bidirectional stack of 5 units; ``inputs``: "few" (1 a step: folded into the
    recurrent product), "many" (9: projected up front) or "tokens" (an embedding of 4)."""
    rng = _rng(cell, activation, layers, inputs)
    I = 1 if inputs == "few" else 9 if inputs == "many" else 4
    vocab = 6 if inputs == "tokens" else None
    p = init_stack(cell, I, 5, 2, rng, num_layers=layers, bidirectional=True,
                   vocab_size=vocab, activation=activation, spectral_radius=1.1)  # fmt: skip
    x = rng.integers(0, 6, T) if vocab else rng.standard_normal((T, I))
    h0 = 0.5 * rng.standard_normal((2 * layers, 5))  # (L*D, H), none of it zero
    c0 = 0.5 * rng.standard_normal((2 * layers, 5)) if cell == "lstm" else None
    return p, x, h0, c0


@pytest.mark.parametrize("inputs", ["few", "many", "tokens"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_the_joint_pass_is_the_two_separate_passes(cell, activation, layers, inputs):
    p, x, h0, c0 = make_case(cell, activation, layers, inputs)
    got, want = stack_forward(p, x, h0, c0), separately(p, x, h0, c0)
    assert got.exploded_at is None
    for k in range(layers):
        for d in range(2):
            assert_same_trace(got.layers[k][d], want.layers[k][d])
        assert_close(got.outputs[k], want.outputs[k])
        # The stack ran the joint pass (no fallback): it gives these very traces.
        both = forward_both(
            p.layer_params(k, 0),
            p.layer_params(k, 1),
            got.x if k == 0 else got.outputs[k - 1],
            (h0[2 * k], h0[2 * k + 1]),
            (None, None) if c0 is None else (c0[2 * k], c0[2 * k + 1]),
        )
        assert both is not None
        for d in range(2):
            np.testing.assert_array_equal(both[d].h_all, got.layers[k][d].h_all)
    assert_close(got.y, want.y)


@pytest.mark.parametrize("T", [0, 1, 2])
@pytest.mark.parametrize(("cell", "activation"), CELLS[-3:])
def test_the_shortest_sequences(cell, activation, T):
    p, x, h0, c0 = make_case(cell, activation, 2, "many", T)
    got, want = stack_forward(p, x, h0, c0), separately(p, x, h0, c0)
    for k in range(2):
        for d in range(2):
            assert_same_trace(got.layers[k][d], want.layers[k][d])
    assert got.y.shape == (T, 2)


def test_float32_stays_float32_and_agrees_to_its_precision():
    p, x, h0, c0 = make_case("lstm", "tanh", 2, "many")
    p32 = p.astype("float32")
    got, want = stack_forward(p32, x, h0, c0), separately(p32, x, h0, c0)
    for k in range(2):
        for d in range(2):
            g, w = got.layers[k][d], want.layers[k][d]
            assert g.h_all.dtype == g.cache.dtype == np.float32
            np.testing.assert_allclose(g.h_all, w.h_all, rtol=0, atol=1e-6)


def assert_blanks_as_separately(q: StackParams, x: np.ndarray) -> StackTrace:
    got, want = stack_forward(q, x), separately(q, x)
    assert got.exploded_at == want.exploded_at
    for k in range(q.num_layers):
        for d in range(2):
            g, w = got.layers[k][d], want.layers[k][d]
            assert g.exploded_at == w.exploded_at, (k, d)
            np.testing.assert_array_equal(g.h_all, w.h_all)
            np.testing.assert_array_equal(g.cache, w.cache)
    np.testing.assert_array_equal(got.y, want.y)
    return got


@pytest.mark.parametrize("direction", [0, 1])
@pytest.mark.parametrize(
    ("cell", "activation"), [("vanilla", "tanh"), ("lstm", "tanh"), ("gru", "tanh")]
)
def test_a_direction_that_overflows_part_way_blanks_only_its_own_rows(cell, activation, direction):
    """Step 9's input is (inf, −inf). Layer 0's direction ``direction`` reads it with two
    weights of one sign in every row (inf − inf: NaN), the other with weights of opposite
    signs (±inf: its gates saturate, its state stays finite). Run as one chain, the NaN
    would reach the other direction through the zero blocks (0 · NaN)."""
    rng = _rng("overflow", cell, direction)
    p = init_stack(cell, 2, 4, 1, rng, num_layers=2, bidirectional=True, activation=activation)
    T = 20
    W_ih = np.abs(p.layers[0][direction].W_ih) + 0.1  # (G*H, 2), every weight positive
    other = np.abs(p.layers[0][1 - direction].W_ih) + 0.1
    other[:, 1] *= -1.0  # (G*H, 2): one column positive, the other negative
    q = with_layer(with_layer(p, 0, direction, W_ih=W_ih), 0, 1 - direction, W_ih=other)
    x = rng.standard_normal((T, 2))
    x[8] = (np.inf, -np.inf)
    got = assert_blanks_as_separately(q, x)
    exploded = got.layers[0][direction]
    assert exploded.exploded_at == (9 if direction == 0 else T - 8)  # in its own order
    assert got.layers[0][1 - direction].exploded_at is None
    assert np.isfinite(got.layers[0][1 - direction].h_all).all()
    assert got.h(0, 1 - direction).any(axis=1).all()  # no row of the other direction blanked
    assert got.exploded_at == (9 if direction == 0 else 1)


@pytest.mark.parametrize("direction", [0, 1])
def test_an_upper_layer_that_overflows_part_way_blanks_only_its_own_rows(direction):
    """Layer 1's direction ``direction`` multiplies its state by 1e30 a step (a linear
    cell): past float range after ~10 steps; the other direction and layer 0 stay finite."""
    rng = _rng("overflow-upper", direction)
    p = init_stack("vanilla", 2, 4, 1, rng, num_layers=3, bidirectional=True, activation="linear")
    q = with_layer(p, 1, direction, W_hh=np.eye(4) * 1e30)
    got = assert_blanks_as_separately(q, rng.standard_normal((25, 2)))
    assert got.layers[1][direction].exploded_at is not None
    assert got.layers[1][1 - direction].exploded_at is None
    assert all(got.layers[0][d].exploded_at is None for d in range(2))
