"""The training settings form: its fields, which of them the chosen task and optimiser use,
and each field's problem shown under it."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from rnnviz.io import limits
from rnnviz.session.training_setup import (
    OPTIMISERS,
    TASK_HELP,
    TASK_NAMES,
    TASKS,
    TrainingSettings,
)
from rnnviz.views.lab.form_widgets import alert_label, spin_box
from rnnviz.views.look import widget_style
from rnnviz.views.look.math_text import math_html

SIGNAL_NOTE = (
    "signal: the main window's inputs when they are numbers longer than the sequence "
    "length + 1 (draw or type them there), else a sine"
)
HIDDEN_NOTE = (
    "the size of the network trained when the main window's network does not fit the task "
    "(e.g. the adding problem's two inputs); it has the main window's cell and initialisation"
)
TRUNCATE_STEPS = 10  # the truncation window offered while truncation is off


class TrainingForm(QWidget):
    """The settings of a training run, starting at ``TrainingSettings()``'s defaults.

    Public: the fields ``task_box`` (items: what the app calls each task, with the task's
    name as data; ``task_name()`` the chosen one's; with ``task_help`` under it), ``length_box``,
    ``lag_box``, ``text_edit``, ``hidden_box`` (a fresh network's units), ``optimiser_box``,
    ``lr_edit``, ``momentum_box``,
    ``epochs_box``, ``clip_check``, ``clip_edit``, ``truncate_check``, ``truncate_box``,
    ``seed_box``; ``errors`` (field name → the QLabel under that field: "length", "lag",
    "text", "lr", "momentum", "clip", as in ``training_setup.FIELDS``);
    ``settings()`` the values shown, ``show_settings(settings)``, ``show_problems(problems)``,
    ``set_editable(editable)``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        default = TrainingSettings()
        self.task_box = QComboBox()
        for i, name in enumerate(TASKS):
            self.task_box.addItem(TASK_NAMES[name], name)
            self.task_box.setItemData(i, TASK_HELP[name], Qt.ItemDataRole.ToolTipRole)
        self.task_box.setCurrentIndex(self.task_box.findData(default.task))
        self.task_help = QLabel()
        self.task_help.setWordWrap(True)
        widget_style.set_font(self.task_help)
        widget_style.set_text_color(self.task_help, "MUTED")
        self.length_box = spin_box(2, 1000, default.length)
        self.lag_box = spin_box(0, 999, default.lag)
        self.lag_box.setToolTip(math_html("y_t should be x_(t − lag)"))
        self.text_edit = QPlainTextEdit(default.text)
        self.text_edit.setFixedHeight(80)
        self.hidden_box = spin_box(1, limits.MAX_HIDDEN, default.hidden_size)  # as the main window
        self.hidden_box.setToolTip(HIDDEN_NOTE)
        self.optimiser_box = QComboBox()
        for name, label in OPTIMISERS.items():
            self.optimiser_box.addItem(label, name)
        self.optimiser_box.setCurrentIndex(self.optimiser_box.findData(default.optimiser))
        self.lr_edit = QLineEdit(default.lr)
        self.momentum_box = QDoubleSpinBox()
        self.momentum_box.setRange(0.0, 0.99)
        self.momentum_box.setSingleStep(0.05)
        self.momentum_box.setValue(default.momentum)
        self.epochs_box = spin_box(1, limits.MAX_EPOCHS, default.epochs)
        self.clip_check = QCheckBox("clip ‖∇‖ at")
        self.clip_check.setChecked(default.clip is not None)
        self.clip_edit = QLineEdit(default.clip or "")
        self.truncate_check = QCheckBox("truncate to")
        self.truncate_check.setChecked(default.truncate is not None)
        self.truncate_box = spin_box(1, 1000, default.truncate or TRUNCATE_STEPS)
        self.truncate_box.setSuffix(" steps")
        self.seed_box = spin_box(0, limits.MAX_SEED, default.seed)

        self.errors: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}  # field name → its widget, for errors and rows
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("task", self.task_box)
        self.form.addRow(self.task_help)
        self._add_field("sequence length", self.length_box, "length")
        self._add_field("lag", self.lag_box, "lag")
        self._add_field("text", self.text_edit, "text")
        self.form.addRow("hidden size", self.hidden_box)
        self.form.addRow("optimiser", self.optimiser_box)
        self._add_field("learning rate", self.lr_edit, "lr")
        self._add_field("momentum", self.momentum_box, "momentum")
        self.form.addRow("epochs", self.epochs_box)
        self._add_field(self.clip_check, self.clip_edit, "clip")
        self.form.addRow(self.truncate_check, self.truncate_box)
        self.form.addRow("seed", self.seed_box)

        self.task_box.currentIndexChanged.connect(self._show_fields)
        self.optimiser_box.currentIndexChanged.connect(self._show_fields)
        self.clip_check.toggled.connect(self.clip_edit.setEnabled)
        self.truncate_check.toggled.connect(self.truncate_box.setEnabled)
        self._show_fields()
        self.set_editable(True)

    def _add_field(self, label: str | QWidget, field: QWidget, key: str) -> None:
        """A settings row with an error line under it (hidden while there is no error)."""
        self.form.addRow(label, field)
        error = alert_label()
        self.form.addRow(error)
        self.form.setRowVisible(error, False)
        self.errors[key] = error
        self._fields[key] = field

    # ---- what the form holds ---------------------------------------------------------
    def settings(self) -> TrainingSettings:
        """The values shown, unchecked: ``training_setup`` says whether they make a run."""
        return TrainingSettings(
            task=self.task_name(),
            length=self.length_box.value(),
            lag=self.lag_box.value(),
            text=self.text_edit.toPlainText(),
            hidden_size=self.hidden_box.value(),
            optimiser=str(self.optimiser_box.currentData()),
            lr=self.lr_edit.text(),
            momentum=self.momentum_box.value(),
            epochs=self.epochs_box.value(),
            clip=self.clip_edit.text() if self.clip_check.isChecked() else None,
            truncate=self.truncate_box.value() if self.truncate_check.isChecked() else None,
            seed=self.seed_box.value(),
        )

    def show_settings(self, settings: TrainingSettings) -> None:
        """Fill the fields with ``settings``, as a user would type them (unchecked)."""
        self.task_box.setCurrentIndex(self.task_box.findData(settings.task))
        self.length_box.setValue(settings.length)
        self.lag_box.setValue(settings.lag)
        self.text_edit.setPlainText(settings.text)
        self.hidden_box.setValue(settings.hidden_size)
        self.optimiser_box.setCurrentIndex(self.optimiser_box.findData(settings.optimiser))
        self.lr_edit.setText(settings.lr)
        self.momentum_box.setValue(settings.momentum)
        self.epochs_box.setValue(settings.epochs)
        self.clip_check.setChecked(settings.clip is not None)
        if settings.clip is not None:
            self.clip_edit.setText(settings.clip)
        self.truncate_check.setChecked(settings.truncate is not None)
        if settings.truncate is not None:
            self.truncate_box.setValue(settings.truncate)
        self.seed_box.setValue(settings.seed)

    def task_name(self) -> str:
        """The chosen task's name (the box shows what the app calls it)."""
        return str(self.task_box.currentData())

    def show_problems(self, problems: dict[str, str]) -> None:
        """Each field's problem under it; fields without one show no error line."""
        for key, label in self.errors.items():
            label.setText(problems.get(key, ""))
            self.form.setRowVisible(label, key in problems)

    def set_editable(self, editable: bool) -> None:
        """Locked while a run uses the settings. Error lines and the task's help stay as they
        are: they span their rows, so they are neither a row's label nor its field."""
        for i in range(self.form.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                item = self.form.itemAt(i, role)
                if item is not None and item.widget() is not None:
                    item.widget().setEnabled(editable)
        if editable:
            self.clip_edit.setEnabled(self.clip_check.isChecked())
            self.truncate_box.setEnabled(self.truncate_check.isChecked())

    # ---- which fields show -----------------------------------------------------------
    def _show_fields(self) -> None:
        name = self.task_name()
        help_text = TASK_HELP[name].replace("`lag`", "lag")
        self.task_help.setText(help_text + (f"\n{SIGNAL_NOTE}" if name == "next-value" else ""))
        for key, field in self._fields.items():
            self.form.setRowVisible(field, self._field_used(key))
            # A problem stays under its field, and shows again when the field does.
            error = self.errors[key]
            self.form.setRowVisible(error, bool(error.text()) and self._field_used(key))

    def _field_used(self, key: str) -> bool:
        """Whether the chosen task and optimiser read the field ``key``."""
        task = self.task_name()
        if key == "lag":
            return task in ("delay", "copy-memory")  # the copying memory's blank delay
        if key == "length":
            return task != "copy-memory"  # its length follows from the delay
        if key == "text":
            return task == "text"
        if key == "momentum":
            return self.optimiser_box.currentData() == "sgd"
        return True
