"""Training in the loop: the settings, the run's buttons and status, the curves and the
text model side by side, driving the lab's training in a worker thread."""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session.lab import Lab, LabChange
from rnnviz.session.training_setup import EpochReport, SettingsError, training_setup
from rnnviz.views.binding import listen
from rnnviz.views.lab.compare import CELL_NAMES
from rnnviz.views.lab.form_widgets import RunProgress, alert_label
from rnnviz.views.lab.text_sampler import TextSampler
from rnnviz.views.lab.training_form import TrainingForm
from rnnviz.views.lab.training_plots import TrainingPlots
from rnnviz.views.look import widget_style
from rnnviz.views.worker import CANCELLED, DONE, Runner

# What the dashed baseline line is, per task: the best constant guess.
BASELINE_TEXT: dict[str, str] = {
    "next-value": "predicting the signal's mean",
    "delay": "always predicting 0",
    "copy-memory": "writing blanks, then guessing each symbol",
    "adding": "always guessing 1",
    "text": "knowing only the letter frequencies",
}
REDRAW_MS = 100  # while training, the curves are redrawn at most this often


class TrainingView(QWidget):
    """Train the network on a task in a worker thread and watch the loss fall (or not).

    Each epoch's report goes to ``lab.record_epoch`` on the GUI thread; the curves are
    redrawn from ``lab.training``. Pause stops between two epochs. Training starts from the
    main window's network when it fits the task (else a fresh one of the same kind).

    Trained weights are *not* adopted automatically: the lab trains from the session's
    current network, so adopting after every run would make pressing Start twice with the
    same seed continue training instead of repeating the run. "Use trained weights"
    (while paused, or after the run) hands them to the main window for stepping.

    Public, for the main window and tests: its parts ``form`` (TrainingForm: the settings
    and their problems), ``plots`` (TrainingPlots: loss and gradient norms), ``sampler``
    (TextSampler, shown for the text task); the run's ``start_button``, ``pause_button``,
    ``stop_button``, ``adopt_button``, ``progress`` (epochs), ``status``, ``message``;
    ``runner``; ``start()``.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        widget_style.set_font(self)
        self.runner = Runner(self)
        self._planned_epochs = 0
        self._run_clip: float | None = None  # the threshold of the shown run
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._draw)

        self.form = TrainingForm()
        self.plots = TrainingPlots()
        self.sampler = TextSampler(lab)
        right = QVBoxLayout()
        right.addWidget(self.plots, 1)
        right.addWidget(self.sampler)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._build_settings_column())
        layout.addLayout(right, 1)

        self.form.task_box.currentIndexChanged.connect(self._show_sampler)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button.clicked.connect(self.runner.cancel)
        self.adopt_button.clicked.connect(self._adopt)
        self.sampler.sample_requested.connect(self._sample)
        self.runner.yielded.connect(self._on_epoch)
        self.runner.paused.connect(self._on_paused)
        self.runner.resumed.connect(self._on_resumed)
        self.runner.failed.connect(self.message.setText)
        self.runner.finished.connect(self._on_finished)
        listen(lab.changed, self._on_lab_changed)

        self._show_sampler()
        self._set_running(False)
        self._on_training_changed()

    def _build_settings_column(self) -> QWidget:
        """The form, then the run's buttons, progress and messages under it."""
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.adopt_button = QPushButton("Use trained weights")
        self.adopt_button.setToolTip("step with the trained weights in the main window")
        self.progress = RunProgress("epoch %v / %m")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.message = alert_label()
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        column = QVBoxLayout()
        column.addWidget(widget_style.title_label("training"))
        column.addWidget(self.form)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.message)
        column.addWidget(self.adopt_button)
        column.addStretch(1)
        panel = QWidget()
        panel.setLayout(column)
        return widget_style.VerticalScroll(panel)

    # ---- verbs -----------------------------------------------------------------------
    def start(self) -> bool:
        """Start training with the settings shown; False (and messages) when one is bad."""
        if self.runner.running:
            return False
        settings = self.form.settings()
        try:
            task, config = training_setup(self.lab, settings)
        except SettingsError as exc:
            self.form.show_problems(exc.problems)
            return False
        self.form.show_problems({})
        self._planned_epochs, self._run_clip = config.epochs, config.clip
        self.message.setText("")
        self.progress.setRange(0, config.epochs)
        self.progress.setFormat("epoch %v / %m")
        self.progress.setValue(0)
        self.sampler.new_run(task, settings.text)
        steps = self.lab.training_steps(task, config, settings.hidden_size)
        self._set_running(True)
        self.runner.start(steps)
        return True

    def _toggle_pause(self) -> None:
        if self.runner.is_paused:
            self.runner.resume()
        else:
            self.pause_button.setEnabled(False)  # until the worker has paused
            self.runner.pause()

    def _adopt(self) -> None:
        try:
            now = self.lab.adopt_trained()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        epoch = self._epochs_done()
        self.status.setText(
            f"the main window now steps with the weights after epoch {epoch}"
            if now
            else f"putting the weights after epoch {epoch} into the main window…"
        )

    def _sample(self) -> None:
        """Sampling waits for a pause or the end: the weights change every epoch."""
        if not self._training_now():
            self.sampler.sample(self.form.seed_box.value())

    # ---- from the worker -----------------------------------------------------------
    def _on_epoch(self, report: EpochReport) -> None:
        self.lab.record_epoch(report)
        self.progress.setValue(report.epoch)

    def _on_paused(self) -> None:
        self.pause_button.setText("Resume")
        self.pause_button.setEnabled(True)
        self.adopt_button.setEnabled(self._has_weights())
        self.status.setText(f"paused after epoch {self._epochs_done()}")
        self._on_training_changed()  # not training now: draws at once
        self._sample()

    def _on_resumed(self) -> None:
        self.pause_button.setText("Pause")
        self.adopt_button.setEnabled(False)
        self._show_status()
        self._refresh_sampler()

    def _on_finished(self, outcome: str) -> None:
        self._set_running(False)
        if outcome == CANCELLED:
            self.status.setText(f"stopped after epoch {self._epochs_done()}")
        elif outcome == DONE:
            self._show_status()
        self._on_training_changed()  # not training now: draws at once
        self._sample()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.stop_button.setEnabled(running)
        self.adopt_button.setEnabled(not running and self._has_weights())
        self.form.set_editable(not running)

    # ---- from the settings and the lab -----------------------------------------------
    def _show_sampler(self) -> None:
        self.sampler.setVisible(self.form.task_name() == "text")

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.TRAINING:
            self._on_training_changed()

    def _on_training_changed(self) -> None:
        """Every epoch is recorded, but redrawn at most every REDRAW_MS while training.

        Repainting two plots costs ~10 ms (more while the worker competes for the GIL);
        per epoch that would stall the event loop, batched it stays well under 50 ms.
        """
        if self._training_now():
            if not self._redraw_timer.isActive():
                self._redraw_timer.start()
            return
        self._redraw_timer.stop()
        self._draw()

    def _draw(self) -> None:
        h = self.lab.training
        # Before any run the x axis shows the epochs the form would train.
        epochs = self._planned_epochs if h is not None else self.form.epochs_box.value()
        self.plots.show_history(h, epochs, self._run_clip)
        if h is not None and self._training_now():
            self._show_status()
        self._show_speed()
        self._refresh_sampler()

    def _show_speed(self) -> None:
        """The run's updates per second in the progress line, redrawn with the curves: a new
        text re-lays out the bar, too costly for every epoch."""
        rate = self.lab.updates_per_second
        text = "epoch %v / %m" + ("" if rate is None else f", {rate:.0f} updates/s")
        self.progress.set_shown(text)

    def _show_status(self) -> None:
        h = self.lab.training
        if h is None or not h.losses:
            self.status.setText("")
            return
        what = BASELINE_TEXT.get(h.task.name, "the best constant guess")
        # Which network learns (or not) is the point of comparing runs: the cell comes from
        # the main window, the size from the form or the main window's network.
        p = h.params
        net = "" if p is None else f"{CELL_NAMES[p.cell]} ({p.hidden_size} units), "
        self.status.setText(
            f"{net}epoch {len(h.losses)}: loss {h.losses[-1]:.4g}\n"
            f"baseline {h.task.baseline:.4g} ({what})"
        )

    def _refresh_sampler(self) -> None:
        """The prediction follows every epoch; sampling waits for a pause or the end."""
        self.sampler.refresh(can_sample=not self._training_now())

    # ---- helpers ---------------------------------------------------------------------
    def _training_now(self) -> bool:
        return self.runner.running and not self.runner.is_paused

    def _has_weights(self) -> bool:
        h = self.lab.training
        return h is not None and h.params is not None

    def _epochs_done(self) -> int:
        h = self.lab.training
        return len(h.losses) if h is not None else 0

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)
