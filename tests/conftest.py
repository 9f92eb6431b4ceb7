import os
import tempfile

# Qt must never need a display in tests; a developer can still set QT_QPA_PLATFORM to watch.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Windows read and write preferences, recent files and autosaves: never the user's own.
os.environ.setdefault("RNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="rnnviz-test-settings-"))
