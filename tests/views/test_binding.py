"""How views listen: one handler per signal, one redraw per verb, and a deleted view is
skipped and disconnected."""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np
import pytest
from psygnal import Signal
from PyQt6 import sip
from PyQt6.QtCore import QObject

from rnnviz.session import Session, SessionConfig
from rnnviz.views.binding import listen
from rnnviz.views.graph.view import GraphView
from rnnviz.views.panels.controls import ControlsPanel
from rnnviz.views.panels.equations import EquationsPanel
from rnnviz.views.panels.input_panel import InputPanel
from rnnviz.views.plots.gradient_plot import NORM, GradientPlot
from rnnviz.views.plots.heatmaps import GradientHeatmap, StateHeatmap
from rnnviz.views.plots.sequence_plot import SequencePlot

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
    before = len(s.changed)
    view = panel(s)  # Python keeps the view, Qt deletes it: as when its window closes
    assert len(s.changed) > before
    sip.delete(view)
    use(s)  # a handler drawing on the deleted widgets would raise
    assert len(s.changed) == before


def test_a_collected_view_is_dropped_without_a_call() -> None:
    class Model:
        changed = Signal(int)

    class View(QObject):
        def on(self, value: int) -> None:
            calls.append(value)

    model, calls = Model(), []
    view = View()
    listen(model.changed, view.on)
    model.changed.emit(1)
    del view
    gc.collect()
    model.changed.emit(2)
    assert calls == [1] and len(model.changed) == 0


def counted(obj: object, name: str) -> list[int]:
    """Count the calls of ``obj.name`` (still calling it): one entry per call."""
    calls: list[int] = []
    method = getattr(obj, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return method(*args, **kwargs)

    setattr(obj, name, wrapper)
    return calls


def restore_other(s: Session) -> None:
    o = Session(SessionConfig(hidden_size=6, preset="square"))
    o.seek(7)
    s.restore(o.config, o.params, o.sequence, o.vocab, o.t, 3)


VERBS: dict[str, Callable[[Session], object]] = {
    "a setting": lambda s: s.set_config(spectral_radius=0.5),
    "a restore": restore_other,
    "new weights": lambda s: s.set_params(Session(SessionConfig(hidden_size=6)).params),
    "a step": lambda s: s.step_forward(),
}


@pytest.mark.parametrize("verb", VERBS)
def test_a_verb_draws_each_panel_once(qtbot, verb: str) -> None:
    """Before, a verb emitted up to five events and the panels skipped the repeats; now it
    emits one change, and each panel draws what it shows exactly once."""
    s = Session()
    state, gradients, plot, graph = (
        StateHeatmap(s), GradientHeatmap(s), GradientPlot(s), GraphView(s)
    )  # fmt: skip
    for view in (state, gradients, plot, graph):
        qtbot.addWidget(view)
        view.resize(600, 300)
    s.seek(5)
    s.run_backward()
    drawn = {
        "h": counted(state.image_item, "setImage"),
        "dL/dh": counted(gradients.image_item, "clear"),  # the gradients are dropped
        "norms": counted(plot.curves[NORM], "setData"),
        "graph": counted(graph.graph_item, "set_images"),
    }
    VERBS[verb](s)
    assert {name: len(calls) for name, calls in drawn.items()} == dict.fromkeys(drawn, 1)
    np.testing.assert_array_equal(state.image_item.image, s.trace.h)
    assert gradients.image_item.image is None  # the step or the new network dropped them
    measured, _ = plot.curves[NORM].getData()
    assert measured is None or measured.size == 0
    assert graph.node_positions().keys() >= {f"h_{s.t}"}
