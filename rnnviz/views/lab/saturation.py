"""How saturated the hidden units are, step by step."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session.lab import Lab


class SaturationView(QWidget):
    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
