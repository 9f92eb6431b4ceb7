"""Importing a trained network from a weight file into the session (the File menu's Import)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rnnviz.engine import Params
from rnnviz.engine.stack_params import StackParams
from rnnviz.io.stack_weights import load_stack_weights
from rnnviz.io.weights import WEIGHT_SUFFIXES, WeightFileError, load_weights
from rnnviz.session.encoding import InputError
from rnnviz.session.session import Session

__all__ = [
    "WEIGHT_SUFFIXES",
    "WeightImportError",
    "Weights",
    "read_weights",
    "use_weights",
    "with_activation",
]

Weights = Params | StackParams  # a network as a weight file holds it: one layer, or a stack


class WeightImportError(ValueError):
    """A weight file or network that cannot be used; the message says why."""


def read_weights(path: str | Path) -> Params | StackParams:
    """The network in a weight file, a stack of layers and directions too; WeightImportError
    naming the file and the problem (the one-layer reader's, when neither reads it)."""
    try:
        return load_weights(path).params
    except WeightFileError as e:
        try:
            return load_stack_weights(path).params
        except WeightFileError:
            raise WeightImportError(str(e)) from None


def with_activation(
    session: Session, params: Params | StackParams, activation: str | None = None
) -> Params | StackParams:
    """``params`` as the session will use them. A state_dict does not store a vanilla cell's
    nonlinearity: ``activation``, or else the current setting."""
    if params.cell == "vanilla":
        params = dataclasses.replace(params, activation=activation or session.config.activation)
    return params


def use_weights(
    session: Session, params: Params | StackParams, activation: str | None = None
) -> Params | StackParams:
    """Give the session ``params`` (``with_activation``) and return them as used."""
    params = with_activation(session, params, activation)
    try:
        session.set_params(params)
    except (InputError, ValueError) as e:
        raise WeightImportError(str(e)) from None
    return params
