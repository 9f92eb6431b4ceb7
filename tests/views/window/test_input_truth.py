"""The input panel tells the truth: where the sequence came from (preset, typed, drawn, text,
lesson, trained weights) and how long it is, in the panel, the length setting and the pad,
agreeing with the step counter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from rnnviz.engine.train import TrainConfig
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path))


def shown(w: MainWindow) -> tuple[str, str, int, str]:
    """What the user reads: the source line, the preset list, the length box, the counter."""
    panel = w.input_panel
    return (
        panel.source_label.text(),
        panel.preset_combo.currentText() or panel.preset_combo.placeholderText(),
        w.controls.length_spin.value(),
        w.transport.step_label.text(),
    )


def test_opens_with_the_sine_preset_said_as_such(window: MainWindow) -> None:
    assert shown(window) == ("sine preset, 20 steps", "sine", 20, "t = 0 / 20")


def test_typed_numbers_are_said_typed_with_the_length_of_the_counter(qtbot, window) -> None:
    for _ in range(10):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    entry = window.input_panel.entry
    entry.setFocus()
    qtbot.keyClicks(entry, "0.5, 1")
    qtbot.keyClick(entry, Qt.Key.Key_Return)
    assert shown(window) == (
        "typed in the Feed box, 12 steps",
        "— not a preset —",
        12,
        "t = 12 / 12",
    )
    np.testing.assert_array_equal(window.input_panel.canvas.values(), window.session.sequence[:, 0])


def test_a_drawing_is_said_drawn(qtbot, window: MainWindow) -> None:
    canvas = window.input_panel.canvas
    qtbot.mousePress(canvas, LEFT, pos=canvas.point_for(1, 1.0))
    qtbot.mouseMove(canvas, canvas.point_for(20, -1.0))
    qtbot.mouseRelease(canvas, LEFT, pos=canvas.point_for(20, -1.0))
    assert shown(window) == ("drawn on the pad, 20 steps", "— not a preset —", 20, "t = 0 / 20")


def test_the_users_text_is_quoted_and_the_pad_shows_no_old_signal(qtbot, window) -> None:
    field = window.input_panel.text_entry
    field.setFocus()
    qtbot.keyClicks(field, "to be or not")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert shown(window) == (
        "your text “to be or not”, 12 steps",
        "— not a preset —",
        12,
        "t = 0 / 12",
    )
    assert not window.input_panel.canvas.values().any()  # flat: no sine left over


def test_the_length_box_loads_the_preset_at_that_length(qtbot, window) -> None:
    window.session.feed_text("1, 2")  # a typed sequence of 2 steps, both fed
    box = window.controls.length_spin
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "20")  # the setting already says 20: the sequence must follow
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert shown(window) == ("sine preset, 20 steps", "sine", 20, "t = 2 / 20")


def test_a_lesson_says_it_gives_the_inputs(qtbot, window: MainWindow) -> None:
    window.lessons.open_lesson("unrolling")
    title = window.lessons.player.scenario.title
    n = window.session.sequence.shape[0]
    text, preset, length, _ = shown(window)
    assert (text, preset, length) == (f"lesson “{title}”, {n} steps", "— not a preset —", n)
    assert not window.input_panel.canvas.values().any()  # "hello" is text, not a sine


def test_trained_weights_say_their_example_is_the_input(qtbot, window: MainWindow) -> None:
    lab = window.lab
    task = lab.make_task("delay", length=12, lag=3)
    for report in lab.training_steps(task, TrainConfig(epochs=2, seed=1)):
        lab.record_epoch(report)
    window.state.show_lab(True)
    view = window.lab_panel.view("Training")
    window.lab_panel.show_tab("Training")
    qtbot.waitUntil(view.adopt_button.isEnabled)
    qtbot.mouseClick(view.adopt_button, LEFT)
    assert shown(window)[:3] == ("an example of the trained task, 12 steps", "— not a preset —", 12)
