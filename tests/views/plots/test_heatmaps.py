"""The state and gradient heatmaps show the engine's numbers, react to the user, and survive
an overflow."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtGui import QFont, QFontMetricsF, QImage, QPainter
from screen_pixels import assert_no_stale_pixels_after, look_changes, painted_by

from rnnviz.engine import bptt, forward
from rnnviz.session import Session, SessionConfig
from rnnviz.views.plots.heatmaps import BACKWARD_HINT, FEED_HINT, GradientHeatmap, StateHeatmap
from rnnviz.views.window.snapshots import settle

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def engine_states(s: Session) -> np.ndarray:
    return forward(s.params, s.sequence[: s.t]).h  # (t, H)


def engine_gradients(s: Session) -> np.ndarray:
    c = s.config
    trace = forward(s.params, s.sequence[: s.t])
    result = bptt(
        trace, s.targets, loss=c.loss, loss_at=c.loss_at, truncate=c.truncate, clip=c.clip
    )
    return result.dL_dh  # (t, H)


def image_rect(w: StateHeatmap | GradientHeatmap) -> tuple[float, float, float, float]:
    r = w.image_item.mapRectToParent(w.image_item.boundingRect())
    return (r.x(), r.y(), r.width(), r.height())


@pytest.fixture
def session() -> Session:
    return Session()


def make(qtbot, cls, session: Session):
    w = cls(session)
    qtbot.addWidget(w)
    w.resize(800, 400)
    w.show()
    return w


def test_empty_state_heatmap_shows_the_feed_hint(qtbot, session: Session) -> None:
    w = make(qtbot, StateHeatmap, session)
    assert w.image_item.image is None
    assert w.hint.isVisible()
    assert w.hint.textItem.toPlainText() == FEED_HINT
    assert not w.marker.isVisible()


def test_state_image_grows_and_equals_the_engine_states(qtbot, session: Session) -> None:
    w = make(qtbot, StateHeatmap, session)
    H = session.config.hidden_size
    for t in range(1, 8):
        session.step_forward()
        expected = engine_states(session)  # (t, H): time on x, unit on y, no transpose
        assert w.image_item.image.shape == (t, H)
        np.testing.assert_allclose(w.image_item.image, expected)
        # Step t is the column centred on x = t; unit i the row centred on y = i.
        assert image_rect(w) == (0.5, 0.5, t, H)
    assert not w.hint.isVisible()
    assert w.color_bar.levels() == (-1.0, 1.0)  # tanh: fixed
    assert tuple(w.image_item.getLevels()) == (-1.0, 1.0)
    assert not w.badge.isVisible()


def test_relu_levels_are_symmetric_round_and_cover_the_trace(qtbot) -> None:
    s = Session(SessionConfig(activation="relu", spectral_radius=1.2, preset="random"))
    w = make(qtbot, StateHeatmap, s)
    s.seek(15)
    low, high = w.color_bar.levels()
    top = np.abs(engine_states(s)).max()
    assert low == -high
    assert top <= high <= 2.5 * top  # the next 1, 2 or 5 × 10^k
    np.testing.assert_allclose(w.image_item.getLevels(), (low, high))


def test_marker_follows_the_selected_step(qtbot, session: Session) -> None:
    w = make(qtbot, StateHeatmap, session)
    session.seek(6)
    assert w.marker.isVisible() and w.marker.value() == 6  # the newest by default
    session.select(2)
    assert w.marker.value() == 2


def click_column(qtbot, w: StateHeatmap | GradientHeatmap, step: int) -> None:
    view = w.plot.getPlotItem().getViewBox()
    scene_pos = view.mapViewToScene(QPointF(step, 2.0))
    pos = w.plot.mapFromScene(scene_pos)
    qtbot.mouseClick(w.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


@pytest.mark.parametrize("cls", [StateHeatmap, GradientHeatmap])
def test_clicking_a_column_selects_its_step(qtbot, session: Session, cls) -> None:
    w = make(qtbot, cls, session)
    session.seek(10)
    session.run_backward()
    qtbot.waitExposed(w)
    click_column(qtbot, w, 4)
    assert session.selected_step == 4
    assert w.marker.value() == 4
    click_column(qtbot, w, 15)  # not fed yet: nothing to select
    assert session.selected_step == 4


def test_overflow_is_drawn_finite_with_a_badge(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=3.0))
    w = make(qtbot, StateHeatmap, s)
    s.set_sequence(np.random.default_rng(1).standard_normal(700))
    s.seek(700)
    trace = forward(s.params, s.sequence)
    assert trace.exploded_at is not None  # the case this test is about
    image = w.image_item.image
    assert np.isfinite(image).all()
    np.testing.assert_allclose(image, trace.h)
    assert w.badge.isVisible()
    assert w.badge.text() == f"exploded at t = {trace.exploded_at}"
    low, high = w.color_bar.levels()
    assert np.isfinite([low, high]).all() and low == -high


def test_gradient_heatmap_hint_then_engine_gradients(qtbot, session: Session) -> None:
    w = make(qtbot, GradientHeatmap, session)
    assert w.hint.textItem.toPlainText() == FEED_HINT
    session.seek(12)
    assert w.image_item.image is None
    assert w.hint.isVisible() and w.hint.textItem.toPlainText() == BACKWARD_HINT
    session.run_backward()
    expected = engine_gradients(session)
    np.testing.assert_allclose(w.image_item.image, expected)
    assert image_rect(w) == (0.5, 0.5, 12, session.config.hidden_size)
    low, high = w.color_bar.levels()
    top = np.abs(expected).max()
    assert low == -high and top <= high <= 2.5 * top
    assert not w.hint.isVisible()
    session.step_back()  # the gradients are cleared
    assert w.image_item.image is None


def test_sweep_shows_only_the_steps_it_reached(qtbot, session: Session) -> None:
    w = make(qtbot, GradientHeatmap, session)
    session.seek(12)
    session.run_backward()
    expected = engine_gradients(session)
    levels = w.color_bar.levels()
    for k in (12, 8, 3, 1):
        session.set_sweep(k)
        image = w.image_item.image
        np.testing.assert_array_equal(image[: k - 1], 0.0)
        np.testing.assert_allclose(image[k - 1 :], expected[k - 1 :])
        assert w.pending.isVisible() == (k > 1)
        assert w.color_bar.levels() == levels  # fixed for the whole sweep
    session.set_sweep(None)
    np.testing.assert_allclose(w.image_item.image, expected)
    assert not w.pending.isVisible()


def test_gradient_heatmap_badge_on_a_backward_overflow(qtbot) -> None:
    s = Session(SessionConfig(activation="linear", spectral_radius=2.5))
    w = make(qtbot, GradientHeatmap, s)
    s.set_sequence(np.random.default_rng(0).standard_normal(450))
    s.seek(450)
    g = s.run_backward()
    assert g is not None and g.exploded_in == "backward"
    assert np.isfinite(w.image_item.image).all()
    assert w.badge.text() == f"exploded at t = {g.exploded_at} (backward pass)"


@pytest.mark.parametrize("cls", [StateHeatmap, GradientHeatmap])
@pytest.mark.usefixtures("kept_appearance")
def test_a_step_repaints_its_column_and_the_screen_matches_a_whole_redraw(qtbot, cls) -> None:
    """A step repaints a narrow band around its column (the hidden state), the selection of
    the step before only the marker's two places (both heatmaps); after every kind of change
    the screen shows what a whole repaint shows."""
    s = Session(SessionConfig(sequence_length=60, activation="relu"))
    w = make(qtbot, cls, s)
    s.seek(30)
    s.run_backward()
    width = w.plot.viewport().width()
    for narrow in (s.step_forward, lambda: s.select(s.t - 1)):
        if cls is GradientHeatmap and narrow == s.step_forward:
            continue  # a step clears the gradients: the hint to press B takes their place
        painted = painted_by(w.plot, narrow)
        assert painted, "nothing was painted"
        widest = max(r.width() for r in painted)
        assert widest < width / 6, f"{widest} of {width} px repainted"
    changes = [
        ("step", s.step_forward),
        ("back", s.step_back),
        ("backward pass", s.run_backward),
        *[(f"sweep {k}", lambda k=k: s.set_sweep(k)) for k in (20, 19, 5)],
        ("sweep done", lambda: s.set_sweep(None)),
        ("select far", lambda: s.select(3)),
        ("select near", lambda: s.select(25)),
        ("ρ", lambda: s.set_config(spectral_radius=1.6)),
        ("steps", lambda: [s.step_forward() for _ in range(5)]),
        ("reset", s.reset),
        ("first step", s.step_forward),
        (
            "stack",
            lambda: s.set_config(cell="lstm", activation="tanh", num_layers=2, bidirectional=True),
        ),
        ("fed", lambda: s.seek(20)),
        ("focus", lambda: s.set_focus(0, 1)),
        ("bidirectional step", s.step_forward),
        *look_changes(w, (500, 300), s.step_forward),
    ]
    assert_no_stale_pixels_after(w.plot, changes)


def test_the_step_labels_of_a_narrow_heatmap_do_not_run_together(qtbot, session: Session) -> None:
    """At 100 px for 40 steps pyqtgraph labelled 10, 20 and 30: "102030"."""
    session.set_config(sequence_length=40)
    w = make(qtbot, StateHeatmap, session)
    w.resize(260, 300)
    session.seek(40)
    qtbot.waitUntil(lambda: w.plot.getPlotItem().getViewBox().width() < 160)
    settle()  # the axis laid out at its new width
    axis = w.plot.getPlotItem().getAxis("bottom")
    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    _, _, texts = axis.generateDrawSpecs(painter)  # the labels as the axis draws them
    painter.end()
    rects = sorted((rect for rect, _, text in texts if text), key=lambda r: r.left())
    assert rects, "no step is labelled"
    em = QFontMetricsF(axis.style["tickFont"] or QFont()).height()
    for a, b in pairwise(rects):
        assert b.left() - a.right() >= em / 2, (a, b)
