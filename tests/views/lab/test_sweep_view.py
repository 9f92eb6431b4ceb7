"""The ρ sweep view shows exactly the engine's phase diagram, runs in a worker thread, and
can be cancelled without changing what the lab holds."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QThreadPool
from PyQt6.QtGui import QColor

from rnnviz.engine import bptt, forward
from rnnviz.engine.sweep import radius_sweep
from rnnviz.session import Session, SessionConfig
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Lab
from rnnviz.views.lab.sweep import SweepView
from rnnviz.views.look.appearance import colors
from rnnviz.views.window.snapshots import settle, to_rgb

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def make_view(qtbot, session: Session) -> tuple[SweepView, Lab]:
    lab = Lab(session)
    view = SweepView(lab)
    qtbot.addWidget(view)
    view.resize(900, 520)
    view.show()
    qtbot.waitExposed(view)
    return view, lab


def set_range(qtbot, view: SweepView, low: float, high: float, count: int) -> None:
    """Type the range into the boxes like a user."""
    for box, value in ((view.rho_from, low), (view.rho_to, high), (view.rho_count, count)):
        box.selectAll()
        qtbot.keyClicks(box, str(value))
        qtbot.keyClick(box, Qt.Key.Key_Tab)


def run(qtbot, view: SweepView) -> None:
    with qtbot.waitSignal(view.runner.finished, timeout=10_000):
        qtbot.mouseClick(view.run_button, LEFT)


def test_the_image_is_the_engines_sweep_with_real_axes(qtbot):
    s = Session(SessionConfig(hidden_size=6, seed=2))
    s.seek(12)
    view, _lab = make_view(qtbot, s)
    run(qtbot, view)

    rhos = np.linspace(0.5, 1.5, 41)
    c = s.config
    norms, valid = radius_sweep(
        s.params, s.sequence[:12], s.targets_for(12), rhos, s.loss, c.loss_at, c.truncate
    )
    assert valid.all()
    np.testing.assert_allclose(view.image_item.image, np.log10(np.maximum(norms, LOG_FLOOR)))
    # Pixel centres sit on the real values: t = 1..12 across, ρ = 0.5..1.5 up.
    rect = view.image_item.mapRectToParent(view.image_item.boundingRect())
    step = 1.0 / 40
    assert rect.left() == pytest.approx(0.5) and rect.right() == pytest.approx(12.5)
    assert rect.top() == pytest.approx(0.5 - step / 2)
    assert rect.bottom() == pytest.approx(1.5 + step / 2)
    assert view.rho_line.value() == 1.0
    low, high = view.levels()
    assert low <= view.image_item.image.min() and view.image_item.image.max() <= high
    assert "vanilla cell · tanh · H = 6 · the 12 fed steps" in view.note.text()
    assert view.progress.value() == 41


def test_a_linear_rnn_follows_rho_to_the_power_T_minus_t(qtbot):
    T = 25
    s = Session(SessionConfig(activation="linear", init="orthogonal", loss_at="last"))
    s.set_sequence(np.zeros(T))
    view, _lab = make_view(qtbot, s)
    set_range(qtbot, view, 0.6, 1.4, 9)
    run(qtbot, view)

    image = view.image_item.image  # (R, T)
    assert image.shape == (9, T)
    k = np.arange(T - 1, -1, -1)  # T − t
    for row, rho in zip(image, np.linspace(0.6, 1.4, 9), strict=True):
        np.testing.assert_allclose(row, row[-1] + k * np.log10(rho), atol=1e-9)


def test_cancel_keeps_the_previous_result_and_resets_the_view(qtbot):
    s = Session(SessionConfig(sequence_length=300))
    s.seek(300)
    view, lab = make_view(qtbot, s)
    set_range(qtbot, view, 0.5, 1.5, 3)
    run(qtbot, view)
    previous = lab.sweep
    shown = view.image_item.image.copy()

    set_range(qtbot, view, 0.5, 1.5, 1001)
    with qtbot.waitSignal(view.runner.progressed, timeout=10_000):
        qtbot.mouseClick(view.run_button, LEFT)
    assert not view.run_button.isEnabled() and view.cancel_button.isEnabled()
    with qtbot.waitSignal(view.runner.finished, timeout=10_000) as done:
        qtbot.mouseClick(view.cancel_button, LEFT)

    assert done.args == ["cancelled"]
    assert lab.sweep is previous
    np.testing.assert_array_equal(view.image_item.image, shown)
    assert view.progress.value() == 0
    assert view.run_button.isEnabled() and not view.cancel_button.isEnabled()
    assert "cancelled" in view.message.text()
    assert QThreadPool.globalInstance().waitForDone(2000)


def test_overflowed_cells_are_marked_not_blank(qtbot):
    s = Session(SessionConfig(activation="linear", sequence_length=500, loss_at="last"))
    s.seek(500)
    view, lab = make_view(qtbot, s)
    set_range(qtbot, view, 0.5, 6.0, 6)
    run(qtbot, view)

    valid = lab.sweep.valid  # (R, T)
    assert not valid.all() and valid.any()
    image, overflow = view.image_item.image, view.overflow_item.image
    np.testing.assert_array_equal(np.isnan(image), ~valid)
    np.testing.assert_array_equal(image[valid], lab.sweep.log10_norm[valid])
    np.testing.assert_array_equal(overflow[..., 3] == 255, ~valid)
    assert np.isfinite(view.levels()).all()
    assert "red: overflowed" in view.note.text()


def test_a_bad_range_is_refused_with_a_message(qtbot):
    view, lab = make_view(qtbot, Session())
    set_range(qtbot, view, 1.2, 0.8, 5)
    qtbot.mouseClick(view.run_button, LEFT)
    assert view.message.text() == "the ρ range must satisfy 0 ≤ from < to"
    assert not view.runner.running and lab.sweep is None


def test_a_new_step_clears_the_diagram(qtbot):
    s = Session()
    s.seek(5)
    view, lab = make_view(qtbot, s)
    set_range(qtbot, view, 0.5, 1.5, 3)
    run(qtbot, view)
    assert view.image_item.image is not None
    s.step_forward()  # the diagram described the first 5 steps only
    assert lab.sweep is None and view.image_item.image is None
    assert view.hint.isVisible() and view.note.text() == ""


def test_the_sessions_rho_is_marked_and_its_row_is_this_network(qtbot):
    s = Session(SessionConfig(hidden_size=6, seed=3, spectral_radius=0.9))
    s.seek(10)
    view, lab = make_view(qtbot, s)
    assert view.now_line.value() == pytest.approx(s.spectra.rho) == pytest.approx(0.9)
    assert view.now_line.label.toPlainText() == "this network: ρ = 0.9"
    run(qtbot, view)
    # The row the mark crosses (ρ = 0.5 + 16/40 = 0.9) is the session's own network.
    row = int(np.argmin(np.abs(lab.sweep.rhos - s.spectra.rho)))
    x, targets = lab.inputs()
    own = bptt(forward(s.params, x), targets, s.loss, s.config.loss_at)
    np.testing.assert_allclose(
        view.image_item.image[row], np.log10(own.dL_dh_norm), rtol=1e-9, atol=1e-12
    )
    s.set_config(spectral_radius=1.2)  # a new network: the mark moves with it
    assert view.now_line.value() == pytest.approx(s.spectra.rho) == pytest.approx(1.2)
    assert view.now_line.label.toPlainText() == "this network: ρ = 1.2"


def test_it_says_what_the_colours_are(qtbot):
    s = Session(SessionConfig(hidden_size=6, seed=2))
    s.seek(12)
    view, lab = make_view(qtbot, s)
    run(qtbot, view)
    assert "log₁₀ ‖∂L/∂h<sub>t</sub>‖₂" in view.quantity.text()
    assert "not normalised" in view.quantity.text()
    assert view.color_bar.getAxis("left").labelText == "log₁₀ ‖∂L/∂h<sub>t</sub>‖₂"
    # Not normalised: the image is the raw log norms; the bar spans whole decades of them.
    values = lab.sweep.log10_norm[lab.sweep.valid]
    np.testing.assert_array_equal(view.image_item.image[lab.sweep.valid], values)
    low, high = view.levels()
    assert low == int(low) and high == int(high)
    assert values.min() - 1 < low <= values.min() and values.max() <= high < values.max() + 1


def test_the_progress_bar_shows_its_whole_count_in_a_narrow_row(qtbot):
    """Qt sizes a progress bar without its text: at 1024×768 "41 / 41 values of ρ" broke
    into two lines, both cut by the bar's edges."""
    s = Session(SessionConfig(hidden_size=4))
    s.seek(8)
    view, _lab = make_view(qtbot, s)
    view.resize(560, 520)  # every box of the row at its least width
    set_range(qtbot, view, 0.5, 1.5, 101)
    run(qtbot, view)
    bar = view.progress
    assert bar.text() == "101 / 101 values of ρ"
    assert bar.width() >= bar.fontMetrics().horizontalAdvance(bar.text()) + 8


