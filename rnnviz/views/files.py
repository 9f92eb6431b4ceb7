"""The File menu: sessions (new, open, save, recent files), weight import, autosave and crash
recovery, and the remembered preferences and window layout.

Settings live in ``rnnviz.views.settings.app_settings()`` (QSettings "rnnviz"/"rnnviz", or an
INI file in ``$RNNVIZ_SETTINGS_DIR``): window geometry and dock layout, recent files (at most
8), the last folder of each kind of file, the preferred theme and the autosave folder.

Autosave: every minute, when the session differs from what was last saved, it is written to
``autosave.rnnviz`` in the autosave folder (``$RNNVIZ_SETTINGS_DIR``, or the user's data
folder, e.g. ~/.local/share/rnnviz). Closing the window deletes it; so a file still there at
the next start means rnnviz did not close properly, and the window offers to recover it.

Every file that cannot be used (corrupt, truncated, foreign, too new, unreadable) is reported
in a message naming the file and the problem, and the session stays exactly as it was.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from PyQt6.QtCore import QByteArray, QEvent, QObject, QStandardPaths, Qt, QTimer
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from rnnviz.engine import ACTIVATIONS, Params
from rnnviz.io.weights import WEIGHT_SUFFIXES, WeightFileError, load_weights
from rnnviz.session import Change, InputError, Session
from rnnviz.session.config import SessionConfig
from rnnviz.session.lab import Lab, LabChange, TrainingHistory
from rnnviz.session.session_extras import (
    ViewState,
    read_view,
    training_from_dict,
    training_to_dict,
    write_session,
)
from rnnviz.session.session_file import (
    SUFFIX,
    SessionFileError,
    Snapshot,
    load_session,
    restore,
    snapshot,
)
from rnnviz.views.export import ProblemReporter, install_export
from rnnviz.views.settings import ENV_DIR, app_settings

if TYPE_CHECKING:
    from rnnviz.views.main_window import MainWindow

AUTOSAVE_NAME = "autosave" + SUFFIX
MAX_RECENT = 8
RECENT_KEY = "files/recent"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
THEME_KEY = "appearance/theme"
AUTOSAVE_FOLDER_KEY = "autosave/folder"
FOLDER_KEY = "folders/{kind}"  # kind: sessions, weights, export
SESSION_FILTER = f"rnnviz sessions (*{SUFFIX})"
WEIGHT_FILTER = f"Weights ({' '.join('*' + s for s in WEIGHT_SUFFIXES)})"

_persistence = [True]  # False inside ``without_persistence``


@contextmanager
def without_persistence() -> Iterator[None]:
    """Windows built inside neither read nor write settings, autosave nor offer recovery
    (``rnnviz render`` draws the default layout, whatever the user's is)."""
    _persistence.append(False)
    try:
        yield
    finally:
        _persistence.pop()


# ---- settings ----------------------------------------------------------------------------
def data_folder() -> Path:
    """Where rnnviz keeps its own files: ``$RNNVIZ_SETTINGS_DIR``, else the user's data
    folder (e.g. ~/.local/share/rnnviz)."""
    folder = os.environ.get(ENV_DIR)
    if folder:
        return Path(folder)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "rnnviz"


def autosave_path() -> Path:
    folder = app_settings().value(AUTOSAVE_FOLDER_KEY)
    return (Path(folder) if isinstance(folder, str) and folder else data_folder()) / AUTOSAVE_NAME


def has_recovery() -> bool:
    """Whether an autosave is left from a run that did not close properly."""
    return autosave_path().is_file()


def preferred_theme() -> str | None:
    value = app_settings().value(THEME_KEY)
    return value if isinstance(value, str) and value else None


def set_preferred_theme(name: str) -> None:
    app_settings().setValue(THEME_KEY, name)


def last_folder(kind: str) -> str:
    value = app_settings().value(FOLDER_KEY.format(kind=kind))
    return value if isinstance(value, str) and Path(value).is_dir() else str(Path.home())


def remember_folder(kind: str, folder: Path) -> None:
    app_settings().setValue(FOLDER_KEY.format(kind=kind), str(folder))


def recent_files() -> list[str]:
    value = app_settings().value(RECENT_KEY, [])
    # An INI file gives back a one-item list as a plain string.
    items = [value] if isinstance(value, str) else list(value or [])
    return [str(v) for v in items if v][:MAX_RECENT]


def _set_recent(paths: list[str]) -> None:
    app_settings().setValue(RECENT_KEY, paths[:MAX_RECENT])


# ---- the controller ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Saved:
    """The session as last saved: what "modified" compares with."""

    config: SessionConfig
    params: object  # the Params object itself: any new network is a change
    sequence: np.ndarray  # (N, I)
    vocab: str
    t: int
    selected: int | None
    training: TrainingHistory | None

    @classmethod
    def of(cls, session: Session, lab: Lab) -> _Saved:
        s = session
        return cls(s.config, s.params, s.sequence.copy(), s.vocab, s.t, s.selected, lab.training)

    def same_as(self, session: Session, lab: Lab) -> bool:
        s = session
        return (
            self.config == s.config
            and self.params is s.params
            and self.vocab == s.vocab
            and self.t == s.t
            and self.selected == s.selected
            and self.training is lab.training
            and np.array_equal(self.sequence, s.sequence)
        )


class FileController(ProblemReporter, QObject):
    """The File menu's work for one window (``window.files``).

    Public: ``path`` (the open session file or None), ``modified``, ``last_error`` (the
    message of the last file problem) and ``error_box`` (its non-modal QMessageBox),
    ``dialog`` (the file dialog while one is open), ``question_box`` (the "discard unsaved
    changes?" question while open), ``recovery_box`` (the recovery question while shown, with
    ``recover_button`` and ``discard_button``), ``autosave_timer``, ``recent_menu``; the
    actions ``act_new``, ``act_open``, ``act_save``, ``act_save_as``, ``act_import``; the
    verbs ``new_session``, ``open_session(path)``, ``save_session(path)``,
    ``import_weights(path, activation)``, ``open_recent(path)``, ``may_discard``,
    ``autosave``, ``offer_recovery``, ``recover``, ``discard_recovery`` and ``clean_exit``.
    The verbs act at once (the menu asks ``may_discard`` first) and return False after
    reporting a problem.
    """

    AUTOSAVE_MS = 60_000

    def __init__(self, window: MainWindow, persistent: bool = True) -> None:
        super().__init__(window)
        self.persistent = persistent
        self.path: Path | None = None
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.dialog: QFileDialog | None = None
        self.recovery_box: QMessageBox | None = None
        self.question_box: QMessageBox | None = None
        self._saved: _Saved | None = _Saved.of(window.session, window.lab)
        self._autosaved = _Saved.of(window.session, window.lab)
        self._modified = False
        self._busy = False  # an export is stepping through the session

        self._build_actions()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(self.AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        window.session.changed.connect(self._on_session_changed)
        window.lab.changed.connect(self._on_lab_changed)
        self._update_title()
        if persistent:
            self._restore_layout()
            window.installEventFilter(self)
            self.autosave_timer.start()
            if has_recovery():
                # Asked once the window is up, not before it as a lone dialog.
                self._recovery_timer = QTimer(self)
                self._recovery_timer.setSingleShot(True)
                self._recovery_timer.timeout.connect(self.offer_recovery)
                self._recovery_timer.start(0)

    @property
    def window(self) -> MainWindow:
        # The parent, not an attribute: window.files → self → window would be a cycle.
        return cast("MainWindow", self.parent())

    @property
    def modified(self) -> bool:
        return self._modified

    # ---- menu -----------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(text: str, key: QKeySequence.StandardKey | str | None, tip: str) -> QAction:
            a = QAction(text, self)
            if key is not None:
                a.setShortcut(QKeySequence(key))
                a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setToolTip(tip)
            self.window.addAction(a)  # works with the menu bar hidden, too
            return a

        self.act_new = action("New session", QKeySequence.StandardKey.New, "Start afresh")
        self.act_new.triggered.connect(lambda: self.may_discard() and self.new_session())
        self.act_open = action("Open session…", QKeySequence.StandardKey.Open, "Open a session")
        self.act_open.triggered.connect(self.open_dialog)
        self.act_save = action("Save session", QKeySequence.StandardKey.Save, "Save the session")
        self.act_save.triggered.connect(self.save)
        self.act_save_as = action(
            "Save session as…", QKeySequence.StandardKey.SaveAs, "Save under a new name"
        )
        self.act_save_as.triggered.connect(self.save_as)
        self.act_import = action(
            "Import weights…", "Ctrl+I", "Use a trained network from a .npz/.safetensors/.pt file"
        )
        self.act_import.triggered.connect(self.import_dialog)
        self.recent_menu = QMenu("Open recent", self.window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()

    def fill_menu(self, menu: QMenu, before: QAction | None) -> None:
        """Put the file actions into ``menu`` above ``before`` (the Quit action)."""
        menu.insertActions(before, [self.act_new, self.act_open])
        menu.insertMenu(before, self.recent_menu)
        menu.insertActions(before, [self.act_save, self.act_save_as])
        menu.insertSeparator(before)
        menu.insertAction(before, self.act_import)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent_files() if self.persistent else []
        for k, path in enumerate(paths, start=1):
            entry = self.recent_menu.addAction(f"&{k} {Path(path).name}")
            assert entry is not None
            entry.setToolTip(path)
            entry.triggered.connect(
                lambda _=False, p=path: self.may_discard() and self.open_recent(p)
            )
        self.recent_menu.setEnabled(bool(paths))
        self.recent_menu.setToolTipsVisible(True)

    def _add_recent(self, path: Path) -> None:
        if not self.persistent:
            return
        text = str(path.resolve())
        _set_recent([text, *(p for p in recent_files() if p != text)])
        self._fill_recent()

    # ---- sessions -------------------------------------------------------------------
    def new_session(self) -> None:
        """The app's starting state: default settings, network and inputs."""
        self._stop_animations()
        restore(self.window.session, snapshot(Session()))
        self._set_training(None)
        self.window.graph.set_unrolled(True, animate=False)
        self.window.show_lab(False)
        self._mark_saved(None)

    def open_session(self, path: str | Path) -> bool:
        """Open a session file; on any problem, say which and change nothing."""
        path = Path(path)
        if not self._load(path, "Cannot open the session"):
            return False
        self._mark_saved(path)
        self._add_recent(path)
        self.window.show_message(f"Opened {path.name}")
        return True

    def open_recent(self, path: str) -> bool:
        if not Path(path).is_file():
            _set_recent([p for p in recent_files() if p != path])
            self._fill_recent()
            self._fail("Recent file missing", f"{path}: no longer exists; removed from the list")
            return False
        return self.open_session(path)

    def save_session(self, path: str | Path) -> bool:
        """Save everything on screen to ``path`` (".rnnviz" is added when it has no suffix)."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(SUFFIX)
        try:
            self._write(path)
        except (OSError, ValueError) as e:
            problem = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            self._fail("Cannot save the session", f"{path}: {problem}")
            return False
        self._mark_saved(path)
        self._add_recent(path)
        self.window.show_message(f"Saved {path.name}")
        if self.persistent:
            autosave_path().unlink(missing_ok=True)  # everything is in the saved file
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
        if not self._modified:
            return True
        name = self.path.name if self.path is not None else "this session"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Discard the unsaved changes to {name}?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self.window,
        )
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
            loaded = load_weights(path)
        except WeightFileError as e:
            self._fail("Cannot import the weights", str(e))
            return False
        return self._use_weights(path, loaded.params, activation)

    def import_dialog(self) -> bool:
        path = self._ask_path("weights", "Import weights", WEIGHT_FILTER, save=False)
        if path is None:
            return False
        try:
            params = load_weights(path).params
        except WeightFileError as e:
            self._fail("Cannot import the weights", str(e))
            return False
        activation = None
        if params.cell == "vanilla":
            current = self.window.session.config.activation
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

    def _use_weights(self, path: Path, params: Params, activation: str | None) -> bool:
        session = self.window.session
        try:
            if params.cell == "vanilla":
                params = dataclasses.replace(
                    params, activation=activation or session.config.activation
                )
            self._stop_animations()
            session.set_params(params)
        except (InputError, ValueError) as e:
            self._fail("Cannot import the weights", f"{path}: {e}")
            return False
        if self.persistent:
            remember_folder("weights", path.parent)
        self.window.show_message(
            f"Imported {path.name}: {params.cell} ({params.activation}), {params.hidden_size} "
            f"hidden units, {params.input_size} inputs, {params.output_size} outputs",
            8000,
        )
        return True

    # ---- autosave and recovery ------------------------------------------------------
    def autosave(self) -> bool:
        """Write the autosave file if the session changed since the last save or autosave."""
        w = self.window
        if not self.persistent or self._busy or not self._modified:
            return False
        if self._autosaved.same_as(w.session, w.lab):
            return False
        path = autosave_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write(path)
        except (OSError, ValueError) as e:
            self.last_error = f"{path}: autosave failed ({e})"
            w.show_message(f"Autosave failed: {e}", 8000)
            return False
        self._autosaved = _Saved.of(w.session, w.lab)
        return True

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
        self.recover_button = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(self.recover_button)
        box.buttonClicked.connect(self._on_recovery_answer)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.recovery_box = box
        box.show()

    def _on_recovery_answer(self, button: object) -> None:
        self.recovery_box = None
        if button is self.recover_button:
            self.recover()
        else:
            self.discard_recovery()

    def recover(self) -> bool:
        """Open the autosave as an unsaved session (it is kept until the next autosave)."""
        path = autosave_path()
        if not self._load(path, "Cannot recover the autosaved session"):
            path.unlink(missing_ok=True)  # unreadable: asking again at every start won't help
            return False
        self.path = None
        self._saved = None  # nothing of it is saved yet
        self._autosaved = _Saved.of(self.window.session, self.window.lab)
        self._on_changed()
        self.window.show_message("Recovered the autosaved session: save it to keep it", 8000)
        return True

    def discard_recovery(self) -> None:
        autosave_path().unlink(missing_ok=True)

    def clean_exit(self) -> None:
        """The window closes normally: remember the layout; the autosave is not needed,
        unless the recovery question is still unanswered (it is asked again next time)."""
        self.autosave_timer.stop()
        if not self.persistent:
            return
        settings = app_settings()
        settings.setValue(GEOMETRY_KEY, self.window.saveGeometry())
        settings.setValue(STATE_KEY, self.window.saveState())
        settings.sync()
        if self.recovery_box is None:
            autosave_path().unlink(missing_ok=True)

    def set_busy(self, busy: bool) -> None:
        """While an export steps through the session, its passing states are not autosaved."""
        self._busy = busy

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if watched is self.window and event is not None and event.type() == QEvent.Type.Close:
            self.clean_exit()
        return False

    # ---- internals ------------------------------------------------------------------
    def _load(self, path: Path, title: str) -> bool:
        """Read everything first; only a complete, valid file changes the session."""
        w = self.window
        try:
            snap = load_session(path)
            training = training_from_dict(snap.training, path)
            view = read_view(path)
        except SessionFileError as e:
            self._fail(title, str(e))
            return False
        self._stop_animations()
        try:
            restore(w.session, snap)
        except (InputError, ValueError) as e:
            self._fail(title, f"{path}: {e}")
            return False
        self._set_training(training)
        self._show_view(view)
        return True

    def _write(self, path: Path) -> None:
        w = self.window
        snap: Snapshot = snapshot(w.session, training_to_dict(w.lab.training))
        write_session(path, snap, self._view_state())

    def _view_state(self) -> ViewState:
        w = self.window
        on_lab = w.pages.currentWidget() is w.lab_panel
        tab = w.lab_panel.tabs.tabText(w.lab_panel.tabs.currentIndex())
        return ViewState(
            backward=w.session.gradients is not None,
            unrolled=w.graph.unrolled,
            page="lab" if on_lab else "network",
            lab_tab=tab,
            compare=w.lab.comparison is not None,
        )

    def _show_view(self, view: ViewState) -> None:
        w = self.window
        if view.backward and w.session.t > 0:
            w.session.run_backward()
        w.graph.set_unrolled(view.unrolled, animate=False)
        if view.compare:
            w.lab.compare()
        if view.lab_tab:
            for k in range(w.lab_panel.tabs.count()):
                if w.lab_panel.tabs.tabText(k) == view.lab_tab:
                    w.lab_panel.tabs.setCurrentIndex(k)
        w.show_lab(view.page == "lab")

    def _set_training(self, history: TrainingHistory | None) -> None:
        self.window.lab.set_training(history)

    def _stop_animations(self) -> None:
        self.window.player.stop()
        self.window.sweep.cancel()

    def _mark_saved(self, path: Path | None) -> None:
        w = self.window
        self.path = path
        self._saved = _Saved.of(w.session, w.lab)
        self._autosaved = self._saved
        self._modified = False
        self._update_title()

    def _on_session_changed(self, changes: Change) -> None:
        if changes & ~Change.SWEEP:  # the backward animation's cursor is not saved
            self._on_changed()

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.TRAINING:  # the only lab result a file holds
            self._on_changed()

    def _on_changed(self) -> None:
        w = self.window
        modified = self._saved is None or not self._saved.same_as(w.session, w.lab)
        if modified != self._modified:
            self._modified = modified
            self._update_title()

    def _update_title(self) -> None:
        if self.path is None and not self._modified:
            self.window.setWindowTitle("rnnviz")
            return
        name = self.path.name if self.path is not None else "untitled"
        self.window.setWindowTitle(f"{name}{'*' if self._modified else ''} — rnnviz")

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

    def _restore_layout(self) -> None:
        settings = app_settings()
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        if isinstance(geometry, QByteArray):
            self.window.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.window.restoreState(state)


def install_files(window: MainWindow) -> FileController:
    """The File menu (sessions, recent files, weight import, Export ▸) for ``window``; the
    controllers are also ``window.files`` and ``window.exporter``."""
    controller = FileController(window, persistent=_persistence[-1])
    bar = window.menuBar()
    assert bar is not None
    file_menu = next(
        (a.menu() for a in bar.actions() if a.text() == "&File" and a.menu() is not None), None
    )
    assert isinstance(file_menu, QMenu), "the window has a File menu"
    quit_action = window.act_quit
    controller.fill_menu(file_menu, quit_action)
    exporter = install_export(window, file_menu, quit_action)
    exporter.busy_changed.connect(controller.set_busy)
    file_menu.insertSeparator(quit_action)
    window.files = controller  # type: ignore[attr-defined]
    return controller
