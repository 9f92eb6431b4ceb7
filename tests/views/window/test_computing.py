"""An expensive change is computed in the worker while the window keeps answering, shown
busy with Cancel (Esc), and committed in one change; cancel, supersede and stale commits.

Every change here counts as expensive (``INLINE_WORK`` = 0), and the session's copy in the
worker waits at a gate the test opens: what happens while it computes is not a race.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication

from rnnviz.engine import forward, init_params
from rnnviz.engine.train import TrainConfig
from rnnviz.io.weights import to_state_dict
from rnnviz.session import Change, Session, SessionConfig
from rnnviz.session.document import Document
from rnnviz.views import verbs
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

GATE = threading.Event()


def _wait_in_worker() -> None:
    if threading.current_thread() is not threading.main_thread():
        assert GATE.wait(10)


class GatedSession(Session):
    """A session whose verbs, run on its copy in the worker, wait for ``GATE``."""

    def set_config(self, **changes: object) -> None:
        _wait_in_worker()
        super().set_config(**changes)

    def feed_text(self, text: str) -> int:
        _wait_in_worker()
        return super().feed_text(text)

    def restore(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        _wait_in_worker()
        super().restore(*args, **kwargs)

    def set_params(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        _wait_in_worker()
        super().set_params(*args, **kwargs)


@pytest.fixture
def window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(verbs, "INLINE_WORK", 0)
    GATE.clear()
    w = MainWindow(GatedSession(SessionConfig(hidden_size=8)), persistent=False)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    w.session.seek(6)
    yield w
    GATE.set()  # a computation left waiting ends, so the window can close
    qtbot.waitUntil(lambda: not w.verbs.computing, timeout=10_000)


def pick_cell(w: MainWindow, cell: str) -> None:
    combo = w.controls.cell_combo
    index = combo.findData(cell)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def reference(**changes: object) -> Session:
    s = Session(SessionConfig(hidden_size=8))
    s.seek(6)
    s.set_config(**changes)
    return s


def test_the_window_answers_while_a_change_computes_then_shows_it(qtbot, window) -> None:
    s = window.session
    shown = window.state_heatmap.image_item.image.copy()
    changes: list[Change] = []
    s.changed.connect(changes.append)
    pick_cell(window, "lstm")

    # Computing: the session and every view keep the old state; the window says so.
    assert window.verbs.computing and s.config.cell == "vanilla"
    qtbot.waitUntil(window.progress.isVisible)  # the toolbar lays it out in the event loop
    assert window.act_cancel.isVisible()
    assert window.message.text() == "Computing: cell = lstm, activation = tanh… (Esc cancels)"
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, shown)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    qtbot.waitUntil(lambda: len(ticks) >= 5)  # the event loop runs meanwhile
    timer.stop()
    assert changes == [] and window.verbs.computing

    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    expected = reference(cell="lstm", activation="tanh")
    assert changes == [Change.STEPS | Change.CONFIG]  # one change, as the verb would emit
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, expected.trace.h)
    assert window.controls.cell_combo.currentData() == "lstm"
    qtbot.waitUntil(lambda: not window.progress.isVisible())
    assert not window.act_cancel.isVisible() and window.message.text() == ""


def test_a_step_while_computing_is_shown_and_the_change_is_computed_again_on_it(
    qtbot, window
) -> None:
    s = window.session
    pick_cell(window, "gru")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Left)  # processed at once, on the vanilla network
    assert s.t == 5 and s.config.cell == "vanilla"
    assert window.transport.step_label.text() == "t = 5 / 20"
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    # The first result was for t = 6: dropped, and computed again from t = 5.
    expected = reference(cell="gru", activation="tanh")
    expected.step_back()
    assert s.config.cell == "gru" and s.t == 5
    np.testing.assert_array_equal(s.trace.h_all, expected.trace.h_all)
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, expected.trace.h)


@pytest.mark.parametrize("how", ["Esc", "the Cancel button"])
def test_cancel_keeps_the_old_state_and_every_control_shows_it(qtbot, window, how) -> None:
    s = window.session
    trace = s.trace
    changes: list[Change] = []
    s.changed.connect(changes.append)
    pick_cell(window, "lstm")
    assert window.controls.cell_combo.currentData() == "lstm"  # what the user picked
    if how == "Esc":
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    else:
        qtbot.waitUntil(window.cancel_button.isVisible)
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert window.controls.cell_combo.currentData() == "vanilla"
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    assert changes == [] and s.trace is trace and s.config.cell == "vanilla"
    qtbot.waitUntil(lambda: not window.progress.isVisible())
    assert window.message.text() == ""


def test_a_second_change_supersedes_the_first_and_both_settings_apply(qtbot, window) -> None:
    s = window.session
    changes: list[Change] = []
    s.changed.connect(changes.append)
    pick_cell(window, "lstm")
    window.controls.hidden_spin.setValue(16)
    assert s.config.hidden_size == 8
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    expected = reference(cell="lstm", activation="tanh", hidden_size=16)
    assert len(changes) == 1
    assert s.config == expected.config
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, expected.trace.h)
    assert window.controls.hidden_spin.value() == 16
    assert window.controls.cell_combo.currentData() == "lstm"


def test_pasted_numbers_are_fed_in_the_worker(qtbot, window) -> None:
    s = window.session
    text = ", ".join(f"{0.01 * i:.2f}" for i in range(300))
    QApplication.clipboard().setText(text)
    entry = window.input_panel.entry
    entry.setFocus()
    entry.paste()
    qtbot.keyClick(entry, Qt.Key.Key_Return)
    assert s.t == 6 and entry.text() == ""  # taken: the box is ready for more
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    assert s.t == 306 and entry.text() == ""
    np.testing.assert_allclose(window.state_heatmap.image_item.image, s.trace.h)
    assert window.transport.step_label.text() == "t = 306 / 306"


def test_a_long_session_opens_in_the_worker(qtbot, window, tmp_path: Path) -> None:
    saved = Session(SessionConfig(cell="gru", hidden_size=12, sequence_length=80))
    saved.seek(50)
    path = tmp_path / "long.rnnviz"
    Document(saved).save_as(path)
    assert not window.files.open_session(path)  # not yet: computing
    assert window.session.t == 6 and window.windowTitle() != window.files.document.path
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    s = window.session
    assert s.config == saved.config and s.t == 50 and window.files.path == path
    assert not window.files.modified
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, saved.trace.h)
    assert window.message.text() == "Opened long.rnnviz"


def test_changes_of_other_kinds_wait_their_turn(qtbot, window) -> None:
    """A new cell, then two pastes: all three apply, in order (none supersedes another)."""
    s = window.session
    entry = window.input_panel.entry
    pick_cell(window, "gru")
    for text in ("0.5, 1", "-1, 2, 0.25"):
        QApplication.clipboard().setText(text)
        entry.setFocus()
        entry.paste()
        qtbot.keyClick(entry, Qt.Key.Key_Return)
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    expected = reference(cell="gru", activation="tanh")
    expected.feed_text("0.5, 1")
    expected.feed_text("-1, 2, 0.25")
    assert s.config.cell == "gru" and s.t == 11
    np.testing.assert_array_equal(s.trace.h_all, expected.trace.h_all)
    np.testing.assert_array_equal(window.state_heatmap.image_item.image, expected.trace.h)


def test_in_presentation_mode_esc_cancels_first_then_leaves(qtbot, window) -> None:
    window.state.presenting = True
    pick_cell(window, "lstm")
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.state.presenting and window.controls.cell_combo.currentData() == "vanilla"
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.state.presenting and window.session.config.cell == "vanilla"


def test_imported_weights_are_put_in_from_the_worker(qtbot, window, tmp_path: Path) -> None:
    params = init_params("gru", 1, 10, 1, np.random.default_rng(4))
    path = tmp_path / "gru.npz"
    np.savez(path, **to_state_dict(params))
    assert not window.files.import_weights(path)  # not yet: computing
    assert window.session.config.cell == "vanilla"
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    s = window.session
    assert s.config.cell == "gru" and s.config.hidden_size == 10 and s.t == 6
    np.testing.assert_array_equal(s.params.W_hh, params.W_hh)
    expected = forward(params, s.sequence[:6])
    np.testing.assert_allclose(window.state_heatmap.image_item.image, expected.h, atol=1e-12)
    assert window.message.text().startswith("Imported gru.npz: gru (tanh), 10 hidden units")


def test_trained_weights_are_put_in_from_the_worker(qtbot, window) -> None:
    lab = window.lab
    task = lab.make_task("delay", length=12, lag=3)
    for report in lab.training_steps(task, TrainConfig(epochs=2, seed=1)):
        lab.record_epoch(report)
    trained = lab.training.params
    view = window.lab_panel.view("Training")
    view.adopt_button.click()  # "Use trained weights"
    assert window.verbs.computing and window.session.params is not trained
    assert view.status.text().startswith("putting the weights after epoch 2")
    GATE.set()
    qtbot.waitUntil(lambda: not window.verbs.computing, timeout=10_000)
    s = window.session
    assert s.params is trained and s.sequence.shape == (12, 1)
    s.seek(12)
    want = forward(trained, s.sequence).h  # (12, H)
    np.testing.assert_allclose(window.state_heatmap.image_item.image, want)
