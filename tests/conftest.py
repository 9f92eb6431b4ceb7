import os
import tempfile
from pathlib import Path

from hypothesis import settings

# Qt must never need a display in tests; a developer can still set QT_QPA_PLATFORM to watch.
# Offscreen, Qt gets the classroom's screens (screens.json: 1024×768 … 1920×1080, 2560×1440
# at device-pixel ratio 2, and a large one) beside its usual 800×800 primary screen, which
# every other test keeps: tests/views/window/test_screen_fit.py opens windows on each.
SCREENS = Path(__file__).with_name("screens.json")
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREENS}"
# As in the app (rnnviz/runtime.py): small matrices, two cores, so one BLAS thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Windows read and write preferences, recent files and autosaves: never the user's own.
os.environ.setdefault("RNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="rnnviz-test-settings-"))

# CI runs a fixed set of generated examples, so that a red run can be reproduced exactly;
# a developer's runs keep exploring new ones (and replay their failures from .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
