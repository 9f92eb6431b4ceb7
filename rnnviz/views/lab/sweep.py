"""The spectral-radius sweep: log ‖dL/dh_t‖ over (ρ, t)."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session.lab import Lab


class SweepView(QWidget):
    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
