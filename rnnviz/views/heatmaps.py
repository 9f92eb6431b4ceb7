"""Heatmaps over time of the hidden state and of dL/dh_t."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session import Session


class StateHeatmap(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session


class GradientHeatmap(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
