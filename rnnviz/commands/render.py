"""``rnnviz render``: draw the window (or one panel) after some steps to a PNG or SVG, headless.

The scene options (network, inputs, steps, lesson slide, panel, size) are shared with
``rnnviz animate``; this module imports no Qt until a picture is drawn.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnnviz.engine import CELLS
from rnnviz.session.presets import PRESETS

if TYPE_CHECKING:
    from PyQt6.QtGui import QImage
    from PyQt6.QtWidgets import QWidget

    from rnnviz.session import Session
    from rnnviz.session.lab import Lab
    from rnnviz.session.lessons import Scenario, Slide

# ASCII only: --help must print on any terminal encoding.
DESCRIPTION = """\
Render the rnnviz window, or one of its panels, to a PNG or SVG file without any display
(Qt's offscreen platform is used unless QT_QPA_PLATFORM is set).

The network is the app's default (a vanilla tanh RNN with 8 hidden units, orthogonal
weights rescaled to spectral radius 0.9, seed 0) fed the sine preset, unless --weights,
--inputs or --preset say otherwise. --cell, --hidden-size, --layers and --bidirectional draw
another network (a stack of up to 4 layers, each bidirectional with --bidirectional).
--steps N feeds the first N inputs (default: all of them); --backward then runs
backpropagation through time and shows the finished sweep.

LESSONS
  --scenario NAME --slide K shows slide K (default 1) of a lesson exactly as the Lessons
  menu does: its settings, inputs, steps and backward pass, the graph folded or unrolled,
  the gradient lab when the slide is about it, and the slide's caption above the picture.
  NAME is a built-in lesson (recurrence, unrolling, vanishing, exploding, gating) or the
  path of a lesson file (.json). A lesson sets the network and inputs itself, so it does
  not combine with --weights, --inputs, --preset, --steps or the network options.

