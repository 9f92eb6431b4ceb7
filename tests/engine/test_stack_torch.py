"""Stacks against PyTorch in float64: 1–3 layers × one or two directions × every cell, with
and without an embedding, every loss scored at all steps or the last.

The modules give the outputs, the loss and every parameter's gradient; stepping torch's own
cell functions gives the total dL/dh_t and dL/dc_t of every layer, direction and step (a
module's ``out.grad`` is not that), and the Jacobian of the top layer's last output.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack

torch = pytest.importorskip("torch")

from torch_stack import (  # noqa: E402
    step_with_cells,
    torch_loss,
    torch_modules,
)

CELLS = [("vanilla", "tanh"), ("vanilla", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
RTOL = 1e-10


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """Error relative to the array's scale (see tests/engine/test_engine_torch.py)."""
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-300))


def make_case(cell, activation, layers, bidirectional, embedding, loss, loss_at):
    key = (cell, activation, layers, bidirectional, embedding, loss, loss_at)
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    I, H, O, T, V = 3, 4, 3, 7, 5
    p = init_stack(
        cell,
        I,
        H,
        O,
        rng,
        num_layers=layers,
        bidirectional=bidirectional,
        vocab_size=V if embedding else None,
        spectral_radius=1.3,
        activation=activation,
    )
    inputs = rng.integers(0, V, T) if embedding else rng.standard_normal((T, I))
    n = layers * p.num_directions
    h0 = rng.standard_normal((n, H))
    c0 = rng.standard_normal((n, H)) if cell == "lstm" else None
    targets = rng.standard_normal((T, O)) if loss == "mse" else rng.integers(0, O, T)
    return p, inputs, h0, c0, targets


def module_run(p: StackParams, inputs, h0, c0, targets, loss, loss_at):
    rnn, lin, emb = torch_modules(p)
    x = emb(torch.tensor(inputs, dtype=torch.long)) if emb is not None else torch.tensor(inputs)
    state = torch.tensor(h0) if c0 is None else (torch.tensor(h0), torch.tensor(c0))
    out, _ = rnn(x, state)
    y = lin(out)
    value = torch_loss(y, targets, loss, loss_at)
    value.backward()
    grads = {f"rnn.{n}": t.grad.numpy() for n, t in rnn.named_parameters()}
    grads["readout.weight"], grads["readout.bias"] = lin.weight.grad.numpy(), lin.bias.grad.numpy()
    if emb is not None:
        grads["embedding.weight"] = emb.weight.grad.numpy()
    return out.detach().numpy(), y.detach().numpy(), value.item(), grads


@pytest.mark.parametrize("loss_at", ["all", "last"])
@pytest.mark.parametrize("loss", ["mse", "xent"])
@pytest.mark.parametrize("embedding", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_stack_matches_torch(cell, activation, layers, bidirectional, embedding, loss, loss_at):
    p, inputs, h0, c0, targets = make_case(
        cell, activation, layers, bidirectional, embedding, loss, loss_at
    )
    out, y, value, grads = module_run(p, inputs, h0, c0, targets, loss, loss_at)
    trace = stack_forward(p, inputs, h0, c0)
    result = stack_bptt(trace, targets, loss, loss_at)
    assert rel_err(trace.top, out) <= RTOL
    assert rel_err(trace.y, y) <= RTOL
    assert result.loss == pytest.approx(value, rel=RTOL)
    assert set(result.grads) == set(grads)
    for name, g in grads.items():
        err = rel_err(result.grads[name], g)
        assert err <= RTOL, f"{name}: relative error {err:.2e}"

    stepped = step_with_cells(p, inputs, h0, c0)
    torch_loss(stepped.y, targets, loss, loss_at).backward()
    for k in range(layers):
        for d in range(p.num_directions):
            want = np.concatenate([h.grad.numpy() for h in stepped.h[k][d]])  # (T, H)
            got = result.layers[k][d]
            assert rel_err(got.dL_dh, want) <= RTOL, (k, d)
            assert rel_err(got.dL_dh_norm, np.linalg.norm(want, axis=1)) <= RTOL
            if cell == "lstm":
                dc = np.concatenate([c.grad.numpy() for c in stepped.c[k][d]])  # (T, H)
                assert rel_err(got.dL_dc_norm, np.linalg.norm(dc, axis=1)) <= RTOL


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation"), CELLS)
def test_depth_jacobian_matches_torch(cell, activation, layers, bidirectional):
    p, inputs, h0, c0, targets = make_case(
        cell, activation, layers, bidirectional, False, "mse", "all"
    )
    trace = stack_forward(p, inputs, h0, c0)
    result = stack_bptt(trace, targets, jacobians=True)
    stepped = step_with_cells(p, inputs, h0, c0)
    top = stepped.o[-1][-1][0]  # (D*H,) the top layer's output at T
    T, R = trace.T, top.shape[0]
    D = p.num_directions
    # Every h_t of every layer and direction: the total derivative, recurrence included.
    wrt = [
        h for k in range(layers) for t in range(T) for d in range(D) for h in [stepped.h[k][d][t]]
    ]
    rows = [
        torch.autograd.grad(top[i], wrt, retain_graph=True, allow_unused=True) for i in range(R)
    ]
    want = np.zeros((layers, T))
    for k in range(layers):
        for t in range(T):
            at = (k * T + t) * D
            J = np.stack(  # (R, D*H)
                [np.concatenate([_dense(r[at + d], p.hidden_size) for d in range(D)]) for r in rows]
            )
            want[k, t] = np.linalg.norm(J, 2)
    assert rel_err(result.depth_jacobian_norm, want) <= RTOL
    # Within each direction of each layer: its own last step (T forward, 1 backward).
    H = p.hidden_size
    for k in range(layers):
        for d in range(D):
            hs = stepped.h[k][d]
            last = hs[-1 if d == 0 else 0][0]
            rows = [
                torch.autograd.grad(last[i], hs, retain_graph=True, allow_unused=True)
                for i in range(H)
            ]
            norms = [np.linalg.norm(np.stack([_dense(r[t], H) for r in rows]), 2) for t in range(T)]
            assert rel_err(result.layers[k][d].jacobian_norm, np.array(norms)) <= RTOL, (k, d)


def _dense(g, H: int) -> np.ndarray:
    """A gradient row; None (no path at all) is zeros."""
    return np.zeros(H) if g is None else g.numpy()[0]
