"""An exported SVG is a vector picture: markers are paths, not bitmaps; text stays text and
keeps Qt's widths; a one-plot file is small; and an independent renderer (resvg, an optional
test dependency) draws it like the PNG export."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image

from rnnviz.session import Session
from rnnviz.views.plots.gradient_plot import NORM
from rnnviz.views.window.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
SVG = "{http://www.w3.org/2000/svg}"
MAX_PLOT_SVG_BYTES = 150_000


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
    w.session.seek(12)
    w.session.run_backward()
    return w


def export(window: MainWindow, tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"plot{suffix}"
    assert window.exporter.export_image(path, "Gradient plot")
    return path


def test_plot_svg_draws_markers_as_paths_and_is_small(window: MainWindow, tmp_path: Path) -> None:
    path = export(window, tmp_path, ".svg")
    assert path.stat().st_size < MAX_PLOT_SVG_BYTES
    root = ET.parse(path).getroot()
    assert not list(root.iter(f"{SVG}image"))  # no bitmap: not the markers, not the paper
    # The 12 markers of the total-gradient curve are among the paths, in its colour.
    total = window.gradient_plot.curves[NORM]
    colour = pg.mkBrush(total.opts["symbolBrush"]).color().name()
    filled = [e for e in root.iter(f"{SVG}g") if e.get("fill") == colour]
    assert sum(len(list(g.iter(f"{SVG}path"))) for g in filled) >= len(total.xData) == 12
    texts = [t for t in root.iter(f"{SVG}text") if (t.text or "").strip()]
    assert any("gradient size per step" in (t.text or "") for t in texts)
    # Every run keeps the width Qt laid it out in, whatever font the viewer has.
    assert all(float(t.get("textLength", 0)) > 0 for t in texts)


def gray(png: bytes | Path, size: tuple[int, int]) -> np.ndarray:
    source = io.BytesIO(png) if isinstance(png, bytes) else png
    with Image.open(source) as image:
        flat = image.convert("RGBA")
        paper = Image.new("RGBA", flat.size, "white")
        rgb = Image.alpha_composite(paper, flat).convert("L").resize(size, Image.Resampling.BOX)
    return np.asarray(rgb, dtype=float) / 255.0  # (H, W)


def test_an_independent_renderer_draws_the_svg_like_the_png(
    window: MainWindow, tmp_path: Path
) -> None:
    resvg = pytest.importorskip("resvg_py")
    svg, png = export(window, tmp_path, ".svg"), export(window, tmp_path, ".png")
    with Image.open(png) as image:
        width, height = image.size
    rendered = bytes(resvg.svg_to_bytes(svg_path=str(svg), width=width, height=height))
    # Compared in 8×8 px blocks: antialiasing and glyph hinting differ between renderers,
    # a missing curve, marker, label or a shifted panel does not.
    size = (width // 8, height // 8)
    a, b = gray(rendered, size), gray(png, size)
    diff = np.abs(a - b)  # (H/8, W/8)
    assert diff.mean() < 0.02
    assert np.quantile(diff, 0.99) < 0.2
    # Ink where the PNG has ink: text and markers are in the SVG, not dropped.
    ink = b < 0.8
    assert (a[ink] < 0.9).mean() > 0.95
