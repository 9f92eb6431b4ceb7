"""An ImageItem that does not leak a little memory with every frame.

pyqtgraph builds each frame's QImage from the array's address as a Python int; PyQt6 6.11
keeps ≈ 113 bytes of every QImage built that way (none when the address is a
``sip.voidptr``). A heatmap redrawn at every step or backward-animation frame loses ≈ 1 MB
per 10,000 frames, for as long as the app runs. ``ImageItem`` builds the QImage itself from
a ``sip.voidptr`` for what the heatmaps show (a 2-D float image at fixed levels through a
colour map of at most 256 colours: pyqtgraph's own fast path), and leaves anything else to
pyqtgraph.

pyqtgraph makes that image indexed (one byte a pixel and the colour table); ours holds the
colours themselves (ARGB32, the table's colours looked up in NumPy). Qt draws the two pixel
for pixel alike, but scales an indexed image into a plot ~4x slower, converting every pixel
it samples through the table: ~0.3 ms of each step frame of the hidden-state heatmap.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtGui import QImage, qRgb, qRgba


class ImageItem(pg.ImageItem):
    """A ``pg.ImageItem`` (same options, data and signals) whose common frames build their
    QImage from a ``sip.voidptr``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._pixels: np.ndarray | None = None  # what the QImage reads: kept alive with it
        self._table: tuple[np.ndarray, np.ndarray] | None = None  # a LUT and its ARGB colours

    def render(self) -> None:
        image, lut, levels = self.image, self.lut, self.levels
        if callable(lut) and image is not None:
            lut = lut(image, 256)
        if (
            image is None
            or image.ndim != 2
            or image.size == 0
            or image.dtype.kind != "f"
            or levels is None
            or np.ndim(levels) != 1
            or self.autoDownsample
            or not isinstance(lut, np.ndarray)
            or lut.dtype != np.uint8
            or not 1 <= lut.shape[0] <= 256
            or lut.ndim != 2
            or lut.shape[1] not in (3, 4)
            or np.isnan(image.min())  # pyqtgraph draws NaN transparent
        ):
            super().render()
            return
        low, high = (float(v) for v in levels)
        colors = lut.shape[0]
        span = (high - low) or 1.0
        if self.axisOrder == "col-major":
            image = image.T  # (H, T): rows are the picture's rows
        # The colour of a value: its index in the LUT, as pyqtgraph's indexed images do.
        indices = pg.functions.rescaleData(
            image, colors / span, low, dtype=np.uint8, clip=(0, colors - 1)
        )
        pixels = np.ascontiguousarray(self._colors(lut).take(indices))  # (rows, columns) uint32
        rows, columns = pixels.shape
        self.qimage = QImage(
            sip.voidptr(pixels), columns, rows, pixels.strides[0], QImage.Format.Format_ARGB32
        )
        self._pixels = pixels
        self._renderRequired = False
        self._unrenderable = False

    def _colors(self, lut: np.ndarray) -> np.ndarray:
        """The LUT's colours as ARGB32 pixels, what an indexed image's colour table holds
        (made once per LUT: 256 qRgba calls)."""
        if self._table is None or self._table[0] is not lut:
            rows = lut.tolist()
            table = [qRgb(*rgb) for rgb in rows] if lut.shape[1] == 3 else [qRgba(*c) for c in rows]
            self._table = (lut, np.array(table, dtype=np.uint32))  # (colors,)
        return self._table[1]
