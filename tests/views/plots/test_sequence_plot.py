"""The sequence plot shows the inputs (fed and to come), the engine's outputs and the
targets, for numbers and for text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QPointF, Qt
from screen_pixels import (
    assert_no_stale_pixels_after,
    look_changes,
    on_screen,
    painted_by,
    stale_pixels,
)

from rnnviz.engine import forward
from rnnviz.session import Session, SessionConfig
from rnnviz.views.look.appearance import colors
from rnnviz.views.plots.sequence_plot import SequencePlot

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def shown(w: SequencePlot, key: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = w.curves[key].getData()
    return np.asarray(x if x is not None else []), np.asarray(y if y is not None else [])


def make(qtbot, s: Session) -> SequencePlot:
    w = SequencePlot(s)
    qtbot.addWidget(w)
    w.resize(800, 500)
    w.show()
    return w


def test_scalar_inputs_outputs_and_targets(qtbot) -> None:
    s = Session(SessionConfig(target_lag=2))
    w = make(qtbot, s)
    N = s.sequence.shape[0]
    assert shown(w, "input")[0].size == 0
    np.testing.assert_allclose(shown(w, "upcoming")[1], s.sequence[:, 0])  # all still to come
    for _ in range(5):
        s.step_forward()
    y = forward(s.params, s.sequence[:5]).y  # (5, 1)
    x_fed, v_fed = shown(w, "input")
    np.testing.assert_array_equal(x_fed, np.arange(1, 6))
    np.testing.assert_allclose(v_fed, s.sequence[:5, 0])
    x_up, v_up = shown(w, "upcoming")  # continues from the last fed step
    np.testing.assert_array_equal(x_up, np.arange(5, N + 1))
    np.testing.assert_allclose(v_up, s.sequence[4:, 0])
    x_out, v_out = shown(w, "output")
    np.testing.assert_array_equal(x_out, np.arange(1, 6))
    np.testing.assert_allclose(v_out, y[:, 0])
    x_tar, v_tar = shown(w, "target")
    np.testing.assert_array_equal(x_tar, np.arange(1, 6))
    np.testing.assert_allclose(v_tar, [0, 0, *s.sequence[:3, 0]])  # x_{t−2}
    assert "target" in w.legend_text()
    # The x axis shows steps 1..N whatever has been fed.
    (x0, x1), _ = w.inputs_plot.getViewBox().viewRange()
    assert (x0, x1) == (0.5, N + 0.5)


def test_all_fed_leaves_nothing_to_come(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    s.seek(s.sequence.shape[0])
    assert shown(w, "upcoming")[0].size == 0


def test_text_shows_classes_with_character_ticks(qtbot) -> None:
    s = Session()
    s.load_preset("hello world")
    w = make(qtbot, s)
    s.seek(7)
    y = forward(s.params, s.sequence[:7]).y  # (7, V)
    vocab = s.vocab
    np.testing.assert_array_equal(shown(w, "input")[1], [vocab.index(c) for c in "hello w"])
    np.testing.assert_array_equal(shown(w, "output")[1], np.argmax(y, axis=1))
    np.testing.assert_array_equal(shown(w, "target")[1], s.targets)
    ticks = w.inputs_plot.getAxis("left")._tickLevels[0]  # pyqtgraph has no public getter
    assert [label for _, label in ticks] == [("␣" if c == " " else c) for c in vocab]
    assert "argmax" in w.legend_text()


def test_vector_components_get_their_own_curves(qtbot) -> None:
    s = Session(SessionConfig(encoding="vector", input_size=3))
    w = make(qtbot, s)
    s.set_sequence(np.random.default_rng(0).standard_normal((10, 3)))
    s.seek(4)
    y = forward(s.params, s.sequence[:4]).y  # (4, 3)
    for k, key in enumerate(("", " 2", " 3")):
        np.testing.assert_allclose(shown(w, "input" + key)[1], s.sequence[:4, k])
        np.testing.assert_allclose(shown(w, "output" + key)[1], y[:, k])
    assert "input 4" not in w.curves


def test_outputs_after_an_overflow_are_left_out(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=3.0))
    w = make(qtbot, s)
    s.set_sequence(np.random.default_rng(1).standard_normal(700))
    s.seek(700)
    exploded_at = forward(s.params, s.sequence).exploded_at
    assert exploded_at is not None
    x, y = shown(w, "output")
    np.testing.assert_array_equal(x, np.arange(1, exploded_at))
    assert np.isfinite(y).all()
    assert np.isfinite(w.outputs_plot.getViewBox().viewRange()).all()


def test_marker_and_click_select_a_step(qtbot) -> None:
    s = Session()
    w = make(qtbot, s)
    s.seek(8)
    assert all(m.isVisible() and m.value() == 8 for m in w.markers)
    qtbot.waitExposed(w)
    view = w.outputs_plot.getViewBox()
    pos = w.widget.mapFromScene(view.mapViewToScene(QPointF(3, 0.0)))
    qtbot.mouseClick(w.widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert s.selected_step == 3
    assert all(m.value() == 3 for m in w.markers)


def test_a_setting_change_redraws_the_outputs_and_leaves_the_inputs_and_targets(qtbot) -> None:
    """ρ changes what the network outputs, not what it is fed nor what it should output:
    only the outputs are laid out and painted again."""
    s = Session(SessionConfig(target_lag=1))
    w = make(qtbot, s)
    s.seek(12)
    changed: list[str] = []
    for key in ("input", "upcoming", "output", "target"):
        w.curves[key].sigPlotChanged.connect(lambda _item, key=key: changed.append(key))
    before = {key: shown(w, key) for key in ("input", "upcoming", "target")}
    s.set_config(spectral_radius=1.3)
    assert changed == ["output"]
    np.testing.assert_allclose(shown(w, "output")[1], forward(s.params, s.sequence[:12]).y[:, 0])
    for key, (x, y) in before.items():
        np.testing.assert_array_equal(shown(w, key)[0], x)
        np.testing.assert_array_equal(shown(w, key)[1], y)
    changed.clear()
    s.step_forward()  # a step changes them all
    assert sorted(changed) == ["input", "output", "target", "upcoming"]


@pytest.mark.usefixtures("kept_appearance")
def test_a_step_repaints_its_columns_and_the_screen_matches_a_whole_redraw(qtbot) -> None:
    """A step repaints a narrow band around the new step in both plots; after every kind of
    change, what the screen shows is the scene drawn anew."""
    s = Session(SessionConfig(sequence_length=60))
    w = make(qtbot, s)
    s.seek(30)
    painted = painted_by(w.widget, s.step_forward)
    assert painted, "the step painted nothing"
    widest, width = max(r.width() for r in painted), w.widget.viewport().width()
    assert widest < width / 6, f"a step repainted {widest} of {width} px"
    changes = [
        ("step", s.step_forward),
        ("back", s.step_back),
        ("back again", s.step_back),
        ("select far", lambda: s.select(3)),
        ("select near", lambda: s.select(29)),
        ("ρ", lambda: s.set_config(spectral_radius=1.4)),
        ("seek", lambda: s.seek(55)),
        ("all fed", lambda: s.seek(60)),
        ("reset", s.reset),
        ("text", lambda: s.load_preset("hello world")),
        ("text step", s.step_forward),
        ("numbers", lambda: s.load_preset("square")),
        ("numbers step", s.step_forward),
        *look_changes(w, (500, 400), s.step_forward),
    ]
    assert_no_stale_pixels_after(w.widget, changes)


def test_a_bidirectional_step_changes_every_output_and_repaints_them_all(qtbot) -> None:
    """In a bidirectional stack every output moves with a step (the backward direction
    starts again from the new last step): the whole plot is painted again."""
    s = Session(SessionConfig(cell="gru", num_layers=2, bidirectional=True, sequence_length=40))
    w = make(qtbot, s)
    s.seek(20)
    _steps_leave_nothing_stale(w, (s.step_forward, s.step_back, s.step_back))


def test_a_new_rho_repaints_the_outputs_and_leaves_the_inputs_plot_alone(qtbot) -> None:
    s = Session(SessionConfig(sequence_length=60))
    w = make(qtbot, s)
    s.seek(40)
    painted = painted_by(w.widget, lambda: s.set_config(spectral_radius=1.3))
    assert painted, "the new outputs were not painted"
    inputs = w.widget.mapFromScene(w.inputs_plot.getViewBox().sceneBoundingRect()).boundingRect()
    inner = inputs.adjusted(0, 0, 0, -20)  # the plots' edges meet; their insides do not
    assert not any(r.intersects(inner) for r in painted), (painted, inner)
    assert not stale_pixels(w.widget)


def assert_drawn_as_new(qtbot, w: SequencePlot, s: Session) -> None:
    """``w`` shows the same points and pixels as a plot made now on ``s``."""
    screen = on_screen(w.widget)  # before another window comes, which has it painted whole
    fresh = make(qtbot, s)
    assert w.curves.keys() == fresh.curves.keys()
    for key in w.curves:
        for ours, theirs in zip(shown(w, key), shown(fresh, key), strict=True):
            np.testing.assert_array_equal(ours, theirs, err_msg=key)
    # Painted in narrow bands over many frames, antialiased edges may round by a level or
    # two against one whole paint (as they did before steps set points alone).
    differ = np.abs(screen - on_screen(fresh.widget)).max(axis=2) > 2  # (H, W)
    assert not differ.any(), f"{differ.sum()} pixels differ"
    fresh.close()
    # Both could share a fault: the lines must also be in their own colours (a line given
    # points before its style would be pyqtgraph's default white).
    p = colors()
    for plot, color in ((w.inputs_plot, p.INPUT), (w.outputs_plot, p.OUTPUT)):
        area = w.widget.mapFromScene(plot.getViewBox().sceneBoundingRect()).boundingRect()
        inside = screen[area.top() : area.bottom(), area.left() : area.right()]  # (h, w, 3)
        rgb = pg.mkColor(color).getRgb()[:3]
        assert (inside == rgb).all(axis=2).sum() > 100, f"no line in {color}"


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize(
    "config",
    [
        SessionConfig(sequence_length=60),
        SessionConfig(cell="gru", num_layers=2, bidirectional=True, sequence_length=40),
    ],
    ids=["one layer", "bidirectional stack"],
)
def test_a_plot_stepped_back_and_forth_is_drawn_as_a_new_one(qtbot, config) -> None:
    """Steps set each curve's points alone (no style, no bounds of pyqtgraph's): after
    steps forward and back, new colours (the curves made again, the ranges as they were),
    a larger type and a step, every curve and every pixel is as in a plot made afresh."""
    from rnnviz.views.look.appearance import appearance
    from rnnviz.views.look.palettes import DARK

    s = Session(config)
    w = make(qtbot, s)
    s.seek(20)
    on_screen(w.widget)
    for step in (s.step_forward, s.step_forward, s.step_back, s.step_forward, s.step_back):
        step()
        on_screen(w.widget)
    assert_drawn_as_new(qtbot, w, s)
    appearance.set(palette=DARK)
    assert_drawn_as_new(qtbot, w, s)
    appearance.set(scale=1.25)
    assert_drawn_as_new(qtbot, w, s)
    s.step_back()
    assert_drawn_as_new(qtbot, w, s)
    s.seek(s.sequence.shape[0])  # all fed: nothing to come
    assert_drawn_as_new(qtbot, w, s)


def test_a_step_of_a_long_sequence_leaves_no_stale_pixels(qtbot) -> None:
    """5000 steps on a few hundred pixels are drawn as each column's extremes, grouped from
    each curve's first step: a step moves the start of the inputs to come, and with it
    every column of that curve, all of which is painted again."""
    s = Session(SessionConfig(sequence_length=30))
    w = make(qtbot, s)
    s.set_sequence(np.sin(np.arange(5000) / 300.0) + 0.2 * np.sin(np.arange(5000) / 7.0))
    s.seek(2500)
    assert len(w.curves["upcoming"].getData()[0]) < 2500  # drawn reduced
    _steps_leave_nothing_stale(w, (s.step_forward, s.step_forward, s.step_back))


def test_the_targets_dashes_stay_where_a_whole_repaint_puts_them(qtbot) -> None:
    """Qt dashing a whole line for a narrow repaint moved the dashes of the steps it
    repainted (it skips the segments outside the clip in whole patterns); the part of the
    line drawn with its dashes offset keeps them where they are."""
    s = Session(SessionConfig(hidden_size=64, sequence_length=200, preset="sine"))
    w = make(qtbot, s)
    s.seek(100)
    on_screen(w.widget)
    for change in (lambda: s.seek(200), s.step_back, s.step_back, s.step_forward):
        change()
        stale = stale_pixels(w.widget)
        assert not stale, f"{stale} pixels differ"


def _steps_leave_nothing_stale(w: SequencePlot, steps: tuple[Callable[[], object], ...]) -> None:
    """After each of ``steps`` the plot on screen is the plot painted whole."""
    on_screen(w.widget)
    for step in steps:
        step()
        stale = stale_pixels(w.widget)
        assert not stale, f"{stale} pixels differ"
