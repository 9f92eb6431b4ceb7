"""The inputs, outputs and targets over time."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session import Session


class SequencePlot(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
