"""Exploding and vanishing chains: never an exception or a warning, always an honest report.

pytest turns every warning into an error, and each call below also runs under
``np.errstate(all="raise")``: the engine must contain its own floating-point trouble.
"""

from __future__ import annotations

import dataclasses
import sys
from itertools import count

import numpy as np
import pytest

from rnnviz.engine import BPTTResult, ForwardTrace, Params, bptt, forward, init_params, orthogonal

TINY = np.finfo(np.float64).tiny  # the smallest normal float64


def linear_net(W_hh: np.ndarray, W_hy: np.ndarray, I: int = 1, seed: int = 0) -> Params:
    """A linear vanilla cell with zero biases and random input weights."""
    H, O = W_hh.shape[0], W_hy.shape[0]
    rng = np.random.default_rng(seed)
    W_ih = rng.standard_normal((H, I))
    return Params("vanilla", "linear", W_ih, W_hh, np.zeros(H), np.zeros(H), W_hy, np.zeros(O))


def run(
    p: Params, x: np.ndarray, targets: np.ndarray, h0: np.ndarray | None = None, **kwargs
) -> tuple[ForwardTrace, BPTTResult]:
    with np.errstate(all="raise"):
        trace = forward(p, x, h0)
        return trace, bptt(trace, targets, **kwargs)


def float_arrays(obj: ForwardTrace | BPTTResult) -> dict[str, np.ndarray]:
    """Every float array of a trace or result by name, the gradients under their own names."""
    found = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        items = value.items() if isinstance(value, dict) else [(f.name, value)]
        for name, a in items:
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                found[name] = a
    return found


def assert_all_finite(*objs: ForwardTrace | BPTTResult) -> None:
    for obj in objs:
        for name, a in float_arrays(obj).items():
            assert np.isfinite(a).all(), name


def first_overflow(rho: int) -> int:
    """The smallest k with rho**k beyond the float64 range, in exact integer arithmetic."""
    return next(k for k in count(1) if rho**k > sys.float_info.max)


def test_forward_overflow_is_reported_at_the_first_infinite_step() -> None:
    # With x = 0 and h_0 = 1, h_t = 3^t: the first state beyond float range is h_647.
    p = linear_net(np.array([[3.0]]), np.ones((1, 1)))
    T = 1000
    trace, result = run(
        p, np.zeros((T, 1)), np.zeros((T, 1)), h0=np.ones(1), clip=1.0, jacobians=True
    )
    k = first_overflow(3)
    assert trace.exploded_at == result.exploded_at == k
    assert result.exploded_in == "forward"
    assert trace.valid.tolist() == [t < k for t in range(1, T + 1)]
    assert not result.valid.any()  # no backward pass ran, so no gradient row is valid
    np.testing.assert_allclose(trace.h[: k - 1, 0], 3.0 ** np.arange(1, k), rtol=1e-12)
    assert not any(g.any() for g in result.grads.values())
    assert_all_finite(trace, result)


def test_forward_overflow_with_mixing_and_inputs() -> None:
    rng = np.random.default_rng(1)
    H, T = 4, 1000
    # A small readout keeps y finite as long as h is (see the readout-overflow test below).
    p = linear_net(3.0 * orthogonal(H, rng), 1e-3 * rng.standard_normal((2, H)), I=3)
    x = rng.standard_normal((T, 3))
    # An independent loop finds the first step whose state is no longer finite.
    h, expected = np.zeros(H), None
    with np.errstate(all="ignore"):
        for t in range(T):
            h = p.W_hh @ h + p.W_ih @ x[t]
            if not np.isfinite(h).all():
                expected = t + 1
                break
    assert expected is not None
    trace, result = run(p, x, rng.standard_normal((T, 2)), loss_at="last", jacobians=True)
    assert trace.exploded_at == result.exploded_at == expected
    assert result.exploded_in == "forward"
    assert_all_finite(trace, result)


def test_readout_overflow_is_reported() -> None:
    # h_t = 3^t is finite up to t = 646, but y_t = 10 · 3^t is not from t = 644 on.
    p = linear_net(np.array([[3.0]]), np.array([[10.0]]))
    T = 1000
    trace, result = run(p, np.zeros((T, 1)), np.zeros((T, 1)), h0=np.ones(1))
    k = next(t for t in count(1) if 10 * 3**t > sys.float_info.max)
    assert trace.exploded_at == result.exploded_at == k
    assert result.exploded_in == "forward"
    assert_all_finite(trace, result)


