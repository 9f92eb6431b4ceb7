"""File ▸ Export: a picture of the window or one panel (PNG, SVG), an animation of the steps
or of the backward sweep (GIF, MP4 with imageio-ffmpeg), the numbers (CSV, NPZ).

An animation is drawn on the GUI thread (widgets can only be painted there), one frame per
event-loop turn, under a cancellable progress dialog; the session is put back as it was
afterwards, and a cancelled export leaves no file behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QStandardItemModel
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from rnnviz.session.document import Document
from rnnviz.session.export_data import export_csv, export_npz
from rnnviz.views.window.problems import ProblemReporter
from rnnviz.views.window.snapshots import (
    ANIMATIONS,
    MP4_HINT,
    AnimationWriter,
    FramePlan,
    grab,
    mp4_available,
    plan_animation,
    save_picture,
    to_rgb,
)
from rnnviz.views.window.window_host import host, host_widget

# What can be exported: the whole window or one panel (names shown in the dialogs).
TARGETS: tuple[str, ...] = (
    "Window",
    "Graph",
    "Equations",
    "Hidden-state heatmap",
    "Gradient heatmap",
    "Sequence plot",
    "Gradient plot",
    "Gradient lab",
)
PICTURE_FORMATS: dict[str, str] = {"PNG": ".png", "SVG": ".svg"}
ANIMATION_FORMATS: dict[str, str] = {"GIF": ".gif", "MP4": ".mp4"}
DATA_FILTER = "Comma-separated values (*.csv);;NumPy arrays (*.npz)"
DEFAULT_FPS = 4


class ExportDialog(QDialog):
    """What to export and where: the panel, the file, and for an animation what it shows,
    its speed and format (MP4 is offered only when imageio-ffmpeg is installed).

    Public for tests: ``target_box``, ``format_box``, ``path_edit``, ``browse_button``,
    ``buttons``; for animations ``what_box`` and ``fps_box``.
    """

    def __init__(self, animation: bool, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.animation = animation
        self.setWindowTitle("Export an animation" if animation else "Export a picture")
        self.target_box = QComboBox()
        self.target_box.addItems(TARGETS)
        self.format_box = QComboBox()
        formats = ANIMATION_FORMATS if animation else PICTURE_FORMATS
        for name, suffix in formats.items():
            self.format_box.addItem(name, suffix)
        self.path_edit = QLineEdit(str(folder / f"rnnviz{next(iter(formats.values()))}"))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        place = QHBoxLayout()
        place.addWidget(self.path_edit, 1)
        place.addWidget(self.browse_button)
        form = QFormLayout(self)
        form.addRow("Export", self.target_box)
        if animation:
            self.what_box = QComboBox()
            for key, text in ANIMATIONS.items():
                self.what_box.addItem(text, key)
            self.fps_box = QSpinBox()
            self.fps_box.setRange(1, 30)
            self.fps_box.setValue(DEFAULT_FPS)
            self.fps_box.setSuffix(" frames/s")
            form.addRow("Animate", self.what_box)
            form.addRow("Speed", self.fps_box)
            if not mp4_available():
                self._disable_format("MP4", MP4_HINT)
        form.addRow("Format", self.format_box)
        form.addRow("File", place)
        self.format_box.currentIndexChanged.connect(self._on_format)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def path(self) -> Path:
        """The file, with the chosen format's suffix."""
        return Path(self.path_edit.text()).with_suffix(str(self.format_box.currentData()))

    def target(self) -> str:
        return self.target_box.currentText()

    def what(self) -> str:
        return str(self.what_box.currentData())

    def fps(self) -> int:
        return self.fps_box.value()

    def _disable_format(self, name: str, why: str) -> None:
        k = self.format_box.findText(name)
        model = cast(QStandardItemModel, self.format_box.model())
        item = model.item(k)
        assert item is not None
        item.setEnabled(False)
        item.setToolTip(why)
        self.format_box.setToolTip(why)

    def _on_format(self) -> None:
        self.path_edit.setText(str(self.path()))

    def _browse(self) -> None:
        suffix = str(self.format_box.currentData())
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self.windowTitle(),
            self.path_edit.text(),
            f"{self.format_box.currentText()} (*{suffix})",
            options=QFileDialog.Option.DontUseNativeDialog,
        )
        if chosen:
            self.path_edit.setText(chosen)


@dataclass(frozen=True)
class _Work:
    """What a running job draws with. Dropped when the job ends: the widget is the window
    or one of its panels, and window → exporter → job → widget would be a reference cycle
    that the garbage collector frees at a random moment, tearing the window down in an
    order that crashes Qt's destroyed handlers."""

    widget: QWidget
    plan: FramePlan
    restore_view: Callable[[], None]


