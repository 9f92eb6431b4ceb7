"""The choices a user has for the network, and the words that explain them: the names the
views offer (in menus and tooltips), as the engine defines them and the session checks them."""

from rnnviz.engine import ACTIVATIONS, INITS
from rnnviz.engine.init import INIT_HELP

__all__ = ["ACTIVATIONS", "INITS", "INIT_HELP"]
