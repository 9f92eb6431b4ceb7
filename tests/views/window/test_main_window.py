"""The main window on a real session: every key does what it says, panels follow the session,
the transport bar scrubs, the backward pass animates and can be cancelled."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QWidget

from rnnviz.engine import bptt
from rnnviz.session import Change, Session, SessionConfig
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.snapshots import settle
from rnnviz.views.window.transport import BackwardSweep
from rnnviz.views.worker import CANCELLED

# The offscreen platform cannot resize native windows; that is not a fault of the window.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def fast_sweep(monkeypatch) -> None:
    """A whole backward sweep in 0.2 s instead of 2.5 s; the schedule logic stays the same."""
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 200)


def press(qtbot, w: MainWindow, key: Qt.Key) -> None:
    """A key press where the user's keyboard goes: the widget that has the focus."""
    target: QWidget = QApplication.focusWidget() or w
    qtbot.keyClick(target, key)


def steps(qtbot, w: MainWindow, n: int) -> None:
    for _ in range(n):
        press(qtbot, w, Qt.Key.Key_Right)


def test_opens_with_a_ready_network_and_sequence(window: MainWindow) -> None:
    assert window.windowTitle() == "rnnviz"
    assert window.session.t == 0
    assert window.session.sequence.shape == (20, 1)
    assert window.transport.step_label.text() == "t = 0 / 20"
    assert window.state_heatmap.image_item.image is None


def test_right_steps_and_every_panel_shows_the_new_step(qtbot, window: MainWindow) -> None:
    s = window.session
    steps(qtbot, window, 3)
    assert s.t == 3
    np.testing.assert_allclose(window.state_heatmap.image_item.image, s.trace.h)  # (3, H)
    assert "h_3" in window.graph.labels()
    assert "step t = 3" in window.equations.text()
    assert window.transport.step_label.text() == "t = 3 / 20"
    assert window.transport.slider.value() == 3


def test_left_steps_back_through_history(qtbot, window: MainWindow) -> None:
    s = window.session
    steps(qtbot, window, 4)
    press(qtbot, window, Qt.Key.Key_Left)
    assert s.t == 3
    assert window.state_heatmap.image_item.image.shape == (3, s.config.hidden_size)
    np.testing.assert_allclose(window.state_heatmap.image_item.image, s.trace.h)


def test_home_resets_to_the_start(qtbot, window: MainWindow) -> None:
    s = window.session
    steps(qtbot, window, 5)
    s.select(2)
    press(qtbot, window, Qt.Key.Key_Home)
    assert s.t == 0
    assert s.selected is None
    assert window.state_heatmap.image_item.image is None
    assert window.transport.slider.value() == 0


def test_right_at_the_end_says_so(qtbot, window: MainWindow) -> None:
    s = window.session
    s.seek(20)
    press(qtbot, window, Qt.Key.Key_Right)
    assert s.t == 20
    assert "End of the sequence" in window.message.text()


def test_space_plays_and_pauses(qtbot, window: MainWindow) -> None:
    s = window.session
    window.transport.speed.setValue(60)
    assert window.player.speed == 60
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.player.playing
    assert window.act_play.text() == "Pause"
    qtbot.waitUntil(lambda: s.t >= 4, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.player.playing
    assert window.act_play.text() == "Play"
    paused_at = s.t
    qtbot.wait(100)
    assert s.t == paused_at


def test_play_stops_at_the_end_of_the_sequence(qtbot, window: MainWindow) -> None:
    s = window.session
    s.seek(17)
    window.transport.speed.setValue(60)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.player.playing, timeout=3000)
    assert s.t == 20
    # Play at the end starts again from the beginning.
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.player.playing
    assert s.t == 1
    press(qtbot, window, Qt.Key.Key_Space)


def test_b_runs_and_animates_the_backward_pass(qtbot, window: MainWindow, fast_sweep) -> None:
    s = window.session
    steps(qtbot, window, 6)
    seen: list[int | None] = []
    s.changed.connect(lambda changes: seen.extend([s.sweep] if changes & Change.SWEEP else []))
    press(qtbot, window, Qt.Key.Key_B)
    assert window.sweep.running
    assert s.sweep == 6
    qtbot.waitUntil(lambda: s.sweep is None and not window.sweep.running, timeout=3000)
    assert seen == [6, 5, 4, 3, 2, 1, None]
    assert s.gradients is not None
    np.testing.assert_allclose(window.gradient_heatmap.image_item.image, s.gradients.dL_dh)


