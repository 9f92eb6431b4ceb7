"""The Jacobian view shows the engine's singular values of ∂h_t/∂h_k and its T × T map of
‖∂h_t/∂h_k‖₂; clicking the map picks a pair."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QPointF, QRectF, Qt, QThreadPool
from PyQt6.QtGui import QFontMetricsF, QImage, QPainter
from PyQt6.QtWidgets import QSpinBox
from text_lines import shown_lines

from rnnviz.engine.jacobian import jacobian_between, jacobian_norms
from rnnviz.engine.jacobian_map import (
    EXACT_UP_TO,
    METHOD,
    ROWS_PER_BLOCK,
    certified_method,
    jacobian_norm_matrix,
)
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.views.lab.jacobians import JacobianView
from rnnviz.views.look.math_text import math_html
from rnnviz.views.window.snapshots import settle

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def make_view(qtbot, session: Session) -> tuple[JacobianView, Lab]:
    lab = Lab(session)
    view = JacobianView(lab)
    qtbot.addWidget(view)
    view.resize(1000, 520)
    view.show()
    qtbot.waitExposed(view)
    return view, lab


def type_into(qtbot, box: QSpinBox, value: int) -> None:
    box.selectAll()
    qtbot.keyClicks(box, str(value))
    qtbot.keyClick(box, Qt.Key.Key_Return)


def as_read(text: str) -> str:
    """A title as a reader takes it: without the joiners that keep the Jacobian whole."""
    return text.replace("\u2060", "").replace("\u00a0", " ")


def shown_singular_values(view: JacobianView) -> np.ndarray:
    return 10.0 ** np.asarray(view.bars.opts["height"])


def engine_singular_values(session: Session, k: int, t: int) -> np.ndarray:
    return np.linalg.svd(jacobian_between(session.trace, k, t), compute_uv=False)


@pytest.mark.parametrize("cell", ["vanilla", "gru"])
def test_the_bars_are_the_singular_values_of_the_pair(qtbot, cell):
    s = Session(SessionConfig(cell=cell, hidden_size=5, seed=1))
    s.seek(12)
    view, _ = make_view(qtbot, s)
    assert (view.k_box.value(), view.t_box.value()) == (1, 12)
    type_into(qtbot, view.k_box, 4)
    type_into(qtbot, view.t_box, 9)

    want = engine_singular_values(s, 4, 9)
    np.testing.assert_allclose(shown_singular_values(view), want, rtol=1e-12)
    assert f"σ₁ = {want[0]:.3g}" in view.sv_label.text()
    np.testing.assert_array_equal(view.bars.opts["x"], np.arange(1, 6))


def test_the_pair_follows_new_steps_and_keeps_k_before_t(qtbot):
    s = Session(SessionConfig(hidden_size=4))
    s.seek(6)
    view, _ = make_view(qtbot, s)
    s.step_forward()
    assert view.t_box.value() == 7 and view.t_box.maximum() == 7
    np.testing.assert_allclose(shown_singular_values(view), engine_singular_values(s, 1, 7))
    type_into(qtbot, view.t_box, 3)
    type_into(qtbot, view.k_box, 5)  # k after t: t moves up with it
    assert (view.k_box.value(), view.t_box.value()) == (5, 5)
    np.testing.assert_allclose(shown_singular_values(view), 1.0)  # ∂h_5/∂h_5 = I


def test_the_map_is_the_engines_matrix_and_a_click_picks_a_pair(qtbot):
    s = Session(SessionConfig(hidden_size=6, spectral_radius=1.2))
    s.seek(15)
    view, _lab = make_view(qtbot, s)
    with qtbot.waitSignal(view.runner.finished, timeout=10_000) as done:
        qtbot.mouseClick(view.compute_button, LEFT)
    assert done.args == ["done"]

    M = jacobian_norm_matrix(s.trace)  # (T, T)
    lower = np.tril(np.ones_like(M, dtype=bool))
    image = view.image_item.image
    np.testing.assert_allclose(image[lower], np.log10(M[lower]), rtol=1e-12)
    assert np.isnan(image[~lower]).all()
    low, high = view.color_bar.levels()
    assert low == -high and np.nanmax(np.abs(image)) <= high

    vb = view.map_plot.getPlotItem().getViewBox()
    pos = view.map_plot.mapFromScene(vb.mapViewToScene(QPointF(3, 11)))
    qtbot.mouseClick(view.map_plot.viewport(), LEFT, pos=pos)
    assert (view.k_box.value(), view.t_box.value()) == (3, 11)
    np.testing.assert_allclose(shown_singular_values(view)[0], M[10, 2], rtol=1e-10)
    x, y = view.pair_marker.getData()
    assert (x[0], y[0]) == (3, 11)


def test_the_lstm_map_says_it_is_of_the_whole_state_like_the_badge(qtbot):
    s = Session(SessionConfig(cell="lstm", hidden_size=4, seed=2))
    s.seek(10)
    view, _lab = make_view(qtbot, s)
    for label in (view.bar_title, view.map_title):
        assert math_html("∂h_t/∂(h_k, c_k)") in as_read(label.text())
    assert "c<sub>k</sub>" in view.mapped.text() and "regime badge" in view.mapped.text()
    assert view.color_bar.getAxis("left").labelText == math_html("log₁₀ ‖∂h_t/∂(h_k, c_k)‖₂")
    assert math_html("‖∂h_10/∂(h_1, c_1)‖₂ = σ₁") in view.sv_label.text()
    J = jacobian_between(s.trace, 1, 10, include_cell_state=True)  # (H, 2H)
    want = np.linalg.svd(J, compute_uv=False)
    np.testing.assert_allclose(shown_singular_values(view), want, rtol=1e-12)
    with qtbot.waitSignal(view.runner.finished, timeout=10_000):
        qtbot.mouseClick(view.compute_button, LEFT)
    # The map's last row is the quantity the regime badge reads: ‖∂h_T/∂(h_t, c_t)‖₂.
    badge_chain = jacobian_norms(s.trace, include_cell_state=True)[0]  # (T,)
    np.testing.assert_allclose(view.image_item.image[-1], np.log10(badge_chain), rtol=1e-10)
    s.set_config(cell="gru")
    assert as_read(view.map_title.text()) == math_html("‖∂h_t/∂h_k‖₂ for every pair")
    assert "c<sub>k</sub>" not in view.mapped.text()


def test_a_new_step_clears_the_map(qtbot):
    s = Session()
    s.seek(4)
    view, lab = make_view(qtbot, s)
    with qtbot.waitSignal(view.runner.finished, timeout=10_000):
        qtbot.mouseClick(view.compute_button, LEFT)
    assert view.image_item.image is not None
    s.step_forward()
    assert lab.jacobian_map is None and view.image_item.image is None
    assert view.map_hint.isVisible()


def test_nothing_fed_shows_a_hint(qtbot):
    view, _lab = make_view(qtbot, Session())
    assert not view.k_box.isEnabled() and view.bar_hint.isVisible()
    assert view.bar_hint.textItem.toPlainText() == "feed some steps first"
    qtbot.mouseClick(view.compute_button, LEFT)
    assert view.message.text() == "feed at least one step first" and not view.runner.running


def test_overflowed_pairs_are_marked_not_blank(qtbot):
    s = Session(SessionConfig(activation="linear", spectral_radius=10.0, sequence_length=400))
    s.seek(400)
    view, lab = make_view(qtbot, s)
    with qtbot.waitSignal(view.runner.finished, timeout=20_000):
        qtbot.mouseClick(view.compute_button, LEFT)

    M = lab.jacobian_map.norms  # (T, T)
    lower = np.tril(np.ones_like(M, dtype=bool))
    overflowed = lower & ~np.isfinite(M)
    assert overflowed.any() and (lower & np.isfinite(M)).any()
    np.testing.assert_array_equal(np.isnan(view.image_item.image), ~lower | overflowed)
    np.testing.assert_array_equal(view.overflow_item.image[..., 3] == 255, overflowed)
    assert view.map_note.text() == f"norms: {METHOD}\ndark cells: the product overflowed"
    view.set_pair(1, 400)
    assert view.sv_label.text() == "k = 1, t = 400: the product overflowed"
    assert len(view.bars.opts["height"]) == 0 and view.bar_hint.isVisible()


def test_rows_appear_while_the_map_is_computed_and_cancel_keeps_them(qtbot):
    T = 3 * ROWS_PER_BLOCK
    H = 3 * EXACT_UP_TO  # norms proved to 1 %, not SVDs: the map must say so
    s = Session(SessionConfig(hidden_size=H, sequence_length=T))
    s.seek(T)
    view, lab = make_view(qtbot, s)
    with qtbot.waitSignal(view.runner.yielded, timeout=20_000):
        qtbot.mouseClick(view.compute_button, LEFT)
    rows = lab.jacobian_map.rows
    assert ROWS_PER_BLOCK <= rows < T and view.runner.running
    image = view.image_item.image  # (T, T)
    lower = np.tril(np.ones((T, T), dtype=bool))
    assert np.isfinite(image[:rows][lower[:rows]]).all()
    assert np.isnan(image[rows:]).all()  # not computed yet: blank, not dark
    assert not view.overflow_item.image[..., 3].any()
    assert f"rows 1–{rows} of {T} done" in view.map_note.text()
    assert view.progress.value() > 0 and view.progress.maximum() == T * (T + 1) // 2

    with qtbot.waitSignal(view.runner.finished, timeout=20_000) as done:
        qtbot.mouseClick(view.cancel_button, LEFT)
    assert done.args == ["cancelled"]
    assert view.message.text() == "cancelled: the rows already drawn stay"
    kept = lab.jacobian_map
    assert kept.rows >= rows and not kept.complete
    done = lower[: kept.rows]  # (rows, T) the pairs of the rows kept
    want = jacobian_norm_matrix(s.trace)[: kept.rows]
    np.testing.assert_allclose(kept.norms[: kept.rows][done], want[done])
    first_line = view.map_note.text().splitlines()[0]
    assert first_line == f"norms: {kept.method}"
    exact = int(first_line.split("; ")[1].removesuffix(" exact)").replace(",", ""))
    assert kept.method == certified_method(exact) and 0 <= exact <= done.sum()


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_a_narrow_title_wraps_before_the_jacobian_never_inside_it(qtbot, cell: str) -> None:
    """Beside the controls at 1024×768 the title wrapped to "singular values of ∂h_t/" over
    "∂h_k"."""
    s = Session(SessionConfig(cell=cell, hidden_size=4))
    s.seek(6)
    view, _lab = make_view(qtbot, s)
    view.resize(680, 600)  # the lab's width beside the controls at 1024×768
    settle()
    symbol = "∂ht/∂hk" if cell == "vanilla" else "∂ht/∂(hk, ck)"
    for title in (view.bar_title, view.map_title):
        lines = [as_read(line) for line in shown_lines(title)]
        assert any(symbol in line for line in lines), lines
    assert len(shown_lines(view.bar_title)) > 1  # it does wrap here


def drawn_labels(axis: pg.AxisItem) -> list[QRectF]:
    """The rectangles of an axis's labels as it draws them."""
    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    _, _, texts = axis.generateDrawSpecs(painter)
    painter.end()
    return [rect for rect, _, text in texts if text]


@pytest.mark.parametrize("steps", [20, 60])
def test_the_step_labels_of_a_narrow_map_do_not_run_together(qtbot, steps: int) -> None:
    """About ten labels whatever the width ran "1012141618" together under the map at
    1024×768 (~190 px for 20 steps)."""
    session = Session(SessionConfig(sequence_length=steps))
    session.seek(steps)
    view, _ = make_view(qtbot, session)
    view.resize(640, 480)
    box = view.map_plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: box.width() < 260)
    settle()
    em = QFontMetricsF(view.map_plot.getPlotItem().getAxis("bottom").style["tickFont"]).height()
    for side, along in (("bottom", "x"), ("left", "y")):
        for plot in (view.map_plot, view.bar_plot) if side == "bottom" else (view.map_plot,):
            rects = drawn_labels(plot.getPlotItem().getAxis(side))
            assert rects, f"no {side} label"
            if along == "x":
                ordered = sorted(rects, key=lambda r: r.left())
                gaps = [b.left() - a.right() for a, b in pairwise(ordered)]
            else:
                ordered = sorted(rects, key=lambda r: r.top())
                gaps = [b.top() - a.bottom() for a, b in pairwise(ordered)]
            assert all(gap >= em / 4 for gap in gaps), (side, gaps)
