"""What the window imports before its first paint: not superqt (nor qtpy under it), whose
import rebuilds every Qt enum, about a third of a second of the launch."""

from __future__ import annotations

import subprocess
import sys


def test_the_window_module_does_not_import_superqt() -> None:
    code = (
        "import sys\n"
        "import rnnviz.views.window.main_window\n"
        "print(sorted(m for m in ('superqt', 'qtpy') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
