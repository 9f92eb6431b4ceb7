"""The article's stepping interface (``RNN.step``) and the float32 option."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import CELLS, RNN, BPTTResult, ForwardTrace, Params, bptt, forward, init_params
from rnnviz.engine.cells.base import fold_width

# (I, H, O). At (1, 16, 2) forward folds the input into the recurrent product (one scalar
# input, H ≥ 8: see fold_width) while step projects it: the two ways must agree.
SIZES = [(1, 3, 1), (5, 16, 7), (1, 16, 2)]


def stepped(rnn: RNN, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ys = np.array([rnn.step(x_t) for x_t in x])  # (T, O)
    return np.array(rnn.hs), ys


def network(
    cell: str, sizes: tuple[int, int, int], T: int = 30
) -> tuple[Params, np.ndarray, np.ndarray, np.ndarray | None]:
    """A network, T inputs and an initial state (h_0, c_0), all drawn from one seed."""
    I, H, O = sizes
    rng = np.random.default_rng(H)
    p = init_params(cell, I, H, O, rng)
    h0 = rng.standard_normal(H)
    c0 = rng.standard_normal(H) if cell == "lstm" else None
    return p, rng.standard_normal((T, I)), h0, c0


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("cell", CELLS)
def test_step_agrees_with_forward(cell: str, sizes: tuple[int, int, int]) -> None:
    p, x, h0, c0 = network(cell, sizes)
    hs, ys = stepped(RNN(p, h0, c0), x)
    trace = forward(p, x, h0, c0)
    # Agreement to a few units in the last place (see the bitwise test below for why not 0).
    np.testing.assert_allclose(hs, trace.h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ys, trace.y, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_step_back_undoes_a_step_and_reset_clears(cell: str) -> None:
    p, x, h0, c0 = network(cell, (2, 4, 3), T=6)
    rnn = RNN(p, h0, c0)
    rnn.step_back()  # nothing to undo yet: a no-op
    assert rnn.t == 0
    np.testing.assert_array_equal(rnn.h, h0)
    hs, ys = stepped(rnn, x[:5])
    cs = forward(p, x[:5], h0, c0).c
    rnn.step(x[5])
    rnn.step_back()
    # Undoing restores the earlier state exactly, not a recomputed approximation of it.
    assert rnn.t == 5 and len(rnn.hs) == len(rnn.ys) == len(rnn.xs) == 5
    np.testing.assert_array_equal(rnn.h, hs[-1])
    rnn.step_back()
    assert rnn.t == 4
    np.testing.assert_array_equal(rnn.h, hs[-2])
    if c0 is not None:
        np.testing.assert_allclose(rnn.c, cs[3], rtol=1e-13)
    # Stepping again from the restored state gives the same output as the first time.
    np.testing.assert_array_equal(rnn.step(x[4]), ys[4])
    trace = rnn.trace()
    np.testing.assert_array_equal(trace.x, x[:5])
    np.testing.assert_array_equal(trace.h, hs)
    np.testing.assert_array_equal(trace.y, ys)

    rnn.reset()
    assert rnn.t == 0 and rnn.xs == rnn.hs == rnn.ys == []
    np.testing.assert_array_equal(rnn.h, h0)
    if c0 is not None:
        np.testing.assert_array_equal(rnn.c, c0)
    np.testing.assert_allclose(rnn.step(x[0]), ys[0], rtol=1e-13, atol=1e-15)


def float_arrays(obj: ForwardTrace | BPTTResult) -> dict[str, np.ndarray]:
    """Every non-empty float array by name (the vanilla cell's cache is (T, 0))."""
    found = {}
    for name, value in vars(obj).items():
        items = value.items() if isinstance(value, dict) else [(name, value)]
        for key, a in items:
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                found[key] = a
    return found


def max_rel(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-30))


