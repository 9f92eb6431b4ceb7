"""The comparison view shows exactly the engine's numbers for vanilla, LSTM and GRU."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6 import sip
from PyQt6.QtCore import Qt

from rnnviz.engine import BPTTResult, ForwardTrace, bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.gates import mean_gate
from rnnviz.session import Session, SessionConfig
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Lab
from rnnviz.views.lab.compare import GRU, GRU_Z, LSTM, LSTM_C, LSTM_F, VANILLA, CompareView
from rnnviz.views.worker import CANCELLED

# The offscreen platform says so for every top-level window; it is not a problem here.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def engine_run(session: Session, cell: str) -> tuple[ForwardTrace, BPTTResult]:
    """The cell computed from scratch on the session's fed inputs, as the issue specifies."""
    c = session.config
    n = session.t if session.t >= 2 else session.sequence.shape[0]
    p = init_params(
        cell,
        session.params.input_size,
        c.hidden_size,
        session.params.output_size,
        rng=np.random.default_rng(c.seed),
        scheme=c.init,
        activation=c.activation if cell == "vanilla" else "tanh",
        gate_bias=c.gate_bias,
        t_max=c.t_max,
    )
    trace = forward(with_spectral_radius(p, c.spectral_radius), session.sequence[:n])
    return trace, bptt(trace, session.targets_for(n), session.loss, c.loss_at)


def shown(view: CompareView, key: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = view.curves[key].getOriginalDataset()
    if x is None:  # an empty curve
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


def assert_shows_engine(view: CompareView, session: Session) -> None:
    for cell in (VANILLA, LSTM, GRU):
        trace, result = engine_run(session, cell)
        steps = np.arange(1, trace.T + 1)[result.valid]
        x, y = shown(view, cell)
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_allclose(y, np.maximum(result.dL_dh_norm[result.valid], LOG_FLOOR))
        if cell == LSTM:
            _, dc = shown(view, LSTM_C)
            np.testing.assert_allclose(dc, np.maximum(result.dL_dc_norm[result.valid], LOG_FLOOR))
            _, f = shown(view, LSTM_F)
            np.testing.assert_allclose(f, mean_gate(trace, "f"))
        if cell == GRU:
            _, z = shown(view, GRU_Z)
            np.testing.assert_allclose(z, mean_gate(trace, "z"))


@pytest.fixture
def session() -> Session:
    s = Session(SessionConfig(hidden_size=6, seed=3))
    s.seek(15)
    return s


def test_showing_the_view_compares_and_draws_the_engines_curves(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    assert_shows_engine(view, session)
    assert not view.hint.isVisible()
    assert "15 steps" in view.info.text() and "H = 6" in view.info.text()


def test_a_session_change_recomputes_while_visible(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    before = shown(view, VANILLA)[1].copy()
    session.set_config(spectral_radius=0.5, loss_at="last")
    qtbot.waitUntil(lambda: lab.comparison is not None)
    assert not np.allclose(shown(view, VANILLA)[1], before)
    assert_shows_engine(view, session)
    session.step_forward()  # 16 steps now
    assert shown(view, VANILLA)[0].size == 15  # no blank frame while the new one computes
    qtbot.waitUntil(lambda: lab.comparison is not None and lab.comparison.steps == 16)
    assert_shows_engine(view, session)


def test_a_hidden_view_waits_until_shown(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    qtbot.addWidget(view)
    session.step_forward()
    qtbot.wait(20)
    assert lab.comparison is None
    assert shown(view, VANILLA)[0].size == 0 and view.hint.toPlainText() == "press Compare"
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    assert_shows_engine(view, session)


def test_the_compare_button_recomputes(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    first = lab.comparison
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    assert view.runner.running and lab.comparison is first  # in the worker: the click returns
    qtbot.waitUntil(lambda: lab.comparison is not first and not view.runner.running)
    assert_shows_engine(view, session)
    assert view.progress.value() == view.progress.maximum() == 3
    assert not view.cancel_button.isEnabled()


def test_cancel_stops_the_comparison_and_keeps_the_previous_one(qtbot) -> None:
    s = Session(SessionConfig(hidden_size=64, sequence_length=3000))
    s.seek(3000)
    lab = Lab(s)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None, timeout=30_000)
    first = lab.comparison
    with qtbot.waitSignal(view.runner.progressed, timeout=10_000):
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    assert view.cancel_button.isEnabled()
    with qtbot.waitSignal(view.runner.finished, timeout=30_000) as done:
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert done.args == [CANCELLED]
    assert lab.comparison is first
    assert view.progress.value() == 0 and not view.cancel_button.isEnabled()


def test_a_change_during_the_comparison_compares_again(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    view.compare()  # as showing it does, at once: the run is surely still going below
    assert view.runner.running
    session.seek(9)  # the running comparison described 15 steps
    qtbot.waitUntil(lambda: lab.comparison is not None and not view.runner.running)
    assert lab.comparison.steps == 9
    assert_shows_engine(view, session)


def test_over_60_steps_the_lstm_keeps_orders_of_magnitude_more_gradient(qtbot) -> None:
    # Even with the forget gate half shut (gate bias 0: zero-mean biases, f near 0.5, the
    # cell-state path halves each step) the LSTM wins once ρ is small: the cell path
    # multiplies by f_t, not by W_hh, so it hardly depends on ρ; the vanilla chain shrinks
    # by about ρ·(1 − h²) per step. At ρ = 0.5 that is below f ≈ 0.5, and over 60 steps the
    # vanilla gradient at t = 1 ends up 7 orders of magnitude below the LSTM's.
    s = Session(
        SessionConfig(sequence_length=60, loss_at="last", spectral_radius=0.5, gate_bias=0.0)
    )
    s.seek(60)
    lab = Lab(s)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    x_v, vanilla = shown(view, VANILLA)
    x_l, lstm = shown(view, LSTM)
    assert x_v[0] == x_l[0] == 1
    assert lstm[0] / vanilla[0] > 1e3
    assert shown(view, LSTM_C)[1][0] / vanilla[0] > 1e3  # carried by the cell state
    assert_shows_engine(view, s)


def test_overflowed_steps_are_left_out_with_a_badge(qtbot) -> None:
    # float32 relu at ρ = 10 overflows going back from step 30: its early steps are invalid.
    s = Session(
        SessionConfig(
            activation="relu",
            spectral_radius=10.0,
            dtype="float32",
            sequence_length=30,
            loss_at="last",
        )
    )
    s.seek(30)
    lab = Lab(s)
    view = CompareView(lab)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: lab.comparison is not None)
    valid = lab.comparison.curves[VANILLA].valid
    assert 0 < valid.sum() < 30
    np.testing.assert_array_equal(shown(view, VANILLA)[0], np.arange(1, 31)[valid])
    assert view.badge.isVisible() and "vanilla RNN" in view.badge.text()
    assert shown(view, LSTM)[0].size == 30


def test_a_deleted_view_stops_listening(qtbot, session) -> None:
    lab = Lab(session)
    view = CompareView(lab)
    sip.delete(view)  # as when its panel closes
    session.step_forward()  # a handler still connected would use the deleted widget
    lab.compare()
    assert lab.comparison is not None
