"""All lab panels in tabs."""

from __future__ import annotations

from PyQt6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rnnviz.session.lab import Lab
from rnnviz.views import style
from rnnviz.views.lab.compare import CompareView
from rnnviz.views.lab.gradcheck import GradCheckView
from rnnviz.views.lab.jacobians import JacobianView
from rnnviz.views.lab.saturation import SaturationView
from rnnviz.views.lab.sweep import SweepView
from rnnviz.views.lab.training import TrainingView

# Tab name → the view it holds, in the order of the tabs.
TABS: tuple[tuple[str, type[QWidget]], ...] = (
    ("Compare", CompareView),
    ("ρ sweep", SweepView),
    ("Jacobians", JacobianView),
    ("Saturation", SaturationView),
    ("Training", TrainingView),
    ("Gradient check", GradCheckView),
)


class LabPanel(QWidget):
    """The gradient lab: one tab per question, every view on the same ``lab``.

    Public: ``tabs`` (QTabWidget), ``view(name)`` the widget in the tab called ``name``,
    ``show_tab(name)`` brings that tab to the front. Names are those of ``TABS``.
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.tabs = QTabWidget()
        self.tabs.tabBar().setFont(style.font(style.LABEL_PT, bold=True))
        self._views: dict[str, QWidget] = {}
        for name, view_class in TABS:
            view = view_class(lab)
            self._views[name] = view
            self.tabs.addTab(view, name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def view(self, name: str) -> QWidget:
        if name not in self._views:
            raise KeyError(f"no lab tab {name!r}; the tabs are {', '.join(self._views)}")
        return self._views[name]

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.view(name))
