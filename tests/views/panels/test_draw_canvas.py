"""The pad draws a long signal as each pixel column's lowest and highest value: it looks the
same as the full polyline, which costs 0.3 s a paint at 100,000 steps."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.session import Session, SessionConfig
from rnnviz.views.panels import draw_canvas
from rnnviz.views.panels.draw_canvas import DrawCanvas
from rnnviz.views.window.snapshots import grab, to_rgb


def picture(qtbot, session: Session) -> tuple[np.ndarray, DrawCanvas]:
    canvas = DrawCanvas(session)
    qtbot.addWidget(canvas)
    canvas.resize(500, 200)
    canvas.show()
    qtbot.waitExposed(canvas)
    return to_rgb(grab(canvas)).astype(int), canvas


@pytest.mark.parametrize("signal", ["noise", "spikes"])
def test_a_long_signal_looks_as_its_full_polyline(qtbot, monkeypatch, signal: str) -> None:
    n = 20_000
    rng = np.random.default_rng(0)
    values = 0.4 * rng.standard_normal(n) if signal == "noise" else np.zeros(n)
    spikes = {3_001: 1.4, 12_346: -1.2}  # one step each: they must not vanish
    for step, value in spikes.items():
        values[step - 1] = value
    session = Session(SessionConfig(hidden_size=4))
    session.set_sequence(values)
    ours, canvas = picture(qtbot, session)
    monkeypatch.setattr(draw_canvas, "_envelope", lambda xs, ys, _columns: np.c_[xs, ys])
    full, _ = picture(qtbot, session)
    paper = ours[0, 0]
    ink = (ours != paper).any(axis=2) | (full != paper).any(axis=2)
    differs = (np.abs(ours - full) > 96).any(axis=2)
    assert differs.sum() < 0.03 * ink.sum()
    scale = ours.shape[1] / canvas.width()  # device pixels per pixel
    for step, value in spikes.items():
        tip = canvas.point_for(step, value)
        x, y = round(tip.x() * scale), round(tip.y() * scale)
        assert (np.abs(ours[y - 2 : y + 3, x - 2 : x + 3] - paper) > 96).any()


def test_the_envelope_keeps_every_point_when_there_are_few() -> None:
    xs, ys = np.arange(10.0), np.sin(np.arange(10.0))
    np.testing.assert_array_equal(draw_canvas._envelope(xs, ys, 100), np.c_[xs, ys])


def test_the_envelope_is_each_columns_extremes_in_order() -> None:
    ys = np.array([0.0, 3.0, -1.0, 2.0, 5.0, 4.0, -2.0, 1.0, 0.0])  # (9,)
    xs = np.arange(9.0)
    got = draw_canvas._envelope(xs, ys, 3)  # 3 columns of 3 steps
    # Each column's highest and lowest step, the earlier first: (1: 3, 2: −1), (3: 2, 4: 5),
    # (6: −2, 7: 1).
    np.testing.assert_array_equal(got[:, 1], [3.0, -1.0, 2.0, 5.0, -2.0, 1.0])
    np.testing.assert_array_equal(got[:, 0], [1.0, 2.0, 3.0, 4.0, 6.0, 7.0])
