"""The File menu: New, Open, Open recent, Save, Save as and Import weights, as menus and
dialogs over the document (``rnnviz.session.document``), which does the work.

Every file that cannot be used (corrupt, truncated, foreign, too new, unreadable) is reported
in a message naming the file and the problem, and the session stays exactly as it was.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from rnnviz.session.choices import ACTIVATIONS
from rnnviz.session.document import SUFFIX, Document, DocumentError, Opening
from rnnviz.session.prepared import Prepared
from rnnviz.session.weights import (
    WEIGHT_SUFFIXES,
    WeightImportError,
    Weights,
    read_weights,
    use_weights,
    with_activation,
)
from rnnviz.views.look.plain_text import plain_tooltip
from rnnviz.views.verbs import Job
from rnnviz.views.window.problems import ProblemReporter
from rnnviz.views.window.settings import (
    last_folder,
    recent_files,
    remember_folder,
    set_recent_files,
)
from rnnviz.views.window.window_host import host, host_widget

SESSION_FILTER = f"rnnviz sessions (*{SUFFIX})"
WEIGHT_FILTER = f"Weights ({' '.join('*' + s for s in WEIGHT_SUFFIXES)})"


class FileController(ProblemReporter, QObject):
    """The File menu's work for one window (``window.files``).

    Public: ``document``, ``path`` and ``modified`` (the document's), ``last_error`` (the
    message of the last file problem) and ``error_box`` (its non-modal QMessageBox),
    ``dialog`` (the file dialog while one is open), ``question_box`` (the "discard unsaved
    changes?" question while open), ``recent_menu``; the actions ``act_new``, ``act_open``,
    ``act_save``, ``act_save_as``, ``act_import``; the verbs ``new_session``,
    ``open_session(path)``, ``save_session(path)``, ``import_weights(path, activation)``,
    ``open_recent(path)`` and ``may_discard``. The verbs act at once (the menu asks
    ``may_discard`` first) and return False after reporting a problem.
    """

    saved = pyqtSignal()  # a session was saved: everything is in its file

    def __init__(
        self, document: Document, menu: QMenu, before: QAction, persistent: bool, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.persistent = persistent
        self.dialog: QFileDialog | None = None
        self.question_box: QMessageBox | None = None
        self._build_actions()
        menu.insertActions(before, [self.act_new, self.act_open])
        menu.insertMenu(before, self.recent_menu)
        menu.insertActions(before, [self.act_save, self.act_save_as])
        menu.insertSeparator(before)
        menu.insertAction(before, self.act_import)

    @property
    def window(self) -> QWidget:
        return host_widget(self)

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def modified(self) -> bool:
        return self.document.modified

    # ---- menu -----------------------------------------------------------------------
    def _build_actions(self) -> None:
        h = host(self)
        std = QKeySequence.StandardKey
        self.act_new = h.add_action("New session", std.New, "Start afresh")
        self.act_new.triggered.connect(lambda: self.may_discard() and self.new_session())
        self.act_open = h.add_action("Open session…", std.Open, "Open a session")
        self.act_open.triggered.connect(self.open_dialog)
        self.act_save = h.add_action("Save session", std.Save, "Save the session")
        self.act_save.triggered.connect(self.save)
        self.act_save_as = h.add_action("Save session as…", std.SaveAs, "Save under a new name")
        self.act_save_as.triggered.connect(self.save_as)
        self.act_import = h.add_action(
            "Import weights…", "Ctrl+I", "Use a trained network from a .npz/.safetensors/.pt file"
        )
        self.act_import.triggered.connect(self.import_dialog)
        self.recent_menu = QMenu("Open recent", self.window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent_files() if self.persistent else []
        for k, path in enumerate(paths, start=1):
            entry = self.recent_menu.addAction(f"&{k} {Path(path).name.replace('&', '&&')}")
            assert entry is not None
            entry.setToolTip(plain_tooltip(path))
            entry.triggered.connect(
                lambda _=False, p=path: self.may_discard() and self.open_recent(p)
            )
        self.recent_menu.setEnabled(bool(paths))
        self.recent_menu.setToolTipsVisible(True)

    def _add_recent(self, path: Path) -> None:
        if not self.persistent:
            return
        text = str(path.resolve())
        set_recent_files([text, *(p for p in recent_files() if p != text)])
        self._fill_recent()

    # ---- sessions -------------------------------------------------------------------
    def new_session(self) -> None:
        """The app's starting state: default settings, network, inputs and view."""
        host(self).stop_animations()
        self.document.new()

    def open_session(self, path: str | Path) -> bool:
        """Open a session file; on any problem, say which and change nothing. A long session
        is replayed in the worker: False until it is in (``opened`` then)."""
        path = Path(path)
        host(self).stop_animations()
        try:
            opening = self.document.read(path)
            if not host(self).verbs.expensive("restore", *opening.restore_args):
                self.document.put_in(opening)
            else:
                job = Job(
                    f"opening {path.name}",
                    "restore",
                    opening.restore_args,
                    {},
                    partial(self._put_in, opening),
                    failed=partial(self._open_failed, path),
                )
                host(self).verbs.start(job)
                return False
        except DocumentError as e:
            self._fail("Cannot open the session", str(e))
            return False
        self._opened(path)
        return True

    def _put_in(self, opening: Opening, restored: Prepared) -> bool:
        try:
            if not self.document.put_in(opening, restored):
                return False
        except DocumentError as e:
            self._fail("Cannot open the session", str(e))
            return True  # refused, not stale: computing it again would not help
        self._opened(opening.path)
        return True

    def _open_failed(self, path: Path, message: str) -> None:
        self._fail("Cannot open the session", f"{path}: {message}")

    def _opened(self, path: Path) -> None:
        self._add_recent(path)
        host(self).show_message(f"Opened {path.name}", done=True)

    def open_recent(self, path: str) -> bool:
        if not Path(path).is_file():
            set_recent_files([p for p in recent_files() if p != path])
            self._fill_recent()
            self._fail("Recent file missing", f"{path}: no longer exists; removed from the list")
            return False
        return self.open_session(path)

    def save_session(self, path: str | Path) -> bool:
        """Save everything on screen to ``path`` (".rnnviz" is added when it has no suffix)."""
        try:
            saved = self.document.save_as(Path(path))
        except DocumentError as e:
            self._fail("Cannot save the session", str(e))
            return False
        self._add_recent(saved)
        host(self).show_message(f"Saved {saved.name}", done=True)
        self.saved.emit()
        return True

    def save(self) -> bool:
        return self.save_session(self.path) if self.path is not None else self.save_as()

    def save_as(self) -> bool:
        path = self._ask_path("sessions", "Save the session", SESSION_FILTER, save=True)
        return path is not None and self.save_session(path)

    def open_dialog(self) -> bool:
        if not self.may_discard():
            return False
        path = self._ask_path("sessions", "Open a session", SESSION_FILTER, save=False)
        return path is not None and self.open_session(path)

    def may_discard(self) -> bool:
        """Before New or Open replace unsaved work: ask whether to discard it."""
        if not self.modified:
            return True
        name = self.path.name if self.path is not None else "this session"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Discard the unsaved changes to {name}?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name is not markup
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.question_box = box
        try:
            return box.exec() == QMessageBox.StandardButton.Discard
        finally:
            self.question_box = None
            box.deleteLater()

    # ---- weights --------------------------------------------------------------------
    def import_weights(self, path: str | Path, activation: str | None = None) -> bool:
        """Step, analyse and train with the network in a weight file. ``activation`` is a
        vanilla cell's nonlinearity (not stored in a state_dict): by default the current
        setting."""
        path = Path(path)
        try:
            params = read_weights(path)
        except WeightImportError as e:
            self._fail("Cannot import the weights", str(e))
            return False
        return self._use_weights(path, params, activation)

    def import_dialog(self) -> bool:
        path = self._ask_path("weights", "Import weights", WEIGHT_FILTER, save=False)
        if path is None:
            return False
        try:
            params = read_weights(path)
        except WeightImportError as e:
            self._fail("Cannot import the weights", str(e))
            return False
        activation = None
        if params.cell == "vanilla":
            current = self.document.session.config.activation
            choice, ok = QInputDialog.getItem(
                self.window,
                "Activation",
                "A weight file does not store a vanilla RNN's nonlinearity.\n"
                f"Which one was {path.name} trained with?",
                list(ACTIVATIONS),
                ACTIVATIONS.index(current),
                False,
            )
            if not ok:
                return False
            activation = choice
        return self._use_weights(path, params, activation)

    def _use_weights(self, path: Path, params: Weights, activation: str | None) -> bool:
        """Give the session the imported network (in the worker when it is big: False until
        it is in)."""
        host(self).stop_animations()
        session = self.document.session
        used = with_activation(session, params, activation)
        if host(self).verbs.expensive("set_params", used):
            host(self).verbs.start(
                Job(
                    f"importing {path.name}",
                    "set_params",
                    (used,),
                    {},
                    session.commit,
                    done=partial(self._imported, path, used),
                    failed=partial(self._import_failed, path),
                )
            )
            return False
        try:
            use_weights(session, params, activation)
        except WeightImportError as e:
            self._import_failed(path, str(e))
            return False
        self._imported(path, used)
        return True

    def _import_failed(self, path: Path, message: str) -> None:
        self._fail("Cannot import the weights", f"{path}: {message}")

    def _imported(self, path: Path, used: Weights, _result: object = None) -> None:
        if self.persistent:
            remember_folder("weights", path.parent)
        L, D = self.document.session.depth
        layers = f"{L} layers{' × 2 directions' if D == 2 else ''} of " if L * D > 1 else ""
        host(self).show_message(
            f"Imported {path.name}: {layers}{used.cell} ({used.activation}), {used.hidden_size} "
            f"hidden units, {used.input_size} inputs, {used.output_size} outputs",
            8000,
            done=True,
        )

    # ---- dialogs --------------------------------------------------------------------
    def _ask_path(self, kind: str, caption: str, filters: str, save: bool) -> Path | None:
        """A file dialog (Qt's own, so it looks the same everywhere and tests can fill it)."""
        folder = last_folder(kind) if self.persistent else str(Path.home())
        dialog = QFileDialog(self.window, caption, folder, filters)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            dialog.setDefaultSuffix(SUFFIX.lstrip("."))
            if self.path is not None:
                dialog.selectFile(str(self.path))
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.dialog = dialog
        try:
            accepted = dialog.exec() == QFileDialog.DialogCode.Accepted
            chosen = dialog.selectedFiles()
        finally:
            self.dialog = None
            dialog.deleteLater()
        if not accepted or not chosen:
            return None
        path = Path(chosen[0])
        if self.persistent:
            remember_folder(kind, path.parent)
        return path
