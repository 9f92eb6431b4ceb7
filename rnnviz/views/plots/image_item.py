"""An ImageItem that does not leak a little memory with every frame.

pyqtgraph builds each frame's QImage from the array's address as a Python int; PyQt6 6.11
keeps ≈ 113 bytes of every QImage built that way (none when the address is a
``sip.voidptr``). A heatmap redrawn at every step or backward-animation frame loses ≈ 1 MB
per 10,000 frames, for as long as the app runs. ``ImageItem`` builds the QImage itself from
a ``sip.voidptr`` for what the heatmaps show (a 2-D float image at fixed levels through a
colour map of at most 256 colours: pyqtgraph's own fast path, an indexed image), and leaves
anything else to pyqtgraph.
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
        self._indices: np.ndarray | None = None  # what the QImage reads: kept alive with it
        self._table: tuple[np.ndarray, list[int]] | None = None  # a LUT and its colour table

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
        indices = np.ascontiguousarray(indices)  # (rows, columns)
        rows, columns = indices.shape
        qimage = QImage(
            sip.voidptr(indices), columns, rows, indices.strides[0], QImage.Format.Format_Indexed8
        )
        qimage.setColorTable(self._color_table(lut))
        self._indices = indices
        self.qimage = qimage
        self._renderRequired = False
        self._unrenderable = False

    def _color_table(self, lut: np.ndarray) -> list[int]:
        """The LUT as a QImage colour table (made once per LUT: 256 qRgba calls)."""
        if self._table is None or self._table[0] is not lut:
            rows = lut.tolist()
            table = [qRgb(*rgb) for rgb in rows] if lut.shape[1] == 3 else [qRgba(*c) for c in rows]
            self._table = (lut, table)
        return self._table[1]
