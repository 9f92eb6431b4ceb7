"""``rnnviz render``: a PNG of the asked size that shows something, for every panel and
option, and a one-line error with exit status 2 for every bad argument."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QLabel

from rnnviz.cli import build_parser
from rnnviz.cli import main as cli_main
from rnnviz.commands.render import build_session
from rnnviz.io.weights import save_weights
from rnnviz.session import Session, SessionConfig

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def read_png(path: Path) -> np.ndarray:
    """The picture as an (H, W, 3) uint8 array."""
    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a readable PNG"
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width(), 2::-1].copy()  # BGRA in memory -> RGB


def colours(pixels: np.ndarray) -> int:
    """How many distinct colours the picture has."""
    rgb = pixels.reshape(-1, 3).astype(np.uint32)  # (N, 3)
    return int(np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]).size)


def coloured(pixels: np.ndarray) -> int:
    """How many pixels are clearly coloured (not white, grey or black)."""
    spread = pixels.max(axis=2).astype(int) - pixels.min(axis=2)  # (H, W)
    return int((spread > 40).sum())


def render(tmp_path: Path, *args: str, name: str = "shot.png") -> tuple[int, Path]:
    out = tmp_path / name
    return cli_main(["render", "--out", str(out), *args]), out


@pytest.mark.parametrize(
    ("panel", "size"),
    [
        ("all", (1600, 1000)),
        ("graph", (900, 420)),
        ("heatmap", (1000, 400)),
        ("gradients", (1000, 450)),
    ],
)
def test_each_panel_renders_at_the_asked_size(
    qtbot, tmp_path: Path, panel: str, size: tuple[int, int]
) -> None:
    code, out = render(
        tmp_path, "--panel", panel, "--size", f"{size[0]}x{size[1]}", "--steps", "12", "--backward"
    )
    assert code == 0
    pixels = read_png(out)
    assert pixels.shape[:2] == (size[1], size[0])
    assert colours(pixels) > 200  # text, colour maps and curves, not a blank or flat picture


def test_default_sizes(qtbot, tmp_path: Path) -> None:
    code, out = render(tmp_path, "--steps", "3")
    assert code == 0
    assert read_png(out).shape[:2] == (1000, 1600)
    code, out = render(tmp_path, "--panel", "graph", name="graph.png")
    assert code == 0
    assert read_png(out).shape[:2] == (600, 1200)


def test_unrolled_by_default_as_the_app_opens_and_folded_on_request(qtbot, tmp_path) -> None:
    common = ("--panel", "graph", "--size", "900x400", "--steps", "8")
    assert render(tmp_path, *common, "--folded", name="folded.png")[0] == 0
    assert render(tmp_path, *common, "--unrolled", name="unrolled.png")[0] == 0
    assert render(tmp_path, *common, name="default.png")[0] == 0
    folded, unrolled = read_png(tmp_path / "folded.png"), read_png(tmp_path / "unrolled.png")
    assert not np.array_equal(folded, unrolled)
    np.testing.assert_array_equal(read_png(tmp_path / "default.png"), unrolled)
    # The unrolled chain of 8 steps covers much more of the picture than the single cell.
    ink = lambda p: int((p.min(axis=2) < 200).sum())  # noqa: E731
    assert ink(unrolled) > 2 * ink(folded)


def test_backward_fills_the_gradient_heatmap(qtbot, tmp_path: Path) -> None:
    common = ("--panel", "heatmap", "--size", "1000x400", "--steps", "12")
    assert render(tmp_path, *common, name="forward.png")[0] == 0
    assert render(tmp_path, *common, "--backward", name="backward.png")[0] == 0
    forward, backward = read_png(tmp_path / "forward.png"), read_png(tmp_path / "backward.png")
    left, right = slice(0, 500), slice(500, 1000)
    np.testing.assert_array_equal(forward[:, left], backward[:, left])  # h_t is the same
    assert coloured(backward[:, right]) > 2 * coloured(forward[:, right])  # dL/dh_t appears


def test_inputs_and_weights_files(qtbot, tmp_path: Path) -> None:
    x = np.linspace(-1.0, 1.0, 10)[:, None] * np.array([1.0, -0.5])  # (10, 2)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",")
    params = Session(SessionConfig(hidden_size=5, encoding="vector", input_size=2)).params
    save_weights(tmp_path / "w.npz", params)
    argv = ["render", "--out", str(tmp_path / "s.png"), "--inputs", str(tmp_path / "x.csv")]
    argv += ["--weights", str(tmp_path / "w.npz"), "--steps", "7", "--backward"]
    session = build_session(build_parser("render").parse_args(argv))
    np.testing.assert_allclose(session.sequence, x)
    np.testing.assert_array_equal(session.params.W_hh, params.W_hh)
    assert session.t == 7
    assert session.gradients is not None
    assert cli_main([*argv, "--panel", "heatmap", "--size", "800x300"]) == 0
    assert read_png(tmp_path / "s.png").shape[:2] == (300, 800)


@pytest.mark.parametrize("panel", ["all", "compare", "saturation", "jacobians"])
def test_inputs_near_the_largest_float_render(qtbot, tmp_path: Path, panel: str) -> None:
    (tmp_path / "x.csv").write_text("1e308\n-1e308\n1.7e308\n0.5\n")
    size = "1600x1000" if panel in ("all", "compare") else "1200x600"
    code, out = render(
        tmp_path, "--inputs", str(tmp_path / "x.csv"), "--backward", "--panel", panel,
        "--size", size,
    )  # fmt: skip
    assert code == 0 and coloured(read_png(out)) > 0


def test_preset_and_steps(tmp_path: Path) -> None:
    args = ["render", "--out", str(tmp_path / "s.png"), "--preset", "hello world", "--steps", "4"]
    session = build_session(build_parser("render").parse_args(args))
    assert session.config.encoding == "text"
    assert session.t == 4
    args = ["render", "--out", str(tmp_path / "s.png")]
    session = build_session(build_parser("render").parse_args(args))
    assert session.t == session.sequence.shape[0] == 20  # every step by default
    assert session.gradients is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "big"], "expected WIDTHxHEIGHT"),
        (["--size", "0x100"], "between 1 and"),
        (["--size", "300x200"], "too small"),
        (["--steps", "99"], "the sequence has 20 steps"),
        (["--steps", "-1"], "the sequence has 20 steps"),
        (["--steps", "two"], "whole number"),
        (["--backward", "--steps", "0"], "--backward needs at least one step"),
        (["--inputs", "missing.csv"], "no such file"),
        (["--weights", "missing.npz"], "no such file"),
        (["--weights", "{weights2}"], "has 2 inputs"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    qtbot, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    params = Session(SessionConfig(encoding="vector", input_size=2)).params
    save_weights(tmp_path / "w2.npz", params)
    args = [a.replace("{weights2}", str(tmp_path / "w2.npz")) for a in args]
    code, out = render(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("rnnviz render: error: ")
    assert message in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("out", "message"),
    [("shot.jpg", "must end in .png"), ("no/such/folder/shot.png", "does not exist")],
)
def test_bad_output_paths(tmp_path: Path, capsys, out: str, message: str) -> None:
    assert cli_main(["render", "--out", str(tmp_path / out)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args", [["--panel", "nope"], ["--inputs", "x.csv", "--preset", "sine"], ["--preset", "x"]]
)
def test_argument_syntax_errors_exit_2(tmp_path: Path, capsys, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        render(tmp_path, *args)
    assert exit_info.value.code == 2
    assert "rnnviz render: error:" in capsys.readouterr().err


def test_renders_in_a_fresh_process_without_any_display(tmp_path: Path) -> None:
    """The real command line: no DISPLAY, QT_QPA_PLATFORM empty, the app's theme."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = tmp_path / "shot.png"
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz", "render", "--out", str(out), "--steps", "12"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert read_png(out).shape[:2] == (1000, 1600)


