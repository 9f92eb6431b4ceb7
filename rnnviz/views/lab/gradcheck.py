"""BPTT against central finite differences on the current network."""

from __future__ import annotations

from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnviz.session import Change
from rnnviz.session.lab import AGREES, DISAGREES, EPS, RTOL, TOO_SMALL, Lab, LabChange
from rnnviz.views.binding import listen
from rnnviz.views.lab.form_widgets import RunProgress
from rnnviz.views.look import sizes, widget_style
from rnnviz.views.look.math_delegate import MathDelegate
from rnnviz.views.look.math_text import set_math_text
from rnnviz.views.look.plain_text import plain_label
from rnnviz.views.worker import CANCELLED, Runner

AGREE = "TARGET"  # the theme's green
EXPLAIN = (
    f"Nudges each weight by ±ε and ±2ε (ε = {EPS:.0e} · max(1, |θ|)), measures how the loss "
    "changes, (L(θ+ε) − L(θ−ε)) / 2ε, combines the two so that their ε² errors cancel, and "
    "compares that with the gradient BPTT computed (full BPTT, no truncation or clipping). "
    f"An array agrees when every entry is within {RTOL:.0e} of its largest, or within the "
    "rounding floor: the noise that rounding the loss puts into a difference quotient. "
    "A gradient below that floor is too small to check."
)
# The arrays keep PyTorch's names (as in a state_dict); the graph and the equations write the
# article's. The table says which is which.
NAMES_NOTE = (
    "Arrays go by PyTorch's names: W_ih is the W_xh of the graph and the equations, and "
    "their one bias b is PyTorch's two, b_ih + b_hh, checked one by one."
)
# What the table's last column says for each verdict.
COLUMNS = ["array", "largest |∂L/∂θ| (FD)", "rounding floor", "relative error", "verdict"]
MARK = {AGREES: "✓ agrees", TOO_SMALL: "too small to check", DISAGREES: "✗ disagrees"}


class GradCheckView(QWidget):
    """A button that checks BPTT against central finite differences and says whether they
    agree: ✓, ✗, or too small to check, overall and for each array.

    Public, for the main window and tests: ``check_button``, ``cancel_button``,
    ``progress``, ``result`` (QLabel: the verdict, the largest relative error, the arrays
    too small to check), ``table`` (QTableWidget: array, largest |∂L/∂θ| by finite
    differences, rounding floor, relative error, verdict), ``message`` (errors,
    "cancelled"), ``names_note`` (which array is which of the equations'), ``runner``;
    ``check()`` starts the check.
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
        self.progress = RunProgress("%v / %m weights nudged")
        self.result = QLabel()
        widget_style.set_font(self.result, sizes.BADGE_PT, bold=True)
        self.result.setWordWrap(True)
        self.message = plain_label(QLabel())  # a failure's message may quote anything
        widget_style.set_font(self.message)
        widget_style.set_text_color(self.message, "ALERT")
        explain = QLabel(EXPLAIN)
        explain.setWordWrap(True)
        widget_style.set_font(explain)
        widget_style.set_text_color(explain, "MUTED")
        self.names_note = QLabel()
        set_math_text(self.names_note, NAMES_NOTE)
        self.names_note.setWordWrap(True)
        widget_style.set_font(self.names_note)
        widget_style.set_text_color(self.names_note, "MUTED")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.names_column = MathDelegate(self.table)  # W_ih typeset, as in the equations
        self.table.setItemDelegateForColumn(0, self.names_column)
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
        layout.addWidget(self.names_note)
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
        try:
            steps = self.lab.gradcheck_steps()
        except ValueError as exc:  # a network the check does not take (a stack)
            self.message.setText(str(exc))
            return
        self.message.setText("")
        self.progress.setValue(0)
        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.runner.start(steps)

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
        self.result.setText(verdict_text(g.verdict, g.max_rel_error, g.arrays, g.checked))
        color = {AGREES: AGREE, DISAGREES: "ALERT", TOO_SMALL: "MUTED"}[g.verdict]
        widget_style.set_text_color(self.result, color)
        self.table.setRowCount(len(g.arrays))
        for row, (name, a) in enumerate(g.arrays.items()):
            # A relative error of a gradient below the floor means nothing: none is shown.
            rel = "—" if a.verdict == TOO_SMALL else f"{a.rel_error:.1e}"
            cells = (name, f"{a.largest:.1e}", f"{a.noise:.1e}", rel, MARK[a.verdict])
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.stop()
        super().closeEvent(event)


def verdict_text(verdict: str, max_rel_error: float, arrays: dict, checked: int) -> str:
    """The result line: the verdict, what it rests on, and the arrays too small to check."""
    small = [name for name, a in arrays.items() if a.verdict == TOO_SMALL]
    if verdict == TOO_SMALL:
        lines = ["every gradient is too small to check: below the rounding floor"]
    else:
        wrong = [name for name, a in arrays.items() if a.verdict == DISAGREES]
        lines = [
            "✓ BPTT agrees with finite differences"
            if verdict == AGREES
            else f"✗ BPTT and finite differences disagree in {', '.join(wrong)}",
            f"largest relative error: {max_rel_error:.1e}",
        ]
        if small:
            lines.append(f"too small to check (below the rounding floor): {', '.join(small)}")
    lines.append(f"{checked} weights nudged, each by ±ε and ±2ε")
    return "\n".join(lines)
