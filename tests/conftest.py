import os
import tempfile

# Qt must never need a display in tests; a developer can still set QT_QPA_PLATFORM to watch.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As in the app (rnnviz/runtime.py): small matrices, two cores, so one BLAS thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Windows read and write preferences, recent files and autosaves: never the user's own.
os.environ.setdefault("RNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="rnnviz-test-settings-"))