@pytest.mark.parametrize("H", [1, 4])
def test_backward_overflow_with_an_exactly_zero_forward_pass(H: int) -> None:
    rng = np.random.default_rng(H)
    Q = np.eye(1) if H == 1 else orthogonal(H, rng)
    W_hy = np.ones((1, H)) if H == 1 else rng.standard_normal((1, H))
    p = linear_net(3.0 * Q, W_hy)
    T = 1000
    targets = np.full((T, 1), -0.5)  # y_T = 0, so dL/dy_T = 2 · 0.5 = 1
    # x = 0 and h_0 = 0 keep every h_t exactly 0, while dL/dh_t = dL/dh_T (3Q)^(T−t) explodes.
    trace, result = run(p, np.zeros((T, 1)), targets, loss_at="last", clip=1.0, jacobians=True)
    assert trace.exploded_at is None and not trace.h.any()
    # An independent backward loop finds the first step (going back) that is not finite.
    g, expected = W_hy[0].copy(), None
    with np.errstate(all="ignore"):
        for t in range(T, 0, -1):
            if not np.isfinite(g).all():
                expected = t
                break
            g = g @ p.W_hh
    if H == 1:
        assert expected == T - first_overflow(3)
    assert result.exploded_at == expected
    assert result.exploded_in == "backward"
    assert result.valid.tolist() == [t > expected for t in range(1, T + 1)]
    assert not result.dL_dh[:expected].any()
    # Everything computed before the overflow is still the exact gradient.
    expected_norms = np.linalg.norm(W_hy) * 3.0 ** (T - np.arange(expected + 1, T + 1))
    np.testing.assert_allclose(result.dL_dh_norm[expected:], expected_norms, rtol=1e-10)
    assert not any(g.any() for g in result.grads.values())
    assert_all_finite(trace, result)


def test_jacobian_overflow_is_reported_and_zeroed() -> None:
    p = linear_net(np.array([[3.0]]), np.ones((1, 1)))
    T = 1000
    # The loss is 0 with a zero gradient, so only the Jacobian products grow without bound.
    trace, result = run(p, np.zeros((T, 1)), np.zeros((T, 1)), jacobians=True)
    assert result.exploded_at is None
    k = T - first_overflow(3)  # ‖∂h_T/∂h_t‖ = 3^(T−t) is beyond float range for t ≤ k
    assert result.jacobian_overflow_at == k
    assert not result.jacobian_norm[:k].any()
    np.testing.assert_allclose(
        result.jacobian_norm[k:], 3.0 ** (T - np.arange(k + 1, T + 1)), rtol=1e-12
    )
    assert_all_finite(trace, result)


@pytest.mark.parametrize("clip", [None, 1.0])
def test_overflow_in_the_summed_gradient_is_reported(clip: float | None) -> None:
    # dL/dh_t = 2^(T−t) ≤ 2^1023 is finite at every step, but db_hh = Σ 2^k = 2^1024 − 1 is not.
    p = linear_net(np.array([[2.0]]), np.ones((1, 1)))
    T = 1024
    trace, result = run(p, np.zeros((T, 1)), np.full((T, 1), -0.5), loss_at="last", clip=clip)
    assert np.isfinite(result.dL_dh).all()
    assert result.exploded_in == "backward"
    assert_all_finite(trace, result)


def reference_dL_dh(p: Params, trace: ForwardTrace, dh_T: np.ndarray) -> np.ndarray:
    """dL/dh_t = dL/dh_T J_T … J_{t+1}, J_s = diag(f'(a_s)) W_hh, for a loss on h_T only."""
    T = trace.T
    out = np.zeros((T, p.hidden_size))
    out[-1] = dh_T
    with np.errstate(under="ignore"):  # this reference is allowed to go subnormal
        for t in range(T - 1, 0, -1):
            fprime = 1.0 - trace.h[t] ** 2 if p.activation == "tanh" else 1.0
            out[t - 1] = (out[t] * fprime) @ p.W_hh
    return out


