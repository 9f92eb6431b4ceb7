"""BPTT checked against finite differences of an independent forward pass.

The reference forward below is written from the cells' equations (PyTorch's documentation),
not from the engine's code. It evaluates many perturbed copies of one network at once (a
leading batch axis), so the finite-difference gradient of every parameter, every h_t and
every c_t costs a single vectorised pass instead of thousands of small ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnnviz.engine import (
    ACTIVATIONS,
    LOSS_AT,
    LOSSES,
    ForwardTrace,
    Params,
    bptt,
    forward,
    init_params,
    loss_and_grad,
    truncation_cuts,
)

NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
CELL_CONFIGS = [("vanilla", a) for a in ACTIVATIONS] + [("lstm", "tanh"), ("gru", "tanh")]

# Fourth-order central differences, f'(θ) ≈ [f(θ−2ε) − 8f(θ−ε) + 8f(θ+ε) − f(θ+2ε)] / 12ε:
# the truncation error is O((sε)⁴) where s is how strongly θ moves the pre-activations, and
# the rounding error ≈ 1e-16·|L|/ε. With ε = EPS / max(1, |h|, |x|), every pre-activation
# moves by ≲ 1e-4, which keeps both errors near 1e-12, far inside the tolerance.
EPS = 1e-4
STENCIL = np.array([-2.0, -1.0, 1.0, 2.0])
STENCIL_WEIGHTS = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
RTOL = 1e-6
# Rounding limits what finite differences can resolve to about eps·|L|/ε (measured here: 0.1 to
# 2 times that). An array is compared to RTOL relative to its largest entry, or to 100 times
# this noise level when that is larger: zero gradients (dead relu units) and small gradients
# next to a huge loss (exploding relu chains) are thus compared as tightly as FD allows.
NOISE_FACTOR = 100.0


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


REF_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": _sigmoid,
    "linear": lambda a: a,
}


@dataclass(frozen=True)
class Problem:
    p: Params
    x: np.ndarray  # (T, I)
    h0: np.ndarray  # (H,), or (B, H): one start per network of a batch
    c0: np.ndarray | None  # like h0, LSTM only
    targets: np.ndarray  # (T, O) reals for mse, (T,) classes for xent
    loss: str
    loss_at: str

    @property
    def T(self) -> int:
        return int(self.x.shape[0])

    @property
    def H(self) -> int:
        return self.p.hidden_size


@dataclass(frozen=True)
class Detach:
    """Row t of the reference reads the constant state h[t] (c[t]) where ``mask[t]`` is set."""

    mask: np.ndarray  # (T,) bool
    h: np.ndarray  # (T+1, H)
    c: np.ndarray | None  # (T+1, H)


@dataclass(frozen=True)
class RefRun:
    h: np.ndarray  # (B, T, H)
    c: np.ndarray | None  # (B, T, H)
    y: np.ndarray  # (B, T, O)
    a: np.ndarray  # (B, T, G*H) pre-activations W_ih x + b_ih + W_hh h + b_hh


def ref_forward(
    prob: Problem,
    W: dict[str, np.ndarray],
    h_shift: np.ndarray | None = None,
    c_shift: np.ndarray | None = None,
    detach: Detach | None = None,
) -> RefRun:
    """A batch of B networks ``W[name]: (B, …)`` run on the same inputs.

    ``h_shift``/``c_shift`` (B, T, H) are added to h_t / c_t as soon as they are produced
    (c_t before h_t = o ⊙ tanh(c_t) reads it), so their finite differences are the total
    dL/dh_t and dL/dc_t.
    """
    cell, f = prob.p.cell, REF_ACTIVATIONS[prob.p.activation]
    B, H, T = W["W_hh"].shape[0], prob.H, prob.T
    h = np.broadcast_to(prob.h0, (B, H))
    c = None if prob.c0 is None else np.broadcast_to(prob.c0, (B, H))
    hs, cs, pre = [], [], []
    for t in range(T):
        if detach is not None and detach.mask[t]:
            h = np.broadcast_to(detach.h[t], (B, H))
            c = None if c is None else np.broadcast_to(detach.c[t], (B, H))
        gi = W["W_ih"] @ prob.x[t] + W["b_ih"]  # (B, G*H)
        gh = np.einsum("bgk,bk->bg", W["W_hh"], h) + W["b_hh"]  # (B, G*H)
        pre.append(gi + gh)
        if cell == "vanilla":
            h = f(gi + gh)
        elif cell == "lstm":
            a = gi + gh
            i, fg, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
            c = _sigmoid(fg) * c + _sigmoid(i) * np.tanh(g)
            if c_shift is not None:
                c = c + c_shift[:, t]
            h = _sigmoid(o) * np.tanh(c)
        else:  # gru: the reset gate multiplies W_hn h + b_hn only
            r = _sigmoid(gi[:, :H] + gh[:, :H])
            z = _sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
            n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
            h = (1.0 - z) * n + z * h
        if h_shift is not None:
            h = h + h_shift[:, t]
        hs.append(h)
        cs.append(c)
    h_all = np.stack(hs, axis=1)  # (B, T, H)
    y = np.einsum("bok,btk->bto", W["W_hy"], h_all) + W["b_y"][:, None, :]  # (B, T, O)
    c_all = None if prob.c0 is None else np.stack(cs, axis=1)
    return RefRun(h_all, c_all, y, np.stack(pre, axis=1))


def ref_step_losses(prob: Problem, y: np.ndarray) -> np.ndarray:
    """(B, S): each scored step's loss, for every network in the batch."""
    idx = np.arange(prob.T) if prob.loss_at == "all" else np.array([prob.T - 1])
    ys = y[:, idx]  # (B, S, O)
    if prob.loss == "mse":
        return np.mean((ys - prob.targets[idx]) ** 2, axis=2)
    # −log softmax(y)_c = log Σ_j exp(y_j − y_c), as m + log1p(Σ over all but the largest term)
    # with m the largest exponent: this stays accurate when the loss is as small as 1e-300,
    # where log(Σ) − y_c would be all rounding error (confident predictions).
    picked = np.take_along_axis(ys, prob.targets[idx][None, :, None], axis=2)  # (B, S, 1)
    d = ys - picked  # (B, S, O)
    top = np.argmax(d, axis=2)[..., None]
    m = np.take_along_axis(d, top, axis=2)  # (B, S, 1)
    e = np.exp(d - m)
    np.put_along_axis(e, top, 0.0, axis=2)
    return m[..., 0] + np.log1p(e.sum(axis=2))


