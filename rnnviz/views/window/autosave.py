"""Autosave and crash recovery, one autosave per window.

Every few seconds, when the work differs from what was last saved, the window's document is
written to its own ``autosave-<pid>-<n>.rnnviz`` in the autosave folder
(``$RNNVIZ_SETTINGS_DIR``, or the user's data folder, e.g. ~/.local/share/rnnviz), beside a
lock file that the window holds while it lives. Closing the window deletes both. An autosave
whose lock nobody holds was left by a window that did not close properly: the next window
to start offers to recover it, whichever other rnnviz windows are running, with its time.
Writes are atomic (``rnnviz.io.session_file.write_session``): a reader never sees half a file.
"""

from __future__ import annotations

import functools
import itertools
import os
from datetime import datetime
from pathlib import Path

from PyQt6.QtCore import QLockFile, QObject, Qt, QTimer
from PyQt6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from rnnviz.session.document import SUFFIX, Document, DocumentError, Opening
from rnnviz.session.prepared import Prepared
from rnnviz.views.lifetime import on_destroyed
from rnnviz.views.verbs import Job
from rnnviz.views.window.problems import ProblemReporter
from rnnviz.views.window.settings import app_settings, data_folder
from rnnviz.views.window.window_host import host, host_widget

AUTOSAVE_FOLDER_KEY = "autosave/folder"
PREFIX = "autosave-"
_serials = itertools.count(1)  # windows of this process, for their autosaves' names


def autosave_folder() -> Path:
    folder = app_settings().value(AUTOSAVE_FOLDER_KEY)
    return Path(folder) if isinstance(folder, str) and folder else data_folder()


def lock_path(autosave: Path) -> Path:
    return autosave.with_suffix(".lock")


def orphans() -> list[Path]:
    """Autosaves whose window is gone without closing (nobody holds their lock), newest
    first."""
    found = []
    for path in autosave_folder().glob(f"{PREFIX}*{SUFFIX}"):
        lock = QLockFile(str(lock_path(path)))
        lock.setStaleLockTime(0)  # stale only when its process is gone, however old
        if lock.tryLock(0):
            lock.unlock()
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def has_recovery() -> bool:
    """Whether an autosave is left by a window that did not close properly."""
    return bool(orphans())


def _drop(path: Path, lock: QLockFile) -> None:
    """The window is gone the normal way: its autosave is not needed."""
    path.unlink(missing_ok=True)
    lock.unlock()


class Autosaver(ProblemReporter, QObject):
    """Public: ``path`` (this window's autosave, None when not persistent), ``timer``,
    ``autosave()``, ``offer_recovery()``, ``recovery_box`` (the recovery question while
    shown, with ``recover_button`` and ``discard_button``; ``recovering`` is the file it
    asks about), ``recover()``, ``discard_recovery()``, ``saved()`` and ``clean_exit()``."""

    INTERVAL_MS = 5_000  # a kill -9 loses at most this much work

    def __init__(self, document: Document, persistent: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.document = document
        self.persistent = persistent
        self.path: Path | None = None
        self.recovery_box: QMessageBox | None = None
        self.recovering: Path | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.autosave)
        if not persistent:
            return
        self._claim()
        self.timer.start()
        if has_recovery():
            # Asked once the window is up, not before it as a lone dialog.
            self._ask = QTimer(self)
            self._ask.setSingleShot(True)
            self._ask.timeout.connect(self.offer_recovery)
            self._ask.start(0)

    def _claim(self) -> None:
        """This window's autosave name, and the lock that says the window is alive."""
        folder = autosave_folder()
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            path = folder / f"{PREFIX}{os.getpid()}-{next(_serials)}{SUFFIX}"
            lock = QLockFile(str(lock_path(path)))
            lock.setStaleLockTime(0)
            if lock.tryLock(0):
                break
        self.path, self._lock = path, lock
        # A window deleted without closing (not a crash: the process lives on) leaves no
        # autosave behind; bound to the path and lock only, not to self (no cycle).
        on_destroyed(self, functools.partial(_drop, path, lock))

    @property
    def window(self) -> QWidget:
        # The parent, not an attribute: window.autosave → self → window would be a cycle.
        return host_widget(self)

    def autosave(self) -> bool:
        """Write the autosave file if the work changed since the last save or autosave."""
        if self.path is None:
            return False
        try:
            return self.document.autosave(self.path)
        except (DocumentError, OSError) as e:
            self.last_error = f"{self.path}: autosave failed ({e})"
            host(self).show_message(f"Autosave failed: {e}", 8000)
            return False

    def offer_recovery(self) -> None:
        """Ask (without blocking) whether to recover the newest work a window that did not
        close properly autosaved."""
        left = orphans()
        if not left or self.recovery_box is not None:
            return
        self.recovering = path = left[0]
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
        more = f" ({len(left) - 1} more after this one)" if len(left) > 1 else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved work?",
            "An rnnviz window did not close properly. The work it autosaved at "
            f"{when} can be recovered{more}.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(str(path))
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
            self.recover()  # offers the next one once this one is in (maybe from the worker)
        else:
            self.discard_recovery()
            self._offer_next()

    def _offer_next(self) -> None:
        if has_recovery():
            self.offer_recovery()  # the next one a crashed window left

    def recover(self) -> bool:
        """Open the autosave being offered as unsaved work; it is deleted once this
        window's own autosave holds the work."""
        path = self.recovering or next(iter(orphans()), None)
        if path is None:
            return False
        host(self).stop_animations()
        try:
            opening = self.document.read(path)
            verbs = host(self).verbs
            if verbs.expensive("restore", *opening.restore_args):
                # A long session is replayed in the worker, as File ▸ Open does.
                job = Job(
                    f"recovering {path.name}",
                    "restore",
                    opening.restore_args,
                    {},
                    functools.partial(self._put_in, path, opening),
                    failed=functools.partial(self._cannot_recover, path),
                )
                verbs.start(job)
                return False
            self.document.recover_opening(opening)
        except DocumentError as e:
            self._cannot_recover(path, str(e))
            return False
        self._recovered(path)
        return True

    def _put_in(self, path: Path, opening: Opening, restored: Prepared) -> bool:
        try:
            if not self.document.recover_opening(opening, restored):
                return False
        except DocumentError as e:
            self._cannot_recover(path, str(e))
            return True  # refused, not stale: computing it again would not help
        self._recovered(path)
        return True

    def _cannot_recover(self, path: Path, message: str) -> None:
        self._fail("Cannot recover the autosaved session", message)
        path.unlink(missing_ok=True)  # unreadable: asking again at every start won't help
        self._offer_next()

    def _recovered(self, path: Path) -> None:
        """The autosave's work is in: it goes once this window's own autosave holds it."""
        if self.path is None or self.autosave():
            path.unlink(missing_ok=True)
        self.recovering = None
        host(self).show_message(
            "Recovered the autosaved session: save it to keep it", 8000, done=True
        )
        self._offer_next()

    def discard_recovery(self) -> None:
        if self.recovering is not None:
            self.recovering.unlink(missing_ok=True)
        self.recovering = None

    def saved(self) -> None:
        """Everything is in a saved file: the autosave is not needed."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def clean_exit(self) -> None:
        """The window closes normally: its autosave is not needed."""
        self.timer.stop()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
