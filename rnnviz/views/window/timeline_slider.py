"""The transport bar's timeline: a slider whose new value repaints only where its handle was
and where it is now.

QSlider repaints all of itself for a new value: at a step, the whole 700-pixel bar for a
handle that moved a few pixels (~0.3 ms of each step frame). Everything a new value
changes lies between the handle's old and new places: the handle, and the groove's
highlighted part, which ends at the handle.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QPaintEvent
from PyQt6.QtWidgets import QAbstractSlider, QSlider, QStyle, QStyleOptionSlider, QWidget

# Pixels beside the handle that are painted with it: a style may draw its outline or focus
# frame past its rectangle (Fusion does not).
_MARGIN_PX = 4


class TimelineSlider(QSlider):
    """A horizontal QSlider (same signals and options) that repaints a new value's band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._painted: QRect | None = None  # the handle as the last paint drew it

    def sliderChange(self, change: QAbstractSlider.SliderChange) -> None:
        if change != QAbstractSlider.SliderChange.SliderValueChange or self._painted is None:
            super().sliderChange(change)  # a new range or orientation: all of it
            return
        band = self._painted.united(self._handle())
        self.update(band.left() - _MARGIN_PX, 0, band.width() + 2 * _MARGIN_PX, self.height())

    def paintEvent(self, event: QPaintEvent | None) -> None:
        super().paintEvent(event)
        self._painted = self._handle()

    def _handle(self) -> QRect:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        assert style is not None
        return style.subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
        )