def ref_loss(prob: Problem, y: np.ndarray) -> np.ndarray:
    """The loss of every network in the batch: nn.MSELoss / nn.CrossEntropyLoss, mean reduced."""
    return np.mean(ref_step_losses(prob, y), axis=1)


def flat_params(p: Params) -> np.ndarray:
    return np.concatenate([getattr(p, n).ravel() for n in NAMES])


def batch_params(p: Params, thetas: np.ndarray) -> dict[str, np.ndarray]:
    """(B, P) flat parameter vectors → arrays of shape (B, *shape) keyed like Params."""
    out, start = {}, 0
    for n in NAMES:
        shape = getattr(p, n).shape
        size = int(np.prod(shape))
        out[n] = thetas[:, start : start + size].reshape(-1, *shape)
        start += size
    return out


def base_run(prob: Problem) -> RefRun:
    return ref_forward(prob, batch_params(prob.p, flat_params(prob.p)[None]))


@dataclass(frozen=True)
class FDResult:
    grads: dict[str, np.ndarray]
    dL_dh: np.ndarray  # (T, H)
    dL_dc: np.ndarray | None  # (T, H)
    kink_free: bool  # no perturbation moved a pre-activation across 0 (matters for relu)
    noise: float  # the absolute accuracy of every entry above


def finite_differences(prob: Problem, detach: Detach | None = None) -> FDResult:
    """dL/dθ for every parameter and the total dL/dh_t, dL/dc_t, all in one batched pass.

    The variables are stacked as z = (θ, h shifts, c shifts); each stencil point moves one
    coordinate of z, so the batch holds 4 · len(z) networks.
    """
    T, H = prob.T, prob.H
    theta = flat_params(prob.p)
    n_c = T * H if prob.c0 is not None else 0
    sizes = (theta.size, T * H, n_c)
    n = sum(sizes)
    base = ref_forward(prob, batch_params(prob.p, theta[None]), detach=detach)
    eps = EPS / max(1.0, float(np.max(np.abs(base.h))), float(np.max(np.abs(prob.x))))
    z = np.concatenate([theta, np.zeros(T * H + n_c)])
    Z = (z + eps * STENCIL[:, None, None] * np.eye(n)).reshape(-1, n)  # (4n, n)
    run = ref_forward(
        prob,
        batch_params(prob.p, Z[:, : sizes[0]]),
        h_shift=Z[:, sizes[0] : sizes[0] + sizes[1]].reshape(-1, T, H),
        c_shift=Z[:, sizes[0] + sizes[1] :].reshape(-1, T, H) if n_c else None,
        detach=detach,
    )
    losses = ref_loss(prob, run.y)  # (4n,)
    g = STENCIL_WEIGHTS @ losses.reshape(4, n) / eps  # (n,)
    grads = {k: v[0] for k, v in batch_params(prob.p, g[None, : sizes[0]]).items()}
    dL_dh = g[sizes[0] : sizes[0] + sizes[1]].reshape(T, H)
    dL_dc = g[sizes[0] + sizes[1] :].reshape(T, H) if n_c else None
    kink_free = bool(np.all((run.a > 0) == (base.a > 0)))
    noise = NOISE_FACTOR * np.finfo(np.float64).eps * float(np.max(np.abs(losses))) / eps
    return FDResult(grads, dL_dh, dL_dc, kink_free, noise)


