"""The layering rule of DESIGN.md: the engine and io layers never pull in Qt or pyqtgraph."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PyQt6", "pyqtgraph")


def loaded_modules(module: str) -> list[str]:
    """sys.modules after importing ``module`` in a fresh interpreter."""
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize("module", ["rnnviz.engine", "rnnviz.io"])
def test_layer_does_not_import_qt(module: str) -> None:
    # rnnviz.io is being written in parallel; the rule applies as soon as it exists.
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} does not exist yet")
    leaked = [m for m in loaded_modules(module) if m.split(".")[0] in FORBIDDEN]
    assert not leaked, f"importing {module} loads {sorted(leaked)}"
