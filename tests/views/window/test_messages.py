"""The toolbar's hints: a problem in the theme's alert colour, work done (saved, opened,
exported) in its ink, never in red."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

from rnnviz.views.look.appearance import colors
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


def text_colors(w: MainWindow) -> set[str]:
    """The colours the message's letters are drawn in (their fully inked pixels)."""
    image = w.message.grab().toImage()
    pixels = {
        image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
    }
    return pixels & {colors().MESSAGE, colors().INK}


def test_work_done_is_not_red_and_a_problem_is(qtbot, window: MainWindow, tmp_path) -> None:
    window.files.save_session(tmp_path / "lesson.rnnviz")
    assert window.message.text() == "Saved lesson.rnnviz"
    assert text_colors(window) == {colors().INK}
    window.session.seek(window.session.sequence.shape[0])
    qtbot.keyClick(window, Qt.Key.Key_Right)  # past the end: a problem
    assert window.message.text().startswith("End of the sequence")
    assert text_colors(window) == {colors().MESSAGE}
