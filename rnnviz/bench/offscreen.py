"""The application the window benchmarks run in, without the offscreen platform's notices."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyQt6.QtCore import QMessageLogContext, QtMsgType
    from PyQt6.QtWidgets import QApplication

# Said for every window shown offscreen (it cannot resize native windows): not a finding.
_NOTICE = "This plugin does not support propagateSizeHints"


def _drop_notice(kind: QtMsgType, context: QMessageLogContext, message: str | None) -> None:
    if message and not message.startswith(_NOTICE):
        print(message, file=sys.stderr)


def bench_app() -> QApplication:
    """The QApplication. One made here looks like the app and drops the offscreen notices
    (Qt's other messages still print); one that exists already (a test's) keeps its own
    look and message handling."""
    from PyQt6.QtCore import qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    from rnnviz.views.look import theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(["rnnviz-bench"])
        theme.apply(app)
        qInstallMessageHandler(_drop_notice)
    assert isinstance(app, QApplication)
    return app
