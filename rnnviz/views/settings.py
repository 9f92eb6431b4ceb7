"""The user's saved settings (recent folders, …): one function, so every panel uses one store.

Tests and portable setups set ``RNNVIZ_SETTINGS_DIR``: settings then live in an INI file in
that folder instead of the user's real settings (registry, plist or ~/.config).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import QSettings

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
