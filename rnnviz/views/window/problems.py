"""One file problem at a time, in a non-modal box that names the file and the problem."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox, QWidget


def show_problem(parent: QWidget, title: str, message: str) -> QMessageBox:
    """A non-modal warning (the keys keep working behind it) that deletes itself on close."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Close)
    box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file names and contents
    box.setParent(parent, box.windowFlags())
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


class ProblemReporter:
    """Shows one file problem at a time in a non-modal box, and remembers its message.

    Mixed into the window's file and export controllers: ``last_error`` is the last
    message, ``error_box`` the box on screen (None once it is closed).
    """

    window: QWidget
    last_error: str | None = None
    error_box: QMessageBox | None = None

    def _fail(self, title: str, message: str) -> None:
        """A non-modal message naming the file and the problem (the work is untouched)."""
        self.last_error = message
        if self.error_box is not None:
            self.error_box.close()
        self.error_box = show_problem(self.window, title, message)
        self.error_box.destroyed.connect(self._forget_error_box)

    def _forget_error_box(self) -> None:
        self.error_box = None
