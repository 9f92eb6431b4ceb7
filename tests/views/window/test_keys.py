"""Keys that always work: the window's keys act whatever has the focus, unless a field needs
that very key; Enter commits a field and gives the keys back; the wheel over a box that is
not being edited scrolls its panel and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.transport import BackwardSweep

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's real settings."""
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path))


@pytest.fixture(autouse=True)
def fast_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackwardSweep, "DURATION_MS", 100)


def press(qtbot, w: MainWindow, key: Qt.Key, text: str = "") -> None:
    """A key where the user's keyboard goes: the widget that has the focus."""
    target: QWidget = QApplication.focusWidget() or w
    if text:
        qtbot.keyClicks(target, text)
    else:
        qtbot.keyClick(target, key)


def focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def wheel_over(widget: QWidget, notches: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_enter_in_the_feed_box_feeds_and_gives_the_keys_back(qtbot, window: MainWindow) -> None:
    s, entry = window.session, window.input_panel.entry
    focus(qtbot, entry)
    qtbot.keyClicks(entry, "0.5, -1")
    press(qtbot, window, Qt.Key.Key_Return)
    assert s.t == 2
    assert not entry.hasFocus()
    press(qtbot, window, Qt.Key.Key_B)  # runs the backward pass, types no "b"
    assert entry.text() == ""
    assert s.gradients is not None
    press(qtbot, window, Qt.Key.Key_U)
    assert not window.graph.unrolled


def test_a_mistake_in_the_feed_box_keeps_the_keys_to_correct_it(qtbot, window) -> None:
    s, entry = window.session, window.input_panel.entry
    focus(qtbot, entry)
    qtbot.keyClicks(entry, "0.5, x")
    press(qtbot, window, Qt.Key.Key_Return)
    assert s.t == 0
    assert window.input_panel.feed_error.isVisible()
    assert entry.hasFocus()
    for key in (Qt.Key.Key_Backspace, Qt.Key.Key_Backspace, Qt.Key.Key_Backspace):
        press(qtbot, window, key)
    press(qtbot, window, Qt.Key.Key_Return)
    assert s.t == 1
    assert not entry.hasFocus()


def test_the_feed_box_keeps_the_digits_letters_and_minus_it_types(qtbot, window) -> None:
    s, entry = window.session, window.input_panel.entry
    focus(qtbot, entry)
    press(qtbot, window, Qt.Key.Key_Right)  # empty: the window steps
    assert s.t == 1
    qtbot.keyClicks(entry, "-1e")
    for key in (Qt.Key.Key_B, Qt.Key.Key_U, Qt.Key.Key_L, Qt.Key.Key_H):
        press(qtbot, window, key)
    assert entry.text() == "-1ebulh"
    assert s.gradients is None and window.graph.unrolled
    assert not window.state.controls_hidden and window.state.page == "network"
    press(qtbot, window, Qt.Key.Key_F11)  # no field types F11
    assert window.act_full_screen.isChecked()


def test_enter_in_the_rho_box_commits_it_and_b_runs_the_backward_pass(qtbot, window) -> None:
    s, rho = window.session, window.controls.rho_spin
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Right)
    focus(qtbot, rho)
    rho.selectAll()
    qtbot.keyClicks(rho, "1.5")
    press(qtbot, window, Qt.Key.Key_Return)
    assert s.config.spectral_radius == 1.5
    assert not rho.hasFocus()
    press(qtbot, window, Qt.Key.Key_B)
    assert s.gradients is not None
    assert s.config.spectral_radius == 1.5


@pytest.mark.parametrize("box", ["seed_spin", "rho_spin", "hidden_spin", "cell_combo"])
def test_a_focused_box_passes_on_every_window_key_it_cannot_type(qtbot, window, box) -> None:
    s, field = window.session, getattr(window.controls, box)
    config = s.config
    focus(qtbot, field)
    press(qtbot, window, Qt.Key.Key_Right)
    press(qtbot, window, Qt.Key.Key_Right)
    press(qtbot, window, Qt.Key.Key_Left)
    assert s.t == 1
    press(qtbot, window, Qt.Key.Key_B)
    assert s.gradients is not None
    press(qtbot, window, Qt.Key.Key_Home)
    assert s.t == 0
    press(qtbot, window, Qt.Key.Key_U)
    assert not window.graph.unrolled
    press(qtbot, window, Qt.Key.Key_H)
    assert window.state.controls_hidden
    press(qtbot, window, Qt.Key.Key_H)
    press(qtbot, window, Qt.Key.Key_L)
    assert window.state.page == "lab"
    press(qtbot, window, Qt.Key.Key_L)
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.player.playing
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.player.playing
    press(qtbot, window, Qt.Key.Key_F5)
    assert window.state.presenting
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not window.state.presenting
    assert s.config == config  # the box itself never changed


def test_a_focused_spin_box_still_types_its_digits(qtbot, window: MainWindow) -> None:
    s, seed = window.session, window.controls.seed_spin
    focus(qtbot, seed)
    seed.selectAll()
    qtbot.keyClicks(seed, "42")
    assert s.t == 0
    press(qtbot, window, Qt.Key.Key_Return)
    assert s.config.seed == 42
    press(qtbot, window, Qt.Key.Key_Right)
    assert s.t == 1


def test_the_wheel_over_an_unfocused_box_changes_nothing(qtbot, window: MainWindow) -> None:
    s, controls = window.session, window.controls
    window.resize(1600, 600)  # the side panel scrolls
    qtbot.waitUntil(lambda: controls.scroll.verticalScrollBar().maximum() > 0)
    bar = controls.scroll.verticalScrollBar()
    config = s.config
    for box in (controls.seed_spin, controls.cell_combo, controls.hidden_spin):
        before = bar.value()
        wheel_over(box)
        assert bar.value() > before, "the panel scrolls"
        assert not box.hasFocus()
        bar.setValue(0)
    assert s.config == config
    press(qtbot, window, Qt.Key.Key_Right)
    assert s.t == 1


def test_no_box_of_the_window_takes_the_focus_from_the_wheel(qtbot, window) -> None:
    """Qt gives a box whose policy includes the wheel the focus before any filter sees a
    real wheel event (a test cannot send one); then → would edit it instead of stepping."""
    window.state.show_lab(True)
    for name in ("Compare", "ρ sweep", "Jacobians", "Saturation", "Training"):
        window.lab_panel.show_tab(name)  # built as it is shown
        qtbot.wait(1)
    boxes = [b for b in window.findChildren((QAbstractSpinBox, QComboBox)) if b.isVisible()]
    assert len(boxes) > 10
    wheel = Qt.FocusPolicy.WheelFocus
    assert [b for b in boxes if b.focusPolicy() == wheel] == []
