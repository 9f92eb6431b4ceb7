"""The gradient check button compares BPTT with central finite differences on the
current network and shows its verdict (✓, ✗ or too small to check), the largest relative
error, and for each array its largest gradient, rounding floor, relative error and verdict."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QThreadPool

import rnnviz.engine.gradcheck as gc
from rnnviz.engine import init_params, with_spectral_radius
from rnnviz.engine.gradcheck import RTOL, gradient_check
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.views.lab.gradcheck import EXPLAIN, GradCheckView

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def no_thread_left() -> Iterator[None]:
    yield
    assert QThreadPool.globalInstance().waitForDone(5000)


def make_view(qtbot, session: Session) -> tuple[GradCheckView, Lab]:
    lab = Lab(session)
    view = GradCheckView(lab)
    qtbot.addWidget(view)
    view.resize(700, 480)
    view.show()
    qtbot.waitExposed(view)
    return view, lab


def press_check(qtbot, view: GradCheckView) -> list:
    with qtbot.waitSignal(view.runner.finished, timeout=20_000) as done:
        qtbot.mouseClick(view.check_button, LEFT)
    return done.args


def table(view: GradCheckView) -> dict[str, list[str]]:
    return {
        view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in range(1, 5)]
        for r in range(view.table.rowCount())
    }


@pytest.mark.parametrize("cell", ["vanilla", "lstm", "gru"])
def test_the_check_shows_its_verdict_and_the_largest_relative_error(qtbot, cell):
    s = Session(SessionConfig(cell=cell, hidden_size=4, seed=3))
    s.seek(8)
    view, _lab = make_view(qtbot, s)
    assert press_check(qtbot, view) == ["done"]

    want = gradient_check(s.params, s.sequence[:8], s.targets_for(8), s.loss, s.config.loss_at)
    assert want.verdict == "agrees" and want.max_rel_error < RTOL
    lines = view.result.text().splitlines()
    assert lines[0] == "✓ BPTT agrees with finite differences"
    assert lines[1] == f"largest relative error: {want.max_rel_error:.1e}"
    assert lines[-1] == f"{want.checked} weights nudged, each by ±ε and ±2ε"
    assert table(view) == {
        name: [f"{a.largest:.1e}", f"{a.noise:.1e}", f"{a.rel_error:.1e}", "✓ agrees"]
        for name, a in want.arrays.items()
    }
    assert view.progress.value() == view.progress.maximum() == want.checked
    assert view.check_button.isEnabled() and not view.cancel_button.isEnabled()


def test_a_wrong_gradient_is_shown_as_a_disagreement(qtbot, monkeypatch):
    real = gc.bptt

    def off_by_a_bit(*args, **kwargs):
        result = real(*args, **kwargs)
        result.grads["W_hh"][0, 0] *= 1.01
        return result

    monkeypatch.setattr(gc, "bptt", off_by_a_bit)
    s = Session(SessionConfig(hidden_size=3, seed=2))
    s.seek(6)
    view, _lab = make_view(qtbot, s)
    press_check(qtbot, view)
    assert view.result.text().splitlines()[0] == ("✗ BPTT and finite differences disagree in W_hh")
    rows = table(view)
    assert rows["W_hh"][3] == "✗ disagrees" and float(rows["W_hh"][2]) > RTOL
    assert all(row[3] == "✓ agrees" for name, row in rows.items() if name != "W_hh")


def test_a_vanished_gradient_is_too_small_to_check_not_wrong(qtbot):
    """A GRU whose input moves it only at the first of 40 steps, scored at the last."""
    s = Session(SessionConfig(cell="gru", hidden_size=3))
    view, lab = make_view(qtbot, s)
    rng = np.random.default_rng(0)
    p = with_spectral_radius(init_params("gru", 1, 3, 2, rng, gate_bias=-2.0), 0.3)
    x = np.zeros((40, 1))  # (T, I)
    x[0] = 1.0
    lab.set_gradcheck(gradient_check(p, x, rng.standard_normal((40, 2)), loss_at="last"))
    lines = view.result.text().splitlines()
    assert lines[0] == "✓ BPTT agrees with finite differences"
    assert lines[2] == "too small to check (below the rounding floor): W_ih"
    largest, floor, rel, verdict = table(view)["W_ih"]
    assert float(largest) < float(floor) and rel == "—" and verdict == "too small to check"


def test_the_explanation_states_the_checks_epsilon_and_tolerance():
    assert f"ε = {gc.EPS:.0e} · max(1, |θ|)" in EXPLAIN and pytest.approx(6.06e-6, 1e-3) == gc.EPS
    assert f"within {gc.RTOL:.0e} of its largest" in EXPLAIN


def test_a_new_network_clears_the_result(qtbot):
    s = Session(SessionConfig(hidden_size=3))
    s.seek(5)
    view, lab = make_view(qtbot, s)
    press_check(qtbot, view)
    assert view.table.rowCount() == 6
    s.set_config(seed=9)
    assert lab.gradcheck is None and view.table.rowCount() == 0
    assert view.result.text().startswith("press “Check gradients”")


def test_cancel_keeps_nothing(qtbot):
    s = Session(SessionConfig(hidden_size=32, sequence_length=200))
    s.seek(200)
    view, lab = make_view(qtbot, s)
    with qtbot.waitSignal(view.runner.progressed, timeout=10_000):
        qtbot.mouseClick(view.check_button, LEFT)
    with qtbot.waitSignal(view.runner.finished, timeout=10_000) as done:
        qtbot.mouseClick(view.cancel_button, LEFT)
    assert done.args == ["cancelled"]
    assert lab.gradcheck is None and view.table.rowCount() == 0
    assert view.progress.value() == 0 and view.check_button.isEnabled()
