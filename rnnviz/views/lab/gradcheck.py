"""BPTT against central finite differences on the current network."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session.lab import Lab


class GradCheckView(QWidget):
    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
