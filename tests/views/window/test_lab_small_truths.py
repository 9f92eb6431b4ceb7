"""The lab says what is true before and after a run: an idle progress bar says the run has
not started (not "0 / 100"), and the gradient check says which of its arrays are the
graph's and the equations' W_xh and b."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt, QThreadPool

from rnnviz.views.look.math_text import has_raw_markup, shown_text
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path))


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def test_idle_progress_bars_say_no_run_yet(qtbot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_L)
    for name in ("Training", "ρ sweep", "Gradient check"):
        window.lab_panel.show_tab(name)
        bar = window.lab_panel.view(name).progress
        assert bar.text() == "not run yet", name
        assert "0 /" not in bar.text()


def test_the_gradient_check_names_its_arrays_as_the_equations_do(qtbot, window) -> None:
    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    equations = window.equations.text()
    qtbot.keyClick(window, Qt.Key.Key_L)
    window.lab_panel.show_tab("Gradient check")
    view = window.lab_panel.view("Gradient check")
    with qtbot.waitSignal(view.runner.finished, timeout=20_000):
        qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    names = [view.table.item(r, 0).text() for r in range(view.table.rowCount())]
    assert (
        view.progress.text()
        == f"{view.progress.maximum()} / {view.progress.maximum()} weights nudged"
    )
    assert view.names_note.isVisible()
    note = shown_text(view.names_note.text()).replace("_", "")  # as read: typeset
    unlike = [n for n in names if n.replace("_", "") not in equations.replace("_", "")]
    assert set(unlike) == {"W_ih", "b_ih", "b_hh"}, "the arrays the equations call otherwise"
    for name in unlike:
        assert name.replace("_", "") in note
    assert "Wxh" in note and "Wxh" in equations  # subscripts are typeset there


def test_the_gradient_checks_table_typesets_its_array_names(qtbot, window) -> None:
    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_L)
    window.lab_panel.show_tab("Gradient check")
    view = window.lab_panel.view("Gradient check")
    with qtbot.waitSignal(view.runner.finished, timeout=20_000):
        qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    table = view.table
    delegate = table.itemDelegateForColumn(0)
    html = [delegate.displayed_html(table.model().index(r, 0)) for r in range(table.rowCount())]
    shown = [shown_text(h) for h in html]
    assert "Wih" in shown and "W<sub>ih</sub>" in html  # W_ih, typeset
    assert not any(has_raw_markup(t) for t in shown), shown
    # The cells are painted: the names column holds ink where the model's text would be.
    first = table.visualItemRect(table.item(0, 0))
    pixels = table.viewport().grab(first).toImage()
    inked = sum(
        pixels.pixelColor(x, y).lightness() < 128
        for x in range(pixels.width())
        for y in range(pixels.height())
    )
    assert inked > 10
