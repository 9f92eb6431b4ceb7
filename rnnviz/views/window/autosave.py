"""Autosave and crash recovery for one window.

Every minute, when the work differs from what was last saved, the document is written to
``autosave.rnnviz`` in the autosave folder (``$RNNVIZ_SETTINGS_DIR``, or the user's data
folder, e.g. ~/.local/share/rnnviz). Closing the window deletes it; so a file still there at
the next start means rnnviz did not close properly, and the window offers to recover it.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from rnnviz.session.document import SUFFIX, Document, DocumentError
from rnnviz.views.window.problems import ProblemReporter
from rnnviz.views.window.settings import app_settings, data_folder
from rnnviz.views.window.window_host import host, host_widget

AUTOSAVE_NAME = "autosave" + SUFFIX
AUTOSAVE_FOLDER_KEY = "autosave/folder"


def autosave_path() -> Path:
    folder = app_settings().value(AUTOSAVE_FOLDER_KEY)
    return (Path(folder) if isinstance(folder, str) and folder else data_folder()) / AUTOSAVE_NAME


def has_recovery() -> bool:
    """Whether an autosave is left from a run that did not close properly."""
    return autosave_path().is_file()


class Autosaver(ProblemReporter, QObject):
    """Public: ``timer``, ``autosave()``, ``offer_recovery()``, ``recovery_box`` (the
    recovery question while shown, with ``recover_button`` and ``discard_button``),
    ``recover()``, ``discard_recovery()`` and ``clean_exit()``."""

    INTERVAL_MS = 60_000

    def __init__(self, document: Document, persistent: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.document = document
        self.persistent = persistent
        self.recovery_box: QMessageBox | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.autosave)
        if persistent:
            self.timer.start()
            if has_recovery():
                # Asked once the window is up, not before it as a lone dialog.
                self._ask = QTimer(self)
                self._ask.setSingleShot(True)
                self._ask.timeout.connect(self.offer_recovery)
                self._ask.start(0)

    @property
    def window(self) -> QWidget:
        # The parent, not an attribute: window.autosave → self → window would be a cycle.
        return host_widget(self)

    def autosave(self) -> bool:
        """Write the autosave file if the work changed since the last save or autosave."""
        if not self.persistent:
            return False
        path = autosave_path()
        try:
            return self.document.autosave(path)
        except (DocumentError, OSError) as e:
            self.last_error = f"{path}: autosave failed ({e})"
            host(self).show_message(f"Autosave failed: {e}", 8000)
            return False

    def offer_recovery(self) -> None:
        """Ask (without blocking) whether to recover the work a crashed run autosaved."""
        if not has_recovery():
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved work?",
            "rnnviz did not close properly last time. Its autosaved session can be recovered.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setInformativeText(str(autosave_path()))
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.recover_button = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(self.recover_button)
        box.buttonClicked.connect(self._on_recovery_answer)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.recovery_box = box
        box.show()

    def _on_recovery_answer(self, button: QAbstractButton) -> None:
        self.recovery_box = None
        if button is self.recover_button:
            self.recover()
        else:
            self.discard_recovery()

    def recover(self) -> bool:
        """Open the autosave as an unsaved session (it is kept until the next autosave)."""
        path = autosave_path()
        host(self).stop_animations()
        try:
            self.document.recover(path)
        except DocumentError as e:
            self._fail("Cannot recover the autosaved session", str(e))
            path.unlink(missing_ok=True)  # unreadable: asking again at every start won't help
            return False
        host(self).show_message("Recovered the autosaved session: save it to keep it", 8000)
        return True

    def discard_recovery(self) -> None:
        autosave_path().unlink(missing_ok=True)

    def saved(self) -> None:
        """Everything is in a saved file: the autosave is not needed."""
        if self.persistent:
            autosave_path().unlink(missing_ok=True)

    def clean_exit(self) -> None:
        """The window closes normally: the autosave is not needed, unless the recovery
        question is still unanswered (it is asked again next time)."""
        self.timer.stop()
        if self.persistent and self.recovery_box is None:
            autosave_path().unlink(missing_ok=True)
