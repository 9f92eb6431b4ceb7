"""The text model after training: the likeliest next characters, and text sampled from it."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session.lab import Lab
from rnnviz.session.training_setup import Task
from rnnviz.views.lab.form_widgets import alert_label, spin_box
from rnnviz.views.look import sizes, widget_style
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.flow import FlowLayout

PRIME_LENGTH = 3  # a new prime: this many first characters of the training text


class TextSampler(QGroupBox):
    """What the lab's trained text model has learnt: after the prime, the top 3 next
    characters with their probabilities; on request, text sampled at a temperature.

    Sampling is requested (``sample_requested``: the Sample button or a new temperature),
    not done here: only the owner knows whether training is running and which seed to use.

    Public: ``prime_edit``, ``prediction``, ``error`` (what is wrong with the prime),
    ``temperature_box``, ``sample_length_box``, ``sample_button``, ``sample_view``;
    ``refresh(can_sample)``, ``sample(seed)``, ``new_run(task, text)``.
    """

    sample_requested = pyqtSignal()

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__("what the text model learnt", parent)
        self.lab = lab
        widget_style.set_font(self, sizes.LABEL_PT, bold=True)
        self.prime_edit = QLineEdit("hel")
        self.prime_edit.setToolTip("the text the model has read so far")
        self.prediction = widget_style.WrappingLabel()
        _set_mono(self.prediction, sizes.BADGE_PT)
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.05, 5.0)
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setValue(0.8)
        self.temperature_box.setToolTip("low: always the likeliest character; high: random")
        self.sample_length_box = spin_box(1, 2000, 120)
        self.sample_button = QPushButton("Sample")
        self.sample_view = QPlainTextEdit()
        self.sample_view.setReadOnly(True)
        _set_mono(self.sample_view, sizes.LABEL_PT)
        self.sample_view.setFixedHeight(70)
        self.error = alert_label()
        row = QHBoxLayout()
        row.addWidget(QLabel("after"))
        row.addWidget(self.prime_edit, 1)
        row.addWidget(QLabel("comes"))
        row.addWidget(self.prediction, 2)
        sample = FlowLayout(spacing=6)  # onto two lines in a narrow window
        sample.addWidget(self.sample_button)
        sample.addWidget(self.sample_length_box)
        sample.addWidget(QLabel("characters at temperature"))
        sample.addWidget(self.temperature_box)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addLayout(sample)
        layout.addWidget(self.sample_view)
        for child in self.findChildren(QWidget):
            if child is not self.prediction and child is not self.sample_view:
                widget_style.set_font(child)  # the group's title is bold, its contents are not

        self.prime_edit.textChanged.connect(self.predict)
        self.sample_button.clicked.connect(self.sample_requested)
        self.temperature_box.valueChanged.connect(self.sample_requested)

    def refresh(self, can_sample: bool) -> None:
        """Follow the lab's text model: the prediction every time, sampling when allowed."""
        self.sample_button.setEnabled(self._has_model() and can_sample)
        self.predict()

    def new_run(self, task: Task, text: str) -> None:
        """A run of ``task`` starts: the old sample goes. A text run on ``text`` keeps the
        prime only when the model can read it, else the prime is the text's first letters."""
        self.sample_view.setPlainText("")
        if task.name == "text" and not set(self.prime_edit.text()) <= set(task.vocab):
            self.prime_edit.setText(text[:PRIME_LENGTH])

    def predict(self) -> None:
        if not self._has_model():
            self.prediction.setText("(train the text task first)")
            return
        try:
            probs = self.lab.predict_next_char(self.prime_edit.text())
        except ValueError as exc:  # an empty prime, or characters the model never read
            self.error.setText(str(exc))
            self.prediction.setText("")
            return
        self.error.setText("")
        top = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)[:3]
        self.prediction.setText("   ".join(f"{c!r} {p:.0%}" for c, p in top))

    def sample(self, seed: int) -> None:
        """The prime and its continuation, drawn with ``seed``; nothing without a model."""
        if not self._has_model():
            return
        prime = self.prime_edit.text()
        try:
            text = self.lab.sample(
                prime, self.sample_length_box.value(), self.temperature_box.value(), seed=seed
            )
        except ValueError as exc:  # the prime, as in predict
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.sample_view.setPlainText(prime + text)

    def _has_model(self) -> bool:
        h = self.lab.training
        return h is not None and h.params is not None and h.task.name == "text"


def _mono(point_size: int) -> QFont:
    font = sizes.font(point_size)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFamily("monospace")
    return font


def _set_mono(widget: QWidget, point_size: int) -> None:
    """A monospace font at the appearance's scale, kept so."""
    appearance.keep(widget, "font", lambda w: w.setFont(_mono(point_size)))