def detach_at_cuts(prob: Problem, k: int) -> Detach:
    """The engine's truncation as a forward computation: cut[t] detaches h_{t+1} from step t+2."""
    trace = forward(prob.p, prob.x, prob.h0, prob.c0)
    mask = np.zeros(prob.T, dtype=bool)
    mask[1:] = truncation_cuts(prob.T, k)[:-1]
    return Detach(mask, trace.h_all, trace.c_all)


def assert_close(name: str, got: np.ndarray, want: np.ndarray, noise: float) -> None:
    """max|got − want| ≤ max(RTOL · max|want|, noise)."""
    err, scale = float(np.max(np.abs(got - want))), float(np.max(np.abs(want)))
    assert err <= max(RTOL * scale, noise), f"{name}: error {err:.2e} at scale {scale:.2e}"


def assert_grads_match(result, fd: FDResult, scale: float = 1.0) -> None:
    for name in NAMES:
        assert_close(name, result.grads[name], scale * fd.grads[name], scale * fd.noise)
    assert_close("dL_dh", result.dL_dh, fd.dL_dh, fd.noise)
    if fd.dL_dc is not None:
        # ‖a‖ − ‖b‖ ≤ ‖a − b‖ ≤ √H · max|a − b|: the norms inherit the entries' accuracy.
        dc_noise = np.sqrt(fd.dL_dc.shape[1]) * fd.noise
        assert_close("dL_dc_norm", result.dL_dc_norm, np.linalg.norm(fd.dL_dc, axis=1), dc_noise)


@st.composite
def problems(draw: st.DrawFn, cell: str, activation: str, loss: str, loss_at: str) -> Problem:
    # H = 8 with I = 1 folds the input into the recurrent product (see fold_width).
    I, H = draw(st.integers(1, 3)), draw(st.sampled_from([1, 2, 3, 4, 8]))
    O = draw(st.integers(2 if loss == "xent" else 1, 3))
    T = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # A spread of spectral radii, so that both shrinking and growing chains are exercised.
    rho = draw(st.floats(0.5, 1.5))
    p = init_params(cell, I, H, O, rng, spectral_radius=rho, activation=activation)
    x = rng.standard_normal((T, I))
    h0 = 0.5 * rng.standard_normal(H)
    c0 = 0.5 * rng.standard_normal(H) if cell == "lstm" else None
    targets = rng.standard_normal((T, O)) if loss == "mse" else rng.integers(0, O, T)
    return Problem(p, x, h0, c0, targets, loss, loss_at)


