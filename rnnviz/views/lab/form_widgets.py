"""Small widgets the lab's tabs share: a problem line, an integer box, a run's progress."""

from __future__ import annotations

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
    has set its range; before, it says the run has not started instead of "0 / 100"."""

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