def test_the_command_module_does_not_load_qt() -> None:
    code = "import sys, rnnviz.commands.render; print('PyQt6' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---- lesson slides, lab panels, SVG ----------------------------------------------------------
CAPTION_RGB = (255, 248, 225)


def caption_rows(pixels: np.ndarray) -> int:
    """How many rows at the top have the caption's pale note colour at their right end
    (where the caption's text does not reach)."""
    rows = (pixels[:, -3] == CAPTION_RGB).all(axis=1)  # (H,)
    return int(np.argmin(rows)) if not rows.all() else rows.size


def test_a_lesson_slide_with_its_caption(qtbot, tmp_path: Path) -> None:
    code, out = render(tmp_path, "--scenario", "vanishing", "--slide", "4")
    assert code == 0
    pixels = read_png(out)
    assert pixels.shape[:2] == (1000, 1600)
    assert 30 <= caption_rows(pixels) <= 120  # one or two lines of caption above the window
    assert colours(pixels) > 200


def test_a_slide_applies_its_settings_and_view(qtbot) -> None:
    from rnnviz.commands.render import build_scene, shown
    from rnnviz.views.window.main_window import MainWindow

    args = build_parser("render").parse_args(
        ["render", "--out", "x.png", "--scenario", "gating", "--slide", "4"]
    )
    scene = build_scene(args)
    with shown(scene) as picture:
        window = picture.findChild(MainWindow)
        assert window is not None
        caption = picture.findChild(QLabel, "caption")
        assert caption is not None and caption.text().startswith("Side by side on one log axis")
        assert window.pages.currentWidget() is window.lab_panel  # the slide is about the lab
        assert window.lab.comparison is not None  # and it compares the cells
        assert scene.session.config.sequence_length == 60
        assert scene.session.t == 60


