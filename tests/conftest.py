import os
import tempfile

from hypothesis import settings

# Qt must never need a display in tests; a developer can still set QT_QPA_PLATFORM to watch.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As in the app (rnnviz/runtime.py): small matrices, two cores, so one BLAS thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Windows read and write preferences, recent files and autosaves: never the user's own.
os.environ.setdefault("RNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="rnnviz-test-settings-"))

# CI runs a fixed set of generated examples, so that a red run can be reproduced exactly;
# a developer's runs keep exploring new ones (and replay their failures from .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
