"""Training in the loop: tasks, optimiser, live loss and gradient norms."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QFont
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnviz.engine.optim import make_optimiser
from rnnviz.engine.tasks import TASK_HELP, TASKS, Task
from rnnviz.engine.train import EpochReport, TrainConfig
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.lab import Lab, LabChange
from rnnviz.views import style
from rnnviz.views.binding import listen
from rnnviz.views.worker import CANCELLED, DONE, Runner

DEFAULT_TEXT = "hello world, hello rnn, hello gradient. " * 3
# The curves' colours: names of the theme's colours.
LOSS = "INK"
BASELINE = "MUTED"
BEFORE = "GRADIENT"  # gradient norm before clipping
AFTER = "OUTPUT"  # … and after
THETA = "TARGET"  # the clipping threshold
START_HINT = "choose a task and press Start"
# What the dashed baseline line is, per task: the best constant guess.
BASELINE_TEXT: dict[str, str] = {
    "next-value": "predicting the signal's mean",
    "copy": "always predicting 0",
    "adding": "always guessing 1",
    "text": "knowing only the letter frequencies",
}
SIGNAL_NOTE = (
    "signal: the main window's inputs when they are numbers longer than the sequence "
    "length + 1 (draw or type them there), else a sine"
)
_PAD_DECADES = 0.3
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

    Public, for the main window and tests: settings ``task_box``, ``length_box``,
    ``lag_box``, ``text_edit``, ``optimiser_box``, ``lr_edit``, ``momentum_box``,
    ``epochs_box``, ``clip_check``, ``clip_edit``, ``truncate_check``, ``truncate_box``,
    ``seed_box``; ``errors`` (dict field name → QLabel next to that field: "lr", "clip",
    "momentum", "length", "lag", "text", "prime"); ``start_button``, ``pause_button``,
    ``stop_button``, ``adopt_button``, ``progress`` (epochs), ``status``, ``message``;
    curves (pg.PlotDataItem, log y; ``getOriginalDataset()`` gives the values):
    ``loss_curve``, ``baseline_curve`` (task.baseline), ``before_curve`` and
    ``after_curve`` (mean gradient norm per epoch before and after clipping),
    ``theta_curve`` (the clipping threshold); ``loss_plot``, ``norm_plot``; the text
    model: ``text_group``, ``prime_edit``, ``prediction`` (top 3 next characters),
    ``temperature_box``, ``sample_length_box``, ``sample_button``, ``sample_view``;
    ``runner``; ``start()``.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        style.set_font(self)
        self.runner = Runner(self)
        self.errors: dict[str, QLabel] = {}
        self._planned_epochs = 0
        self._run_clip: float | None = None  # the threshold of the shown run
        self._ranges: dict[int, tuple[int, int, int]] = {}  # plot → (epochs, low, high)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._draw)

        settings = self._build_settings()
        plots = self._build_plots()
        self.text_group = self._build_text_group()
        right = QVBoxLayout()
        right.addLayout(plots, 1)
        right.addWidget(self.text_group)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(settings)
        layout.addLayout(right, 1)

        self.task_box.currentIndexChanged.connect(self._show_fields)
        self.optimiser_box.currentIndexChanged.connect(self._show_fields)
        self.clip_check.toggled.connect(self.clip_edit.setEnabled)
        self.truncate_check.toggled.connect(self.truncate_box.setEnabled)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button.clicked.connect(self.runner.cancel)
        self.adopt_button.clicked.connect(self._adopt)
        self.prime_edit.textChanged.connect(self._predict)
        self.sample_button.clicked.connect(self._sample)
        self.temperature_box.valueChanged.connect(self._sample)
        self.runner.yielded.connect(self._on_epoch)
        self.runner.paused.connect(self._on_paused)
        self.runner.resumed.connect(self._on_resumed)
        self.runner.failed.connect(self.message.setText)
        self.runner.finished.connect(self._on_finished)
        listen(lab.changed, self._on_lab_changed)
        listen(style.appearance_changed, self._on_appearance_changed)
        self._on_appearance_changed()

        self._show_fields()
        self._set_running(False)
        self._on_training_changed()

    # ---- construction ----------------------------------------------------------------
    def _build_settings(self) -> QWidget:
        self.task_box = QComboBox()
        for i, name in enumerate(TASKS):
            self.task_box.addItem(name)
            self.task_box.setItemData(i, TASK_HELP[name], Qt.ItemDataRole.ToolTipRole)
        self.task_help = QLabel()
        self.task_help.setWordWrap(True)
        style.set_font(self.task_help)
        style.set_text_color(self.task_help, "MUTED")
        self.length_box = _spin(2, 1000, 20)
        self.lag_box = _spin(0, 999, 5)
        self.lag_box.setToolTip("y_t should be x_(t − lag)")
        self.text_edit = QPlainTextEdit(DEFAULT_TEXT)
        self.text_edit.setFixedHeight(80)
        self.optimiser_box = QComboBox()
        self.optimiser_box.addItem("Adam", "adam")
        self.optimiser_box.addItem("SGD (momentum)", "sgd")
        self.lr_edit = QLineEdit("0.01")
        self.momentum_box = QDoubleSpinBox()
        self.momentum_box.setRange(0.0, 0.99)
        self.momentum_box.setSingleStep(0.05)
        self.momentum_box.setValue(0.9)
        self.epochs_box = _spin(1, 100_000, 100)
        self.clip_check = QCheckBox("clip ‖∇‖ at")
        self.clip_check.setChecked(True)
        self.clip_edit = QLineEdit("1.0")
        self.truncate_check = QCheckBox("truncate to")
        self.truncate_box = _spin(1, 1000, 10)
        self.truncate_box.setSuffix(" steps")
        self.truncate_box.setEnabled(False)
        self.seed_box = _spin(0, 2**31 - 1, 0)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.adopt_button = QPushButton("Use trained weights")
        self.adopt_button.setToolTip("step with the trained weights in the main window")
        self.progress = QProgressBar()
        self.progress.setFormat("epoch %v / %m")
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.message = _alert_label()

        self.form = QFormLayout()
        self.form.addRow("task", self.task_box)
        self.form.addRow(self.task_help)
        self._add_field("sequence length", self.length_box, "length")
        self._add_field("lag", self.lag_box, "lag")
        self._add_field("text", self.text_edit, "text")
        self.form.addRow("optimiser", self.optimiser_box)
        self._add_field("learning rate", self.lr_edit, "lr")
        self._add_field("momentum", self.momentum_box, "momentum")
        self.form.addRow("epochs", self.epochs_box)
        self._add_field(self.clip_check, self.clip_edit, "clip")
        self.form.addRow(self.truncate_check, self.truncate_box)
        self.form.addRow("seed", self.seed_box)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        column = QVBoxLayout()
        column.addWidget(style.title_label("training"))
        column.addLayout(self.form)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.message)
        column.addWidget(self.adopt_button)
        column.addStretch(1)
        panel = QWidget()
        panel.setLayout(column)
        panel.setFixedWidth(350)
        return panel

    def _add_field(self, label: str | QWidget, field: QWidget, key: str) -> None:
        """A settings row with an error line under it (hidden while there is no error)."""
        self.form.addRow(label, field)
        error = _alert_label()
        self.form.addRow(error)
        self.form.setRowVisible(error, False)
        self.errors[key] = error

    def _build_plots(self) -> QVBoxLayout:
        # Colours and pens from the theme: _on_appearance_changed.
        self.loss_plot, self.loss_legend = _log_plot("loss  (log scale)")
        self.loss_curve = self.loss_plot.plot(symbolPen=None)
        self.baseline_curve = self.loss_plot.plot()
        self.norm_plot, self.norm_legend = _log_plot("‖∇L‖  (log scale)")
        self.theta_curve = self.norm_plot.plot()
        self.before_curve = self.norm_plot.plot()
        self.after_curve = self.norm_plot.plot()
        self.hint = style.hint_item(START_HINT)
        self.loss_plot.getPlotItem().addItem(self.hint, ignoreBounds=True)
        layout = QVBoxLayout()
        for legend, plot in (
            (self.loss_legend, self.loss_plot),
            (self.norm_legend, self.norm_plot),
        ):
            layout.addWidget(legend)
            layout.addWidget(plot, 1)
        return layout

    def _build_text_group(self) -> QGroupBox:
        group = QGroupBox("what the text model learnt")
        style.set_font(group, style.LABEL_PT, bold=True)
        self.prime_edit = QLineEdit("hel")
        self.prime_edit.setToolTip("the text the model has read so far")
        self.prediction = QLabel()
        _set_mono(self.prediction, style.BADGE_PT)
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.05, 5.0)
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setValue(0.8)
        self.temperature_box.setToolTip("low: always the likeliest character; high: random")
        self.sample_length_box = _spin(1, 2000, 120)
        self.sample_button = QPushButton("Sample")
        self.sample_view = QPlainTextEdit()
        self.sample_view.setReadOnly(True)
        _set_mono(self.sample_view, style.LABEL_PT)
        self.sample_view.setFixedHeight(70)
        self.errors["prime"] = _alert_label()
        row = QHBoxLayout()
        row.addWidget(QLabel("after"))
        row.addWidget(self.prime_edit, 1)
        row.addWidget(QLabel("comes"))
        row.addWidget(self.prediction, 2)
        sample = QHBoxLayout()
        sample.addWidget(self.sample_button)
        sample.addWidget(self.sample_length_box)
        sample.addWidget(QLabel("characters at temperature"))
        sample.addWidget(self.temperature_box)
        sample.addStretch(1)
        layout = QVBoxLayout(group)
        layout.addLayout(row)
        layout.addWidget(self.errors["prime"])
        layout.addLayout(sample)
        layout.addWidget(self.sample_view)
        for child in group.findChildren(QWidget):
            if child is not self.prediction and child is not self.sample_view:
                style.set_font(child)
        return group

    def _on_appearance_changed(self) -> None:
        """Curves and their legends in the theme's colours and line widths."""
        palette = style.appearance.palette
        c = {name: getattr(palette, name) for name in (LOSS, BASELINE, BEFORE, AFTER, THETA)}
        self.loss_legend.setText(
            "<b>loss per epoch</b> &nbsp;&nbsp; "
            f'<span style="color:{c[LOSS]}">━━</span> loss &nbsp;&nbsp; '
            f'<span style="color:{c[BASELINE]}">╸╸╸</span> baseline (best constant guess)'
        )
        self.norm_legend.setText(
            "<b>gradient norm per epoch</b> &nbsp;&nbsp; "
            f'<span style="color:{c[BEFORE]}">━━</span> before clipping &nbsp;&nbsp; '
            f'<span style="color:{c[AFTER]}">╸╸╸</span> after &nbsp;&nbsp; '
            f'<span style="color:{c[THETA]}">┈┈┈</span> threshold θ'
        )
        self.loss_curve.setPen(style.pen(c[LOSS]))
        self.loss_curve.setSymbolBrush(c[LOSS])
        self.loss_curve.setSymbolSize(style.line_width(6))
        self.baseline_curve.setPen(style.pen(c[BASELINE], dashed=True))
        self.theta_curve.setPen(style.pen(c[THETA], width=2, dashed=True))
        self.before_curve.setPen(style.pen(c[BEFORE], width=4))
        self.after_curve.setPen(style.pen(c[AFTER], dashed=True))
        for plot in (self.loss_plot, self.norm_plot):
            # Room for "0.005" and the axis name side by side.
            plot.getPlotItem().getAxis("left").setWidth(round(90 * style.appearance.scale))

    # ---- verbs -----------------------------------------------------------------------
    def start(self) -> bool:
        """Start training with the settings shown; False (and messages) when one is bad."""
        if self.runner.running:
            return False
        settings = self._read_settings()
        if settings is None:
            return False
        task, config = settings
        self._planned_epochs, self._run_clip = config.epochs, config.clip
        self.message.setText("")
        self.progress.setRange(0, config.epochs)
        self.progress.setValue(0)
        self.sample_view.setPlainText("")
        if task.name == "text" and not set(self.prime_edit.text()) <= set(task.vocab):
            self.prime_edit.setText(text_prime(self.text_edit.toPlainText()))
        steps = self.lab.training_steps(task, config)
        self._set_running(True)
        self.runner.start(steps)
        return True

    def _read_settings(self) -> tuple[Task, TrainConfig] | None:
        problems: dict[str, str] = {}
        optimiser = str(self.optimiser_box.currentData())
        lr = _number(self.lr_edit.text())
        if lr is None:
            problems["lr"] = "type a number, e.g. 0.01 or 1e-3"
        else:
            try:
                make_optimiser(optimiser, lr, self.momentum_box.value())
            except ValueError as exc:
                problems["momentum" if "momentum" in str(exc) else "lr"] = str(exc)
        clip = _number(self.clip_edit.text()) if self.clip_check.isChecked() else None
        if self.clip_check.isChecked() and (clip is None or not clip > 0):
            problems["clip"] = "the clipping threshold must be a positive number"
        name = self.task_box.currentText()
        text = self.text_edit.toPlainText()
        task = None
        if name == "text" and not text:
            problems["text"] = "type a text to learn from"
        else:
            try:
                task = self.lab.make_task(name, self.length_box.value(), self.lag_box.value(), text)
            except ValueError as exc:
                problems[{"copy": "lag", "text": "text"}.get(name, "length")] = str(exc)
        for key, label in self.errors.items():
            if key != "prime":
                label.setText(problems.get(key, ""))
                self.form.setRowVisible(label, key in problems)
        if problems or task is None or lr is None:
            return None
        config = TrainConfig(
            optimiser=optimiser,
            lr=lr,
            momentum=self.momentum_box.value(),
            epochs=self.epochs_box.value(),
            clip=clip,
            truncate=self.truncate_box.value() if self.truncate_check.isChecked() else None,
            seed=self.seed_box.value(),
        )
        return task, config

    def _toggle_pause(self) -> None:
        if self.runner.is_paused:
            self.runner.resume()
        else:
            self.pause_button.setEnabled(False)  # until the worker has paused
            self.runner.pause()

    def _adopt(self) -> None:
        try:
            self.lab.adopt_trained()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        h = self.lab.training
        epochs = len(h.losses) if h is not None else 0
        self.status.setText(f"the main window now steps with the weights after epoch {epochs}")

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
        self._update_text_model()

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
        for i in range(self.form.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                item = self.form.itemAt(i, role)
                if item is not None and item.widget() is not None:
                    item.widget().setEnabled(not running)
        if not running:
            self.clip_edit.setEnabled(self.clip_check.isChecked())
            self.truncate_box.setEnabled(self.truncate_check.isChecked())

    # ---- from the settings and the lab -----------------------------------------------
    def _show_fields(self) -> None:
        name = self.task_box.currentText()
        help_text = TASK_HELP[name].replace("`lag`", "lag")
        self.task_help.setText(help_text + (f"\n{SIGNAL_NOTE}" if name == "next-value" else ""))
        self.form.setRowVisible(self.lag_box, name == "copy")
        self.form.setRowVisible(self.text_edit, name == "text")
        self.form.setRowVisible(self.momentum_box, self.optimiser_box.currentData() == "sgd")
        for key, label in self.errors.items():
            if key != "prime":
                self.form.setRowVisible(label, bool(label.text()) and self._field_shown(key))
        self.text_group.setVisible(name == "text")

    def _field_shown(self, key: str) -> bool:
        name = self.task_box.currentText()
        if key == "lag":
            return name == "copy"
        if key == "text":
            return name == "text"
        if key == "momentum":
            return self.optimiser_box.currentData() == "sgd"
        return True

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
        losses = np.asarray(h.losses if h is not None else (), dtype=float)  # (E,)
        epochs = np.arange(1, losses.size + 1)
        n = max(self._planned_epochs, losses.size, 1)
        self.hint.setVisible(h is None)
        if h is None:
            curves = (self.loss_curve, self.baseline_curve, self.before_curve, self.after_curve)
            for curve in (*curves, self.theta_curve):
                curve.setData([], [])
            n = self.epochs_box.value()
            self._fit(self.loss_plot, n, np.zeros(0))
            self._fit(self.norm_plot, n, np.zeros(0))
            self.hint.setPos((n + 1) / 2, -1.0)  # the middle of the empty log range
            self._update_text_model()
            return
        before = np.asarray(h.norm_before, dtype=float)  # (E,)
        after = np.asarray(h.norm_after, dtype=float)  # (E,)
        self.loss_curve.setData(epochs, _loggable(losses))
        self.loss_curve.setSymbol("o" if losses.size <= 60 else None)
        ends = np.array([0.5, n + 0.5])
        self.baseline_curve.setData(ends, np.full(2, h.task.baseline))
        self.before_curve.setData(epochs, _loggable(before))
        self.after_curve.setData(epochs, _loggable(after))
        clip = self._run_clip
        if clip is None:
            self.theta_curve.setData([], [])
        else:
            self.theta_curve.setData(ends, np.full(2, clip))
        extra = [] if clip is None else [clip]
        self._fit(self.loss_plot, n, np.concatenate([losses, [h.task.baseline]]))
        self._fit(self.norm_plot, n, np.concatenate([before, after, extra]))
        if self.runner.running and not self.runner.is_paused:
            self._show_status()
        self._update_text_model()

    def _show_status(self) -> None:
        h = self.lab.training
        if h is None or not h.losses:
            self.status.setText("")
            return
        what = BASELINE_TEXT.get(h.task.name, "the best constant guess")
        self.status.setText(
            f"epoch {len(h.losses)}: loss {h.losses[-1]:.4g}\n"
            f"baseline {h.task.baseline:.4g} ({what})"
        )

    # ---- the text model --------------------------------------------------------------
    def _text_vocab(self) -> str | None:
        h = self.lab.training
        if h is None or h.params is None or h.task.name != "text":
            return None
        return h.task.vocab

    def _check_prime(self, vocab: str) -> str | None:
        prime = self.prime_edit.text()
        missing = sorted(set(prime) - set(vocab))
        if not prime:
            problem = "type a few characters to start from"
        elif missing:
            problem = f"{', '.join(repr(c) for c in missing)} not in the training text"
        else:
            problem = ""
        self.errors["prime"].setText(problem)
        return None if problem else prime

    def _update_text_model(self) -> None:
        """The prediction follows every epoch; sampling waits for a pause or the end."""
        vocab = self._text_vocab()
        self.sample_button.setEnabled(vocab is not None and not self._training_now())
        self._predict()

    def _training_now(self) -> bool:
        return self.runner.running and not self.runner.is_paused

    def _predict(self) -> None:
        vocab = self._text_vocab()
        if vocab is None:
            self.prediction.setText("(train the text task first)")
            return
        prime = self._check_prime(vocab)
        if prime is None:
            self.prediction.setText("")
            return
        probs = self.lab.predict_next_char(prime)
        top = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)[:3]
        self.prediction.setText("   ".join(f"{c!r} {p:.0%}" for c, p in top))

    def _sample(self) -> None:
        vocab = self._text_vocab()
        if vocab is None or self._training_now():
            return
        prime = self._check_prime(vocab)
        if prime is None:
            return
        text = self.lab.sample(
            prime,
            self.sample_length_box.value(),
            self.temperature_box.value(),
            seed=self.seed_box.value(),
        )
        self.sample_view.setPlainText(prime + text)

    def _fit(self, plot: pg.PlotWidget, epochs: int, values: np.ndarray) -> None:
        """x over the planned epochs; y over whole decades of the values, padded.

        Rounded to decades, the range changes only now and then as epochs come in: no
        auto-range jitter while the curve grows, and no relayout of the axes per epoch.
        """
        shown = np.log10(_loggable(values[np.isfinite(values)])) if values.size else values
        low = math.floor(float(shown.min())) if shown.size else -2
        high = max(math.ceil(float(shown.max())) if shown.size else 0, low + 1)
        if self._ranges.get(id(plot)) == (epochs, low, high):
            return
        self._ranges[id(plot)] = (epochs, low, high)
        item = plot.getPlotItem()
        y0, y1 = low - _PAD_DECADES, high + _PAD_DECADES
        item.setRange(xRange=(0.5, epochs + 0.5), yRange=(y0, y1), padding=0)
        item.getAxis("left").setTicks(style.log_ticks(y0, y1))

    # ---- helpers ---------------------------------------------------------------------
    def _has_weights(self) -> bool:
        h = self.lab.training
        return h is not None and h.params is not None

    def _epochs_done(self) -> int:
        h = self.lab.training
        return len(h.losses) if h is not None else 0

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)


