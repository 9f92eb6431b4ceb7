"""The engine against PyTorch in float64: an implementation written by other people.

``nn.RNN``/``nn.LSTM``/``nn.GRU`` + ``nn.Linear`` + the loss give the forward pass and the
parameter gradients. Their ``out.grad`` is only each output's direct term, not the total
dL/dh_t, so the per-step references come from stepping torch's own cell functions in a loop
and keeping the gradient of every intermediate state.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

from rnnviz.engine import LOSS_AT, LOSSES, Params, bptt, forward, init_params

torch = pytest.importorskip("torch")

CONFIGS = [("vanilla", "tanh"), ("vanilla", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
# (I, H, O, T); T = 1 has no recurrence at all; at (1, 16, 3, 9) the forward pass folds the
# input into the recurrent product (see fold_width), so both of its ways are checked.
SIZES = [(3, 5, 4, 9), (2, 3, 2, 1), (1, 16, 3, 9)]
RTOL = 1e-10


def as_torch(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """Error relative to the array's scale. Not per entry: for a confident prediction torch's
    cross-entropy gradient p − 1 cancels to rounding noise (1e-70 here) while the engine's is
    exact, and such an entry only has to be right next to the others."""
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-300))


@dataclass(frozen=True)
class Case:
    p: Params
    x: np.ndarray  # (T, I)
    h0: np.ndarray  # (H,)
    c0: np.ndarray | None  # (H,)
    targets: np.ndarray
    loss: str
    loss_at: str

    def scored(self, a: torch.Tensor) -> torch.Tensor:
        return a if self.loss_at == "all" else a[-1:]

    def torch_loss(self, y: torch.Tensor) -> torch.Tensor:
        if self.loss == "mse":
            return torch.nn.MSELoss()(self.scored(y), self.scored(as_torch(self.targets)))
        classes = torch.tensor(self.targets, dtype=torch.long)
        return torch.nn.CrossEntropyLoss()(self.scored(y), self.scored(classes))


def make_case(cell: str, activation: str, loss: str, loss_at: str, sizes) -> Case:
    I, H, O, T = sizes
    rng = np.random.default_rng(zlib.crc32(repr((cell, activation, loss, loss_at, sizes)).encode()))
    # ρ = 1.3 makes the chain grow a little, so every step's contribution is visible.
    p = init_params(cell, I, H, O, rng, spectral_radius=1.3, activation=activation)
    c0 = rng.standard_normal(H) if cell == "lstm" else None
    targets = rng.standard_normal((T, O)) if loss == "mse" else rng.integers(0, O, T)
    return Case(p, rng.standard_normal((T, I)), rng.standard_normal(H), c0, targets, loss, loss_at)


def torch_module(p: Params) -> torch.nn.Module:
    I, H = p.input_size, p.hidden_size
    if p.cell == "vanilla":
        mod = torch.nn.RNN(I, H, nonlinearity=p.activation, dtype=torch.float64)
    else:
        mod = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[p.cell](I, H, dtype=torch.float64)
    with torch.no_grad():
        for name, key in zip(
            ("W_ih", "W_hh", "b_ih", "b_hh"),
            ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
            strict=True,
        ):
            getattr(mod, key).copy_(as_torch(getattr(p, name)))
    return mod


def torch_readout(p: Params) -> torch.nn.Linear:
    lin = torch.nn.Linear(p.hidden_size, p.output_size, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(as_torch(p.W_hy))
        lin.bias.copy_(as_torch(p.b_y))
    return lin


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CONFIGS)
def test_forward_and_gradients_match_torch_modules(
    cell: str, activation: str, loss: str, loss_at: str, sizes
) -> None:
    case = make_case(cell, activation, loss, loss_at, sizes)
    p = case.p
    mod, lin = torch_module(p), torch_readout(p)
    h0 = as_torch(case.h0[None])
    state = h0 if case.c0 is None else (h0, as_torch(case.c0[None]))
    out, _ = mod(as_torch(case.x), state)
    y = lin(out)
    y.retain_grad()
    loss_t = case.torch_loss(y)
    loss_t.backward()

    trace = forward(p, case.x, case.h0, case.c0)
    result = bptt(trace, case.targets, loss, loss_at)
    np.testing.assert_allclose(trace.h, to_numpy(out), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(trace.y, to_numpy(y), rtol=RTOL, atol=1e-14)
    assert result.loss == pytest.approx(loss_t.item(), rel=RTOL)
    assert rel_err(result.dy, y.grad.numpy()) <= RTOL
    torch_grads = {
        "W_ih": mod.weight_ih_l0.grad,
        "W_hh": mod.weight_hh_l0.grad,
        "b_ih": mod.bias_ih_l0.grad,
        "b_hh": mod.bias_hh_l0.grad,
        "W_hy": lin.weight.grad,
        "b_y": lin.bias.grad,
    }
    for name, g in torch_grads.items():
        err = rel_err(result.grads[name], g.numpy())
        assert err <= RTOL, f"{name}: relative error {err:.2e}"


def torch_step(p: Params):
    """torch's own cell function for p, as step(x_t, h, c, w_ih, w_hh, b_ih, b_hh) → (h, c)."""
    if p.cell == "lstm":
        return lambda x_t, h, c, w_ih, w_hh, b_ih, b_hh: torch.lstm_cell(
            x_t, (h, c), w_ih, w_hh, b_ih, b_hh
        )
    fn = {
        ("vanilla", "tanh"): torch.rnn_tanh_cell,
        ("vanilla", "relu"): torch.rnn_relu_cell,
        ("gru", "tanh"): torch.gru_cell,
    }[(p.cell, p.activation)]
    return lambda x_t, h, c, w_ih, w_hh, b_ih, b_hh: (fn(x_t, h, w_ih, w_hh, b_ih, b_hh), None)


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CONFIGS)
def test_per_step_gradients_match_torch_cells(
    cell: str, activation: str, loss: str, loss_at: str, sizes
) -> None:
    case = make_case(cell, activation, loss, loss_at, sizes)
    p, T = case.p, case.x.shape[0]
    step = torch_step(p)
    w_ih, b_ih, b_hh = as_torch(p.W_ih), as_torch(p.b_ih), as_torch(p.b_hh)
    W_hh = as_torch(p.W_hh, grad=True)
    h = as_torch(case.h0[None])
    c = None if case.c0 is None else as_torch(case.c0[None])
    hs, cs, w_steps = [], [], []
    for t in range(T):
        # A copy of W_hh per step: its gradient is exactly step t's term of dL/dW_hh.
        w_t = W_hh.clone()
        w_t.retain_grad()
        h, c = step(as_torch(case.x[t : t + 1]), h, c, w_ih, w_t, b_ih, b_hh)
        h.retain_grad()
        if c is not None:
            c.retain_grad()
        hs.append(h)
        cs.append(c)
        w_steps.append(w_t)
    y = torch_readout(p)(torch.cat(hs))
    case.torch_loss(y).backward()

    trace = forward(p, case.x, case.h0, case.c0)
    result = bptt(trace, case.targets, loss, loss_at)
    dL_dh = np.concatenate([t.grad.numpy() for t in hs])  # (T, H)
    assert rel_err(result.dL_dh, dL_dh) <= RTOL
    assert rel_err(result.dL_dh_norm, np.linalg.norm(dL_dh, axis=1)) <= RTOL
    contrib = np.array([np.linalg.norm(w.grad.numpy()) for w in w_steps])  # (T,)
    assert rel_err(result.dW_hh_contrib, contrib) <= RTOL
    assert rel_err(result.grads["W_hh"], W_hh.grad.numpy()) <= RTOL
    if c is not None:
        np.testing.assert_allclose(trace.c, np.concatenate([to_numpy(t) for t in cs]), rtol=RTOL)
        dL_dc = np.concatenate([t.grad.numpy() for t in cs])  # (T, H)
        assert rel_err(result.dL_dc_norm, np.linalg.norm(dL_dc, axis=1)) <= RTOL


