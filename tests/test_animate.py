"""``rnnviz animate``: a GIF with one frame per step (or per sweep position) at the asked
size, for every kind of animation, headless; a one-line error and exit 2 otherwise."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rnnviz.cli import main as cli_main
from rnnviz.views.window.snapshots import HOLD_LAST_MS, mp4_available

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def animate(tmp_path: Path, *args: str, name: str = "a.gif") -> tuple[int, Path]:
    out = tmp_path / name
    return cli_main(["animate", "--out", str(out), *args]), out


def frames(path: Path) -> tuple[int, tuple[int, int], list[int], list[np.ndarray]]:
    """Frame count, (width, height), each frame's duration in ms, and the frames."""
    with Image.open(path) as gif:
        durations, pictures = [], []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
            pictures.append(np.asarray(gif.convert("RGB")))
        return gif.n_frames, gif.size, durations, pictures


def test_steps(qtbot, tmp_path: Path) -> None:
    code, out = animate(tmp_path, "--steps", "5", "--size", "1500x950", "--fps", "5")
    assert code == 0
    count, size, durations, pictures = frames(out)
    assert count == 5 and size == (1500, 950)
    assert durations == [200] * 4 + [HOLD_LAST_MS]
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(pictures))
    assert not list(tmp_path.glob("*.part*"))


def test_backward_sweep_of_one_panel(qtbot, tmp_path: Path) -> None:
    args = ("--what", "backward", "--steps", "7", "--panel", "heatmap", "--size", "800x300")
    code, out = animate(tmp_path, *args, "--fps", "10")
    assert code == 0
    count, size, durations, pictures = frames(out)
    assert size == (800, 300)
    # The cursor at 7, 6, …, 1 and the finished sweep: 8 frames; the heatmaps look the same
    # at cursor 1 and when finished, and the encoder merges equal neighbours.
    assert count in (7, 8) and sum(durations) == 7 * 100 + HOLD_LAST_MS
    first, last = (p.astype(int) for p in (pictures[0], pictures[-1]))
    left, right = slice(0, 400), slice(400, 800)
    # Each GIF frame has its own 256-colour palette: equal pictures may differ by a few levels.
    assert np.abs(first[:, left] - last[:, left]).max() <= 8  # h_t stays
    assert (np.abs(first[:, right] - last[:, right]).max(axis=2) > 40).sum() > 1000  # dL/dh_t


def test_backward_flag_adds_the_sweep_after_the_steps(qtbot, tmp_path: Path) -> None:
    code, out = animate(tmp_path, "--steps", "4", "--backward", "--fps", "10")
    assert code == 0
    count, _, durations, _ = frames(out)
    assert count == 4 + 4 + 1  # steps, cursor 4…1, the end
    assert sum(durations) == 8 * 100 + HOLD_LAST_MS


def test_a_lesson_slide(qtbot, tmp_path: Path) -> None:
    code, out = animate(tmp_path, "--scenario", "recurrence", "--slide", "2", "--panel", "graph")
    assert code == 0
    count, size, _, pictures = frames(out)
    assert size == (1200, 600)
    assert count >= 1
    band = pictures[0][:20].reshape(-1, 3).astype(int)  # the caption's pale note colour
    assert (np.abs(band - (255, 248, 225)).max(axis=1) <= 8).mean() > 0.5


def test_long_sequences_are_sampled(qtbot, tmp_path: Path) -> None:
    x = np.sin(np.linspace(0, 40, 700))
    np.save(tmp_path / "x.npy", x)
    args = ("--inputs", str(tmp_path / "x.npy"), "--panel", "gradients", "--size", "900x320")
    code, out = animate(tmp_path, *args, "--fps", "50")
    assert code == 0
    count, _, durations, _ = frames(out)
    assert count <= 300 and sum(durations) == 299 * 20 + HOLD_LAST_MS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "backward", "--steps", "0"], "needs at least one step"),
        (["--fps", "0"], "frame rate"),
        (["--scenario", "nope"], "the lessons are"),
        (["--scenario", "gating", "--slide", "12"], "has slides 1 to 5"),
        (["--size", "200x100"], "too small"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    qtbot, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    code, out = animate(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("rnnviz animate: error: ")
    assert message in err
    assert not out.exists() and not list(tmp_path.glob("*.part*"))


def test_bad_output_names(tmp_path: Path, capsys) -> None:
    assert animate(tmp_path, name="a.png")[0] == 2
    assert "must end in .gif or .mp4" in capsys.readouterr().err


def test_mp4_without_imageio_ffmpeg(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("rnnviz.views.window.snapshots.mp4_available", lambda: False)
    code, out = animate(tmp_path, name="a.mp4")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "pip install imageio-ffmpeg" in err
    assert not out.exists()


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4(qtbot, tmp_path: Path) -> None:
    import imageio_ffmpeg

    code, out = animate(tmp_path, "--steps", "3", "--panel", "graph", name="a.mp4")
    assert code == 0
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 3


def test_animates_in_a_fresh_process_without_any_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = tmp_path / "a.gif"
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz", "animate", "--out", str(out), "--steps", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert frames(out)[:2] == (3, (1600, 1000))


def test_the_command_module_does_not_load_qt() -> None:
    code = "import sys, rnnviz.commands.animate; print('PyQt6' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
