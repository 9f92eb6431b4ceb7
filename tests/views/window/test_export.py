"""File ▸ Export: every path writes a valid file. PNGs and GIFs read back with their sizes
and frame counts, SVGs parse (and keep their panels apart), the data matches the session;
an animation puts the session back, can be cancelled, and MP4 needs imageio-ffmpeg."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QDialog, QPushButton

from rnnviz.session import Session
from rnnviz.views.window import export as export_module
from rnnviz.views.window.export import TARGETS, ExportDialog
from rnnviz.views.window.main_window import MainWindow
from rnnviz.views.window.snapshots import (
    HOLD_LAST_MS,
    MAX_FRAMES,
    AnimationWriter,
    mp4_available,
    positions,
)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def settings_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(Session())
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.session.seek(6)
    w.session.run_backward()
    return w


def gif_frames(path: Path) -> tuple[int, tuple[int, int], list[int]]:
    """Frame count, (width, height) and each frame's duration in ms."""
    with Image.open(path) as gif:
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
        return gif.n_frames, gif.size, durations


def run(qtbot, job) -> None:
    assert job is not None
    qtbot.waitUntil(lambda: job.done, timeout=20_000)


# ---- pictures ----------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["Window", "Gradient plot"])
def test_png_has_the_widgets_size(window: MainWindow, tmp_path: Path, target: str) -> None:
    path = tmp_path / "shot.png"
    assert window.exporter.export_image(path, target)
    image = QImage(str(path))
    widget = window.exporter.widget(target)
    ratio = widget.devicePixelRatioF()
    assert (image.width(), image.height()) == (
        round(widget.width() * ratio),
        round(widget.height() * ratio),
    )
    assert "Exported shot.png" in window.message.text()


@pytest.mark.parametrize("target", TARGETS)
def test_svg_of_every_panel_parses(window: MainWindow, tmp_path: Path, target: str) -> None:
    path = tmp_path / "shot.svg"
    assert window.exporter.export_image(path, target)
    root = ET.parse(path).getroot()
    widget = window.exporter.widget(target)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {widget.width()} {widget.height()}"
    assert any((t.text or "").strip() for t in root.iter(f"{SVG}text"))  # labels stay text
    # Every clip path and gradient a piece refers to is defined, under a unique id.
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    text = ET.tostring(root, encoding="unicode")
    for ref in {v.split("url(#")[1].split(")")[0] for v in text.split('"') if "url(#" in v}:
        assert ref in ids
    assert window.pages.currentWidget() is window.splitter  # the lab page was shown only to draw