def text_prime(text: str) -> str:
    """A prime the model can read: the first few characters of its training text."""
    return text[:3]


def _alert_label() -> QLabel:
    """Red text for a problem with a setting, next to that setting."""
    label = QLabel()
    label.setWordWrap(True)
    style.set_font(label)
    style.set_text_color(label, "ALERT")
    return label


def _spin(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _mono(point_size: int) -> QFont:
    font = style.font(point_size)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFamily("monospace")
    return font


def _set_mono(widget: QWidget, point_size: int) -> None:
    """A monospace font at the appearance's scale, kept so."""
    style.appearance.keep(widget, "font", lambda w: w.setFont(_mono(point_size)))


def _log_plot(axis_label: str) -> tuple[pg.PlotWidget, QLabel]:
    plot = pg.PlotWidget(background=style.BACKGROUND)
    item = plot.getPlotItem()
    style.style_plot(item, "epoch", axis_label)
    item.setLogMode(y=True)
    item.setMouseEnabled(x=False, y=False)
    item.disableAutoRange()
    item.showGrid(y=True, alpha=0.3)
    item.getAxis("left").enableAutoSIPrefix(False)
    label = QLabel()  # the legend
    label.setWordWrap(True)
    style.set_font(label)
    style.set_text_color(label, "INK")
    return plot, label


def _loggable(values: np.ndarray) -> np.ndarray:
    """Finite values ≥ LOG_FLOOR: zeros, inf and NaN break a log axis."""
    return np.clip(np.nan_to_num(values, nan=1e300, posinf=1e300), LOG_FLOOR, 1e300)