def test_the_sweep_reveals_gradients_from_the_last_step_down(
    qtbot, window: MainWindow, fast_sweep
) -> None:
    s = window.session
    steps(qtbot, window, 6)
    shown: list[np.ndarray] = []
    s.changed.connect(
        lambda changes: shown.extend(
            [window.gradient_heatmap.image_item.image] if changes & Change.SWEEP else []
        )
    )
    press(qtbot, window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: s.sweep is None, timeout=3000)
    assert s.gradients is not None
    dL_dh = s.gradients.dL_dh  # (6, H)
    first = shown[0]  # at sweep = 6 only step 6 is reached
    assert np.all(first[:5] == 0)
    np.testing.assert_allclose(first[5], dL_dh[5])
    np.testing.assert_allclose(shown[-1], dL_dh)


def test_a_long_backward_pass_runs_in_the_worker_then_animates(
    qtbot, window: MainWindow, fast_sweep, monkeypatch
) -> None:
    monkeypatch.setattr(BackwardSweep, "INLINE_WORK", 0)  # every pass counts as long
    s = window.session
    steps(qtbot, window, 6)
    seen: list[int | None] = []
    s.changed.connect(lambda changes: seen.extend([s.sweep] if changes & Change.SWEEP else []))
    press(qtbot, window, Qt.Key.Key_B)
    assert window.sweep.runner.running and window.sweep.running
    assert s.gradients is None  # the key returned before the pass was done
    assert window.message.text().startswith("Computing the backward pass over 6 steps")
    qtbot.waitUntil(lambda: not window.sweep.running, timeout=5000)
    assert seen == [6, 5, 4, 3, 2, 1, None]
    expected = bptt(s.trace, s.targets, loss=s.loss, loss_at=s.config.loss_at)
    np.testing.assert_allclose(window.gradient_heatmap.image_item.image, expected.dL_dh)
    assert window.message.text() == ""


def test_a_step_cancels_a_backward_pass_in_the_worker(
    qtbot, window: MainWindow, monkeypatch
) -> None:
    monkeypatch.setattr(BackwardSweep, "INLINE_WORK", 0)
    s = window.session
    s.set_config(hidden_size=128)
    s.set_sequence(np.sin(0.1 * np.arange(3000)))
    s.seek(2999)
    press(qtbot, window, Qt.Key.Key_B)
    with qtbot.waitSignal(window.sweep.runner.finished, timeout=10_000) as done:
        press(qtbot, window, Qt.Key.Key_Right)
    assert done.args == [CANCELLED]
    qtbot.wait(50)
    assert s.t == 3000 and s.gradients is None and s.sweep is None
    assert not window.sweep.running and window.message.text() == ""