def test_svg_keeps_text_curves_and_pens_viewer_proof(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "window.svg"
    assert window.exporter.export_image(path, "Window")
    root = ET.parse(path).getroot()
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "gradient size per step" in texts  # words stay text, not pixels
    assert "Feed inputs" in texts
    # pyqtgraph's cosmetic pens are baked into coordinates: no viewer can blow them up.
    clip_shapes = {id(e) for c in root.iter(f"{SVG}clipPath") for e in c.iter()}  # no strokes
    drawn = [e for e in root.iter() if id(e) not in clip_shapes]
    assert not [e for e in drawn if e.get("vector-effect") == "non-scaling-stroke"]
    assert len([e for e in drawn if e.tag == f"{SVG}path"]) > 20  # curves, arrows, axes
    fonts = {e.get("font-family") for e in root.iter() if e.get("font-family")}
    assert fonts and all(f.endswith(("sans-serif", "monospace")) for f in fonts)
    crisp = [e for e in root.iter(f"{SVG}image") if e.get("image-rendering") == "optimizeSpeed"]
    assert len(crisp) >= 2  # the two heatmaps, enlarged so their cells stay sharp


def test_a_picture_in_a_missing_folder_is_reported(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "shot.png"
    assert not window.exporter.export_image(path)
    assert window.exporter.last_error is not None
    assert window.exporter.last_error.startswith(str(path))
    assert window.exporter.error_box is not None and window.exporter.error_box.isVisible()


def test_image_through_the_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "plot.svg"

    def answer() -> None:
        dialog = window.exporter.dialog
        assert isinstance(dialog, ExportDialog)
        dialog.target_box.setCurrentText("Gradient plot")
        dialog.format_box.setCurrentText("SVG")
        dialog.path_edit.setText(str(tmp_path / "plot"))
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    QTimer.singleShot(0, answer)
    window.exporter.act_image.trigger()
    root = ET.parse(path).getroot()
    plot = window.gradient_plot
    assert root.get("viewBox") == f"0 0 {plot.width()} {plot.height()}"


# ---- animations --------------------------------------------------------------------------
def test_step_through_gif(qtbot, window: MainWindow, tmp_path: Path) -> None:
    s = window.session
    s.select(3)
    window.files.save_session(tmp_path / "s.rnnviz")
    gradients = s.gradients
    path = tmp_path / "steps.gif"
    job = window.exporter.export_animation(path, "steps", fps=5)
    assert job is not None and job.progress.maximum() == 6
    run(qtbot, job)
    assert job.ok and job.progress.value() == 6 and not job.progress.isVisible()
    count, size, durations = gif_frames(path)
    assert count == 6  # one frame after each of the 6 fed steps
    assert size == (window.width(), window.height())
    assert durations[0] == 200 and durations[-1] == HOLD_LAST_MS
    # The session is back where it was: steps, gradients (recomputed) and selection.
    assert (s.t, s.selected) == (6, 3)
    assert s.gradients is not None and s.gradients is not gradients
    # The replay feeds the steps in one forward pass (a matmul where stepping used mat-vecs):
    # the same numbers to the last bit or two.
    np.testing.assert_allclose(s.gradients.dL_dh, gradients.dL_dh, rtol=1e-12, atol=1e-15)
    assert not window.files.modified  # replaying the steps changed nothing to save


def test_backward_sweep_gif_of_one_panel(qtbot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "sweep.gif"
    run(qtbot, window.exporter.export_animation(path, "backward", target="Gradient heatmap"))
    count, size, durations = gif_frames(path)
    # Cursor at 6, 5, …, 1, then the finished sweep: 7 frames. The heatmap shows the same
    # picture at cursor 1 and when finished, and GIF encoders merge equal neighbours into
    # one longer frame; the total time still counts every frame.
    assert count in (6, 7)
    assert sum(durations) == 6 * 250 + HOLD_LAST_MS
    heatmap = window.gradient_heatmap
    assert size == (heatmap.width(), heatmap.height())
    with Image.open(path) as gif:
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(count - 1)
        last = np.asarray(gif.convert("RGB"))
    assert not np.array_equal(first, last)  # the gradient fills in as the sweep goes back
    assert window.session.sweep is None


def test_both_with_nothing_fed_plays_the_whole_sequence(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    window.session.set_config(sequence_length=8)
    window.session.reset()
    path = tmp_path / "both.gif"
    run(qtbot, window.exporter.export_animation(path, "both", fps=10))
    count, _, durations = gif_frames(path)
    assert count == 8 + 8 + 1  # steps 1…8, cursor 8…1, the finished sweep
    assert sum(durations) == 16 * 100 + HOLD_LAST_MS
    assert window.session.t == 0


def test_cancel_leaves_no_file_and_the_session_as_it_was(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    jobs = []
    append = AnimationWriter.append

    def append_then_cancel(writer: AnimationWriter, frame: np.ndarray) -> None:
        append(writer, frame)
        if writer.count == 2:
            jobs[0].progress.findChild(QPushButton).click()  # Cancel, during frame 2

    monkeypatch.setattr(AnimationWriter, "append", append_then_cancel)
    path = tmp_path / "cancelled.gif"
    jobs.append(window.exporter.export_animation(path, "steps"))
    run(qtbot, jobs[0])
    assert not jobs[0].ok and jobs[0].writer.count == 2
    assert list(tmp_path.glob("cancelled*")) == []
    assert window.session.t == 6 and window.session.gradients is not None


def test_animation_through_the_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:
    def answer() -> None:
        dialog = window.exporter.dialog
        assert isinstance(dialog, ExportDialog)
        dialog.what_box.setCurrentIndex(dialog.what_box.findData("backward"))
        dialog.fps_box.setValue(10)
        dialog.target_box.setCurrentText("Gradient plot")
        dialog.path_edit.setText(str(tmp_path / "dialog.gif"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    job = window.exporter.ask_animation()
    run(qtbot, job)
    count, _, durations = gif_frames(tmp_path / "dialog.gif")
    assert count in (6, 7)  # cursor 6…1 and the end: the plot may show those two alike
    assert durations[0] == 100 and sum(durations) == 6 * 100 + HOLD_LAST_MS


def test_mp4_needs_imageio_ffmpeg(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(export_module, "mp4_available", lambda: False)
    monkeypatch.setattr("rnnviz.views.window.snapshots.mp4_available", lambda: False)
    dialog = ExportDialog(True, tmp_path, window)
    qtbot.addWidget(dialog)
    mp4 = dialog.format_box.model().item(dialog.format_box.findText("MP4"))
    assert not mp4.isEnabled()
    assert "pip install imageio-ffmpeg" in mp4.toolTip()
    assert dialog.format_box.model().item(dialog.format_box.findText("GIF")).isEnabled()
    assert window.exporter.export_animation(tmp_path / "a.mp4") is None
    assert "imageio-ffmpeg" in (window.exporter.last_error or "")
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_reads_back(qtbot, window: MainWindow, tmp_path: Path) -> None:
    import re
    import subprocess

    import imageio_ffmpeg

    path = tmp_path / "steps.mp4"
    run(qtbot, window.exporter.export_animation(path, "steps", target="Graph"))
    # imageio's readers leave their ffmpeg pipes open; these two calls close theirs.
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == 6
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    size = re.search(r"h264.*?, (\d+)x(\d+)", probe.stderr)
    assert size is not None
    graph = window.graph
    # H.264 needs even sides: the frames are padded by at most one pixel.
    even = (graph.width() + graph.width() % 2, graph.height() + graph.height() % 2)
    assert (int(size[1]), int(size[2])) == even


def test_frames_of_long_sequences_are_sampled() -> None:
    assert positions(5) == [1, 2, 3, 4, 5]
    sampled = positions(5000)
    assert len(sampled) == MAX_FRAMES and sampled[0] == 1 and sampled[-1] == 5000
    assert sampled == sorted(set(sampled))


# ---- data --------------------------------------------------------------------------------
def test_data_to_csv_and_npz(window: MainWindow, tmp_path: Path) -> None:
    s = window.session
    assert window.exporter.export_data(tmp_path / "d.csv")
    with (tmp_path / "d.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert len(body) == s.t
    h1 = header.index("h_1")
    np.testing.assert_array_equal([float(r[h1]) for r in body], s.trace.h[:, 0])
    norm = header.index("dL_dh_norm")
    assert s.gradients is not None
    np.testing.assert_array_equal([float(r[norm]) for r in body], s.gradients.dL_dh_norm)
    assert window.exporter.export_data(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz") as npz:
        np.testing.assert_array_equal(npz["h"], s.trace.h)
        np.testing.assert_array_equal(npz["y"], s.trace.y)
        np.testing.assert_array_equal(npz["dL_dh"], s.gradients.dL_dh)
    assert not window.exporter.export_data(tmp_path / "d.xlsx")
    assert "must end in .csv or .npz" in (window.exporter.last_error or "")


def test_data_through_the_dialog(qtbot, window: MainWindow, tmp_path: Path) -> None:
    def answer() -> None:
        dialog = window.exporter.dialog
        assert isinstance(dialog, QDialog)
        dialog.selectNameFilter("NumPy arrays (*.npz)")
        dialog.selectFile(str(tmp_path / "numbers"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    assert window.exporter.ask_data()
    with np.load(tmp_path / "numbers.npz") as npz:
        np.testing.assert_array_equal(npz["h"], window.session.trace.h)