class AnimationJob(QObject):
    """Draws an animation one frame per event-loop turn (widgets paint on the GUI thread
    only), with a cancellable progress dialog. ``failed(message)`` when a frame or the file
    cannot be written; ``finished(ok)`` once done, failed or cancelled.

    Public: ``progress`` (QProgressDialog), ``writer``, ``done``, ``ok``, ``cancel()``.
    """

    failed = pyqtSignal(str)
    finished = pyqtSignal(bool)

    def __init__(
        self,
        widget: QWidget,
        plan: FramePlan,
        writer: AnimationWriter,
        parent: QWidget,
        restore_view: Callable[[], None],
    ) -> None:
        super().__init__(parent)
        self.writer = writer
        self.done = False
        self.ok = False
        self._work: _Work | None = _Work(widget, plan, restore_view)
        self._next = 0
        self._cancelled = False
        self.progress = QProgressDialog(
            f"Drawing {writer.path.name}…", "Cancel", 0, len(plan), parent
        )
        self.progress.setWindowTitle("Exporting an animation")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancel)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.progress.setValue(0)
        self._timer.start(0)

    def cancel(self) -> None:
        """Stop before the next frame; no file is written."""
        self._cancelled = True

    def _tick(self) -> None:
        work = self._work
        assert work is not None, "a finished job is not ticked again"
        if self._cancelled or self.progress.wasCanceled():
            self._finish(work, False)
            return
        try:
            work.plan.moves[self._next]()
            self.writer.append(to_rgb(grab(work.widget)))
        except (OSError, ValueError) as e:
            self.failed.emit(f"{self.writer.path}: {e}")
            self._finish(work, False)
            return
        self._next += 1
        self.progress.setValue(self._next)
        if self._next < len(work.plan):
            self._timer.start(0)
        else:
            self._finish(work, True)

    def _finish(self, work: _Work, complete: bool) -> None:
        self._work = None
        work.plan.restore()
        work.restore_view()
        if complete:
            try:
                self.writer.close()
            except (OSError, ValueError) as e:
                self.failed.emit(str(e))
                complete = False
        else:
            self.writer.abort()
        self.progress.hide()  # not close(): that would emit canceled and reset the bar
        self.done, self.ok = True, complete
        self.finished.emit(complete)


