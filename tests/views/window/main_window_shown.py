"""The main window as a user meets it: shown at a desktop size, active, keys going to it."""

from __future__ import annotations

from PyQt6.QtWidgets import QApplication

from rnnviz.session import Session
from rnnviz.views.window.main_window import MainWindow


def show_main_window(qtbot, session: Session, persistent: bool = True) -> MainWindow:
    w = MainWindow(session, persistent=persistent)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w
