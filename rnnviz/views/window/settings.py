"""The user's saved settings (recent folders, …): one function, so every panel uses one store.

Tests and portable setups set ``RNNVIZ_SETTINGS_DIR``: settings then live in an INI file in
that folder instead of the user's real settings (registry, plist or ~/.config).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import QSettings, QStandardPaths

ORGANISATION = "rnnviz"
APPLICATION = "rnnviz"
ENV_DIR = "RNNVIZ_SETTINGS_DIR"


def app_settings() -> QSettings:
    """The settings store; a new object each call (QSettings objects are cheap and share
    their data within the process)."""
    folder = os.environ.get(ENV_DIR)
    if folder:
        path = Path(folder) / f"{APPLICATION}.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


THEME_KEY = "appearance/theme"
FOLDER_KEY = "folders/{kind}"  # kind: sessions, weights, export
RECENT_KEY = "files/recent"
MAX_RECENT = 8


def data_folder() -> Path:
    """Where rnnviz keeps its own files: ``$RNNVIZ_SETTINGS_DIR``, else the user's data
    folder (e.g. ~/.local/share/rnnviz)."""
    folder = os.environ.get(ENV_DIR)
    if folder:
        return Path(folder)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "rnnviz"


def preferred_theme() -> str | None:
    value = app_settings().value(THEME_KEY)
    return value if isinstance(value, str) and value else None


def set_preferred_theme(name: str) -> None:
    app_settings().setValue(THEME_KEY, name)


def last_folder(kind: str) -> str:
    value = app_settings().value(FOLDER_KEY.format(kind=kind))
    return value if isinstance(value, str) and Path(value).is_dir() else str(Path.home())


def remember_folder(kind: str, folder: Path) -> None:
    app_settings().setValue(FOLDER_KEY.format(kind=kind), str(folder))


def recent_files() -> list[str]:
    value = app_settings().value(RECENT_KEY, [])
    # An INI file gives back a one-item list as a plain string.
    items = [value] if isinstance(value, str) else list(value or [])
    return [str(v) for v in items if v][:MAX_RECENT]


def set_recent_files(paths: list[str]) -> None:
    app_settings().setValue(RECENT_KEY, paths[:MAX_RECENT])
