"""The next step worked out while the window is idle.

A bidirectional stack's trace is worked out anew for every step fed (its backward direction
starts after the last step): tens of milliseconds at 3 layers × 200 steps, on top of drawing
the step. Between two steps of Play (250 ms at its default speed), or two presses of →, the
window has nothing to do: it works out the next step's trace then, and the step itself
costs only its drawing. Anything else the user does meanwhile waits for it at most that
long; for any other network there is nothing to work out ahead.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, QTimer

from rnnviz.session import Change, Session
from rnnviz.views.binding import listen

# After a change, this long with nothing else to do before the next step is worked out: the
# change's frame is drawn first, and steps that come faster (Play at over 20 steps a second,
# a held key) are not held up by work their own step would redo.
IDLE_MS = 50


class LookAhead(QObject):
    """Works out the session's next step ahead, ``IDLE_MS`` after the last change of its
    steps, inputs or network."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(IDLE_MS)
        self._timer.timeout.connect(self._prepare)
        listen(session.changed, self._on_session_changed)

    def _on_session_changed(self, changes: Change) -> None:
        if changes & Change.DATA:
            self._timer.start()  # (again)

    def _prepare(self) -> None:
        self.session.prepare_next_step()