def global_norm(grads: dict[str, np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CELL_CONFIGS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_bptt_matches_finite_differences(
    cell: str, activation: str, loss: str, loss_at: str, data: st.DataObject
) -> None:
    prob = data.draw(problems(cell, activation, loss, loss_at))
    trace = forward(prob.p, prob.x, prob.h0, prob.c0)
    ref = base_run(prob)
    # The reference must compute the same network before its differences mean anything.
    np.testing.assert_allclose(trace.h, ref.h[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace.y, ref.y[0], rtol=1e-12, atol=1e-14)
    if ref.c is not None:
        np.testing.assert_allclose(trace.c, ref.c[0], rtol=1e-12, atol=1e-14)

    fd = finite_differences(prob)
    assume(fd.kink_free)
    result = bptt(trace, prob.targets, loss, loss_at)
    assert result.loss == pytest.approx(ref_loss(prob, ref.y)[0], rel=1e-12, abs=1e-14)
    assert_grads_match(result, fd)

    # Clipping rescales the whole gradient to the threshold when it is longer than that.
    norm = global_norm(fd.grads)
    assume(norm > 0.0)
    theta = data.draw(st.floats(0.2, 2.0)) * norm
    clipped = bptt(trace, prob.targets, loss, loss_at, clip=theta)
    assert_grads_match(clipped, fd, scale=min(1.0, theta / norm))
    tol = {"rel": RTOL, "abs": np.sqrt(flat_params(prob.p).size) * fd.noise}
    assert clipped.grad_norm_before_clip == pytest.approx(norm, **tol)
    assert clipped.grad_norm_after_clip == pytest.approx(min(theta, norm), **tol)

    # Truncation: the exact gradient of the loss with the state detached at window starts.
    k = data.draw(st.integers(1, prob.T))
    fd_trunc = finite_differences(prob, detach_at_cuts(prob, k))
    assume(fd_trunc.kink_free)
    assert_grads_match(bptt(trace, prob.targets, loss, loss_at, truncate=k), fd_trunc)


def restarted_jacobian(prob: Problem, trace: ForwardTrace, t: int) -> np.ndarray:
    """∂h_T/∂(h_t, c_t) (or ∂h_T/∂h_t), (H, S), by restarting the reference at step t.

    The forward pass is rerun over steps t+1 … T from perturbed copies of the state at t,
    each of (h_t, c_t) moved independently, so the c_t columns leave h_t untouched.
    """
    H = prob.H
    S = 2 * H if prob.c0 is not None else H
    starts = (EPS * STENCIL[:, None, None] * np.eye(S)).reshape(-1, S)  # (4S, S)
    h_t = trace.h_all[t] + starts[:, :H]  # (4S, H)
    if t == prob.T:
        h_T = h_t
    else:
        c_t = None if prob.c0 is None else trace.c_all[t] + starts[:, H:]
        rest = Problem(prob.p, prob.x[t:], h_t, c_t, prob.targets[t:], "mse", "all")
        theta = flat_params(prob.p)
        W = batch_params(prob.p, np.broadcast_to(theta, (4 * S, theta.size)))
        h_T = ref_forward(rest, W).h[:, -1]  # (4S, H)
    return np.einsum("s,snk->kn", STENCIL_WEIGHTS / EPS, h_T.reshape(4, S, H))


@pytest.mark.parametrize(("cell", "activation"), CELL_CONFIGS)
@settings(max_examples=20, deadline=None)
@given(
    H=st.integers(1, 4),
    T=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_jacobian_norm_matches_brute_force(
    cell: str, activation: str, H: int, T: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    p = init_params(cell, 2, H, 1, rng, spectral_radius=1.2, activation=activation)
    c0 = rng.standard_normal(H) if cell == "lstm" else None
    x, h0 = rng.standard_normal((T, 2)), rng.standard_normal(H)
    prob = Problem(p, x, h0, c0, np.zeros((T, 1)), "mse", "all")
    trace = forward(p, x, h0, c0)
    if activation == "relu":
        # A perturbation of 2·EPS must not move any pre-activation across the kink at 0.
        assume(np.min(np.abs(base_run(prob).a)) > 1e-2)
    result = bptt(trace, np.zeros((T, 1)), jacobians=True)
    J = [restarted_jacobian(prob, trace, t) for t in range(1, T + 1)]  # (H, S) each
    # jacobian_norm holds c_t fixed (the h-block); state_jacobian_norm is the whole state's.
    h_block = [np.linalg.norm(j[:, :H], ord=2) for j in J]
    np.testing.assert_allclose(result.jacobian_norm, h_block, rtol=1e-6, atol=1e-10)
    if cell == "lstm":
        whole = [np.linalg.norm(j, ord=2) for j in J]
        np.testing.assert_allclose(result.state_jacobian_norm, whole, rtol=1e-6, atol=1e-10)
    else:
        assert result.state_jacobian_norm is None


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10, 11])
def test_truncation_windows_have_k_steps(k: int) -> None:
    T = 10
    # As documented: windows of k steps counted back from the last step, so h_{T−k},
    # h_{T−2k}, … (rows T−k−1, T−2k−1, …) are the states detached from what follows them.
    detached = set(range(T - 1 - k, -1, -k))
    assert truncation_cuts(T, k).tolist() == [row in detached for row in range(T)]
    # And so the loss at step T reaches back exactly k steps: dL/dh_t ≠ 0 for t = T−k+1 … T.
    rng = np.random.default_rng(0)
    p = init_params("vanilla", 2, 3, 2, rng)
    trace = forward(p, rng.standard_normal((T, 2)))
    result = bptt(trace, rng.standard_normal((T, 2)), loss_at="last", truncate=k)
    assert np.flatnonzero(result.dL_dh_norm).tolist() == list(range(max(T - k, 0), T))


@pytest.mark.parametrize("gap", [30.0, 40.0])
def test_xent_stays_accurate_for_confident_predictions(gap: float) -> None:
    # Logits (gap, 0) and class 0: L = log(1 + e^−gap) and dL/dy = (−s, s), s = σ(−gap).
    value, dy = loss_and_grad("xent", np.array([[gap, 0.0]]), np.array([0]))
    s = np.exp(-gap) / (1.0 + np.exp(-gap))
    assert value == pytest.approx(np.log1p(np.exp(-gap)), rel=1e-12)
    np.testing.assert_allclose(dy, [[-s, s]], rtol=1e-12)


@pytest.mark.parametrize("loss_at", LOSS_AT)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("cell", "activation"), CELL_CONFIGS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_batched_bptt_matches_finite_differences(
    cell: str, activation: str, loss: str, loss_at: str, data: st.DataObject
) -> None:
    """A batch of B sequences through one network: the batch's loss is the mean of theirs, so
    its gradients are the mean of each sequence's finite differences, and each sequence's
    dL/dh_t is 1/B of its own — with and without clipping and truncation."""
    B = data.draw(st.integers(2, 3))
    first = data.draw(problems(cell, activation, loss, loss_at))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    probs = [first]
    for _ in range(B - 1):
        x = rng.standard_normal(first.x.shape)
        h0 = 0.5 * rng.standard_normal(first.H)
        c0 = None if first.c0 is None else 0.5 * rng.standard_normal(first.H)
        O = first.p.output_size
        targets = (
            rng.standard_normal((first.T, O)) if loss == "mse" else rng.integers(0, O, first.T)
        )
        probs.append(Problem(first.p, x, h0, c0, targets, loss, loss_at))
    X = np.stack([q.x for q in probs])  # (B, T, I)
    targets = np.stack([q.targets for q in probs])
    h0 = np.stack([q.h0 for q in probs])  # (B, H)
    c0 = None if first.c0 is None else np.stack([q.c0 for q in probs])
    trace = forward(first.p, X, h0, c0)
    for b, q in enumerate(probs):
        ref = base_run(q)
        np.testing.assert_allclose(trace.h[b], ref.h[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(trace.y[b], ref.y[0], rtol=1e-12, atol=1e-14)

    def check(result, fds: list[FDResult], scale: float = 1.0) -> None:
        noise = max(fd.noise for fd in fds) / B
        for name in NAMES:
            want = scale * sum(fd.grads[name] for fd in fds) / B
            assert_close(name, result.grads[name], want, scale * noise)
        for b, fd in enumerate(fds):
            assert_close("dL_dh", result.dL_dh[b], fd.dL_dh / B, noise)
            assert_close(
                "dL_dh_norm",
                result.dL_dh_norm[b],
                np.linalg.norm(fd.dL_dh / B, axis=1),
                np.sqrt(first.H) * noise,
            )
            if fd.dL_dc is not None:
                dc = np.linalg.norm(fd.dL_dc / B, axis=1)
                assert_close("dL_dc_norm", result.dL_dc_norm[b], dc, np.sqrt(first.H) * noise)

    fds = [finite_differences(q) for q in probs]
    assume(all(fd.kink_free for fd in fds))
    result = bptt(trace, targets, loss, loss_at)
    want_loss = np.mean([ref_loss(q, base_run(q).y)[0] for q in probs])
    assert result.loss == pytest.approx(want_loss, rel=1e-12, abs=1e-14)
    assert result.valid.shape == (B, first.T) and result.valid.all()
    check(result, fds)

    norm = global_norm({k: sum(fd.grads[k] for fd in fds) / B for k in NAMES})
    assume(norm > 0.0)
    theta = data.draw(st.floats(0.2, 2.0)) * norm
    check(bptt(trace, targets, loss, loss_at, clip=theta), fds, scale=min(1.0, theta / norm))

    k = data.draw(st.integers(1, first.T))
    fds_trunc = [finite_differences(q, detach_at_cuts(q, k)) for q in probs]
    assume(all(fd.kink_free for fd in fds_trunc))
    check(bptt(trace, targets, loss, loss_at, truncate=k), fds_trunc)
