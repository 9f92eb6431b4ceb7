"""The names a view offers as choices, from the engine: views import them from here."""

from rnnviz.engine import ACTIVATIONS

__all__ = ["ACTIVATIONS"]
