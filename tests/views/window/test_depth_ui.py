"""The window shows depth: the Layers and Bidirectional controls change the network, the focus
selector and ↑ ↓ D move what the panels show, the heatmaps say which layer they show, and
after B the gradient panel maps ‖dL/dh_t‖ of every layer on one log scale; a click there
focuses that layer and step."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from main_window_shown import show_main_window
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import QApplication

from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import init_stack
from rnnviz.io.stack_weights import save_stack_weights
from rnnviz.session import Session, SessionConfig
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.views.plots.depth_heatmap import depth_rows, row_label
from rnnviz.views.window.main_window import KEYS, MainWindow
from rnnviz.views.window.snapshots import settle
from rnnviz.views.window.transport import BackwardSweep

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path))


@pytest.fixture(autouse=True)
def fast_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 100)


def open_window(qtbot, config: SessionConfig | None = None) -> MainWindow:
    return show_main_window(qtbot, Session(config), persistent=False)


def key(qtbot, w: MainWindow, k: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget() or w, k)


def deep(qtbot) -> MainWindow:
    config = SessionConfig(cell="lstm", hidden_size=6, num_layers=3, bidirectional=True)
    return open_window(qtbot, config)


def test_the_layers_box_and_the_bidirectional_box_change_the_network(qtbot) -> None:
    w = open_window(qtbot)
    c = w.controls
    assert not c.focus_combo.isVisibleTo(w)  # one layer, one way: nothing to choose
    assert "layer" not in w.state_heatmap.title.text()
    c.layers_spin.setFocus()
    c.layers_spin.selectAll()
    qtbot.keyClicks(c.layers_spin, "3")
    qtbot.keyClick(c.layers_spin, Qt.Key.Key_Return)
    assert w.session.depth == (3, 1) and w.session.focus == (2, 0)
    qtbot.mouseClick(c.bidirectional_check, Qt.MouseButton.LeftButton)
    assert w.session.depth == (3, 2) and w.session.config.bidirectional
    assert c.focus_combo.isVisibleTo(w)
    shown = [c.focus_combo.itemText(i) for i in range(c.focus_combo.count())]
    assert shown[:3] == ["layer 3 (top) · forward", "layer 3 (top) · backward", "layer 2 · forward"]
    assert len(shown) == 6 and c.focus_combo.currentText() == "layer 3 (top) · forward"
    assert c.layers_spin.toolTip() and c.bidirectional_check.toolTip()
    assert "layer 3 (top) · forward" in w.state_heatmap.title.text()
    assert "layer 3 (top) · forward" in w.gradient_heatmap.title.text()


def test_the_focus_keys_and_selector_move_what_the_heatmaps_show(qtbot) -> None:
    w = deep(qtbot)
    s = w.session
    key(qtbot, w, Qt.Key.Key_Right, 5)
    whole = stack_forward(s.stack_params, s.sequence[:5])
    np.testing.assert_allclose(w.state_heatmap.image_item.image, whole.h(2, 0))
    key(qtbot, w, Qt.Key.Key_Down)
    assert s.focus == (1, 0)
    np.testing.assert_allclose(w.state_heatmap.image_item.image, whole.h(1, 0))
    assert w.controls.focus_combo.currentText() == "layer 2 · forward"
    key(qtbot, w, Qt.Key.Key_D)
    assert s.focus == (1, 1)
    np.testing.assert_allclose(w.state_heatmap.image_item.image, whole.h(1, 1))
    key(qtbot, w, Qt.Key.Key_Down, 3)  # stops at the bottom layer
    assert s.focus == (0, 1) and not w.act_layer_down.isEnabled()
    key(qtbot, w, Qt.Key.Key_Up, 5)  # and at the top
    assert s.focus == (2, 1) and not w.act_layer_up.isEnabled()
    combo = w.controls.focus_combo
    combo.setCurrentIndex(combo.findText("layer 1 · forward"))
    combo.activated.emit(combo.currentIndex())  # what picking it with the mouse sends
    assert s.focus == (0, 0)
    np.testing.assert_allclose(w.state_heatmap.image_item.image, whole.h(0, 0))
    keys = dict(KEYS)
    assert "layer above / below" in keys["↑ / ↓"] and "other direction" in keys["D"]


def test_one_layer_leaves_the_arrow_keys_alone(qtbot) -> None:
    w = open_window(qtbot)
    assert not (w.act_layer_up.isEnabled() or w.act_layer_down.isEnabled())
    assert not w.act_direction.isEnabled()
    w.controls.hidden_spin.setFocus()
    before = w.controls.hidden_spin.value()
    qtbot.keyClick(w.controls.hidden_spin, Qt.Key.Key_Up)  # a focused box steps its value
    assert w.session.config.hidden_size == before + 1


def test_the_backward_direction_says_it_has_run_over_steps_t_to_1(qtbot) -> None:
    w = deep(qtbot)
    s = w.session
    key(qtbot, w, Qt.Key.Key_Right, 5)
    key(qtbot, w, Qt.Key.Key_D)
    assert "layer 3 (top) · backward" in w.state_heatmap.title.text()
    tip = w.state_heatmap.title.toolTip()
    assert "after t = 5 steps it has run over steps 5 … 1" in tip
    # The fact: its h at step 1 is the backward pass over exactly steps 5 … 1, and it
    # changes when step 6 is fed.
    h1 = w.state_heatmap.image_item.image[0].copy()
    np.testing.assert_allclose(h1, stack_forward(s.stack_params, s.sequence[:5]).h(2, 1)[0])
    key(qtbot, w, Qt.Key.Key_Right)
    assert "after t = 6 steps it has run over steps 6 … 1" in w.state_heatmap.title.toolTip()
    h1_after = w.state_heatmap.image_item.image[0]
    np.testing.assert_allclose(h1_after, stack_forward(s.stack_params, s.sequence[:6]).h(2, 1)[0])
    assert not np.allclose(h1, h1_after)


def depth_cell(w: MainWindow, step: int, row: int) -> QPoint:
    """Where cell (step, row) of the depth map is on its plot widget."""
    plot = w.gradient_plot.depth_map.plot
    view = plot.getPlotItem().getViewBox()
    return plot.mapFromScene(view.mapViewToScene(QPointF(step, row + 1)))


def test_after_b_the_gradient_panel_maps_every_layer_and_a_click_focuses_one(qtbot) -> None:
    w = deep(qtbot)
    s = w.session
    depth_map = w.gradient_plot.depth_map
    key(qtbot, w, Qt.Key.Key_Right, 8)
    assert not depth_map.isVisible()  # no backward pass yet
    key(qtbot, w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    assert depth_map.isVisible()
    norms = s.depth_grad_norm
    rows = depth_rows(s.depth)
    # The top layer on top; a layer's backward row above its forward one, as in the graph.
    assert rows[0] == (2, 1) and rows[-1] == (0, 0)
    want = np.stack([np.log10(np.maximum(norms[k, d], LOG_FLOOR)) for k, d in rows], axis=1)
    np.testing.assert_allclose(depth_map.image_item.image, want)
    low, high = depth_map.color_bar.levels()
    assert low <= want.min() and want.max() <= high and low == int(low) and high == int(high)
    ticks = depth_map.plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == [row_label(s.depth, r) for r in rows]
    assert ticks[0][1] == "layer 3 ←" and ticks[-1][1] == "layer 1 →"
    # Click step 3 of layer 1's backward direction (the last row but one).
    qtbot.mouseClick(
        depth_map.plot.viewport(), Qt.MouseButton.LeftButton, pos=depth_cell(w, 3, len(rows) - 2)
    )
    assert s.focus == (0, 1) and s.selected_step == 3
    np.testing.assert_allclose(w.gradient_heatmap.image_item.image, s.gradients.dL_dh)
    np.testing.assert_allclose(s.gradients.dL_dh_norm, norms[0, 1])
    box = depth_map.focus_box.rect()
    assert (box.top(), box.bottom()) == (len(rows) - 1.5, len(rows) - 0.5)
    assert "layer 1 · backward" in w.gradient_heatmap.title.text()


def test_the_colour_bars_top_number_is_whole_on_screen(qtbot) -> None:
    """The top tick number is centred on the bar's top edge: its upper half must still be
    inside the depth map's view, not cut at the panel's edge."""
    w = deep(qtbot)
    key(qtbot, w, Qt.Key.Key_Right, 8)
    key(qtbot, w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    view = w.gradient_plot.depth_map.plot
    bar = w.gradient_plot.depth_map.color_bar
    top = view.mapFromScene(bar.vb.sceneBoundingRect().topLeft()).y()  # px: the bar's top
    half = QFontMetrics(bar.getAxis("right").style["tickFont"]).height() / 2
    assert top >= half - 1


@pytest.mark.parametrize(("layers", "size"), [(2, (1920, 1080)), (3, (1024, 768))])
def test_a_short_colour_bar_keeps_its_numbers_apart_and_its_name_whole(
    qtbot, layers: int, size: tuple[int, int]
) -> None:
    """Two or three rows make a short bar: pyqtgraph's ticks ran "−1−2−3−4" together and
    its name was cut to "log₁₀ ‖∂L/∂"."""
    w = open_window(qtbot, SessionConfig(cell="gru", hidden_size=6, num_layers=layers))
    w.resize(*size)
    key(qtbot, w, Qt.Key.Key_Right, 15)
    key(qtbot, w, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: not w.sweep.running)
    settle()
    bar = w.gradient_plot.depth_map.color_bar
    low, high = bar.levels()
    assert high - low >= 3  # several decades on a short bar
    numbers = bar.getAxis("right")
    length = bar.vb.height()
    spacing = QFontMetrics(numbers.style["tickFont"]).height()
    ticks = numbers._tickLevels[0]
    values = sorted(v for v, text in ticks if text)
    assert len(values) >= 2  # both ends, at least
    px = [length * (v - low) / (high - low) for v in values]
    assert min(b - a for a, b in itertools.pairwise(px)) >= spacing
    # The name: whole in the view (the longest that fits along the bar, else "log₁₀").
    name = bar.getAxis("left").label
    view = w.gradient_plot.depth_map.plot
    shown = view.mapFromScene(name.sceneBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(shown), (shown, view.viewport().rect())
    text = name.toPlainText().strip()
    room = bar.getAxis("left").geometry().height()
    assert text == "log₁₀" or shown.height() <= room
    assert text in ("log₁₀ ‖∂L/∂ht‖", "log₁₀ ‖∂L/∂h‖", "log₁₀")


def test_the_equations_of_a_lower_layer_say_where_its_gradient_comes_from(qtbot) -> None:
    w = deep(qtbot)
    s = w.session
    key(qtbot, w, Qt.Key.Key_Right, 4)
    key(qtbot, w, Qt.Key.Key_Down)
    key(qtbot, w, Qt.Key.Key_D)
    s.run_backward()
    s.select(2)
    text = w.equations.text()
    assert "forward pass, layer 2 · backward, step t = 2" in text
    assert "c3" in text  # the backward direction's step 2 reads step 3's state
    assert "the layer above" in text
    assert "of layer 3 + by" in text  # y is read from the top layer, not from this one


def test_importing_a_stacks_weight_file_holds_the_whole_stack(qtbot, tmp_path: Path) -> None:
    p = init_stack("gru", 1, 5, 1, np.random.default_rng(3), num_layers=2, bidirectional=True)
    path = tmp_path / "deep.npz"
    save_stack_weights(path, p)
    w = open_window(qtbot)
    assert w.files.import_weights(path)
    assert w.session.depth == (2, 2) and w.controls.layers_spin.value() == 2
    assert w.controls.bidirectional_check.isChecked()
    assert "Imported deep.npz: 2 layers × 2 directions of gru" in w.message.text()
    key(qtbot, w, Qt.Key.Key_Right, 3)
    whole = stack_forward(p, w.session.sequence[:3])
    np.testing.assert_allclose(w.state_heatmap.image_item.image, whole.h(1, 0))


def test_the_window_works_the_next_step_out_when_idle_not_while_steps_come(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two presses of → (or two ticks of Play) the window works the next step out
    ahead, once it has been idle for IDLE_MS; steps that come faster than that (a held key)
    do not wait for it. The steps it prepared show what a window stepped there shows."""
    from rnnviz.views.window.look_ahead import IDLE_MS

    w = deep(qtbot)
    prepared: list[int] = []
    ahead = Session.prepare_next_step

    def counted(session: Session) -> None:
        prepared.append(session.t)
        ahead(session)

    monkeypatch.setattr(Session, "prepare_next_step", counted)
    key(qtbot, w, Qt.Key.Key_Right, 3)  # at once, one after the other
    assert prepared == []
    qtbot.wait(3 * IDLE_MS)
    assert prepared == [w.session.t]  # once, idle after the last step
    key(qtbot, w, Qt.Key.Key_Right)
    qtbot.wait(3 * IDLE_MS)
    assert prepared == [3, 4]
    fresh = Session(w.session.config)
    fresh.seek(w.session.t)
    np.testing.assert_array_equal(w.session.stack_trace.y, fresh.stack_trace.y)
