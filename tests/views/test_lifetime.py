"""A handler on ``destroyed`` survives the garbage collector freeing its object's wrappers.

This was an intermittent crash of the view tests: a window's Python wrappers were freed by
the cycle collector before Qt deleted the window, the collector cleared the autosaver's
``destroyed`` partial, and Qt then called it. The scenario runs in a child process, so that
a regression is reported as a failed test, not as a dead test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCENARIO = textwrap.dedent(
    """
    import functools, gc
    from PyQt6 import sip
    from PyQt6.QtCore import QCoreApplication, QObject
    from rnnviz.views.lifetime import on_destroyed, pending

    app = QCoreApplication([])
    ran = []
    parent = QObject()
    child = QObject(parent)
    on_destroyed(child, functools.partial(ran.append, "child gone"))
    sip.transferto(parent, None)  # owned by C++, like a window that Qt deletes later
    address = sip.unwrapinstance(parent)
    parent.cycle = parent  # only the cycle collector frees these wrappers
    del child, parent
    assert gc.collect() > 0
    sip.delete(sip.wrapinstance(address, QObject))
    print(ran, pending())
    """
)


def test_a_destroyed_handler_runs_after_the_collector_freed_the_wrappers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[0] == "['child gone'] 0"