def norms(rows: np.ndarray) -> np.ndarray:
    """Row norms, scaled first: squares of entries below ~1e-154 would underflow."""
    scale = np.max(np.abs(rows), axis=1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    return scale[:, 0] * np.linalg.norm(rows / safe, axis=1)


def subnormals(a: np.ndarray) -> int:
    return int(np.count_nonzero((np.abs(a) > 0) & (np.abs(a) < TINY)))


def assert_vanished_cleanly(result: BPTTResult) -> None:
    counts = {name: subnormals(a) for name, a in float_arrays(result).items()}
    assert not any(counts.values()), counts
    # A row flushed to zero must also show a zero norm, or a log plot shows a ghost value.
    zero_rows = ~result.dL_dh.any(axis=1)
    assert not result.dL_dh_norm[zero_rows].any()


@pytest.mark.parametrize("rho", [0.5, 0.1])
@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_vanishing_gradient_is_exact_then_zero(activation: str, rho: float) -> None:
    rng = np.random.default_rng(0)
    H, T = 8, 5000
    p = linear_net(rho * orthogonal(H, rng), rng.standard_normal((2, H)), I=3)
    p = dataclasses.replace(p, activation=activation)
    trace, result = run(p, rng.standard_normal((T, 3)), rng.standard_normal((T, 2)), loss_at="last")
    assert result.exploded_at is None
    assert subnormals(result.dL_dh) == 0
    ref = reference_dL_dh(p, trace, result.dL_dh[-1])
    ref_norms = norms(ref)
    if activation == "linear":
        # W_hh = ρQ: the product of Jacobians has norm ρ^(T−t) exactly.
        np.testing.assert_allclose(
            ref_norms[ref_norms > 1e-250],
            (ref_norms[-1] * rho ** (T - np.arange(1, T + 1)))[ref_norms > 1e-250],
            rtol=1e-10,
        )
    # The tail that carries information matches the product of Jacobians ...
    alive = ref_norms > 1e-280
    np.testing.assert_allclose(result.dL_dh[alive], ref[alive], rtol=1e-9, atol=0.0)
    # ... and what is dropped is only what had (nearly) vanished anyway.
    dropped = result.dL_dh_norm == 0.0
    assert np.all(ref_norms[dropped] < 1e-285)
    assert dropped[0], "a chain this long must vanish before it reaches step 1"


@pytest.mark.parametrize(
    ("cell", "activation", "rho"),
    [("vanilla", a, rho) for a in ("linear", "tanh") for rho in (0.5, 1e-2, 1e-3, 1e-5)]
    + [("lstm", "tanh", 1e-3), ("gru", "tanh", 1e-3)],
)
def test_vanishing_leaves_no_subnormal_and_no_ghost_norm(
    cell: str, activation: str, rho: float
) -> None:
    # One step shrinking the chain by 1e-3 or more crosses the whole subnormal range
    # (2e-308 … 5e-324) between two of the engine's periodic vanishing checks.
    rng = np.random.default_rng(0)
    T = 5000
    # A closed forget/update gate (bias −6) lets the gated cells vanish fast too.
    p = init_params(
        cell, 3, 8, 2, rng, scheme="orthogonal", gain=rho, activation=activation, gate_bias=-6.0
    )
    _, result = run(
        p, rng.standard_normal((T, 3)), rng.standard_normal((T, 2)), loss_at="last", jacobians=True
    )
    assert result.exploded_at is None
    assert_vanished_cleanly(result)


def test_a_batch_reports_each_sequence_overflow_on_its_own() -> None:
    # Sequence 0 starts at h_0 = 1 and grows as 3^t; sequence 1 starts at 0 and stays 0.
    p = linear_net(np.array([[3.0]]), np.ones((1, 1)))
    T = 1000
    trace, result = run(
        p, np.zeros((2, T, 1)), np.zeros((2, T, 1)), h0=np.array([[1.0], [0.0]]), jacobians=True
    )
    k = first_overflow(3)
    assert trace.exploded_each == (k, None)
    assert trace.exploded_at == result.exploded_at == k
    assert result.exploded_in == "forward"
    assert trace.valid.tolist() == [[t < k for t in range(1, T + 1)], [True] * T]
    assert result.valid.tolist() == [[False] * T, [True] * T]
    np.testing.assert_allclose(trace.h[0, : k - 1, 0], 3.0 ** np.arange(1, k), rtol=1e-12)
    assert not trace.h[1].any()
    assert_all_finite(trace, result)


def test_a_batch_reports_a_backward_overflow_like_each_sequence_alone() -> None:
    p = linear_net(np.array([[3.0]]), np.ones((1, 1)))
    T = 1000
    targets = np.full((T, 1), -0.5)
    _, alone = run(p, np.zeros((T, 1)), targets, loss_at="last", clip=1.0)
    batch = np.stack([targets, np.zeros((T, 1))])  # sequence 1: zero loss, zero gradient
    trace, result = run(p, np.zeros((2, T, 1)), batch, loss_at="last", clip=1.0)
    assert result.exploded_at == alone.exploded_at and result.exploded_in == "backward"
    assert result.valid[0].tolist() == alone.valid.tolist()
    np.testing.assert_allclose(result.dL_dh_norm[0], alone.dL_dh_norm / 2, rtol=1e-15)
    assert not any(g.any() for g in result.grads.values())
    assert_all_finite(trace, result)
