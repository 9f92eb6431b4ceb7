"""In every theme an empty field's example (its placeholder) is drawn unlike typed input,
and in high contrast still at 7:1 or more."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtGui import QColor

from rnnviz.session import Session
from rnnviz.views.look.appearance import appearance
from rnnviz.views.look.palettes import DARK, HIGH_CONTRAST, LIGHT
from rnnviz.views.panels.input_panel import InputPanel
from rnnviz.views.window.snapshots import to_rgb


def luminance(rgb: np.ndarray) -> float:
    c = rgb / 255.0
    lin = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def text_ink(field) -> np.ndarray:
    """The colour of the field's letters: its pixel farthest from the field's paper."""
    image = to_rgb(field.grab().toImage()).astype(float)  # (H, W, 3)
    h, w, _ = image.shape
    inner = image[h // 4 : 3 * h // 4, 6 : w - 6].reshape(-1, 3)  # inside the frame
    paper = np.array(QColor(field.palette().color(field.backgroundRole())).getRgb()[:3])
    distance = np.abs(inner - paper).sum(axis=1)
    return inner[int(np.argmax(distance))]


@pytest.mark.usefixtures("kept_appearance")
@pytest.mark.parametrize("palette", [LIGHT, DARK, HIGH_CONTRAST], ids=["light", "dark", "hc"])
def test_a_placeholder_does_not_look_typed(qtbot, palette) -> None:
    appearance.set(palette=palette)
    panel = InputPanel(Session())
    qtbot.addWidget(panel)
    panel.resize(520, 640)
    panel.show()
    qtbot.waitExposed(panel)
    entry = panel.entry
    assert entry.placeholderText()
    example = text_ink(entry)
    qtbot.keyClicks(entry, "0.5, 1")
    typed = text_ink(entry)
    assert np.abs(example - typed).max() >= 60, (example, typed)
    paper = np.array(QColor(entry.palette().color(entry.backgroundRole())).getRgb()[:3])
    lighter, darker = sorted((luminance(example), luminance(paper)), reverse=True)
    ratio = (lighter + 0.05) / (darker + 0.05)
    assert ratio >= (7.0 if palette is HIGH_CONTRAST else 3.0)