def test_sweep_lasts_about_two_and_a_half_seconds_with_frames_of_16_ms_or_more() -> None:
    for T in (1, 5, 20, 200, 1000, 5000):
        s = Session(SessionConfig(sequence_length=T))
        s.seek(T)
        sweep = BackwardSweep(s)
        assert sweep.start()
        frames = -(-T // sweep.stride) + 1  # T, T − stride, …, 1, then the end
        assert sweep.interval_ms >= 16
        assert 2000 <= frames * sweep.interval_ms <= 3000, (T, frames, sweep.interval_ms)
        sweep.cancel()
        assert s.sweep is None


def test_b_again_restarts_and_a_step_cancels_the_sweep(qtbot, window: MainWindow) -> None:
    s = window.session
    steps(qtbot, window, 8)
    press(qtbot, window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: s.sweep is not None and s.sweep < 8, timeout=3000)
    press(qtbot, window, Qt.Key.Key_B)
    assert s.sweep == 8
    assert window.sweep.running
    press(qtbot, window, Qt.Key.Key_Right)
    assert s.t == 9
    assert not window.sweep.running
    assert s.sweep is None
    assert s.gradients is None
    qtbot.wait(150)
    assert s.sweep is None


def test_b_before_any_step_says_what_to_do(qtbot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_B)
    assert window.session.gradients is None
    assert not window.sweep.running
    assert "Feed at least one step" in window.message.text()


def test_b_stops_playing(qtbot, window: MainWindow) -> None:
    steps(qtbot, window, 3)
    press(qtbot, window, Qt.Key.Key_Space)
    press(qtbot, window, Qt.Key.Key_B)
    assert not window.player.playing
    assert window.sweep.running
    window.sweep.cancel()


def test_u_folds_and_unfolds_the_graph(qtbot, window: MainWindow) -> None:
    start = window.graph.unrolled
    press(qtbot, window, Qt.Key.Key_U)
    assert window.graph.unrolled is not start
    press(qtbot, window, Qt.Key.Key_U)
    assert window.graph.unrolled is start


def test_f11_toggles_full_screen(qtbot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_F11)
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert window.act_full_screen.isChecked()
    press(qtbot, window, Qt.Key.Key_F11)
    assert not window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.act_full_screen.isChecked()


def test_h_hides_and_shows_the_side_panels(qtbot, window: MainWindow) -> None:
    assert window.controls_dock.isVisible() and window.input_dock.isVisible()
    press(qtbot, window, Qt.Key.Key_H)
    assert not window.controls_dock.isVisible()
    assert not window.input_dock.isVisible()
    assert window.act_hide_controls.isChecked()
    press(qtbot, window, Qt.Key.Key_H)
    assert window.controls_dock.isVisible() and window.input_dock.isVisible()


def test_keys_work_whatever_panel_has_the_focus(qtbot, window: MainWindow) -> None:
    s = window.session
    focusable = (
        window.graph.graphics,
        window.state_heatmap.plot,
        window.transport.slider,
        window.input_panel.feed_button,
        window.controls.cell_combo,
    )
    for panel in focusable:
        panel.setFocus()
        before = s.t
        qtbot.keyClick(panel, Qt.Key.Key_Right)
        assert s.t == before + 1


def test_typing_in_a_line_edit_keeps_its_keys(qtbot, window: MainWindow) -> None:
    s = window.session
    entry = window.input_panel.entry
    entry.setFocus()
    qtbot.waitUntil(entry.hasFocus)
    qtbot.keyClicks(entry, "0.5")
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Home, Qt.Key.Key_Right, Qt.Key.Key_Space):
        qtbot.keyClick(entry, key)
    qtbot.keyClick(entry, Qt.Key.Key_U)
    assert entry.text() == "0 u.5"  # ← Home → moved the cursor; Space and u typed
    assert s.t == 0
    assert not window.player.playing
    assert window.graph.unrolled


def test_menus_hold_the_actions_and_tooltips_name_the_keys(window: MainWindow) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert {"File", "View", "Run", "Lessons", "Help"} <= set(menus)
    assert window.act_quit in menus["File"].actions()
    view = set(menus["View"].actions())
    assert {window.act_unroll, window.act_full_screen, window.act_hide_controls} <= view
    run = set(menus["Run"].actions())
    assert {window.act_step, window.act_back, window.act_play, window.act_reset} <= run
    assert window.act_backward in run
    assert {window.act_keys, window.act_about} <= set(menus["Help"].actions())

    assert window.act_step.toolTip() == "Step forward (→)"
    assert window.act_back.toolTip() == "Step back (←)"
    assert window.act_play.toolTip() == "Play / pause (Space)"
    assert window.act_reset.toolTip() == "Reset to t = 0 (Home)"
    assert window.act_backward.toolTip().endswith("(B)")
    assert window.act_unroll.toolTip().endswith("(U)")
    assert window.act_full_screen.toolTip() == "Full screen (F11)"
    tips = {b.toolTip() for b in window.transport.buttons}
    assert {"Step forward (→)", "Step back (←)", "Play / pause (Space)"} <= tips


