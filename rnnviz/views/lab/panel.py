"""All lab panels in tabs."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session.lab import Lab


class LabPanel(QWidget):
    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
