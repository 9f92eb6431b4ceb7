"""The least a pyqtgraph window can do per frame: the yardstick of the frame benchmark.

One window of the benchmark's size with one heatmap (an ImageItem) and one curve on a log
axis, nothing else. A frame gives both new data of the case's size (T × H values, T
points) and repaints once, as the window's frames do. ``python -m rnnviz.bench.minimal``
opens it alone and prints the time from launch to its first paint, as ``rnnviz`` does.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

DATA_SETS = 8  # frames cycle through this many precomputed data sets: new data each frame


class MinimalWindow:
    """The window and a ``frame(i)`` that sets data set ``i`` (of ``DATA_SETS``)."""

    def __init__(self, T: int, H: int, size: tuple[int, int]) -> None:
        import pyqtgraph as pg
        from PyQt6.QtWidgets import QVBoxLayout, QWidget

        self.widget: QWidget = QWidget()
        layout = QVBoxLayout(self.widget)
        heat_plot, curve_plot = pg.PlotWidget(), pg.PlotWidget()
        self.image = pg.ImageItem(axisOrder="row-major")
        heat_plot.addItem(self.image)
        heat_plot.getPlotItem().disableAutoRange()
        heat_plot.getPlotItem().setRange(xRange=(0, T), yRange=(0, H), padding=0)
        curve_plot.getPlotItem().setLogMode(y=True)
        curve_plot.getPlotItem().disableAutoRange()
        curve_plot.getPlotItem().setRange(xRange=(0, T), yRange=(-12, 1), padding=0)
        self.curve = curve_plot.plot(pen=pg.mkPen(width=1))
        layout.addWidget(heat_plot)
        layout.addWidget(curve_plot)
        self.widget.resize(*size)
        rng = np.random.default_rng(0)
        self.images = [np.tanh(rng.standard_normal((H, T))) for _ in range(DATA_SETS)]  # (H, T)
        self.x = np.arange(T, dtype=float)  # (T,)
        # Smooth decays, like a gradient-norm curve: a jagged random path is far slower to
        # stroke than anything the window draws, and would flatter every ratio.
        rates = rng.uniform(0.5, 1.0, DATA_SETS) * 12 / T
        self.curves = [10.0 ** (-r * self.x) for r in rates]  # (T,) each

    def frame(self, i: int) -> None:
        self.image.setImage(self.images[i % DATA_SETS], levels=(-1.0, 1.0))
        self.curve.setData(self.x, self.curves[i % DATA_SETS])


def main() -> int:
    """Open the minimal window; with the launch-time variable set, print its first paint."""
    from PyQt6.QtWidgets import QApplication

    from rnnviz.app import FIRST_PAINT_ENV, report_first_paint

    started = time.monotonic()
    app = QApplication(sys.argv[:1] or ["minimal"])
    window = MinimalWindow(20, 8, (1600, 1000))
    window.frame(0)
    launched = os.environ.get(FIRST_PAINT_ENV)
    if launched is not None:
        report_first_paint(window.widget, float(launched) if launched else started)
    window.widget.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
