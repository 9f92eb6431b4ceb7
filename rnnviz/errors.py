"""The exception hook: an error in any slot is logged and shown, and the app keeps running.

PyQt6 aborts the whole process on an exception that escapes a slot unless ``sys.excepthook``
is replaced, so a typo in one panel would otherwise take the lecture down with it.
"""

from __future__ import annotations

import datetime
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PyQt6.QtCore import QStandardPaths
from PyQt6.QtWidgets import QMessageBox, QWidget

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def default_log_path() -> Path:
    """``rnnviz.log`` in the user's cache folder (e.g. ~/.cache/rnnviz on Linux)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(folder or Path.home() / ".cache" / "rnnviz") / "rnnviz.log"


class ErrorReporter:
    """Writes each unhandled exception to the log and stderr and shows it in one dialog.

    The dialog is non-modal and reused: a slot that fails on every timer tick updates the
    count instead of stacking up windows, and the keys keep working behind it.
    """

    def __init__(self, log_path: Path, parent: QWidget | None = None) -> None:
        self.log_path = log_path
        self.parent = parent
        self.dialog: QMessageBox | None = None
        self.count = 0
        self._previous: ExceptHook | None = None

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self.hook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook = self._previous
            self._previous = None

    def hook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.count += 1
        print(details, file=sys.stderr, end="")
        logged = self._write_log(details)
        try:
            self._show(f"{exc_type.__name__}: {exc}", details, logged)
        except Exception:  # the dialog itself failed: stderr already has the report
            traceback.print_exc(file=sys.stderr)

    def _write_log(self, details: str) -> bool:
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(f"--- {stamp}\n{details}")
        except OSError as err:
            print(f"rnnviz: cannot write the log {self.log_path}: {err}", file=sys.stderr)
            return False
        return True

    def _show(self, message: str, details: str, logged: bool) -> None:
        if self.dialog is None:
            self.dialog = QMessageBox(self.parent)
            self.dialog.setIcon(QMessageBox.Icon.Critical)
            self.dialog.setWindowTitle("rnnviz: unexpected error")
            self.dialog.setStandardButtons(QMessageBox.StandardButton.Close)
            self.dialog.setModal(False)
        where = f"Details were written to {self.log_path}." if logged else "See the terminal."
        more = f" ({self.count} errors so far)" if self.count > 1 else ""
        self.dialog.setText(message)
        self.dialog.setInformativeText(f"Something went wrong{more}; rnnviz keeps running. {where}")
        self.dialog.setDetailedText(details)
        self.dialog.show()
        self.dialog.raise_()


def install_excepthook(
    parent: QWidget | None = None, log_path: Path | None = None
) -> ErrorReporter:
    """Replace ``sys.excepthook``; call it right after creating the QApplication."""
    reporter = ErrorReporter(log_path or default_log_path(), parent)
    reporter.install()
    return reporter