def test_forward_folds_a_few_inputs_only() -> None:
    rng = np.random.default_rng(0)
    assert fold_width(init_params("vanilla", 1, 16, 2, rng)) > 0  # the SIZES case above
    assert fold_width(init_params("vanilla", 5, 16, 7, rng)) == 0  # projected up front
    assert fold_width(init_params("vanilla", 1, 3, 1, rng)) == 0  # too small to gain


@pytest.mark.parametrize("sizes", [(3, 8, 4), (1, 16, 4)])  # projected, then folded inputs
@pytest.mark.parametrize("cell", CELLS)
def test_float32_is_float32_throughout_and_close_to_float64(
    cell: str, sizes: tuple[int, int, int]
) -> None:
    I, H, O = sizes
    p64 = init_params(cell, I, H, O, np.random.default_rng(8))
    p32 = init_params(cell, I, H, O, np.random.default_rng(8), dtype="float32")
    _, x, h0, c0 = network(cell, sizes, T=20)
    # The same seed draws the same network, only rounded to float32.
    for name, a in p32.arrays().items():
        assert a.dtype == np.float32, name
        np.testing.assert_array_equal(a, p64.arrays()[name].astype(np.float32))
    targets = np.random.default_rng(9).standard_normal((20, O))
    t32, t64 = forward(p32, x, h0, c0), forward(p64, x, h0, c0)
    r32 = bptt(t32, targets, jacobians=True)
    r64 = bptt(t64, targets, jacobians=True)
    # The Jacobian norms are float64 diagnostics whatever the network's dtype: only close.
    diagnostics = ("jacobian_norm", "state_jacobian_norm")
    for obj32, obj64 in ((t32, t64), (r32, r64)):
        arrays32, arrays64 = float_arrays(obj32), float_arrays(obj64)
        for name, a in arrays32.items():
            assert name in diagnostics or a.dtype == np.float32, name
            assert max_rel(a, arrays64[name]) < 1e-4, name
    y = RNN(p32, h0, c0).step(x[0])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, t64.y[0], rtol=1e-4, atol=1e-6)
    assert r32.loss == pytest.approx(r64.loss, rel=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_run_takes_many_steps_like_step_does(cell: str) -> None:
    p, x, h0, c0 = network(cell, (2, 4, 3), T=9)
    one, many = RNN(p, h0, c0), RNN(p, h0, c0)
    for v in x[:3]:
        one.step(v)
        many.step(v)
    for v in x[3:]:
        one.step(v)
    many.run(x[3:])
    a, b = one.trace(), many.trace()
    np.testing.assert_allclose(b.h_all, a.h_all, rtol=0, atol=1e-13)
    np.testing.assert_allclose(b.y, a.y, rtol=0, atol=1e-13)
    assert many.t == one.t == 9


def test_run_keeps_an_overflow_visible() -> None:
    rng = np.random.default_rng(2)
    p = init_params("vanilla", 1, 4, 1, rng, activation="linear", scheme="orthogonal", gain=5.0)
    rnn = RNN(p)
    rnn.run(np.ones((600, 1)))
    trace = rnn.trace()
    assert trace.exploded_at == forward(p, np.ones((600, 1))).exploded_at is not None


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_a_copy_and_its_original_step_apart(cell: str) -> None:
    """They share buffers until one steps; then each keeps its own history."""
    params = init_params(cell, 1, 6, 1, np.random.default_rng(3), activation="tanh")
    xs = np.random.default_rng(4).standard_normal((40, 1))  # (40, 1)
    rnn = RNN(params)
    rnn.run(xs[:20])
    twin = rnn.copy()
    rnn.rewind(10)
    rnn.run(-xs[10:17])  # over steps the copy still has: written in buffers of its own
    twin.run(xs[20:40])  # past the capacity: grows its own
    rnn.step(xs[0])
    np.testing.assert_array_equal(twin.trace().h_all, forward(params, xs).h_all)
    expected = forward(params, np.concatenate([xs[:10], -xs[10:17], xs[:1]]))
    np.testing.assert_allclose(rnn.trace().h_all, expected.h_all, atol=1e-12)
