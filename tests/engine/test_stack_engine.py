"""Stacks beyond plain agreement: truncation and padding against PyTorch by hand, clipping,
central finite differences for every activation (PyTorch has only tanh and relu), one layer
equal to the single-layer engine, explosions, and the checks on what a stack is made of."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from rnnviz.engine import bptt, forward, init_params, jacobian_norms, truncation_cuts
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import Layer, StackParams, init_stack

CELLS = [("vanilla", "tanh"), ("lstm", "tanh"), ("gru", "tanh")]


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-300))


@pytest.mark.parametrize("truncate", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_truncation_detaches_every_layer_in_both_directions(cell, activation, truncate):
    pytest.importorskip("torch")
    from torch_stack import step_with_cells, torch_loss

    rng = _rng(cell, truncate)
    T = 7
    p = init_stack(cell, 2, 3, 2, rng, num_layers=2, bidirectional=True, spectral_radius=1.2)
    x, targets = rng.standard_normal((T, 2)), rng.standard_normal((T, 2))
    h0 = np.zeros((4, 3))
    c0 = np.zeros((4, 3)) if cell == "lstm" else None
    result = stack_bptt(stack_forward(p, x), targets, truncate=truncate)
    stepped = step_with_cells(p, x, h0, c0, cuts=truncation_cuts(T, truncate))
    torch_loss(stepped.y, targets, "mse", "all").backward()
    for name, w in stepped.weights.items():
        assert rel_err(result.grads[name], w.grad.numpy()) <= 1e-10, name
    for k in range(2):
        for d in range(2):
            want = np.concatenate([h.grad.numpy() for h in stepped.h[k][d]])
            assert rel_err(result.layers[k][d].dL_dh, want) <= 1e-10, (k, d)
    # Not the untruncated gradient: the cut really cuts (one step windows cut the most).
    full = stack_bptt(stack_forward(p, x), targets)
    assert not np.allclose(full.grads["rnn.weight_hh_l0"], result.grads["rnn.weight_hh_l0"])


def test_padding_row_gets_no_gradient_as_in_torch():
    torch = pytest.importorskip("torch")
    from torch_stack import torch_loss, torch_modules

    rng = _rng("padding")
    base = init_stack("gru", 3, 4, 2, rng, num_layers=2, vocab_size=6)
    p = StackParams(
        base.cell, base.activation, base.layers, base.W_hy, base.b_y, base.embedding, padding_idx=0
    )
    tokens = np.array([0, 3, 0, 5, 1, 0])
    targets = rng.standard_normal((6, 2))
    rnn, lin, emb = torch_modules(p)
    y = lin(rnn(emb(torch.tensor(tokens)))[0])
    torch_loss(y, targets, "mse", "all").backward()
    result = stack_bptt(stack_forward(p, tokens), targets)
    assert rel_err(result.grads["embedding.weight"], emb.weight.grad.numpy()) <= 1e-10
    assert not result.grads["embedding.weight"][0].any()
    assert result.grads["embedding.weight"][3].any()


def test_clipping_rescales_every_gradient_and_keeps_the_per_step_curves():
    rng = _rng("clip")
    p = init_stack("lstm", 2, 4, 2, rng, num_layers=3, bidirectional=True, vocab_size=5)
    tokens, targets = rng.integers(0, 5, 9), rng.standard_normal((9, 2))
    trace = stack_forward(p, tokens)
    free = stack_bptt(trace, targets)
    theta = free.grad_norm_before_clip / 4
    clipped = stack_bptt(trace, targets, clip=theta)
    assert clipped.clipped and clipped.grad_norm_after_clip == pytest.approx(theta, rel=1e-12)
    for name, g in free.grads.items():
        np.testing.assert_allclose(clipped.grads[name], g / 4, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(clipped.dL_dh_norm, free.dL_dh_norm)


def _loss(p: StackParams, inputs, targets, loss, loss_at) -> float:
    return stack_bptt(stack_forward(p, inputs), targets, loss, loss_at).loss


def _nudged(p: StackParams, name: str, index: tuple, by: float) -> StackParams:
    arrays = {n: a.copy() for n, a in p.arrays().items()}
    arrays[name][index] += by
    from rnnviz.engine.stack_params import stack_from_arrays

    return stack_from_arrays(
        p.cell, p.activation, arrays, p.num_layers, p.num_directions, p.padding_idx
    )


@pytest.mark.parametrize(
    ("cell", "activation"),
    [
        ("vanilla", "tanh"),
        ("vanilla", "sigmoid"),
        ("vanilla", "linear"),
        ("vanilla", "relu"),
        ("lstm", "tanh"),
        ("gru", "tanh"),
    ],
)
@pytest.mark.parametrize(("loss", "loss_at"), [("mse", "all"), ("xent", "last")])
def test_gradients_equal_central_differences(cell, activation, loss, loss_at):
    rng = _rng("fd", cell, activation, loss)
    p = init_stack(
        cell, 2, 3, 3, rng, num_layers=2, bidirectional=True, vocab_size=4, activation=activation
    )
    tokens = rng.integers(0, 4, 5)
    targets = rng.standard_normal((5, 3)) if loss == "mse" else rng.integers(0, 3, 5)
    grads = stack_bptt(stack_forward(p, tokens), targets, loss, loss_at).grads
    eps = 1e-6
    for name, a in p.arrays().items():
        for _ in range(3):
            index = tuple(int(rng.integers(0, n)) for n in a.shape)
            up = _loss(_nudged(p, name, index, eps), tokens, targets, loss, loss_at)
            down = _loss(_nudged(p, name, index, -eps), tokens, targets, loss, loss_at)
            numeric = (up - down) / (2 * eps)
            assert grads[name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (name, index)


@pytest.mark.parametrize("truncate", [None, 3])
@pytest.mark.parametrize(("cell", "activation"), [*CELLS, ("vanilla", "sigmoid")])
def test_one_layer_is_the_single_layer_engine(cell, activation, truncate):
    rng = _rng("single", cell, activation)
    single = init_params(cell, 2, 5, 2, rng, activation=activation, spectral_radius=1.1)
    p = StackParams.from_single(single)
    assert p.single() is not single and p.single().arrays().keys() == single.arrays().keys()
    x, targets = rng.standard_normal((12, 2)), rng.standard_normal((12, 2))
    want = bptt(forward(single, x), targets, truncate=truncate, clip=0.5, jacobians=True)
    got = stack_bptt(stack_forward(p, x), targets, truncate=truncate, clip=0.5, jacobians=True)
    assert got.loss == want.loss
    names = {
        "W_ih": "rnn.weight_ih_l0",
        "W_hh": "rnn.weight_hh_l0",
        "b_ih": "rnn.bias_ih_l0",
        "b_hh": "rnn.bias_hh_l0",
        "W_hy": "readout.weight",
        "b_y": "readout.bias",
    }
    for field, name in names.items():
        np.testing.assert_allclose(got.grads[name], want.grads[field], rtol=1e-13, atol=1e-300)
    layer = got.layers[0][0]
    np.testing.assert_array_equal(layer.dL_dh, want.dL_dh)
    np.testing.assert_array_equal(layer.jacobian_norm, want.jacobian_norm)
    np.testing.assert_array_equal(layer.dW_hh_contrib, want.dW_hh_contrib)


def test_backward_direction_jacobian_runs_from_the_first_step():
    rng = _rng("reverse-jacobian")
    p = init_stack("vanilla", 2, 4, 1, rng, bidirectional=True, spectral_radius=0.8)
    x = rng.standard_normal((10, 2))
    result = stack_bptt(stack_forward(p, x), np.zeros((10, 1)), jacobians=True)
    backward_only = init_params("vanilla", 2, 4, 1, rng).with_arrays(
        W_ih=p.layers[0][1].W_ih,
        W_hh=p.layers[0][1].W_hh,
        b_ih=p.layers[0][1].b_ih,
        b_hh=p.layers[0][1].b_hh,
    )
    want = jacobian_norms(forward(backward_only, x[::-1]))[0][::-1]  # (T,)
    np.testing.assert_allclose(result.layers[0][1].jacobian_norm, want, rtol=1e-13)
    assert result.layers[0][1].jacobian_norm[0] == pytest.approx(1.0)  # its own last step
    assert result.layers[0][1].jacobian_norm[-1] < 0.5  # step T is its farthest


def test_depth_jacobian_fades_down_the_layers_of_a_contracting_stack():
    rng = _rng("depth")
    p = init_stack("vanilla", 1, 8, 1, rng, num_layers=3, scheme="orthogonal", gain=0.5)
    x = rng.standard_normal((15, 1))
    depth = stack_bptt(stack_forward(p, x), np.zeros((15, 1)), jacobians=True).depth_jacobian_norm
    assert depth.shape == (3, 15)
    assert depth[2, -1] == pytest.approx(1.0)  # o_T itself
    assert depth[2, -1] > depth[1, -1] > depth[0, -1]  # each layer down multiplies by < 1
    assert depth[0, -1] > depth[0, 0]  # and each step back


def test_forward_explosion_gives_zero_gradients_and_says_where():
    rng = _rng("explode")
    p = init_stack("vanilla", 1, 4, 1, rng, num_layers=2, activation="linear", spectral_radius=1e6)
    x = np.ones((400, 1))
    trace = stack_forward(p, x)
    assert trace.exploded_at is not None and np.isfinite(trace.y).all()
    result = stack_bptt(trace, np.zeros((400, 1)))
    assert result.exploded_in == "forward" and result.loss == np.inf
    assert all(not g.any() for g in result.grads.values())


def test_backward_explosion_is_reported():
    rng = _rng("explode-back")
    p = init_stack("vanilla", 1, 4, 1, rng, num_layers=2, activation="linear")
    # Zero inputs and biases keep every state at 0 (the forward pass is finite), while the
    # top layer's recurrence multiplies the gradient by 1e40 per step back.
    layers = tuple(
        tuple(
            Layer(L.W_ih, np.eye(4) * 1e40 if k == 1 else L.W_hh, L.b_ih * 0, L.b_hh * 0)
            for L in dirs
        )
        for k, dirs in enumerate(p.layers)
    )
    p = StackParams("vanilla", "linear", layers, p.W_hy, p.b_y * 0)
    result = stack_bptt(stack_forward(p, np.zeros((12, 1))), np.ones((12, 1)))
    assert result.exploded_in == "backward" and result.exploded_at is not None
    assert not result.valid.any() and result.grad_norm_after_clip == 0.0


def test_token_and_shape_checks_name_the_problem():
    rng = _rng("checks")
    p = init_stack("gru", 2, 3, 2, rng, num_layers=2, vocab_size=4)
    with pytest.raises(ValueError, match="token 4 is not a row of the embedding"):
        stack_forward(p, [0, 4])
    with pytest.raises(ValueError, match="whole numbers"):
        stack_forward(p, [0.5, 1])
    with pytest.raises(ValueError, match=r"initial state has shape \(1, 3\); expected \(2, 3\)"):
        stack_forward(p, [0, 1], h0=np.zeros((1, 3)))
    bad = Layer(
        np.zeros((9, 5)),
        *(a for a in (p.layers[1][0].W_hh, p.layers[1][0].b_ih, p.layers[1][0].b_hh)),
    )
    with pytest.raises(ValueError, match=r"weight_ih_l1 has shape \(9, 5\); expected \(9, 3\)"):
        StackParams("gru", "tanh", (p.layers[0], (bad,)), p.W_hy, p.b_y, p.embedding)
    assert p.describe() == "2-layer GRU, 3 units, embedding 4 × 2"


def test_float32_stacks_compute_in_float32_close_to_float64():
    rng = _rng("float32")
    p = init_stack("lstm", 3, 4, 2, rng, num_layers=2, bidirectional=True, vocab_size=5,
                   dtype="float32")  # fmt: skip
    tokens, targets = rng.integers(0, 5, 9), rng.standard_normal((9, 2))
    low = stack_bptt(stack_forward(p, tokens), targets)
    high = stack_bptt(stack_forward(p.astype("float64"), tokens), targets)
    assert stack_forward(p, tokens).y.dtype == np.float32
    for name, g in high.grads.items():
        assert low.grads[name].dtype == np.float32
        assert rel_err(low.grads[name], g) < 1e-5, name


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_step_worked_out_ahead_is_the_step_fed(monkeypatch, bidirectional: bool) -> None:
    """``prepare(x)`` works out a bidirectional stack's trace after feeding x next: feeding
    that very input then runs no forward pass, feeding another runs its own; either way the
    trace is the stack's forward pass over the inputs fed. A unidirectional stack steps a
    cell a layer: nothing to work out ahead."""
    from rnnviz.engine import stack_stepper
    from rnnviz.engine.stack_stepper import StackRNN

    passes: list[int] = []

    def counted(params: StackParams, x: np.ndarray) -> object:
        passes.append(x.shape[0])
        return stack_forward(params, x)

    monkeypatch.setattr(stack_stepper, "stack_forward", counted)
    p = init_stack("lstm", 2, 4, 1, _rng("ahead"), num_layers=3, bidirectional=bidirectional)
    xs = _rng("ahead", "x").standard_normal((8, 2))  # (8, I)
    rnn = StackRNN(p)
    rnn.run(xs[:5])
    rnn.prepare(xs[5])
    assert passes == ([6] if bidirectional else [])  # the 6 steps, ahead
    rnn.step(xs[5])
    assert passes == ([6] if bidirectional else [])  # found, not worked out again
    np.testing.assert_array_equal(rnn.trace().y, stack_forward(p, xs[:6]).y)
    rnn.prepare(xs[7])  # ahead for an input that is not the one fed next
    rnn.step(xs[6])
    assert passes == ([6, 7, 7] if bidirectional else [])  # its own pass
    np.testing.assert_array_equal(rnn.trace().y, stack_forward(p, xs[:7]).y)
