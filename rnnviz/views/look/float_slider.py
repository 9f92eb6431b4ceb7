"""A slider of floats: QSlider's whole-number positions stand for evenly spaced values.

superqt's QDoubleSlider does the same, but importing superqt imports qtpy, which rebuilds
every Qt enum as it loads: about a third of a second of the window's launch, for one slider.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractSlider, QSlider, QWidget

POSITIONS = 10_000  # whole-number positions across the range: finer than a pixel


class FloatSlider(QSlider):
    """``setRange``, ``setSingleStep``, ``setPageStep``, ``setValue`` and ``value`` take and
    give floats; ``valueChanged(float)`` is emitted when the value changes, by the user or
    by ``setValue``. ``value()`` is exactly the float last set (a dragged one is the value
    of the position it reached)."""

    valueChanged = pyqtSignal(float)  # the float value, in place of QSlider's position

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._low, self._high, self._value = 0.0, 1.0, 0.0
        self._setting = False  # setValue is moving the position: it emits on its own
        QSlider.setRange(self, 0, POSITIONS)
        position_changed = QAbstractSlider.valueChanged.__get__(self, QAbstractSlider)
        position_changed.connect(self._on_position)

    def setRange(self, low: float, high: float) -> None:  # type: ignore[override]
        self._low, self._high = float(low), float(high)
        self.setValue(self._value)

    def setSingleStep(self, step: float) -> None:  # type: ignore[override]
        QSlider.setSingleStep(self, max(1, round(step / self._unit())))

    def setPageStep(self, step: float) -> None:  # type: ignore[override]
        QSlider.setPageStep(self, max(1, round(step / self._unit())))

    def value(self) -> float:  # type: ignore[override]
        return self._value

    def setValue(self, value: float) -> None:  # type: ignore[override]
        value = min(max(float(value), self._low), self._high)
        position = round((value - self._low) / self._unit())
        self._setting = True
        try:
            QSlider.setValue(self, position)
        finally:
            self._setting = False
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def _unit(self) -> float:
        return (self._high - self._low) / POSITIONS or 1.0

    def _on_position(self, position: int) -> None:
        if self._setting:
            return
        self._value = self._low + position * self._unit()
        self.valueChanged.emit(self._value)
