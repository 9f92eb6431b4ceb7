"""What the window shows, as a Qt-free model: lesson slides, session files and ``rnnviz
render`` set it; the main window and its panels follow it.

Each field has its own psygnal signal (``state.events.unrolled`` …), emitted only when the
value really changes, so a follower redraws once per change and never echoes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psygnal import evented

PAGES = ("network", "lab")
# The panels a lesson's slide may be about (lessons.PANELS less "all" and "lab").
FOCUSES = ("graph", "equations", "heatmap", "gradients")
# The fields a session file keeps (its view.json); the theme and presentation mode are the
# user's preferences for this screen, not part of the work.
SAVED_FIELDS = ("unrolled", "page", "lab_tab")


class WindowStateError(ValueError):
    """A value the window cannot show; the message says which and why."""


@evented
@dataclass
class WindowState:
    """``unrolled``: the graph unrolled through time (the app opens unrolled); ``page``: the
    network or the gradient lab; ``lab_tab``: the lab tab in front ("" leaves it);
    ``presenting``: presentation mode; ``theme``: the chosen theme's name ("light", "dark",
    "high-contrast" or "system"); ``controls_hidden``: the side panels hidden; ``focus``:
    the panel a lesson's slide is about (one of FOCUSES, "" for none), which the network
    page shows first when it has no room for every panel."""

    unrolled: bool = True
    page: str = "network"
    lab_tab: str = ""
    presenting: bool = False
    theme: str = "light"
    controls_hidden: bool = False
    focus: str = ""

    def show_lab(self, on: bool) -> None:
        self.page = "lab" if on else "network"

    def saved(self) -> dict[str, Any]:
        """The part a session file keeps."""
        return {name: getattr(self, name) for name in SAVED_FIELDS}

    def restore(self, saved: dict[str, Any]) -> None:
        """Show what a session file kept (checked first: all or nothing)."""
        checked = check_saved(saved)
        with self.events.paused():
            for name, value in checked.items():
                setattr(self, name, value)


def check_saved(saved: dict[str, Any]) -> dict[str, Any]:
    """The saved fields of ``saved`` (defaults for missing ones), each of the right type;
    WindowStateError for a value of the wrong type or an unknown page."""
    defaults = WindowState()
    out = {}
    for name in SAVED_FIELDS:
        default = getattr(defaults, name)
        value = saved.get(name, default)
        if type(value) is not type(default):
            raise WindowStateError(f'a bad "{name}" ({value!r})')
        out[name] = value
    if out["page"] not in PAGES:
        raise WindowStateError(f"an unknown page {out['page']!r}")
    return out
