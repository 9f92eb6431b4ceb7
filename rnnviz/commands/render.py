"""``rnnviz render``: draw the window (or one panel) after some steps to a PNG, headless."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.session.presets import PRESETS

if TYPE_CHECKING:
    from PyQt6.QtGui import QImage
    from PyQt6.QtWidgets import QWidget

    from rnnviz.session import Session

# ASCII only: --help must print on any terminal encoding.
DESCRIPTION = """\
Render the rnnviz window, or one of its panels, to a PNG file without any display
(Qt's offscreen platform is used unless QT_QPA_PLATFORM is set).

The network is the app's default (a vanilla tanh RNN with 8 hidden units, orthogonal
weights rescaled to spectral radius 0.9, seed 0) fed the sine preset, unless --weights,
--inputs or --preset say otherwise. --steps N feeds the first N inputs (default: all of
them); --backward then runs backpropagation through time and shows the finished sweep.

PANELS
  all        the whole window (default size 1600x1000)
  graph      the network graph, folded or, with --unrolled, unrolled through time
  heatmap    the hidden-state heatmap beside the gradient heatmap
  gradients  the gradient size per step on a log axis, with the theory curves
  (a single panel's default size is 1200x600)

FILES
  --weights FILE reads a weight file like `rnnviz analyze` does (.npz, .safetensors, .pt).
  --inputs X reads one timestep per row (.npy or .csv).

EXIT STATUS
  0 when the PNG was written; 2 for a bad argument or file, with one line on stderr.
"""

PANELS: tuple[str, ...] = ("all", "graph", "heatmap", "gradients")
WINDOW_SIZE = (1600, 1000)
PANEL_SIZE = (1200, 600)
MAX_SIDE = 8192


class _ArgumentError(ValueError):
    """A bad argument; its message is the one line printed on stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.png", help="where to write")
    parser.add_argument("--size", metavar="WxH", help="picture size in pixels, e.g. 1600x1000")
    parser.add_argument("--panel", choices=PANELS, default="all", help="what to draw (all)")
    parser.add_argument("--unrolled", action="store_true", help="draw the graph unrolled")
    parser.add_argument("--weights", metavar="FILE", help="weight file (.npz, .safetensors, .pt)")
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--inputs", metavar="X", help="input sequence (.npy or .csv)")
    data.add_argument("--preset", choices=PRESETS, help="a ready-made sequence (default sine)")
    parser.add_argument("--steps", metavar="N", help="feed the first N inputs (default all)")
    parser.add_argument("--backward", action="store_true", help="run BPTT and show the sweep")


def run(args: argparse.Namespace) -> int:
    from rnnviz.io.sequences import SequenceFileError
    from rnnviz.io.weights import WeightFileError
    from rnnviz.session import InputError

    try:
        out = _check_out(args.out)
        size = _parse_size(args.size, PANEL_SIZE if args.panel != "all" else WINDOW_SIZE)
        session = build_session(args)
        image = render(session, args.panel, size, unrolled=args.unrolled)
    except (_ArgumentError, WeightFileError, SequenceFileError, InputError) as err:
        print(f"rnnviz render: error: {err}", file=sys.stderr)
        return 2
    if not image.save(str(out), "PNG"):
        print(f"rnnviz render: error: cannot write {out}", file=sys.stderr)
        return 2
    return 0


def _check_out(out: str) -> Path:
    path = Path(out)
    if path.suffix.lower() != ".png":
        raise _ArgumentError(f"--out {out}: the file name must end in .png")
    if not path.parent.is_dir():
        raise _ArgumentError(f"--out {out}: the folder {path.parent} does not exist")
    return path


def _parse_size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if text is None:
        return default
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None:
        raise _ArgumentError(f"--size {text}: expected WIDTHxHEIGHT in pixels, e.g. 1600x1000")
    width, height = int(match[1]), int(match[2])
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise _ArgumentError(f"--size {text}: each side must lie between 1 and {MAX_SIDE}")
    return width, height


def build_session(args: argparse.Namespace) -> Session:
    """The session the picture shows: network, inputs, steps fed and the backward pass."""
    from rnnviz.io.sequences import load_sequence
    from rnnviz.io.weights import load_weights
    from rnnviz.session import Session

    session = Session()
    if args.preset is not None:
        session.load_preset(args.preset)
    if args.inputs is not None:
        session.set_sequence(load_sequence(args.inputs))  # (N, I)
    if args.weights is not None:
        params = load_weights(args.weights).params
        width = session.sequence.shape[1]
        if width != params.input_size:
            source = args.inputs or f"the {session.config.preset} preset"
            raise _ArgumentError(
                f"{source} has {width} values per step, but the network in {args.weights} "
                f"has {params.input_size} inputs"
            )
        session.set_params(params)
    n = session.sequence.shape[0]
    steps = n if args.steps is None else _parse_steps(args.steps, n)
    session.seek(steps)
    if args.backward and session.run_backward() is None:
        raise _ArgumentError("--backward needs at least one step (--steps 1 or more)")
    return session


def _parse_steps(text: str, n: int) -> int:
    try:
        steps = int(text)
    except ValueError:
        raise _ArgumentError(f"--steps {text}: expected a whole number of steps") from None
    if not 0 <= steps <= n:
        raise _ArgumentError(f"--steps {steps}: the sequence has {n} steps (0..{n})")
    return steps


def render(session: Session, panel: str, size: tuple[int, int], unrolled: bool = False) -> QImage:
    """Build the window or panel on ``session``, lay it out at ``size`` and grab it."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        _drop_offscreen_notices()
        app = QApplication(["rnnviz"])
        from rnnviz.views import theme

        theme.apply(app)  # a fresh process looks like the app; an existing one keeps its own
    widget = _build(session, panel, unrolled)
    try:
        widget.resize(*size)
        widget.show()
        for _ in range(3):  # layouts, then the views' redraws, then the paint
            QApplication.processEvents()
        shown = (widget.width(), widget.height())
        if shown != size:
            raise _ArgumentError(
                f"--size {size[0]}x{size[1]} is too small for the {panel} panel"
                f"{'' if panel != 'all' else ' (the window)'}: it needs at least "
                f"{widget.minimumSizeHint().width()}x{widget.minimumSizeHint().height()}"
            )
        return widget.grab().toImage()
    finally:
        widget.close()
        widget.deleteLater()


def _drop_offscreen_notices() -> None:
    """The offscreen platform says it cannot resize or raise native windows: true, and no
    concern of a picture. Every other Qt message still reaches stderr."""
    from PyQt6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str | None) -> None:
        if message and not message.startswith("This plugin does not support"):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _build(session: Session, panel: str, unrolled: bool) -> QWidget:
    from PyQt6.QtWidgets import QHBoxLayout, QWidget

    from rnnviz.views.gradient_plot import GradientPlot
    from rnnviz.views.graph import GraphView
    from rnnviz.views.heatmaps import GradientHeatmap, StateHeatmap
    from rnnviz.views.main_window import MainWindow

    if panel == "all":
        window = MainWindow(session)
        window.graph.set_unrolled(unrolled, animate=False)
        return window
    if panel == "graph":
        graph = GraphView(session)
        graph.set_unrolled(unrolled, animate=False)
        return graph
    if panel == "gradients":
        return GradientPlot(session)
    pair = QWidget()
    row = QHBoxLayout(pair)
    row.addWidget(StateHeatmap(session, pair))
    row.addWidget(GradientHeatmap(session, pair))
    return pair