def test_the_timeline_slider_scrubs(window: MainWindow) -> None:
    s = window.session
    slider = window.transport.slider
    assert (slider.minimum(), slider.maximum()) == (0, 20)
    slider.setValue(7)
    assert s.t == 7
    np.testing.assert_allclose(window.state_heatmap.image_item.image, s.trace.h)
    slider.setValue(2)
    assert s.t == 2
    s.set_sequence(np.linspace(-1, 1, 30))
    assert slider.maximum() == 30
    assert window.transport.step_label.text() == "t = 0 / 30"


def test_selecting_a_step_focuses_the_panels(qtbot, window: MainWindow) -> None:
    s = window.session
    steps(qtbot, window, 6)
    s.select(3)
    assert "step t = 3" in window.equations.text()
    assert window.state_heatmap.marker.isVisible()
    assert window.state_heatmap.marker.value() == 3
    s.select(None)
    assert "step t = 6" in window.equations.text()


def test_keys_and_about_dialogs_open_without_blocking(qtbot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_F1)
    window.act_about.trigger()
    boxes = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]
    texts = " ".join(b.text() for b in boxes if hasattr(b, "text"))
    assert "Space" in texts and "rnnviz 0.1.0" in texts
    for b in boxes:
        b.close()


def test_l_switches_to_the_gradient_lab_and_back(qtbot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_L)
    assert window.pages.currentWidget() is window.lab_panel and window.act_lab.isChecked()
    # Stepping from the lab page still steps the one session both pages show.
    press(qtbot, window, Qt.Key.Key_Right)
    assert window.session.t == 1
    press(qtbot, window, Qt.Key.Key_L)
    assert window.pages.currentWidget() is window.splitter and not window.act_lab.isChecked()


def test_empty_panel_hints_fit_inside_their_plots(qtbot, window: MainWindow) -> None:
    steps(qtbot, window, 3)  # the gradient panels now ask for the backward pass
    settle()  # as painted: pyqtgraph moves a plot's items to its new size at the paint
    for panel in (window.gradient_heatmap, window.gradient_plot):
        hint = panel.hint
        assert hint.isVisible()
        box = hint.getViewBox().sceneBoundingRect()
        assert box.contains(hint.mapRectToScene(hint.boundingRect())), type(panel).__name__


def test_heatmaps_mark_the_selected_step_where_they_have_data(
    qtbot, window: MainWindow, fast_sweep
) -> None:
    steps(qtbot, window, 4)
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.state_heatmap.marker.isVisible()
    assert window.state_heatmap.marker.value() == 3
    assert not window.gradient_heatmap.marker.isVisible()  # nothing to point at yet
    press(qtbot, window, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: window.session.sweep is None, timeout=3000)
    assert window.gradient_heatmap.marker.isVisible()
    assert window.gradient_heatmap.marker.value() == window.session.selected_step == 3


def test_a_closed_window_is_freed_at_once_not_by_the_garbage_collector(qtbot) -> None:
    """No reference cycle through a controller or a connected lambda: a window left to the
    cycle collector is torn apart in any order, which crashes Qt's handlers mid-paint."""
    gc.disable()
    try:
        w = MainWindow(Session(), persistent=False)
        w.show()
        qtbot.waitExposed(w)
        w.close()
        ref = weakref.ref(w)
        del w
        assert ref() is None
    finally:
        gc.enable()


def test_the_window_follows_its_state_and_the_keys_set_it(qtbot, window: MainWindow) -> None:
    state = window.state
    state.page = "lab"
    assert window.pages.currentWidget() is window.lab_panel and window.act_lab.isChecked()
    state.lab_tab = "Jacobians"
    assert window.lab_panel.tabs.tabText(window.lab_panel.tabs.currentIndex()) == "Jacobians"
    window.lab_panel.tabs.setCurrentIndex(0)  # the user clicks a tab: the state follows
    assert state.lab_tab == window.lab_panel.tabs.tabText(0)
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert state.page == "network" and window.pages.currentWidget() is window.splitter
    state.unrolled = False
    assert not window.graph.unrolled
    qtbot.keyClick(window, Qt.Key.Key_U)
    assert state.unrolled and window.graph.unrolled
    state.controls_hidden = True
    assert not window.input_dock.isVisible() and window.act_hide_controls.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not state.controls_hidden and window.input_dock.isVisible()
