"""The lab model shows exactly the engine's numbers for the session's network and inputs."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.gates import mean_gate
from rnnviz.engine.jacobian import jacobian_between
from rnnviz.engine.jacobian_map import jacobian_norm_matrix
from rnnviz.engine.progress import run_to_end
from rnnviz.engine.train import TrainConfig
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab


def test_comparison_runs_each_cell_on_the_same_inputs() -> None:
    s = Session(SessionConfig(hidden_size=6, loss_at="last", seed=3))
    s.seek(15)
    lab = Lab(s)
    comp = lab.compare()
    x, targets = s.sequence[:15], s.targets_for(15)
    for cell in ("vanilla", "lstm", "gru"):
        p = init_params(cell, 1, 6, 1, np.random.default_rng(3), "orthogonal", gate_bias=3.0)
        trace = forward(with_spectral_radius(p, 0.9), x)
        want = bptt(trace, targets, loss_at="last")
        np.testing.assert_allclose(comp.curves[cell].dL_dh_norm, want.dL_dh_norm, rtol=1e-12)
        if cell == "lstm":
            np.testing.assert_allclose(comp.curves[cell].dL_dc_norm, want.dL_dc_norm)
            np.testing.assert_allclose(comp.curves[cell].gate_mean, mean_gate(trace, "f"))
        if cell == "gru":
            np.testing.assert_allclose(comp.curves[cell].gate_mean, mean_gate(trace, "z"))


def test_sweep_of_a_linear_rnn_matches_rho_powers() -> None:
    s = Session(SessionConfig(activation="linear", loss_at="last", init="orthogonal"))
    s.set_sequence(np.zeros(25))
    lab = Lab(s)
    result = run_to_end(lab.sweep_steps(0.5, 1.5, 11))
    k = np.arange(24, -1, -1)
    for r, rho in enumerate(result.rhos):
        np.testing.assert_allclose(
            result.log10_norm[r], result.log10_norm[r, -1] + k * np.log10(rho), atol=1e-9
        )
    lab.set_sweep(result)
    s.step_forward()  # a new step: the phase diagram no longer describes these inputs
    assert lab.sweep is None


def test_jacobian_matrix_and_pairs_are_the_engines() -> None:
    s = Session(SessionConfig(hidden_size=5))
    s.seek(8)
    lab = Lab(s)
    M = run_to_end(lab.jacobian_map_steps()).norms
    np.testing.assert_allclose(M, jacobian_norm_matrix(s.trace))
    sv = lab.pair_singular_values(2, 6)
    assert sv[0] == pytest.approx(M[5, 1], rel=1e-12) and np.all(np.diff(sv) <= 0)


def test_the_lstm_jacobians_are_of_the_whole_state() -> None:
    s = Session(SessionConfig(cell="lstm", hidden_size=4))
    s.seek(8)
    lab = Lab(s)
    M = run_to_end(lab.jacobian_map_steps()).norms
    np.testing.assert_allclose(M, jacobian_norm_matrix(s.trace, include_cell_state=True))
    assert not np.allclose(M, jacobian_norm_matrix(s.trace))  # c_k held fixed differs
    want = np.linalg.svd(jacobian_between(s.trace, 2, 6, include_cell_state=True), compute_uv=False)
    np.testing.assert_allclose(lab.pair_singular_values(2, 6), want)


def test_training_records_epochs_and_the_session_steps_with_the_result() -> None:
    s = Session(SessionConfig(cell="lstm", hidden_size=8))
    lab = Lab(s)
    task = lab.make_task("delay", length=12, lag=3)
    for report in lab.training_steps(task, TrainConfig(epochs=3, seed=1)):
        lab.record_epoch(report)
    h = lab.training
    assert len(h.losses) == 3 and len(h.norm_before) == 3 and h.params is not None
    lab.adopt_trained()
    assert s.params is h.params and s.sequence.shape == (12, 1)
    s.seek(12)
    np.testing.assert_allclose(s.trace.h, forward(h.params, s.sequence).h)


def test_text_training_predicts_and_samples() -> None:
    s = Session()
    lab = Lab(s)
    task = lab.make_task("text", length=10, text="abcabcabcabcabcabcabcabc")
    for report in lab.training_steps(task, TrainConfig(epochs=40, lr=0.05, seed=0)):
        lab.record_epoch(report)
    probs = lab.predict_next_char("ab")
    assert max(probs, key=probs.get) == "c"
    assert lab.sample("a", 12, 0.5, seed=1) == lab.sample("a", 12, 0.5, seed=1)
    lab.adopt_trained()
    assert s.config.encoding == "text" and s.vocab == "abc"


def test_gradient_check_on_the_current_network() -> None:
    s = Session(SessionConfig(cell="gru", hidden_size=4))
    s.seek(6)
    lab = Lab(s)
    result = run_to_end(lab.gradcheck_steps())
    lab.set_gradcheck(result)
    assert lab.gradcheck.verdict == "agrees" and lab.gradcheck.max_rel_error < 1e-6


def test_saturation_reads_the_session_trace() -> None:
    s = Session(SessionConfig(spectral_radius=2.0, hidden_size=20))
    s.seek(20)
    sat = Lab(s).saturation()
    assert sat.groups == ("h",) and sat.threshold == 0.1
    np.testing.assert_allclose(sat.slope, 1 - s.trace.h**2)
    # The fraction is the slope array's own per-step share below the threshold.
    np.testing.assert_array_equal(sat.fraction, (np.abs(s.trace.h) > np.sqrt(0.9)).mean(axis=1))
    np.testing.assert_array_equal(sat.fraction, (sat.slope < sat.threshold).mean(axis=1))


def test_lstm_saturation_stacks_gates_and_tanh_c() -> None:
    s = Session(SessionConfig(cell="lstm", spectral_radius=2.0, hidden_size=5))
    s.seek(9)
    sat = Lab(s).saturation()
    assert sat.groups == ("i", "f", "g", "o", "tanh c") and sat.slope.shape == (9, 25)
    np.testing.assert_allclose(sat.slope[:, 20:], 1 - np.tanh(s.trace.c) ** 2)
    np.testing.assert_array_equal(sat.fraction, (sat.slope < 0.1).mean(axis=1))
