"""The lab panel holds every lab view in its own tab."""

from __future__ import annotations

import pytest

from rnnviz.session import Session
from rnnviz.session.lab import Lab
from rnnviz.views.lab.compare import CompareView
from rnnviz.views.lab.gradcheck import GradCheckView
from rnnviz.views.lab.jacobians import JacobianView
from rnnviz.views.lab.panel import LabPanel
from rnnviz.views.lab.saturation import SaturationView
from rnnviz.views.lab.sweep import SweepView
from rnnviz.views.lab.training import TrainingView

# The offscreen platform says so for every top-level window; it is not a problem here.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

EXPECTED = {
    "Compare": CompareView,
    "ρ sweep": SweepView,
    "Jacobians": JacobianView,
    "Saturation": SaturationView,
    "Training": TrainingView,
    "Gradient check": GradCheckView,
}


@pytest.fixture
def panel(qtbot) -> LabPanel:
    session = Session()
    session.seek(10)
    panel = LabPanel(Lab(session))
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_six_tabs_each_with_its_view_on_the_same_lab(panel) -> None:
    names = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert names == list(EXPECTED)
    for i, (name, cls) in enumerate(EXPECTED.items()):
        view = panel.view(name)
        page = panel.tabs.widget(i)
        assert type(view) is cls and page is panel.page(name) and page.widget() is view
        assert view.lab is panel.lab
    with pytest.raises(KeyError, match="no lab tab"):
        panel.view("Nope")


def test_show_tab_brings_the_view_to_the_front(panel) -> None:
    assert panel.tabs.currentWidget() is panel.page("Compare")
    assert panel.page("Compare").widget() is panel.view("Compare")
    panel.show_tab("Saturation")
    assert panel.tabs.currentIndex() == 3
    assert panel.view("Saturation").isVisible() and not panel.view("Compare").isVisible()
    panel.show_tab("Gradient check")
    assert panel.tabs.currentWidget().widget() is panel.view("Gradient check")


def test_the_comparison_is_computed_only_on_its_tab(qtbot, panel) -> None:
    lab = panel.lab
    qtbot.waitUntil(lambda: lab.comparison is not None)  # Compare is the first tab
    panel.show_tab("Saturation")
    lab.session.step_forward()
    qtbot.wait(20)
    assert lab.comparison is None  # a hidden tab does no work
    panel.show_tab("Compare")
    qtbot.waitUntil(lambda: lab.comparison is not None)
    assert lab.comparison.steps == 11


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_tab_scrolls_only_when_its_page_is_shorter_than_the_views_least(
    qtbot, panel, name: str
) -> None:
    """A page as tall as the view needs shows it whole and does not scroll (a scroll area
    that resizes its widget kept the training view at its preferred 1106 px in a 590 px
    page); a shorter page keeps the view at its least height and scrolls the rest."""
    panel.show_tab(name)
    page, view = panel.page(name), panel.view(name)
    panel.resize(650, 900)
    qtbot.waitUntil(lambda: page.height() > 800)
    chrome = panel.height() - page.height()  # the tab bar
    width = page.width()
    least = page.least_height(width)
    assert least < page.height()
    assert page.verticalScrollBar().maximum() == 0
    assert view.height() == page.viewport().height() and view.width() == width
    panel.resize(650, chrome + least // 2)  # half the height the view needs
    qtbot.waitUntil(lambda: page.height() == least // 2)
    qtbot.waitUntil(lambda: page.verticalScrollBar().maximum() > 0)
    assert view.height() == page.least_height(view.width()) > page.viewport().height()
    assert page.verticalScrollBar().maximum() == view.height() - page.viewport().height()
