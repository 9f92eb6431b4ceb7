"""Small widgets the lab's tabs share: a problem line, an integer box, a run's progress."""

from __future__ import annotations

from PyQt6.QtCore import QSize
from PyQt6.QtWidgets import QLabel, QProgressBar, QSpinBox

from rnnviz.views.look import widget_style
from rnnviz.views.look.plain_text import plain_label


def alert_label() -> QLabel:
    """Red text for a problem with a setting, next to that setting."""
    label = plain_label(QLabel())  # problems quote what the user typed
    label.setWordWrap(True)
    widget_style.set_font(label)
    widget_style.set_text_color(label, "ALERT")
    return label


def spin_box(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


class RunProgress(QProgressBar):
    """A run's progress bar that counts (``shown``, e.g. "epoch %v / %m") only once a run
    has set its range; before, it says the run has not started instead of "0 / 100".

    It is at least as wide as its longest text: Qt sizes a bar without its text, and
    "41 / 41 values of ρ" broke into two cut lines in a narrow lab row at 1024×768."""

    IDLE = "not run yet"

    def __init__(self, shown: str) -> None:
        super().__init__()
        self._shown = shown
        self.idle()

    def idle(self) -> None:
        """No run, or its result was dropped: nothing to count."""
        self.setFormat(self.IDLE)
        self.setValue(0)

    def setRange(self, low: int, high: int) -> None:
        super().setRange(low, high)
        self.setFormat(self._shown)

    def set_shown(self, shown: str) -> None:
        """Count with ``shown`` from now on; a bar with no run yet keeps saying so."""
        self._shown = shown
        if self.format() not in (self.IDLE, shown):
            self.setFormat(shown)
        self.updateGeometry()

    def setFormat(self, format: str | None) -> None:
        super().setFormat(format)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def _text_width(self) -> int:
        """The widest text the bar may show, with room for its frame: the idle text, or the
        count at its end (every digit as wide as the maximum's)."""
        top = str(self.maximum())
        counted = self._shown.replace("%v", top).replace("%m", top).replace("%p", "100")
        metrics = self.fontMetrics()
        em = metrics.horizontalAdvance("M")
        return max(metrics.horizontalAdvance(t) for t in (self.IDLE, counted)) + 2 * em
