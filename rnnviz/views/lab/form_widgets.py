"""Small widgets the training tab's parts share: a problem line and an integer box."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QSpinBox

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
