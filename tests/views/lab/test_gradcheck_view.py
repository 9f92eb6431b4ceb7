"""The gradient check button compares BPTT with central finite differences on the
current network and shows the largest relative error, with the error of each array."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PyQt6.QtCore import Qt, QThreadPool

from rnnviz.engine.gradcheck import gradient_check
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Lab
from rnnviz.views.lab.gradcheck import GradCheckView

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


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_the_check_shows_the_largest_relative_error(qtbot, cell):
    s = Session(SessionConfig(cell=cell, hidden_size=4, seed=3))
    s.seek(8)
    view, _lab = make_view(qtbot, s)
    assert press_check(qtbot, view) == ["done"]

    want = gradient_check(s.params, s.sequence[:8], s.targets_for(8), s.loss, s.config.loss_at)
    assert want.max_rel_error < 1e-6
    first_line = view.result.text().splitlines()[0]
    assert first_line == (
        f"largest relative error: {want.max_rel_error:.1e} ✓ (BPTT agrees with finite differences)"
    )
    assert float(first_line.split(":")[1].split()[0]) < 1e-6
    rows = {
        view.table.item(r, 0).text(): view.table.item(r, 1).text()
        for r in range(view.table.rowCount())
    }
    assert rows == {name: f"{e:.1e}" for name, e in want.rel_error.items()}
    assert view.progress.value() == view.progress.maximum() == want.checked
    assert view.check_button.isEnabled() and not view.cancel_button.isEnabled()


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
