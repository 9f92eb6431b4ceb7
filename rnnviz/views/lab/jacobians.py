"""Singular values of ∂h_t/∂h_k and the T × T map of their norms."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session.lab import Lab


class JacobianView(QWidget):
    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