PANELS
  all         the whole window (default size 1600x1000)
  graph       the network graph, unrolled through time or, with --folded, folded
  heatmap     the hidden-state heatmap beside the gradient heatmap
  gradients   the gradient size per step on a log axis, with the theory curves
  equations   the selected step's forward and backward equations
  lab         the gradient lab (its Compare tab)
  compare     vanilla RNN, LSTM and GRU on the same inputs
  saturation  how many units saturate, and the nonlinearity's derivative
  sweep       gradient size per step against the spectral radius
  jacobians   the norms of the Jacobians between steps
  training    a short training run: the next value, 20 steps, 100 epochs (the tab itself
              opens on the adding problem at T = 50: 300 epochs, ~20 s for an LSTM)
  gradcheck   the gradients checked against finite differences
  (a single panel's default size is 1200x600)

FILES
  --weights FILE reads a weight file like `rnnviz analyze` does (.npz, .safetensors, .pt).
  --inputs X reads one timestep per row (.npy or .csv).

EXIT STATUS
  0 when the picture was written; 2 for a bad argument or file, with one line on stderr.
"""

PANELS: tuple[str, ...] = (
    "all",
    "graph",
    "heatmap",
    "gradients",
    "equations",
    "lab",
    "compare",
    "saturation",
    "sweep",
    "jacobians",
    "training",
    "gradcheck",
)
# The options that draw another network than the app's default.
NETWORK_OPTIONS: tuple[str, ...] = ("cell", "hidden_size", "layers", "bidirectional")
PICTURE_SUFFIXES: tuple[str, ...] = (".png", ".svg")
WINDOW_SIZE = (1600, 1000)
PANEL_SIZE = (1200, 600)
MAX_SIDE = 8192
CAPTION_BACKGROUND = "#fff8e1"  # a pale note colour: the caption reads as a label, not a panel


_APP: list[object] = []  # the QApplication this module created, if any


class ArgumentError(ValueError):
    """A bad argument; its message is the one line printed on stderr."""


def user_errors() -> tuple[type[Exception], ...]:
    """What a user's arguments or files can cause: one line on stderr and exit status 2.

    Imported here, not at the top, so that building the parser stays light.
    """
    from rnnviz.io.sequences import SequenceFileError
    from rnnviz.io.weights import WeightFileError
    from rnnviz.session import InputError
    from rnnviz.session.lessons import ScenarioFileError

    return (
        ArgumentError,
        WeightFileError,
        SequenceFileError,
        InputError,
        ScenarioFileError,
        OSError,
    )


@dataclass(frozen=True)
class Scene:
    """What a picture shows: the session, the lesson slide applied once the widget exists
    (it needs the window's lab), the panel, the graph's fold and the size in pixels."""

    session: Session
    panel: str
    size: tuple[int, int]
    unrolled: bool | None = None  # None: as the app opens (unrolled), or as the slide says
    slide: Slide | None = None
    backward: bool = False  # run BPTT after the slide (a slide runs its own before)
    lesson: str = ""  # the slide's lesson's title: the input panel names it as the source


# ---- arguments ---------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.png", help="where to write (or .svg)")
    add_scene_arguments(parser)


def add_scene_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say what to draw: shared by ``render`` and ``animate``."""
    parser.add_argument("--size", metavar="WxH", help="picture size in pixels, e.g. 1600x1000")
    parser.add_argument("--panel", choices=PANELS, default="all", help="what to draw (all)")
    fold = parser.add_mutually_exclusive_group()
    fold.add_argument(
        "--unrolled",
        action="store_true",
        default=None,
        help="draw the graph unrolled (the default, as the app opens)",
    )
    fold.add_argument(
        "--folded", dest="unrolled", action="store_false", help="draw the graph folded"
    )
    parser.add_argument("--weights", metavar="FILE", help="weight file (.npz, .safetensors, .pt)")
    parser.add_argument("--cell", choices=CELLS, help="the recurrent cell (default vanilla)")
    parser.add_argument("--hidden-size", metavar="H", help="hidden units (default 8)")
    parser.add_argument("--layers", metavar="L", help="stacked layers, 1 to 4 (default 1)")
    parser.add_argument(
        "--bidirectional", action="store_true", help="every layer also runs backward"
    )
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--inputs", metavar="X", help="input sequence (.npy or .csv)")
    data.add_argument("--preset", choices=PRESETS, help="a ready-made sequence (default sine)")
    parser.add_argument("--steps", metavar="N", help="feed the first N inputs (default all)")
    parser.add_argument("--backward", action="store_true", help="run BPTT and show the sweep")
    parser.add_argument("--scenario", metavar="NAME", help="a lesson: built-in name or .json")
    parser.add_argument("--slide", metavar="K", help="the lesson's slide (default 1)")


def run(args: argparse.Namespace) -> int:

    try:
        out = check_out(args.out, PICTURE_SUFFIXES)
        scene = build_scene(args)
        if out.suffix.lower() == ".svg":
            write_svg(scene, out)
        else:
            image = render(scene)
            if not image.save(str(out), "PNG"):
                raise ArgumentError(f"cannot write {out}")
    except user_errors() as err:
        print(f"rnnviz render: error: {err}", file=sys.stderr)
        return 2
    return 0


def check_out(out: str, suffixes: tuple[str, ...]) -> Path:
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise ArgumentError(f"--out {out}: the file name must end in {' or '.join(suffixes)}")
    if not path.parent.is_dir():
        raise ArgumentError(f"--out {out}: the folder {path.parent} does not exist")
    return path


def _parse_size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if text is None:
        return default
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None:
        raise ArgumentError(f"--size {text}: expected WIDTHxHEIGHT in pixels, e.g. 1600x1000")
    width, height = int(match[1]), int(match[2])
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ArgumentError(f"--size {text}: each side must lie between 1 and {MAX_SIDE}")
    return width, height


def build_scene(args: argparse.Namespace) -> Scene:
    """Check every argument and build the session; the slide is applied by ``shown``."""
    size = _parse_size(args.size, PANEL_SIZE if args.panel != "all" else WINDOW_SIZE)
    found = find_lesson_slide(args)
    if found is not None:
        from rnnviz.session import Session

        scenario, slide = found
        return Scene(
            Session(), args.panel, size, args.unrolled, slide, args.backward, scenario.title
        )
    return Scene(build_session(args), args.panel, size, args.unrolled)


def find_lesson_slide(args: argparse.Namespace) -> tuple[Scenario, Slide] | None:
    """The lesson and its slide asked for, or None; ArgumentError / ScenarioFileError
    otherwise."""
    scenario_name = getattr(args, "scenario", None)
    if scenario_name is None:
        if getattr(args, "slide", None) is not None:
            raise ArgumentError("--slide needs --scenario NAME (a lesson)")
        return None
    given = ("weights", "inputs", "preset", "steps", *NETWORK_OPTIONS)
    clashes = [f"--{k.replace('_', '-')}" for k in given if getattr(args, k, None)]
    if clashes:
        raise ArgumentError(
            f"--scenario sets the network, inputs and steps itself; drop {', '.join(clashes)}"
        )
    scenario = load_lesson(scenario_name)
    text = args.slide if args.slide is not None else "1"
    n = len(scenario.slides)
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= n:
        raise ArgumentError(f"--slide {text}: the lesson {scenario.name} has slides 1 to {n}")
    return scenario, scenario.slides[k - 1]


def load_lesson(name: str) -> Scenario:
    """A built-in lesson by name, or a lesson file by path."""
    from rnnviz.resources import asset_path
    from rnnviz.session.lessons import load_folder, load_scenario

    if name.lower().endswith(".json") or os.sep in name or "/" in name:
        return load_scenario(name)
    built_in, _ = load_folder(asset_path("scenarios"))
    for scenario in built_in:
        if scenario.name == name:
            return scenario
    names = ", ".join(s.name for s in built_in)
    raise ArgumentError(f"--scenario {name}: no such lesson; the lessons are {names}")


def build_session(args: argparse.Namespace) -> Session:
    """The session the picture shows: network, inputs, steps fed and the backward pass."""
    from rnnviz.io.sequences import load_sequence
    from rnnviz.io.weights import load_weights
    from rnnviz.session import Session

    session = Session()
    _draw_network(session, args)
    if args.preset is not None:
        session.load_preset(args.preset)
    if args.inputs is not None:
        session.set_sequence(load_sequence(args.inputs))  # (N, I)
    if args.weights is not None:
        params = load_weights(args.weights).params
        width = session.sequence.shape[1]
        if width != params.input_size:
            source = args.inputs or f"the {session.config.preset} preset"
            raise ArgumentError(
                f"{source} has {width} values per step, but the network in {args.weights} "
                f"has {params.input_size} inputs"
            )
        session.set_params(params)
    n = session.sequence.shape[0]
    steps = n if args.steps is None else _parse_steps(args.steps, n)
    session.seek(steps)
    if args.backward and session.run_backward() is None:
        raise ArgumentError("--backward needs at least one step (--steps 1 or more)")
    # Measured here, so that the gradient panel finds it: a long one would otherwise go to
    # the window's worker, and the picture would say "measuring" instead of the regime.
    _reach = session.reach
    return session


def _draw_network(session: Session, args: argparse.Namespace) -> None:
    """The network the options ask for (none: the app's default)."""
    asked = {k: getattr(args, k, None) for k in NETWORK_OPTIONS}
    if not any(asked.values()):
        return
    if args.weights is not None:
        names = ", ".join(f"--{k.replace('_', '-')}" for k, v in asked.items() if v)
        raise ArgumentError(f"--weights holds the network itself; drop {names}")
    changes: dict[str, object] = {"bidirectional": bool(args.bidirectional)}
    if args.cell is not None:
        changes["cell"] = args.cell
        if args.cell != "vanilla":
            changes["activation"] = "tanh"
    for option, field in (("hidden_size", "hidden_size"), ("layers", "num_layers")):
        text = getattr(args, option)
        if text is not None:
            try:
                changes[field] = int(text)
            except ValueError:
                flag = f"--{option.replace('_', '-')}"
                raise ArgumentError(f"{flag} {text}: expected a whole number") from None
    try:
        session.set_config(**changes)
    except ValueError as e:
        raise ArgumentError(str(e)) from None


def _parse_steps(text: str, n: int) -> int:
    try:
        steps = int(text)
    except ValueError:
        raise ArgumentError(f"--steps {text}: expected a whole number of steps") from None
    if not 0 <= steps <= n:
        raise ArgumentError(f"--steps {steps}: the sequence has {n} steps (0..{n})")
    return steps


# ---- drawing -----------------------------------------------------------------------------
def render(scene: Scene) -> QImage:
    """The scene's widget, laid out at its size, as an image."""
    from rnnviz.views.window.snapshots import grab

    with shown(scene) as widget:
        return grab(widget)


def write_svg(scene: Scene, path: Path) -> None:
    from rnnviz.views.window.snapshots import save_svg

    with shown(scene) as widget:
        save_svg(widget, path)


def ensure_app() -> None:
    """A QApplication with the app's look (offscreen unless QT_QPA_PLATFORM says otherwise)."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PyQt6.QtWidgets import QApplication

    if QApplication.instance() is None:
        _drop_offscreen_notices()
        app = QApplication(["rnnviz"])
        _APP.append(app)  # lives as long as the process: Python must not collect it
        from rnnviz.views.look import theme

        theme.apply(app)  # a fresh process looks like the app; an existing one keeps its own


@contextmanager
def shown(scene: Scene) -> Iterator[QWidget]:
    """Build the scene's widget, show it at the scene's size with everything computed, and
    close it afterwards."""
    ensure_app()
    from PyQt6.QtWidgets import QApplication

    from rnnviz.session.window_state import WindowState

    unrolled = WindowState().unrolled if scene.unrolled is None else scene.unrolled
    widget, lab = _build(scene.session, scene.panel, unrolled)
    try:
        _apply_slide(scene, widget, lab)
        if scene.backward and scene.session.run_backward() is None:
            raise ArgumentError("--backward needs at least one step (--steps 1 or more)")
        framed = _with_caption(widget, scene.slide.caption) if scene.slide else widget
        framed.resize(*scene.size)
        framed.show()
        _compute_lab(scene.panel, widget, lab)
        for _ in range(3):  # layouts, then the views' redraws, then the paint
            QApplication.processEvents()
        if (framed.width(), framed.height()) != scene.size:
            hint = framed.minimumSizeHint()
            what = "the window" if scene.panel == "all" else f"the {scene.panel} panel"
            raise ArgumentError(
                f"--size {scene.size[0]}x{scene.size[1]} is too small for {what}: it needs "
                f"at least {hint.width()}x{hint.height()}"
            )
        yield framed
    finally:
        top = widget.window()
        top.close()
        top.deleteLater()


def _drop_offscreen_notices() -> None:
    """The offscreen platform says it cannot resize or raise native windows: true, and no
    concern of a picture. Every other Qt message still reaches stderr."""
    from PyQt6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str | None) -> None:
        if message and not message.startswith("This plugin does not support"):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _build(session: Session, panel: str, unrolled: bool) -> tuple[QWidget, Lab]:
    """The panel's widget and the lab it (or the slide) works with."""
    from PyQt6.QtWidgets import QHBoxLayout, QWidget

    from rnnviz.session.lab import Lab
    from rnnviz.views.graph.view import GraphView
    from rnnviz.views.lab.compare import CompareView
    from rnnviz.views.lab.gradcheck import GradCheckView
    from rnnviz.views.lab.jacobians import JacobianView
    from rnnviz.views.lab.panel import LabPanel
    from rnnviz.views.lab.saturation import SaturationView
    from rnnviz.views.lab.sweep import SweepView
    from rnnviz.views.lab.training import TrainingView
    from rnnviz.views.panels.equations import EquationsPanel
    from rnnviz.views.plots.gradient_plot import GradientPlot
    from rnnviz.views.plots.heatmaps import GradientHeatmap, StateHeatmap
    from rnnviz.views.window.main_window import MainWindow

    if panel == "all":
        # A picture neither reads nor changes the user's settings, layout or autosave.
        window = MainWindow(session, persistent=False)
        window.state.unrolled = unrolled
        return window, window.lab
    lab = Lab(session)
    if panel == "graph":
        graph = GraphView(session)
        graph.set_unrolled(unrolled, animate=False)
        return graph, lab
    if panel == "gradients":
        return GradientPlot(session), lab
    if panel == "equations":
        return EquationsPanel(session), lab
    if panel == "heatmap":
        pair = QWidget()
        row = QHBoxLayout(pair)
        row.addWidget(StateHeatmap(session, pair))
        row.addWidget(GradientHeatmap(session, pair))
        return pair, lab
    views: dict[str, type[QWidget]] = {
        "lab": LabPanel,
        "compare": CompareView,
        "saturation": SaturationView,
        "sweep": SweepView,
        "jacobians": JacobianView,
        "training": TrainingView,
        "gradcheck": GradCheckView,
    }
    return views[panel](lab), lab  # type: ignore[call-arg]


def _apply_slide(scene: Scene, widget: QWidget, lab: Lab) -> None:
    """What the Lessons menu does for a slide, by the same function: the session, the lab
    and the window's state, which the window follows (a lone graph follows its fold)."""
    from rnnviz.session.player import apply_slide
    from rnnviz.session.window_state import WindowState
    from rnnviz.views.graph.view import GraphView
    from rnnviz.views.window.main_window import MainWindow

    slide = scene.slide
    if slide is None:
        return
    state = widget.state if isinstance(widget, MainWindow) else WindowState()
    apply_slide(scene.session, slide, lab, state, lesson=scene.lesson)
    if scene.unrolled is not None:  # asked for on the command line: over the slide's
        state.unrolled = scene.unrolled
    if isinstance(widget, GraphView):
        widget.set_unrolled(state.unrolled, animate=False)


def _compute_lab(panel: str, widget: QWidget, lab: Lab) -> None:
    """A lab view shows results computed on request: press its button, as a user would,
    and wait for its worker."""
    from PyQt6.QtCore import QEventLoop

    if panel in ("lab", "compare"):
        lab.compare()
        return
    verb = {"sweep": "run", "jacobians": "compute_map", "gradcheck": "check", "training": "start"}
    if panel not in verb:
        return
    if panel == "training":
        from rnnviz.session.training_setup import TrainingSettings

        # The tab opens on the adding problem at T = 50, whose 300 epochs take ~20 s with an
        # LSTM and show a vanilla RNN's flat line: a picture trains the next value for 100
        # epochs, whose loss falls within 2 s.
        settings = TrainingSettings(task="next-value", length=20, epochs=100)
        widget.form.show_settings(settings)  # type: ignore[attr-defined]
    getattr(widget, verb[panel])()
    runner = widget.runner  # type: ignore[attr-defined]
    if runner.running:
        loop = QEventLoop()
        runner.finished.connect(loop.quit)
        loop.exec()


def _with_caption(widget: QWidget, caption: str) -> QWidget:
    """The slide's caption above the picture, as the lesson bar shows it in the window."""
    from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from rnnviz.views.look import sizes
    from rnnviz.views.look.appearance import colors
    from rnnviz.views.look.math_text import set_math_text

    frame = QWidget()
    frame.setWindowTitle(widget.windowTitle())
    label = QLabel(frame)
    set_math_text(label, caption)  # the file's text escaped, its scripts typeset
    label.setObjectName("caption")
    label.setWordWrap(True)
    label.setFont(sizes.font(sizes.BADGE_PT, bold=True))
    label.setStyleSheet(
        f"background: {CAPTION_BACKGROUND}; color: {colors().INK}; padding: 8px 12px;"
    )
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return frame
