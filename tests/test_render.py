"""``rnnviz render``: a PNG of the asked size that shows something, for every panel and
option, and a one-line error with exit status 2 for every bad argument."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QImage

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


def test_unrolled_draws_the_chain(qtbot, tmp_path: Path) -> None:
    common = ("--panel", "graph", "--size", "900x400", "--steps", "8")
    assert render(tmp_path, *common, name="folded.png")[0] == 0
    assert render(tmp_path, *common, "--unrolled", name="unrolled.png")[0] == 0
    folded, unrolled = read_png(tmp_path / "folded.png"), read_png(tmp_path / "unrolled.png")
    assert not np.array_equal(folded, unrolled)
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
