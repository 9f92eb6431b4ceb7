"""The Qt-free session: the app's state, its verbs, and the events views listen to."""

from rnnviz.session.config import SessionConfig
from rnnviz.session.encoding import InputError
from rnnviz.session.session import Session

__all__ = ["InputError", "Session", "SessionConfig"]
