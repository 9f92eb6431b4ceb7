"""The gradient check raises no false alarm on correct networks, vanishing ones included,
and flags every injected bug whose gradient differs from the right one by more than the
check's tolerance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from rnnviz.engine import ACTIVATIONS, bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.gradcheck import (
    AGREES,
    DISAGREES,
    RTOL,
    TOO_SMALL,
    FiniteDifferences,
    finite_difference_steps,
    gradient_check,
    judge,
)
from rnnviz.engine.params import Params
from rnnviz.engine.progress import run_to_end
from rnnviz.engine.reference import CELLS, loss_reference

KINDS = [("vanilla", a) for a in ACTIVATIONS] + [("lstm", "tanh"), ("gru", "tanh")]
BUGS = (
    "W_hh sign flipped",
    "no recurrent term",  # only y_t's own pull reaches h_t
    "W_hh transposed",  # the backward step multiplies by W_hh instead of W_hhᵀ
    "off by one step",  # dW_hh pairs step t's gradient with h_t instead of h_{t−1}
    "b_hh doubled",
    "no cell path",  # LSTM: dL/dc_{t+1} ⊙ f_{t+1} left out of dL/dc_t
)


@dataclass(frozen=True)
class Net:
    p: Params
    x: np.ndarray  # (T, I)
    targets: np.ndarray  # (T, O) reals or (T,) classes
    loss: str
    loss_at: str
    rho: float


def networks(n: int, seed: int = 0) -> Iterator[Net]:
    """Tiny random networks: every cell and activation, ρ in [0.3, 1.5], T up to 40, inputs
    from faint to saturating, some with outputs already close to their targets."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        cell, act = KINDS[k % len(KINDS)]
        H, I = int(rng.integers(1, 5)), int(rng.integers(1, 3))
        O, T = int(rng.integers(2, 4)), int(rng.integers(1, 41))
        rho = float(rng.uniform(0.3, 1.5))
        scheme = str(rng.choice(["pytorch", "xavier", "normal", "orthogonal"]))
        p = init_params(
            cell, I, H, O, rng, scheme, activation=act, gate_bias=float(rng.choice([0, 1, 2]))
        )
        p = with_spectral_radius(p, rho)
        x = rng.standard_normal((T, I)) * float(rng.choice([0.1, 1.0, 3.0, 6.0]))
        loss, loss_at = str(rng.choice(["mse", "xent"])), str(rng.choice(["all", "last"]))
        if loss == "xent":
            targets = rng.integers(0, O, T)
        elif rng.random() < 0.3:  # a "trained" network: small loss, outputs of size 1
            targets = forward(p, x).y + 1e-3 * rng.standard_normal((T, O))
        else:
            targets = rng.standard_normal((T, O))
        yield Net(p, x, targets, loss, loss_at, rho)


def block_transposed(W: np.ndarray, H: int) -> np.ndarray:
    """Each gate's (H, H) block of W_hh transposed."""
    return np.vstack([W[k : k + H].T for k in range(0, W.shape[0], H)])


def textbook_grads(net: Net, bug: str) -> dict[str, np.ndarray]:
    """reference.py's BPTT loop with ``bug`` put in."""
    p, x = net.p, net.x
    step, step_backward = CELLS[p.cell]
    T, H = len(x), p.hidden_size
    hs, cs, caches = {-1: np.zeros(H)}, {-1: np.zeros(H) if p.cell == "lstm" else None}, {}
    for t in range(T):
        hs[t], cs[t], caches[t] = step(p, x[t], hs[t - 1], cs[t - 1])
    y = np.array([hs[t] for t in range(T)]) @ p.W_hy.T + p.b_y  # (T, O)
    _, dy = loss_reference(net.loss, y, net.targets, net.loss_at)  # (T, O)
    back = p
    if bug == "W_hh transposed":
        back = p.with_arrays(W_hh=block_transposed(p.W_hh, H))
    grads = {name: np.zeros_like(a) for name, a in p.arrays().items()}
    dh_next, dc_next = np.zeros(H), np.zeros(H)  # (H,) each
    for t in reversed(range(T)):
        grads["W_hy"] += np.outer(dy[t], hs[t])
        grads["b_y"] += dy[t]
        dh = p.W_hy.T @ dy[t] + (0.0 if bug == "no recurrent term" else dh_next)  # (H,)
        cut_cell_path = bug == "no cell path" and dc_next is not None
        d = step_backward(back, caches[t], dh, np.zeros(H) if cut_cell_path else dc_next)
        grads["W_ih"] += np.outer(d.da_x, x[t])
        grads["b_ih"] += d.da_x
        grads["W_hh"] += np.outer(d.da_h, hs[t if bug == "off by one step" else t - 1])
        grads["b_hh"] += (2.0 if bug == "b_hh doubled" else 1.0) * d.da_h
        dh_next, dc_next = d.dh_prev, d.dc_prev
    if bug == "W_hh sign flipped":
        grads["W_hh"] = -grads["W_hh"]
    return grads