def test_the_hint_is_not_crossed_out_by_the_rho_1_line(qtbot):
    """Before a run the hint sits in the middle of 0.5 … 1.5, where ρ = 1 runs: the dashed
    line went through its words. It now lies on a patch of the plot's background."""
    s = Session(SessionConfig(hidden_size=4))
    s.seek(8)
    view, _lab = make_view(qtbot, s)
    assert view.hint.isVisible() and view.hint.toPlainText() == "press Run to sweep ρ"
    settle()
    viewport = view.plot.viewport()
    shot = to_rgb(viewport.grab().toImage()).astype(int)  # (H, W, 3)
    ratio = shot.shape[1] / viewport.width()
    text = view.hint.mapRectToScene(view.hint.boundingRect())
    box = view.plot.mapFromScene(text).boundingRect()
    line = view.plot.mapFromScene(view.rho_line.mapToScene(0.0, 0.0)).y()
    assert box.top() < line < box.bottom()  # ρ = 1 runs through the hint's place
    inside = shot[
        round(box.top() * ratio) + 2 : round(box.bottom() * ratio) - 1,
        round(box.left() * ratio) + 2 : round(box.right() * ratio) - 1,
    ]  # (h, w, 3)
    muted = np.array(QColor(colors().MUTED).getRgb()[:3])
    # Nothing darker than the hint's own grey: the black dashes are not drawn over it.
    assert inside.sum(axis=2).min() >= muted.sum() - 12
