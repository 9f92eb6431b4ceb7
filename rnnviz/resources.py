"""Where the shipped files (icons, pictures) live: one function, so nothing guesses paths."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# An installed wheel ships assets/ as the package rnnviz.assets (rnnviz/assets/); a source
# checkout (and an editable install) keeps them in the top-level assets/ folder.
_SEARCH: tuple[Path, ...] = (_PACKAGE / "assets", _PACKAGE.parent / "assets")


def asset_path(name: str) -> Path:
    """The path of the shipped file or folder ``name`` (e.g. ``"icons/play.svg"``)."""
    for folder in _SEARCH:
        path = folder / name
        if path.exists():
            return path
    searched = ", ".join(str(folder) for folder in _SEARCH)
    raise FileNotFoundError(f"asset {name!r} not found in {searched}")
