"""All lab panels in tabs."""

from __future__ import annotations

import importlib

from PyQt6.QtCore import QSignalBlocker
from PyQt6.QtGui import QShowEvent
from PyQt6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rnnviz.session.lab import Lab
from rnnviz.views.lab.page import LabPage
from rnnviz.views.look import sizes, widget_style

# Tab name → the view it holds ("module:class" under rnnviz.views.lab), in the order of the
# tabs. Imported with the view: none of them is needed for the window's first paint.
TABS: tuple[tuple[str, str], ...] = (
    ("Compare", "compare:CompareView"),
    ("ρ sweep", "sweep:SweepView"),
    ("Jacobians", "jacobians:JacobianView"),
    ("Saturation", "saturation:SaturationView"),
    ("Training", "training:TrainingView"),
    ("Gradient check", "gradcheck:GradCheckView"),
)


def _view_class(name: str) -> type[QWidget]:
    """The class of the view in the tab called ``name``, imported now."""
    module, cls = dict(TABS)[name].split(":")
    view: type[QWidget] = getattr(importlib.import_module(f"rnnviz.views.lab.{module}"), cls)
    return view


class LabPanel(QWidget):
    """The gradient lab: one tab per question, every view on the same ``lab``.

    Public: ``tabs`` (QTabWidget), ``view(name)`` the view in the tab called ``name``,
    ``page(name)`` the tab's page (a LabPage: the view, scrolling when short),
    ``show_tab(name)`` brings that tab to the front. Names are those of ``TABS``.

    A view is built when its tab is first shown or asked for: the lab is one page of the
    main window, and building all six views would add a seventh of a second to every launch
    (importing their modules, another ~20 ms).
    """

    def __init__(self, lab: Lab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.tabs = QTabWidget()
        # Held here: the look keeps its restyles weakly, and a wrapper Qt hands out and no one
        # holds would go at once, and the tab names stay small in presentation mode.
        self._tab_bar = self.tabs.tabBar()
        widget_style.set_font(self._tab_bar, sizes.LABEL_PT, bold=True)
        self._names = [name for name, _ in TABS]
        self._views: dict[str, QWidget] = {}
        for name, _ in TABS:
            self.tabs.addTab(QWidget(), name)  # a placeholder until the view is needed
        self.tabs.currentChanged.connect(self._build_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def view(self, name: str) -> QWidget:
        if name not in self._names:
            raise KeyError(f"no lab tab {name!r}; the tabs are {', '.join(self._names)}")
        if name not in self._views:
            index = self._names.index(name)
            view = _view_class(name)(self.lab)
            current = self.tabs.currentIndex()
            with QSignalBlocker(self.tabs):
                placeholder = self.tabs.widget(index)
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, LabPage(view), name)
                self.tabs.setCurrentIndex(current)
            if placeholder is not None:
                placeholder.deleteLater()
            self._views[name] = view
        return self._views[name]

    def page(self, name: str) -> LabPage:
        """The tab's page: the view called ``name`` on a page that scrolls when short."""
        self.view(name)
        page = self.tabs.widget(self._names.index(name))
        assert isinstance(page, LabPage)
        return page

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.page(name))

    def showEvent(self, event: QShowEvent | None) -> None:
        self._build_current()
        super().showEvent(event)

    def _build_current(self, *_: object) -> None:
        if self.isVisible() or self.tabs.isVisible():
            self.view(self.tabs.tabText(self.tabs.currentIndex()))
