"""rnnviz.from_torch on modules built here, and rnnviz.show headless: the notebook's handle
steps the session and the window follows; a script's call blocks until the window closes."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator

import numpy as np
import pytest
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QLabel

import rnnviz
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_params import init_stack
from rnnviz.notebook import Viewer, in_qt_notebook

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def opened(qtbot) -> Iterator[list[Viewer]]:
    """Viewers a test opens, closed (and deleted by Qt) after it, whatever happened."""
    viewers: list[Viewer] = []
    yield viewers
    for viewer in viewers:
        viewer.close()
    qtbot.wait(1)  # let Qt delete them now, not during a later test


def test_import_rnnviz_loads_neither_torch_nor_qt() -> None:
    code = "import sys, rnnviz; print('torch' in sys.modules, 'PyQt6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_from_torch_reads_live_modules(kind: str) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    extra = {"nonlinearity": "relu"} if kind == "RNN" else {}
    rnn = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True, **extra)
    head = torch.nn.Linear(8, 2)
    emb = torch.nn.Embedding(9, 3, padding_idx=0)
    p = rnnviz.from_torch(rnn, readout=head, embedding=emb)
    assert (p.num_layers, p.bidirectional, p.vocab_size, p.padding_idx) == (2, True, 9, 0)
    assert p.activation == ("relu" if kind == "RNN" else "tanh")
    tokens = np.array([3, 0, 8, 1, 1])
    with torch.no_grad():
        want = head.double()(rnn.double()(emb.double()(torch.tensor(tokens)))[0]).numpy()
        rnn.weight_hh_l0.zero_()  # the parameters are a copy
    np.testing.assert_allclose(stack_forward(p, tokens).y, want, rtol=1e-12, atol=1e-14)


def test_from_torch_without_readout_reads_the_modules_own_outputs() -> None:
    torch = pytest.importorskip("torch")
    gru = torch.nn.GRU(2, 3, num_layers=3, bias=False, dtype=torch.float64)
    p = rnnviz.from_torch(gru)
    x = np.random.default_rng(0).standard_normal((6, 2))
    with torch.no_grad():
        want = gru(torch.tensor(x))[0].numpy()
    np.testing.assert_allclose(stack_forward(p, x).y, want, rtol=1e-12, atol=1e-15)


def test_from_torch_refuses_what_it_cannot_compute() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="an LSTM with proj_size=2 is not supported"):
        rnnviz.from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match=r"nn.Linear\(4, …\) does not read the 8 outputs"):
        rnnviz.from_torch(torch.nn.GRU(3, 4, bidirectional=True), readout=torch.nn.Linear(4, 1))
    with pytest.raises(ValueError, match="max_norm"):
        rnnviz.from_torch(torch.nn.GRU(3, 4), embedding=torch.nn.Embedding(5, 3, max_norm=1.0))
    with pytest.raises(TypeError, match=r"expected an nn\.RNN, nn\.LSTM or nn\.GRU, got Linear"):
        rnnviz.from_torch(torch.nn.Linear(3, 4))


def status_text(window) -> str:
    return " ".join(label.text() for label in window.statusBar().findChildren(QLabel))


def test_the_notebook_handle_steps_the_session_and_the_window_follows(opened) -> None:
    rng = np.random.default_rng(2)
    p = init_stack("lstm", 2, 4, 1, rng, num_layers=3)
    x, y = rng.standard_normal((12, 2)), rng.standard_normal((12, 1))
    viewer = rnnviz.show(p, x, y, block=False)
    opened.append(viewer)
    assert viewer.window.isVisible() and viewer.shows == "3-layer LSTM, 4 units"
    assert viewer.session.depth == (3, 1) and viewer.session.focus == (2, 0)
    assert viewer.step(5) == 5
    shown = viewer.window.state_heatmap.image_item.image
    np.testing.assert_allclose(shown, stack_forward(p, x).h(2)[:5], rtol=1e-13)
    # Four inputs (layer 2's outputs), one output: beside input 1 only, the output and target.
    curves = viewer.window.sequence_plot.curves
    np.testing.assert_allclose(curves["output"].getData()[1], viewer.session.trace.y[:, 0])
    np.testing.assert_allclose(curves["target"].getData()[1], y[:5, 0])
    assert curves["output 2"].getData()[1] is None  # nothing drawn
    result = viewer.backward()
    assert result is not None and viewer.session.gradients is result
    np.testing.assert_allclose(viewer.window.gradient_heatmap.image_item.image, result.dL_dh)


def test_under_percent_gui_qt_show_returns_at_once(opened, monkeypatch) -> None:
    shell = types.SimpleNamespace(active_eventloop="qt6")
    fake = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert in_qt_notebook()
    p = init_stack("gru", 1, 3, 1, np.random.default_rng(3))
    viewer = rnnviz.show(p)  # would never return if it ran the event loop itself
    opened.append(viewer)
    assert viewer.window.isVisible() and viewer.shows == "GRU, 3 units"
    assert status_text(viewer.window) == ""
    shell.active_eventloop = None
    assert not in_qt_notebook()


def test_from_a_script_show_blocks_until_the_window_closes(opened) -> None:
    QTimer.singleShot(300, QApplication.closeAllWindows)
    viewer = rnnviz.show(init_stack("vanilla", 1, 3, 1, np.random.default_rng(4)), block=True)
    opened.append(viewer)
    assert not viewer.window.isVisible()


def test_show_holds_a_bidirectional_stack(opened) -> None:
    rng = np.random.default_rng(5)
    p = init_stack("lstm", 1, 3, 1, rng, num_layers=2, bidirectional=True)
    x = rng.standard_normal((6, 1))
    viewer = rnnviz.show(p, x, block=False)
    opened.append(viewer)
    assert viewer.shows == "2-layer bidirectional LSTM, 3 units"
    viewer.step(6)
    shown = viewer.window.state_heatmap.image_item.image
    np.testing.assert_allclose(shown, stack_forward(p, x).h(1, 0), rtol=1e-13)


def test_show_refuses_token_ids_outside_the_embedding_before_opening_anything() -> None:
    p = init_stack("gru", 2, 3, 1, np.random.default_rng(5), vocab_size=4)
    with pytest.raises(ValueError, match="token 7 is not a row of the embedding"):
        rnnviz.show(p, np.array([1, 7]))