def test_a_slides_inputs_are_named_after_its_lesson_as_in_the_app(qtbot) -> None:
    from rnnviz.commands.render import build_scene, shown
    from rnnviz.views.panels.input_panel import InputPanel

    args = build_parser("render").parse_args(
        ["render", "--out", "x.png", "--scenario", "unrolling", "--slide", "1"]
    )
    scene = build_scene(args)
    with shown(scene) as picture:
        panel = picture.findChild(InputPanel)
        assert panel is not None
        assert panel.source_label.text().startswith("lesson “Unrolling through time”")


def test_an_unrolled_slide_unrolls_the_graph(qtbot) -> None:
    from rnnviz.commands.render import build_scene, shown
    from rnnviz.views.graph.view import GraphView

    argv = ["render", "--out", "x.png", "--panel", "graph", "--scenario", "recurrence"]
    folded = build_scene(build_parser("render").parse_args([*argv, "--slide", "1"]))
    with shown(folded) as picture:
        graph = picture.findChild(GraphView)
        assert graph is not None and not graph.unrolled
    unrolled = build_scene(build_parser("render").parse_args([*argv, "--unrolled"]))
    with shown(unrolled) as picture:
        graph = picture.findChild(GraphView)
        assert graph is not None and graph.unrolled


def test_a_lesson_file_by_path(qtbot, tmp_path: Path) -> None:
    lesson = {
        "format": "rnnviz-scenario",
        "version": 1,
        "slides": [{"caption": "Mine", "input": {"values": [1, 0, 0]}, "run": {"steps": 2}}],
    }
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(lesson))
    code, out = render(tmp_path, "--scenario", str(path), "--panel", "heatmap")
    assert code == 0
    assert read_png(out).shape[:2] == (600, 1200)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope"], "the lessons are recurrence, unrolling, vanishing"),
        (["--scenario", "vanishing", "--slide", "5"], "the lesson vanishing has slides 1 to 4"),
        (["--scenario", "vanishing", "--slide", "x"], "has slides 1 to 4"),
        (["--slide", "2"], "--slide needs --scenario"),
        (["--scenario", "vanishing", "--preset", "sine"], "drop --preset"),
        (["--scenario", "vanishing", "--steps", "3"], "drop --steps"),
        (["--scenario", "{bad}"], "not valid JSON"),
        (["--scenario", "{new}"], "version 9 is newer"),
        (["--scenario", "{missing}"], "no such file"),
    ],
)
def test_bad_lessons_give_one_line_and_exit_2(
    qtbot, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "new.json").write_text('{"format": "rnnviz-scenario", "version": 9}')
    files = {"{bad}": "bad.json", "{new}": "new.json", "{missing}": "missing.json"}
    args = [str(tmp_path / files[a]) if a in files else a for a in args]
    code, out = render(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("rnnviz render: error: ")
    assert message in err
    named = [str(tmp_path / f) for f in files.values() if str(tmp_path / f) in args]
    assert all(path in err for path in named)  # a bad file is named
    assert not out.exists()


@pytest.mark.parametrize(
    "panel", ["equations", "lab", "compare", "saturation", "sweep", "jacobians", "gradcheck"]
)
def test_each_lab_panel_renders_with_its_results(qtbot, tmp_path: Path, panel: str) -> None:
    code, out = render(tmp_path, "--panel", panel, "--size", "1000x640", "--steps", "10")
    assert code == 0
    pixels = read_png(out)
    assert pixels.shape[:2] == (640, 1000)
    assert colours(pixels) > 100


def test_the_training_panel_shows_a_finished_run(qtbot) -> None:
    from rnnviz.commands.render import build_scene, shown
    from rnnviz.views.lab.training import TrainingView

    args = build_parser("render").parse_args(["render", "--out", "x.png", "--panel", "training"])
    with shown(build_scene(args)) as view:
        assert isinstance(view, TrainingView)
        history = view.lab.training
        assert history is not None and len(history.losses) == 100
        epochs, _ = view.plots.loss_curve.getOriginalDataset()
        assert len(epochs) == 100
        assert history.losses[-1] < history.losses[0]


def test_svg_output(qtbot, tmp_path: Path) -> None:
    code, out = render(tmp_path, "--panel", "gradients", "--steps", "8", "--backward", name="g.svg")
    assert code == 0
    root = ET.parse(out).getroot()
    assert root.get("viewBox") == "0 0 1200 600"
    assert "gradient size per step" in " ".join(
        t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")
    )


def test_rendering_leaves_the_users_settings_alone(qtbot, tmp_path: Path, monkeypatch) -> None:
    settings = tmp_path / "settings"
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(settings))
    assert render(tmp_path, "--steps", "3")[0] == 0
    ini = settings / "rnnviz.ini"
    assert "geometry" not in (ini.read_text() if ini.exists() else "")  # no layout saved
    assert not (settings / "autosave.rnnviz").exists()


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_a_lesson_slide_renders_at_a_projectors_size(qtbot, tmp_path: Path, size) -> None:
    """What the before-stop check draws: the window with a slide on a small projector."""
    width, height = size
    code, out = render(
        tmp_path, "--size", f"{width}x{height}", "--scenario", "vanishing", "--slide", "3"
    )
    assert code == 0
    assert read_png(out).shape[:2] == (height, width)


