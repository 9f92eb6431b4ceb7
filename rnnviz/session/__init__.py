"""The Qt-free session: the app's state, its verbs, and the change views listen to."""

from rnnviz.session.config import SessionConfig
from rnnviz.session.encoding import InputError
from rnnviz.session.session import Change, Session

__all__ = ["Change", "InputError", "Session", "SessionConfig"]
