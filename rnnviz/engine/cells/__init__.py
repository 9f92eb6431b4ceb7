"""Recurrent cells. Each module defines one cell with the same small interface (``Cell``)."""

from __future__ import annotations

from rnnviz.engine.cells.base import Cell
from rnnviz.engine.cells.gru import GRU
from rnnviz.engine.cells.lstm import LSTM
from rnnviz.engine.cells.vanilla import Vanilla

_CELLS: dict[str, Cell] = {"vanilla": Vanilla(), "lstm": LSTM(), "gru": GRU()}


def get_cell(name: str) -> Cell:
    try:
        return _CELLS[name]
    except KeyError:
        raise ValueError(f"unknown cell {name!r}; choose one of {', '.join(_CELLS)}") from None


__all__ = ["Cell", "get_cell"]
