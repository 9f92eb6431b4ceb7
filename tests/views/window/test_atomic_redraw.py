"""Atomic verbs, always redrawn: a rejected change leaves the session and every view as they
were, and no finite value, however large, makes a view raise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from psygnal import EmitLoopError

from rnnviz.session import Change, Session
from rnnviz.session.document import Document
from rnnviz.views.look.plot_style import CLAMPED_NOTE, PLOT_MAX
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch) -> MainWindow:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    w = MainWindow(Session())
    qtbot.addWidget(w)
    return w


def shown(window: MainWindow) -> tuple[str, int, int]:
    """The step counter, the fed inputs drawn and the hidden-state columns drawn."""
    x, _ = window.sequence_plot.curves["input"].getData()
    image = window.state_heatmap.image_item.image
    columns = 0 if image is None else image.shape[0]
    return window.transport.step_label.text(), 0 if x is None else len(x), columns


def test_a_failed_open_leaves_every_view_showing_the_old_work(
    window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    other = Document(Session())
    other.session.seek(7)
    other.lab.compare()  # the file asks for the comparison: opening it fails there
    path = tmp_path / "seven.rnnviz"
    other.save_as(path)

    window.session.seek(3)
    before = shown(window)
    assert before[0] == "t = 3 / 20"
    modified = window.document.modified

    def fail() -> None:
        raise MemoryError

    monkeypatch.setattr(window.lab, "compare", fail)
    assert not window.files.open_session(path)
    assert "MemoryError" in window.files.error_box.text()
    assert window.session.t == 3
    assert shown(window) == before  # not "t = 7 / 20": the rollback was redrawn
    assert window.document.modified == modified and window.document.path is None


def test_a_view_that_raises_mid_change_sees_the_rollback() -> None:
    session = Session()
    seen: list[int] = []

    def view(changes: Change) -> None:
        seen.append(session.config.hidden_size)
        if session.config.hidden_size == 16:
            raise RuntimeError("a view that cannot draw this")

    session.changed.connect(view)
    with pytest.raises(EmitLoopError):
        session.set_config(hidden_size=16)
    assert session.config.hidden_size == 8
    assert seen == [16, 8]  # the view was told, and redrew the old network


@pytest.mark.parametrize("typed", ["1e308", "-1.7e308 1.7e308", "1e308 -1e308 5e-324"])
def test_extreme_finite_inputs_are_drawn_clamped_and_marked(
    qtbot, window: MainWindow, typed: str
) -> None:
    panel = window.input_panel
    panel.entry.setText(typed)
    panel.feed()  # no view raises
    fed = len(typed.split())
    assert window.session.t == fed
    assert window.transport.step_label.text() == f"t = {fed} / {fed}"
    _, y = window.sequence_plot.curves["input"].getData()
    assert np.all(np.abs(y) <= PLOT_MAX)
    assert np.abs(y).max() == PLOT_MAX  # at the edge
    title = window.sequence_plot.inputs_plot.titleLabel.text
    assert CLAMPED_NOTE in title
    for verb in (window.session.step_back, window.session.run_backward, window.session.reset):
        verb()  # every view redraws without raising
    window.session.seek(fed)
    window.session.run_backward()
    assert window.transport.step_label.text() == f"t = {fed} / {fed}"
