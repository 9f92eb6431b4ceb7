"""The equations panel fills the article's equations with the engine's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import bptt, forward
from rnnviz.session import Session, SessionConfig
from rnnviz.session.explain import backward_equations, format_vector
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK
from rnnviz.views.panels.equations import FEED_HINT, EquationsPanel, vector_text
from rnnviz.views.window.snapshots import grab, to_rgb

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def make(qtbot, s: Session) -> EquationsPanel:
    w = EquationsPanel(s)
    qtbot.addWidget(w)
    w.resize(1000, 650)  # room for every row with whole 8-number vectors
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
    # The power of ten of the finite ones (the largest magnitude may be inf or nan).
    assert vector_text(np.array([np.inf, 2e-5, np.nan])) == "10⁻⁵ × [inf, 2.00, nan]"
    assert vector_text(np.array([-np.inf, np.nan])) == "[−inf, nan]"


def test_a_small_panel_keeps_each_equation_and_its_result(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    s.seek(6)
    s.run_backward()
    s.select(3)
    trace = forward(s.params, s.sequence[:6])
    whole = w.text()
    assert "Wxh x3 = " in whole and "by = " in whole  # room for every term
    w.resize(445, 330)
    text = w.text()
    assert "Whh h2 = " in text and "Whhᵀ(…) = " in text  # the recurrence stays longest
    assert "Wxh x3 = " not in text and "by = " not in text
    w.resize(330, 240)
    text = w.text()
    for line in ("h3 = tanh(Whh h2 + Wxh x3 + b)", "y3 = Why h3 + by", "δ3 = "):
        assert line in text
    h_row = next(row for row in text.splitlines() if row.startswith("h3 = ["))
    assert h_row == f"h3 = {vector_text(trace.h[2], 2)}"  # fewer numbers, abbreviated
    assert "Whh h2 = " not in text


def test_the_lstm_backward_pass_shows_the_cell_state_path(qtbot) -> None:
    """δ_t reaches h_t through all four gates of step t+1, and dL/dc_t has its own equation;
    each printed δ_t and dL/dc_t is the printed sum of its printed terms, at the shown digits."""
    s = Session(SessionConfig(cell="lstm", hidden_size=4))
    w = make(qtbot, s)
    s.seek(10)
    s.run_backward()
    trace, g = s.trace, s.gradients
    for t in (3, 7):
        s.select(t)
        rows = dict(row.split(" = ", 1) for row in w.text().splitlines() if "[" in row)
        assert f"δ{t} = Whyᵀ ∂L/∂y{t} + Whhᵀ ∂L/∂a{t + 1}" in w.text()
        assert f"∂L/∂c{t} = δ{t} ⊙ o{t} ⊙ (1 − tanh² c{t}) + ∂L/∂c{t + 1} ⊙ f{t + 1}" in w.text()
        backward, cell = backward_equations(trace, g, t)
        terms = {term.symbol: term.values for eq in (backward, cell) for term in eq.terms}
        direct, through = terms[f"W_hyᵀ ∂L/∂y_{t}"], terms[f"W_hhᵀ ∂L/∂a_{t + 1}"]
        assert rows[f"δ{t}"] == vector_text(direct + through) == vector_text(g.dL_dh[t - 1])
        assert rows[f"Whhᵀ ∂L/∂a{t + 1}"] == vector_text(through)
        dc = terms[f"δ_{t} ⊙ o_{t} ⊙ (1 − tanh² c_{t})"] + terms[f"∂L/∂c_{t + 1} ⊙ f_{t + 1}"]
        assert rows[f"∂L/∂c{t}"] == vector_text(dc)


def test_a_truncation_cut_says_nothing_flows_back(qtbot) -> None:
    s = Session(SessionConfig(truncate=3))
    w = make(qtbot, s)
    s.seek(10)
    s.run_backward()
    s.select(7)  # windows [1], [2, 3, 4], [5, 6, 7], [8, 9, 10]: 7 ends a window
    assert "δ7 = Whyᵀ ∂L/∂y7" in w.text()
    assert "(truncated BPTT: nothing flows back into it)" in w.text()
    s.select(6)
    assert "δ6 = Whyᵀ ∂L/∂y6 + Whhᵀ((1 − h7²) ⊙ δ7)" in w.text()


def shown(w: EquationsPanel) -> tuple[str, np.ndarray]:
    return w.text(), to_rgb(grab(w)).astype(int)


@pytest.mark.usefixtures("kept_appearance")
def test_after_steps_back_and_forth_and_new_looks_it_shows_what_a_fresh_panel_shows(
    qtbot,
) -> None:
    """Lines placed once are reused (stepping back and forth shows the same lines): after
    each change the panel shows, pixel for pixel and line for line, what a panel made for
    that very state shows."""
    s = Session(SessionConfig(hidden_size=12, sequence_length=30, cell="lstm", num_layers=2))
    w = make(qtbot, s)
    s.seek(30)
    s.run_backward()

    def back_and_forth() -> None:
        for _ in range(3):
            s.step_back()
            s.step_forward()

    changes = [
        ("steps", back_and_forth),
        ("a step back", s.step_back),
        ("narrower", lambda: w.resize(400, 900)),
        ("a step forward", s.step_forward),
        ("larger type", lambda: appearance.set(scale=1.25)),
        ("a step back", s.step_back),
        ("dark theme", lambda: appearance.set(palette=DARK)),
        ("a step forward", s.step_forward),
        ("the first layer", lambda: s.set_focus(0, 0)),
        ("steps", back_and_forth),
        ("wider", lambda: w.resize(1000, 650)),
    ]
    for name, change in changes:
        change()
        fresh = EquationsPanel(s)
        qtbot.addWidget(fresh)
        fresh.resize(w.size())
        fresh.show()
        text, pixels = shown(w)
        fresh_text, fresh_pixels = shown(fresh)
        assert text == fresh_text, f"after {name}"
        assert np.array_equal(pixels, fresh_pixels), f"after {name}"
        fresh.close()


def test_a_step_shown_again_places_no_line_again(qtbot, placed: list[object]) -> None:
    s = Session(SessionConfig(hidden_size=12, sequence_length=30, cell="lstm"))
    w = make(qtbot, s)
    s.seek(30)
    placed.clear()
    s.step_back()
    before = w.text()
    assert placed  # the new step's lines
    s.step_forward()
    after = w.text()
    placed.clear()
    for _ in range(3):
        s.step_back()
        assert w.text() == before
        s.step_forward()
        assert w.text() == after
    assert placed == []


@pytest.mark.usefixtures("kept_appearance")
def test_after_new_steps_it_shows_what_a_fresh_panel_shows(qtbot) -> None:
    """Play (each step a new one, placed and shaped from the last one's lines): at every
    step the panel shows, pixel for pixel and line for line, what a panel made for that
    step shows; in larger type too, and across 99 → 100 (lines of another width)."""
    s = Session(SessionConfig(hidden_size=32, sequence_length=120, cell="lstm", num_layers=3))
    w = make(qtbot, s)
    w.resize(453, 306)  # the 3-layer window's panel: abbreviated vectors, type shrunk
    s.seek(90)
    for k in range(91, 106):
        if k == 98:
            appearance.set(scale=1.25)
        s.step_forward()
        fresh = EquationsPanel(s)
        qtbot.addWidget(fresh)
        fresh.resize(w.size())
        fresh.show()
        text, pixels = shown(w)
        assert f"step t = {k}" in text
        assert (text, pixels.tobytes()) == (fresh.text(), shown(fresh)[1].tobytes()), k
        fresh.close()


@pytest.mark.parametrize(
    ("config", "backward"),
    [
        (SessionConfig(hidden_size=6), False),  # the recurrence lesson's slide 2
        (SessionConfig(), True),
        (SessionConfig(cell="lstm", hidden_size=16), True),  # the longest backward rows
    ],
)
def test_no_row_is_cut_at_the_panels_least_width(qtbot, config, backward: bool) -> None:
    """At 220 px (its old minimum was 160) "W_hh h_0 = [0.00, …, 0" ran off the panel:
    the stage gives the panel no less than its minimum, so every row must fit there."""
    s = Session(config)
    s.seek(12)
    if backward:
        s.run_backward()
    w = make(qtbot, s)
    width = w.minimumSizeHint().width()
    w.resize(width, 600)
    qtbot.waitUntil(lambda: w.width() == width)
    image = to_rgb(grab(w))  # (h, w, 3)
    paper = image[0, -1]
    assert (image[:, -2:] == paper).all(), "ink at the panel's right edge: a row is cut"
