"""``rnnviz.show``: the window on given parameters, from a script or from IPython/Jupyter.

From a script, ``show`` opens the window and returns when it is closed. Under IPython with
Qt event loop integration (``%gui qt``), it returns at once a ``Viewer`` whose session the
notebook can step while the window follows. The window holds the whole model, a stack of
any depth and directions included (its top layer in focus).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnviz.app import display_problem
from rnnviz.engine import Params
from rnnviz.engine.stack_params import StackParams
from rnnviz.session import Session

if TYPE_CHECKING:
    from rnnviz.views.window.main_window import MainWindow

# Open windows shown without blocking, kept alive until they are closed (as matplotlib keeps
# its figures): a notebook may not keep the handle, and a window nobody holds is deleted.
_shown: list[Viewer] = []


@dataclass(eq=False)
class Viewer:
    """An open window; ``session`` is the one it shows (its verbs redraw the window)."""

    window: MainWindow
    shows: str  # the model the window holds, in words: "3-layer LSTM, 4 units"

    @property
    def session(self) -> Session:
        return self.window.session

    def step(self, n: int = 1) -> int:
        """Feed the next ``n`` inputs; returns how many steps have been fed."""
        for _ in range(n):
            if not self.session.step_forward():
                break
        return self.session.t

    def backward(self) -> Any:
        """Backpropagation through time over the fed steps (the B key, without animation)."""
        return self.session.run_backward()

    def close(self) -> None:
        """Close the window and let Qt delete it; closing again does nothing."""
        from PyQt6 import sip

        if self in _shown:
            _shown.remove(self)
        if not sip.isdeleted(self.window):
            self.window.close()
            self.window.deleteLater()


def show(
    model_or_params: Any,
    inputs: np.ndarray | list | None = None,
    targets: np.ndarray | list | None = None,
    *,
    block: bool | None = None,
) -> Viewer:
    """Open the window on ``model_or_params``: rnnviz ``Params`` or ``StackParams``, or a live
    ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (read with ``rnnviz.from_torch``), fed ``inputs``
    (rows (T, I), or token ids with an embedding) against ``targets`` ((T, O) numbers, or
    (T,) class indices; without them the output should echo the input).

    ``block`` None: wait for the window to close unless IPython runs Qt's event loop
    (``%gui qt``). The returned ``Viewer`` says which model the window ``shows``. Inputs or
    targets that do not fit the model raise ValueError before any window opens.
    """
    params = _as_params(model_or_params)
    session = Session()  # InputError (a ValueError) when the inputs do not fit the model
    session.set_params(params, inputs, None if targets is None else np.asarray(targets))
    problem = display_problem(os.environ, sys.platform)
    if problem is not None:
        raise RuntimeError(problem)
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["rnnviz"])
        app.setApplicationName("rnnviz")
        from rnnviz.views.look import theme

        theme.apply(app)
    if sys.excepthook is sys.__excepthook__:
        from rnnviz.errors import install_excepthook

        install_excepthook()  # else PyQt6 aborts the process on an error in a slot
    from rnnviz.views.window.main_window import MainWindow

    window = MainWindow(session, persistent=False)
    shows = session.stack_params.describe()
    viewer = Viewer(window, shows)
    window.show()
    if block is None:
        block = not in_qt_notebook()
    if block:
        app.exec()
    else:
        _shown[:] = [v for v in _shown if v.window.isVisible()]
        _shown.append(viewer)
    return viewer


def in_qt_notebook() -> bool:
    """True when IPython runs Qt's event loop between cells (``%gui qt``)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    loop = getattr(shell, "active_eventloop", None)
    return isinstance(loop, str) and loop.startswith("qt")


def _as_params(model: Any) -> Params | StackParams:
    if isinstance(model, (Params, StackParams)):
        return model
    if type(model).__module__.startswith("torch"):
        from rnnviz.io.torch_modules import from_torch

        return from_torch(model)
    raise TypeError(
        f"expected rnnviz Params or StackParams, or an nn.RNN/LSTM/GRU; got {type(model).__name__}"
    )
