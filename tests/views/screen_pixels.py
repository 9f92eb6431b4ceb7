"""What a graphics view shows on the (offscreen) screen, and the same scene drawn anew: a
view that repaints only what changed must leave the first equal to the second."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QEvent, QObject, QRect, QRectF
from PyQt6.QtGui import QImage, QPainter, QPaintEvent
from PyQt6.QtWidgets import QGraphicsView, QWidget

from rnnviz.views.window.snapshots import settle, to_rgb


def on_screen(view: QGraphicsView) -> np.ndarray:
    """The view's pixels as the (offscreen) screen shows them: what its paints left there
    frame by frame, each repainting only the area it was asked to."""
    viewport = view.viewport()
    assert viewport is not None
    return widget_on_screen(viewport)


def widget_on_screen(widget: QWidget) -> np.ndarray:
    """The widget's pixels as the (offscreen) screen shows them (see on_screen)."""
    for _ in range(3):  # a new size is laid out, then painted, on later turns of the loop
        settle()
    corner = widget.mapToGlobal(widget.rect().topLeft())
    screen = widget.screen()
    assert screen is not None
    shot = screen.grabWindow(0, corner.x(), corner.y(), widget.width(), widget.height())
    return to_rgb(shot.toImage()).astype(int)


def drawn_anew(view: QGraphicsView) -> np.ndarray:
    """The same scene drawn whole into a fresh image, with nothing kept from earlier frames."""
    viewport = view.viewport()
    assert viewport is not None
    ratio = viewport.devicePixelRatioF()  # the screen's pixels, as on_screen reads them
    image = QImage(viewport.size() * ratio, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(ratio)
    painter = QPainter(image)
    QGraphicsView.render(view, painter, QRectF(image.rect()), viewport.rect())
    painter.end()
    return to_rgb(image).astype(int)


def painted_whole(view: QGraphicsView) -> np.ndarray:
    """The view's pixels on screen after it repaints all of itself. pyqtgraph's plots bring
    their ranges and axes up to date just before they paint on screen, which drawing into
    an image (``drawn_anew``) skips."""
    viewport = view.viewport()
    assert viewport is not None
    viewport.update()
    return on_screen(view)


def stale_pixels(view: QGraphicsView) -> int:
    """How many pixels on screen differ from the view drawn whole (antialiasing may round
    by a level or two)."""
    shown = on_screen(view)
    return int((np.abs(shown - painted_whole(view)).max(axis=2) > 2).sum())


class PaintedAreas(QObject):
    """The rectangles a widget was asked to paint, in its pixels."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.rects: list[QRect] = []
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.Paint:
            assert isinstance(event, QPaintEvent)
            self.rects.append(event.rect())
        return False


def painted_by(view: QGraphicsView, change: Callable[[], object]) -> list[QRect]:
    """The rectangles of ``view``'s viewport that ``change`` had painted (the screen settled
    before and after)."""
    viewport = view.viewport()
    assert viewport is not None
    painted = PaintedAreas(viewport)
    on_screen(view)
    painted.rects.clear()
    change()
    on_screen(view)
    viewport.removeEventFilter(painted)
    return painted.rects


def assert_no_stale_pixels_after(
    view: QGraphicsView, changes: list[tuple[str, Callable[[], object]]]
) -> None:
    """After each named change, the screen shows what a whole repaint of ``view`` shows."""
    for name, change in changes:
        change()
        stale = stale_pixels(view)
        assert not stale, f"after {name}: {stale} pixels differ"


def look_changes(
    widget: QWidget, size: tuple[int, int], step: Callable[[], object]
) -> list[tuple[str, Callable[[], object]]]:
    """Changes of the look around a step, for ``assert_no_stale_pixels_after``: a narrower
    widget, a larger type size and the dark theme, each followed by a step. The caller
    keeps the appearance (the ``kept_appearance`` fixture)."""
    from rnnviz.views.look.appearance import appearance
    from rnnviz.views.look.palettes import DARK

    return [
        ("narrower", lambda: widget.resize(*size)),
        ("step", step),
        ("larger type", lambda: appearance.set(scale=1.5)),
        ("dark theme", lambda: appearance.set(palette=DARK)),
        ("step", step),
    ]