def must_be_flagged(
    fds: FiniteDifferences, right: np.ndarray, wrong: np.ndarray, name: str
) -> bool:
    """Whether ``wrong`` differs from ``right`` by more than three tolerances somewhere: then
    it is at least two tolerances from the finite differences (which are within one of the
    right gradient), and it cannot be below the floor with them (see the test)."""
    idx, fd, noise = fds.index[name], fds.grads[name], fds.noise[name]
    tol = np.maximum(RTOL * np.max(np.abs(fd), initial=0.0), noise)  # (n,)
    diff = np.abs(wrong.reshape(-1)[idx] - right.reshape(-1)[idx])
    return bool(np.any(diff > 3 * tol))


def test_no_false_alarm_and_every_bug_is_flagged() -> None:
    seen: dict[str, int] = dict.fromkeys(BUGS, 0)
    verdicts: dict[str, int] = {AGREES: 0, TOO_SMALL: 0, DISAGREES: 0}
    vanishing = 0
    for net in networks(200):
        fds = run_to_end(finite_difference_steps(net.p, net.x, net.targets, net.loss, net.loss_at))
        right = bptt(forward(net.p, net.x), net.targets, net.loss, net.loss_at).grads
        check = judge(fds, right)
        for a in check.arrays.values():
            verdicts[a.verdict] += 1
        assert check.verdict != DISAGREES, (net, check)
        vanishing += net.rho < 0.6 and net.x.shape[0] > 20
        for bug in BUGS:
            wrong = textbook_grads(net, bug)
            flagged = judge(fds, wrong).arrays
            for name in right:
                if must_be_flagged(fds, right[name], wrong[name], name):
                    seen[bug] += 1
                    assert flagged[name].verdict == DISAGREES, (bug, name, net)
    assert verdicts[DISAGREES] == 0 and verdicts[TOO_SMALL] > 0 and vanishing >= 10
    # Every bug was big enough to be seen often (the cell-path bug exists in LSTMs only).
    assert all(n >= 20 for n in seen.values()), seen


def test_the_right_textbook_loop_agrees_with_the_engine() -> None:
    """The bugs above are put into a loop that, without them, is the engine's BPTT."""
    for net in networks(12, seed=1):
        right = bptt(forward(net.p, net.x), net.targets, net.loss, net.loss_at).grads
        for name, g in textbook_grads(net, bug="").items():
            np.testing.assert_allclose(g, right[name], rtol=1e-9, atol=1e-12)


def forgetting_gru(update_bias: float) -> tuple[Params, np.ndarray, np.ndarray]:
    """A GRU (ρ = 0.3) whose input moves it at the first of 40 steps only, scored at the last:
    the input weights' gradient has all but vanished (the issue's false alarm)."""
    rng = np.random.default_rng(0)
    p = init_params("gru", 1, 3, 2, rng, gate_bias=update_bias)
    x = np.zeros((40, 1))  # (T, I)
    x[0] = 1.0
    return with_spectral_radius(p, 0.3), x, rng.standard_normal((40, 2))


def test_a_difference_within_the_rounding_floor_is_agreement() -> None:
    p, x, targets = forgetting_gru(0.0)
    check = gradient_check(p, x, targets, loss_at="last")
    w = check.arrays["W_ih"]
    # 1e-9 is resolved, but only to ±1e-10: a relative error of 1e-3 is all one can ask.
    assert w.noise < w.largest < 1e-8 and w.rel_error > 1e-3
    assert w.verdict == AGREES and check.verdict == AGREES
    assert check.max_rel_error == max(a.rel_error for a in check.arrays.values())


def test_a_gradient_below_the_rounding_floor_is_too_small_to_check() -> None:
    p, x, targets = forgetting_gru(-2.0)  # the update gate mostly shut: h forgets faster
    check = gradient_check(p, x, targets, loss_at="last")
    w = check.arrays["W_ih"]
    exact = bptt(forward(p, x), targets, loss_at="last").grads["W_ih"]
    assert 0 < np.max(np.abs(exact)) < w.noise and w.largest < w.noise
    assert w.verdict == TOO_SMALL and check.verdict == AGREES
    assert check.max_rel_error == max(a.rel_error for n, a in check.arrays.items() if n != "W_ih")


def test_an_overflowed_network_has_nothing_to_check() -> None:
    rng = np.random.default_rng(0)
    p = with_spectral_radius(init_params("vanilla", 1, 2, 1, rng, activation="linear"), 40.0)
    with pytest.raises(ValueError, match="overflowed at step"):
        gradient_check(p, np.ones((300, 1)), np.zeros((300, 1)))
