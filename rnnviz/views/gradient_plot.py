"""‖dL/dh_t‖ on a log axis with the textbook decay curves and the regime badge."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from rnnviz.session import Session


class GradientPlot(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
