"""Files in and out: weight files, sequence files and the JSON analysis report.

NumPy and the engine's types only; never Qt. torch and safetensors are optional and are
imported only when a file of their format is read or written.
"""

from rnnviz.io.json_report import build_report, dumps_strict, finite_or_none, write_report
from rnnviz.io.sequences import SEQUENCE_SUFFIXES, SequenceFileError, load_sequence
from rnnviz.io.weights import (
    WEIGHT_SUFFIXES,
    LoadedWeights,
    WeightFileError,
    default_names,
    from_state_dict,
    load_weights,
    save_weights,
    to_state_dict,
)

__all__ = [
    "SEQUENCE_SUFFIXES",
    "WEIGHT_SUFFIXES",
    "LoadedWeights",
    "SequenceFileError",
    "WeightFileError",
    "build_report",
    "default_names",
    "dumps_strict",
    "finite_or_none",
    "from_state_dict",
    "load_sequence",
    "load_weights",
    "save_weights",
    "to_state_dict",
    "write_report",
]
