"""The main window as a user meets it: shown at a desktop size, active, keys going to it."""

from __future__ import annotations

import pytest
from main_window_shown import show_main_window

from rnnviz.session import Session
from rnnviz.views.window.main_window import MainWindow


@pytest.fixture
def window(qtbot) -> MainWindow:
    return show_main_window(qtbot, Session())