def test_network_options_draw_a_deep_bidirectional_lstm(qtbot, tmp_path: Path) -> None:
    argv = ["render", "--out", str(tmp_path / "s.png"), "--cell", "lstm", "--hidden-size", "32"]
    argv += ["--layers", "3", "--bidirectional", "--steps", "12", "--backward"]
    session = build_session(build_parser("render").parse_args(argv))
    c = session.config
    assert (c.cell, c.hidden_size, c.num_layers, c.bidirectional) == ("lstm", 32, 3, True)
    assert session.depth == (3, 2) and session.t == 12
    assert session.depth_grad_norm is not None and session.depth_grad_norm.shape == (3, 2, 12)
    assert cli_main([*argv, "--size", "1024x768"]) == 0
    assert read_png(tmp_path / "s.png").shape[:2] == (768, 1024)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "5"], "num layers is 5; the most rnnviz takes is 4"),
        (["--layers", "two"], "--layers two: expected a whole number"),
        (["--hidden-size", "0"], "hidden size must be at least 1"),
        (["--weights", "w.npz", "--layers", "2"], "--weights holds the network itself"),
        (["--scenario", "vanishing", "--bidirectional"], "drop --bidirectional"),
    ],
)
def test_bad_network_options_give_one_line_and_exit_2(
    tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    code, out = render(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err
    assert not out.exists()
