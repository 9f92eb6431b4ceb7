"""What colour and thickness the graph's data gets: value strips and gradient magnitudes."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.views.look.appearance import colors
from rnnviz.views.look.palettes import LIGHT, Palette
from rnnviz.views.look.plot_style import diverging_colormap, symmetric_levels

EDGE_COLOR = LIGHT.EDGE  # the weights' arrows in the light theme (edge_color(): the theme's)
EDGE_WIDTH = 3.0  # px at scale 1
GRAD_MIN_WIDTH = 2.0  # the W_hh arrow into the step with the smallest ‖dL/dh_t‖ …
GRAD_MAX_WIDTH = 14.0  # … and into the one with the largest
MIN_DECADES = 2.0
BAD_COLOR = "#d62728"  # non-finite steps: dashed red
HOVER_GLOW = (244, 180, 0, 190)  # the shared weight under the mouse, at every step

_VALUE_LUT: np.ndarray = diverging_colormap().getLookupTable(nPts=256, alpha=True)  # (256, 4)
_GRADIENT_MAPS: dict[str, pg.ColorMap] = {}  # theme name → map


def edge_color() -> str:
    """The weights' arrows in the current theme."""
    return colors().EDGE


def _gradient_map(palette: Palette) -> pg.ColorMap:
    """A gradient that has faded away (pale lavender on light paper, dim on dark) through
    the theme's gradient purple to a large one (deep purple, or bright on dark paper)."""
    cmap = _GRADIENT_MAPS.get(palette.name)
    if cmap is None:
        stops = (palette.GRADIENT_FAINT, palette.GRADIENT, palette.GRADIENT_STRONG)
        rgb = [pg.mkColor(c).getRgb()[:3] for c in stops]
        cmap = _GRADIENT_MAPS[palette.name] = pg.ColorMap([0.0, 0.55, 1.0], rgb)
    return cmap


def value_level(values: np.ndarray, bounded: bool) -> float:
    """The |value| mapped to full colour: 1 for tanh/σ outputs, else a round ceiling."""
    return 1.0 if bounded else symmetric_levels(values)[1]


def strip_rgba(values: np.ndarray, level: float) -> np.ndarray:
    """(n, L) vectors → (L, n, 4) RGBA: one column of coloured cells per node, blue < 0 < red."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=level, neginf=-level)
    idx = np.clip(np.rint((v / level + 1.0) * 127.5), 0, 255).astype(np.intp)  # (n, L)
    return np.ascontiguousarray(_VALUE_LUT[idx.T])  # (L, n, 4)


def gradient_strength(norms: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """‖dL/dh_t‖ on a log scale mapped to [0, 1] over the valid steps; NaN where not valid.

    A log scale because the norms fade (or grow) geometrically along the chain: a linear one
    would show only the last few steps. The scale spans at least ``MIN_DECADES`` so that
    norms which hardly differ are not stretched into a fake fade.
    """
    ok = valid & np.isfinite(norms)  # (T,)
    logs = np.log10(np.maximum(np.where(ok, norms, 1.0), LOG_FLOOR))  # (T,)
    s = np.full(norms.shape, np.nan)  # (T,)
    if not ok.any():
        return s
    hi = float(logs[ok].max())
    lo = min(float(logs[ok].min()), hi - MIN_DECADES)
    s[ok] = (logs[ok] - lo) / (hi - lo)
    return s


def gradient_width(strength: float) -> float:
    return GRAD_MIN_WIDTH + (GRAD_MAX_WIDTH - GRAD_MIN_WIDTH) * strength


def gradient_colors(strength: np.ndarray) -> list[str]:
    """Hex colour of each gradient strength (0 faded … 1 the largest; NaN gets a placeholder)."""
    cmap = _gradient_map(colors())
    rgba = cmap.map(np.nan_to_num(strength), mode="byte")  # (n, 4)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b, _ in rgba]
