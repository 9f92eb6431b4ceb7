"""How views listen to the session and skip redrawing the same picture."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from PyQt6 import sip
from PyQt6.QtCore import QObject

from rnnviz.session import Session
from rnnviz.session.events import Event
from rnnviz.views import style
from rnnviz.views.controls import ControlsPanel
from rnnviz.views.equations import EquationsPanel
from rnnviz.views.gradient_plot import GradientPlot
from rnnviz.views.graph import GraphView
from rnnviz.views.heatmaps import GradientHeatmap, StateHeatmap
from rnnviz.views.input_panel import InputPanel
from rnnviz.views.sequence_plot import SequencePlot

PANELS = (
    GraphView,
    StateHeatmap,
    GradientHeatmap,
    SequencePlot,
    GradientPlot,
    EquationsPanel,
    ControlsPanel,
    InputPanel,
)

# The offscreen platform cannot resize native windows; that is not a fault of the view.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def listeners(s: Session) -> list[int]:
    e = s.events
    events = (e.stepped, e.sequence_changed, e.config_changed, e.gradients_changed)
    return [len(event) for event in (*events, e.selection_changed, e.sweep_moved)]


def use(s: Session) -> None:
    """Everything a user does, so that every handler of every panel runs."""
    s.seek(4)
    s.run_backward()
    s.set_sweep(2)
    s.set_sweep(None)
    s.select(1)
    s.set_config(spectral_radius=0.5)
    s.load_preset("hello world")


@pytest.mark.parametrize("panel", PANELS, ids=lambda cls: cls.__name__)
def test_a_deleted_panel_is_skipped_and_stops_listening(qtbot, panel: type) -> None:
    s = Session()
    before = listeners(s)
    view = panel(s)  # Python keeps the view, Qt deletes it: as when its window closes
    assert listeners(s) != before
    sip.delete(view)
    use(s)  # a handler drawing on the deleted widgets would raise
    assert listeners(s) == before


def test_a_collected_view_is_dropped_without_a_call() -> None:
    event: Event[[]] = Event("e")
    calls: list[str] = []

    class View(QObject):
        def on(self) -> None:
            calls.append("on")

    view = View()
    style.listen(event, view.on)
    event.emit()
    del view
    gc.collect()
    event.emit()
    assert calls == ["on"] and len(event) == 0


def test_drawn_from_tells_new_sources_from_the_same_ones() -> None:
    a, b = np.zeros(3), np.zeros(3)  # equal arrays, different objects
    drawn = style.DrawnFrom()
    assert drawn.changed(a, 3, None)
    assert not drawn.changed(a, 3, None)  # the same objects, equal numbers
    assert drawn.changed(b, 3, None)  # a new array: the session replaced it
    assert drawn.changed(b, 4, None)
    assert drawn.changed(b, 4, (100, 200))
    assert not drawn.changed(b, 4, (100, 200))