class Exporter(ProblemReporter, QObject):
    """The Export submenu's work for one window (``window.exporter``).

    Public: the actions ``act_image``, ``act_animation``, ``act_data``; ``export_image(path,
    target)``, ``export_animation(path, what, fps, target)`` (returns the running
    AnimationJob), ``export_data(path)``; the dialogs ``ask_image``, ``ask_animation``,
    ``ask_data``; ``dialog`` (the export dialog while open), ``job`` (the last animation),
    ``last_error`` / ``error_box``. While an animation runs, the document is ``busy``.

    ``panels`` names the window's panels that can be exported alone (see TARGETS).
    """

    def __init__(
        self,
        document: Document,
        panels: dict[str, QWidget],
        menu: QMenu,
        before: QAction,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._panels = panels
        self.dialog: QDialog | None = None
        self.job: AnimationJob | None = None
        self.last_error: str | None = None
        self.error_box: QMessageBox | None = None
        self.folder = Path.home()  # the last export's folder
        self.act_image = self._action("Image…", "Ctrl+E", "Save the window or a panel as PNG/SVG")
        self.act_image.triggered.connect(self.ask_image)
        self.act_animation = self._action(
            "Animation…", "Ctrl+Shift+E", "Save the steps or the backward sweep as GIF/MP4"
        )
        self.act_animation.triggered.connect(self.ask_animation)
        self.act_data = self._action(
            "Data…", None, "Save h, y and the gradient norms per step as CSV or NPZ"
        )
        self.act_data.triggered.connect(self.ask_data)
        self.menu = QMenu("Export", parent)
        self.menu.addActions([self.act_image, self.act_animation, self.act_data])
        menu.insertMenu(before, self.menu)

    @property
    def window(self) -> QWidget:
        return host_widget(self)

    def _action(self, text: str, key: str | None, tip: str) -> QAction:
        if key is not None:
            return host(self).add_action(text, key, tip)
        action = QAction(text, self)
        action.setToolTip(tip)
        return action

    # ---- verbs ----------------------------------------------------------------------
    def widget(self, target: str) -> QWidget:
        widgets = {"Window": self.window, **self._panels}
        if target not in widgets:
            raise ValueError(f"unknown panel {target!r}; choose one of {', '.join(TARGETS)}")
        return widgets[target]

    def export_image(self, path: str | Path, target: str = "Window") -> bool:
        path = Path(path)
        restore_view = self._reveal(target)
        try:
            save_picture(self.widget(target), path)
        except (OSError, ValueError) as e:
            self._fail("Cannot export the picture", f"{path}: {_problem(e, path)}")
            return False
        finally:
            restore_view()
        self._done(path)
        return True

    def export_animation(
        self,
        path: str | Path,
        what: str = "steps",
        fps: float = DEFAULT_FPS,
        target: str = "Window",
    ) -> AnimationJob | None:
        """Start drawing the animation; None (and a message) when it cannot start."""
        path = Path(path)
        if self.job is not None and not self.job.done:
            self._fail("Cannot export the animation", "another animation is being exported")
            return None
        try:
            widget = self.widget(target)
            writer = AnimationWriter(path, fps)
            if not path.parent.is_dir():
                raise ValueError(f"the folder {path.parent} does not exist")
            host(self).stop_animations()
            plan = plan_animation(self.document.session, what)
        except ValueError as e:
            self._fail("Cannot export the animation", f"{path}: {_problem(e, path)}")
            return None
        restore_view = self._reveal(target)
        self.document.busy = True
        if self.job is not None:  # the last one is done: its dialog is no longer needed
            self.job.progress.deleteLater()
            self.job.deleteLater()
        job = AnimationJob(widget, plan, writer, self.window, restore_view)
        job.failed.connect(self._animation_failed)
        job.finished.connect(self._animation_finished)
        self.job = job
        job.start()
        return job

    def export_data(self, path: str | Path) -> bool:
        """CSV (one row per step) or NPZ (every array), by the file's suffix."""
        path = Path(path)
        writers = {".csv": export_csv, ".npz": export_npz}
        try:
            writer = writers.get(path.suffix.lower())
            if writer is None:
                raise ValueError("the data file must end in .csv or .npz")
            writer(self.document.session, path)
        except (OSError, ValueError) as e:
            self._fail("Cannot export the data", f"{path}: {_problem(e, path)}")
            return False
        self._done(path)
        return True

    # ---- dialogs --------------------------------------------------------------------
    def ask_image(self) -> bool:
        dialog = self._run_dialog(ExportDialog(False, self.folder, self.window))
        return dialog is not None and self.export_image(dialog.path(), dialog.target())

    def ask_animation(self) -> AnimationJob | None:
        dialog = self._run_dialog(ExportDialog(True, self.folder, self.window))
        if dialog is None:
            return None
        return self.export_animation(dialog.path(), dialog.what(), dialog.fps(), dialog.target())

    def ask_data(self) -> bool:
        dialog = QFileDialog(self.window, "Export the data", str(self.folder), DATA_FILTER)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.dialog = dialog
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            chosen, kind = dialog.selectedFiles(), dialog.selectedNameFilter()
        finally:
            self.dialog = None
            dialog.deleteLater()
        if not accepted or not chosen:
            return False
        path = Path(chosen[0])
        if path.suffix.lower() not in (".csv", ".npz"):  # the chosen filter says which
            path = path.with_name(path.name + (".npz" if "*.npz" in kind else ".csv"))
        return self.export_data(path)

    def _run_dialog(self, dialog: ExportDialog) -> ExportDialog | None:
        """Show the dialog until it is answered (``dialog`` meanwhile); None if cancelled.
        The answer is read before the dialog is deleted, on the next event-loop turn."""
        self.dialog = dialog
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            self.dialog = None
            dialog.deleteLater()
        return dialog if accepted else None

    # ---- internals ------------------------------------------------------------------
    def _reveal(self, target: str) -> Callable[[], None]:
        """Bring the panel's page to the front while it is drawn; returns how to go back."""
        state = self.document.window
        if target == "Window":
            return lambda: None
        page = state.page
        state.show_lab(target == "Gradient lab")
        return lambda: setattr(state, "page", page)

    def _done(self, path: Path) -> None:
        self.folder = path.parent
        host(self).show_message(f"Exported {path.name}", done=True)

    def _animation_failed(self, message: str) -> None:
        self._fail("Cannot export the animation", message)

    def _animation_finished(self, ok: bool) -> None:
        self.document.busy = False
        if ok and self.job is not None:
            self._done(self.job.writer.path)


def _problem(error: Exception, path: Path) -> str:
    """The error without the file name in front (the message names it once)."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return text.removeprefix(f"{path}: ")
