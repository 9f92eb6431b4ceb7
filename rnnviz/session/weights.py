"""Importing a trained network from a weight file into the session (the File menu's Import)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rnnviz.engine import Params
from rnnviz.io.weights import WEIGHT_SUFFIXES, WeightFileError, load_weights
from rnnviz.session.encoding import InputError
from rnnviz.session.session import Session

__all__ = [
    "WEIGHT_SUFFIXES",
    "Params",
    "WeightImportError",
    "read_weights",
    "use_weights",
    "with_activation",
]


class WeightImportError(ValueError):
    """A weight file or network that cannot be used; the message says why."""


def read_weights(path: str | Path) -> Params:
    """The network in a weight file; WeightImportError naming the file and the problem."""
    try:
        return load_weights(path).params
    except WeightFileError as e:
        raise WeightImportError(str(e)) from None


def with_activation(session: Session, params: Params, activation: str | None = None) -> Params:
    """``params`` as the session will use them. A state_dict does not store a vanilla cell's
    nonlinearity: ``activation``, or else the current setting."""
    if params.cell == "vanilla":
        params = dataclasses.replace(params, activation=activation or session.config.activation)
    return params


def use_weights(session: Session, params: Params, activation: str | None = None) -> Params:
    """Give the session ``params`` (``with_activation``) and return them as used."""
    params = with_activation(session, params, activation)
    try:
        session.set_params(params)
    except (InputError, ValueError) as e:
        raise WeightImportError(str(e)) from None
    return params
