"""A lab tab's page: its view as tall as the page, scrolling only below the view's least.

Squeezed into a short page (the gating lesson's caption above the lab on a 1024×768
projector), the comparison's plots became titles and axes with no curve between them. A
QScrollArea that resizes its widget keeps a view with wrapped text at its *preferred*
height for the width (the training view: 1106 px where 282 px hold it), so it scrolled
where everything fitted. This page gives the view the page's height, or the least height
its layout needs at the page's width (QLayout.minimumHeightForWidth: wrapped text whole,
plots at their legible minimum) when that is more, and scrolls only then.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QFrame, QScrollArea, QWidget


class LabPage(QScrollArea):
    """``view`` on a page that scrolls only when the page is shorter than the view's least
    height at its width."""

    def __init__(self, view: QWidget) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)  # sized here: see the module
        # The view as wide as the page always (a page narrower than the view's least width
        # cuts it at the right, as the tab did before): only the vertical bar ever shows.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(view)
        # setWidget made this area the view's event filter; this class's eventFilter adds
        # the view's layout requests: its needs change with its text and type.

    def least_height(self, width: int) -> int:
        """The view's least height at ``width``: wrapped text whole, plots legible."""
        view = self.widget()
        assert view is not None
        layout = view.layout()
        if layout is not None and layout.hasHeightForWidth():
            return max(layout.minimumHeightForWidth(width), view.minimumSizeHint().height())
        return view.minimumSizeHint().height()

    def fit(self) -> None:
        """The view as wide as the page (less the scroll bar when it must show) and as tall
        as the page, or as its least height at that width when that is more."""
        view = self.widget()
        if view is None:
            return
        width, height = self.width(), self.height()
        least = self.least_height(width)
        if least > height:  # the vertical bar shows, and takes from the width
            bar = self.verticalScrollBar()
            width -= bar.sizeHint().width() if bar is not None else 0
            least = self.least_height(width)
        view.resize(width, max(height, least))

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        layout_request = event is not None and event.type() == QEvent.Type.LayoutRequest
        if obj is self.widget() and layout_request:
            self.fit()
        # QScrollArea watches its widget too (a resize sets the scroll bars' range).
        return super().eventFilter(obj, event)
