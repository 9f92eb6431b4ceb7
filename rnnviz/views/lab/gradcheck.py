"""BPTT against central finite differences on the current network."""

from __future__ import annotations

from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session import Change
from rnnviz.session.lab import Lab, LabChange
from rnnviz.views.binding import listen
from rnnviz.views.look import sizes, widget_style
from rnnviz.views.worker import CANCELLED, Runner

THRESHOLD = 1e-6  # BPTT agrees with finite differences below this relative error
AGREE = "TARGET"  # the theme's green
EXPLAIN = (
    "Nudges weights by ±ε, measures how the loss changes, (L(θ+ε) − L(θ−ε)) / 2ε, and "
    "compares that with the gradient BPTT computed. Full BPTT, no truncation or clipping."
)


class GradCheckView(QWidget):
    """A button that checks BPTT against central finite differences and says how well
    they agree: the largest relative error, ✓ below 1e-6, and the error of each array.

    Public, for the main window and tests: ``check_button``, ``cancel_button``,
    ``progress``, ``result`` (QLabel: "largest relative error: … ✓ (…)"), ``table``
    (QTableWidget: array name, relative error), ``message`` (errors, "cancelled"),
    ``runner``; ``check()`` starts the check.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        widget_style.set_font(self)
        self.runner = Runner(self)

        self.check_button = QPushButton("Check gradients")
        widget_style.set_font(self.check_button, sizes.BADGE_PT, bold=True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m weights nudged")
        self.progress.setValue(0)
        self.result = QLabel()
        widget_style.set_font(self.result, sizes.BADGE_PT, bold=True)
        self.result.setWordWrap(True)
        self.message = QLabel()
        widget_style.set_font(self.message)
        widget_style.set_text_color(self.message, "ALERT")
        explain = QLabel(EXPLAIN)
        explain.setWordWrap(True)
        widget_style.set_font(explain)
        widget_style.set_text_color(explain, "MUTED")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["array", "relative error"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(
            widget_style.title_label("gradient check: BPTT against finite differences")
        )
        layout.addWidget(explain)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

        self.check_button.clicked.connect(self.check)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.runner.progressed.connect(self._on_progress)
        self.runner.returned.connect(self.lab.set_gradcheck)
        self.runner.failed.connect(self.message.setText)
        self.runner.finished.connect(self._on_finished)
        listen(lab.changed, self._on_lab_changed)
        listen(lab.session.changed, self._on_session_changed)
        self._on_gradcheck_changed()

    def check(self) -> None:
        if self.runner.running:
            return
        self.message.setText("")
        self.progress.setValue(0)
        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.runner.start(self.lab.gradcheck_steps())

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_finished(self, outcome: str) -> None:
        self.check_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if outcome == CANCELLED:
            self.progress.setValue(0)
            if not self.message.text():
                self.message.setText("cancelled")

    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.DATA and self.runner.running:
            self.message.setText("the network or inputs changed: check again")
            self.runner.cancel()

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.GRADCHECK:
            self._on_gradcheck_changed()

    def _on_gradcheck_changed(self) -> None:
        g = self.lab.gradcheck
        if g is None:
            self.result.setText("press “Check gradients” to test BPTT on the current network")
            widget_style.set_text_color(self.result, "MUTED")
            self.table.setRowCount(0)
            return
        ok = g.max_rel_error < THRESHOLD
        verdict = (
            "✓ (BPTT agrees with finite differences)"
            if ok
            else "✗ (BPTT and finite differences disagree)"
        )
        self.result.setText(
            f"largest relative error: {g.max_rel_error:.1e} {verdict}\n"
            f"{g.checked} weights nudged, each by ±ε"
        )
        widget_style.set_text_color(self.result, AGREE if ok else "ALERT")
        self.table.setRowCount(len(g.rel_error))
        for row, (name, error) in enumerate(g.rel_error.items()):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(f"{error:.1e}"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)