@pytest.mark.parametrize("B", [1, 3])
@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CONFIGS)
def test_batch_matches_torch_batch_first(
    cell: str, activation: str, loss: str, loss_at: str, sizes, B: int
) -> None:
    """A batch (B, T, I) against torch's modules with ``batch_first=True``, one h_0 (and c_0)
    per sequence: states, outputs, the mean loss and every gradient."""
    I, H, O, T = sizes
    case = make_case(cell, activation, loss, loss_at, sizes)
    p = case.p
    rng = np.random.default_rng(B)
    x = rng.standard_normal((B, T, I))
    h0 = rng.standard_normal((B, H))
    c0 = rng.standard_normal((B, H)) if cell == "lstm" else None
    targets = rng.standard_normal((B, T, O)) if loss == "mse" else rng.integers(0, O, (B, T))

    mod, lin = torch_module(p), torch_readout(p)
    mod.batch_first = True
    state = as_torch(h0[None]) if c0 is None else (as_torch(h0[None]), as_torch(c0[None]))
    out, _ = mod(as_torch(x), state)
    y = lin(out)  # (B, T, O)
    y.retain_grad()
    idx = slice(None) if loss_at == "all" else slice(T - 1, T)
    if loss == "mse":
        loss_t = torch.nn.MSELoss()(y[:, idx], as_torch(targets)[:, idx])
    else:
        scored = y[:, idx].reshape(-1, O)
        classes = torch.tensor(targets[:, idx].reshape(-1), dtype=torch.long)
        loss_t = torch.nn.CrossEntropyLoss()(scored, classes)
    loss_t.backward()

    trace = forward(p, x, h0, c0)
    result = bptt(trace, targets, loss, loss_at)
    assert trace.h.shape == (B, T, H) and result.dL_dh_norm.shape == (B, T)
    np.testing.assert_allclose(trace.h, to_numpy(out), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(trace.y, to_numpy(y), rtol=RTOL, atol=1e-14)
    assert result.loss == pytest.approx(loss_t.item(), rel=RTOL)
    assert rel_err(result.dy, y.grad.numpy()) <= RTOL
    torch_grads = {
        "W_ih": mod.weight_ih_l0.grad,
        "W_hh": mod.weight_hh_l0.grad,
        "b_ih": mod.bias_ih_l0.grad,
        "b_hh": mod.bias_hh_l0.grad,
        "W_hy": lin.weight.grad,
        "b_y": lin.bias.grad,
    }
    for name, g in torch_grads.items():
        err = rel_err(result.grads[name], g.numpy())
        assert err <= RTOL, f"{name}: relative error {err:.2e}"
