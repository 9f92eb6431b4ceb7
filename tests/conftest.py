import os

# Qt must never need a display in tests; a developer can still set QT_QPA_PLATFORM to watch.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
