"""Our ImageItem (its QImage built from a sip.voidptr, which PyQt6 does not leak) draws
what pyqtgraph's draws."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.views.look import plot_style
from rnnviz.views.plots.image_item import ImageItem
from rnnviz.views.window.snapshots import grab, to_rgb

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def picture(qtbot, item: pg.ImageItem, values: np.ndarray, antialias: bool = False) -> np.ndarray:
    widget = pg.PlotWidget(background="w")
    widget.setAntialiasing(antialias)  # the app's plots draw antialiased
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.addItem(item)
    bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=plot_style.diverging_colormap())
    bar.setImageItem(item, insert_in=plot)
    item.setImage(values, autoLevels=False, levels=(-1.0, 1.0))
    plot.setRange(xRange=(0, values.shape[0]), yRange=(0, values.shape[1]), padding=0)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return to_rgb(grab(widget.viewport())).astype(int)


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("shape", [(40, 16), (199, 32), (500, 256)])
def test_it_draws_what_pyqtgraph_draws(qtbot, shape: tuple[int, int], antialias: bool) -> None:
    values = np.random.default_rng(2).uniform(-1.3, 1.3, shape)  # beyond the levels too
    ours = ImageItem(axisOrder="col-major")
    theirs = pg.ImageItem(axisOrder="col-major")
    shown = picture(qtbot, ours, values, antialias)
    np.testing.assert_array_equal(shown, picture(qtbot, theirs, values, antialias))
    # Our own path: the colours themselves, which Qt scales faster than pyqtgraph's indexed
    # image, to the same pixels.
    assert ours.qimage.format() == ours.qimage.Format.Format_ARGB32
    assert theirs.qimage.format() == theirs.qimage.Format.Format_Indexed8
    assert len(np.unique(shown.reshape(-1, 3), axis=0)) > 50  # a picture, not a blank


def test_what_it_does_not_draw_itself_pyqtgraph_does(qtbot) -> None:
    values = np.random.default_rng(3).uniform(-1, 1, (30, 12))
    values[4, 5] = np.nan  # pyqtgraph's transparent pixel
    shown = picture(qtbot, ImageItem(axisOrder="col-major"), values)
    np.testing.assert_array_equal(
        shown, picture(qtbot, pg.ImageItem(axisOrder="col-major"), values)
    )


_FRAMES = """
import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QApplication

from rnnviz.views.plots.image_item import ImageItem


def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])


app = QApplication([])
item = ImageItem(axisOrder="col-major")
item.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=False))
values = np.random.default_rng(0).uniform(-1, 1, (200, 32))
for frames in (5_000, 20_000):  # a warm-up, then the frames counted
    before = rss_kb()
    for i in range(frames):
        item.setImage(values, autoLevels=False, levels=(-1.0, 1 + 1e-9 * i))
        item.render()
print(rss_kb() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_twenty_thousand_frames_keep_the_memory_they_had() -> None:
    """pyqtgraph's own ImageItem grows ≈ 2.2 MB over these frames (113 bytes each, kept by
    PyQt6 for a QImage built from an int address); ours builds it from a sip.voidptr."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _FRAMES], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 1024  # KB: < 51 bytes a frame
