"""The equations panel fills the article's equations with the engine's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward
from rnnviz.session import Session, SessionConfig
from rnnviz.session.explain import format_vector
from rnnviz.views.equations import FEED_HINT, EquationsPanel, vector_text

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make(qtbot, s: Session) -> EquationsPanel:
    w = EquationsPanel(s)
    qtbot.addWidget(w)
    w.resize(800, 600)
    w.show()
    return w


def test_hint_before_the_first_step(qtbot) -> None:
    w = make(qtbot, Session())
    assert w.text().strip() == FEED_HINT


def test_forward_equations_of_the_selected_step(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    s.seek(6)
    trace = forward(s.params, s.sequence[:6])
    s.select(3)
    text = w.text()
    assert "h3 = tanh(Whh h2 + Wxh x3 + b)" in text  # subscripts read as plain text
    assert "y3 = Why h3 + by" in text
    assert format_vector(trace.h[2]) in text
    assert format_vector(trace.y[2]) in text
    assert format_vector(trace.h[5]) not in text  # not the newest step's numbers
    assert "δ" not in text  # no backward pass yet
    s.select(None)
    assert format_vector(trace.h[5]) in w.text()


def test_backward_equation_follows_the_sweep(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    s.seek(10)
    trace = forward(s.params, s.sequence[:10])
    c = s.config
    dL_dh = bptt(trace, s.targets, loss=c.loss, loss_at=c.loss_at).dL_dh  # (10, H)
    s.run_backward()
    for k in (10, 6, 2):
        s.set_sweep(k)
        text = w.text()
        assert f"backward pass (BPTT), step t = {k}" in text
        assert f"δ{k} = " in text
        assert 0.01 <= np.abs(dL_dh[k - 1]).max() < 100  # printed plainly, no power of ten
        assert format_vector(dL_dh[k - 1]) in text
        assert format_vector(trace.h[k - 1]) in text  # forward numbers of the same step
    assert "(1 − h3²) ⊙ δ3" in text  # the tanh derivative, written out
    s.set_sweep(None)
    s.select(4)
    assert "δ4 = " in w.text()  # gradients exist: the selected step's backward equation


def test_gated_cells_show_their_gates_and_large_states_are_abbreviated(qtbot) -> None:
    s = Session(SessionConfig(cell="lstm", hidden_size=32))
    w = make(qtbot, s)
    s.seek(3)
    trace = forward(s.params, s.sequence[:3])
    text = w.text()
    assert "c3 = f ⊙ c2 + i ⊙ g" in text
    assert format_vector(trace.h[2]) in text
    assert "…" in format_vector(trace.h[2])


def test_overflowed_steps_say_so(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=3.0))
    w = make(qtbot, s)
    s.set_sequence(np.random.default_rng(1).standard_normal(700))
    s.seek(700)
    s.run_backward()
    exploded_at = forward(s.params, s.sequence).exploded_at
    text = w.text()
    assert f"h overflowed at t = {exploded_at}" in text
    assert f"no finite δ700: the forward pass overflowed at t = {exploded_at}" in text


def test_tiny_and_huge_numbers_get_a_power_of_ten() -> None:
    assert vector_text(np.array([0.5, -0.25])) == "[0.50, −0.25]"
    assert vector_text(np.array([3e-5, -1e-5])) == "10⁻⁵ × [3.00, −1.00]"
    assert vector_text(np.array([2e120, 0.0])) == "10¹²⁰ × [2.00, 0.00]"
