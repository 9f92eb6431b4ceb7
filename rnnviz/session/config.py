"""Everything the user can set, as one immutable value."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, fields, replace

import numpy as np

from rnnviz.engine import ACTIVATIONS, CELLS, INITS, LOSS_AT
from rnnviz.engine.params import DTYPES, GATES
from rnnviz.io import limits
from rnnviz.session.encoding import ENCODINGS
from rnnviz.session.presets import PRESETS

DEFAULT_GATE_BIAS = 3.0

# Changing one of these draws a new network (the others keep the weights).
NETWORK_FIELDS: frozenset[str] = frozenset(
    {
        "cell",
        "activation",
        "hidden_size",
        "init",
        "seed",
        "encoding",
        "input_size",
        "dtype",
        "gate_bias",
        "num_layers",
        "bidirectional",
    }
)


@dataclass(frozen=True)
class SessionConfig:
    cell: str = "vanilla"
    activation: str = "tanh"
    hidden_size: int = 8
    encoding: str = "scalar"  # scalar | vector | text
    input_size: int = 1  # vector width; scalar is 1, text is the vocabulary size
    init: str = "orthogonal"
    spectral_radius: float = 0.9  # W_hh is rescaled to this ρ (every gate block)
    # Added to the LSTM forget / GRU update gate's bias: > 0 opens the memory at the start.
    # +3 (σ(3) ≈ 0.95) so that at these defaults LSTM and GRU keep ≥ 10× more gradient over
    # 40 steps than vanilla (tests/lab/test_gate_defaults.py); 0 closes the gate halfway,
    # PyTorch's default, and then they keep less than vanilla. Vanilla ignores it.
    gate_bias: float = DEFAULT_GATE_BIAS
    seed: int = 0
    sequence_length: int = 20  # for numeric presets
    preset: str = "sine"
    loss_at: str = "all"  # all | last
    target_lag: int = 0  # y_t should reproduce x_{t-lag}: lag > 0 asks for memory
    truncate: int | None = None
    clip: float | None = None
    dtype: str = "float64"
    num_layers: int = 1  # stacked layers: layer k+1 reads layer k's h_t
    bidirectional: bool = False  # every layer also runs backward over the steps

    def __post_init__(self) -> None:
        # NumPy's scalars are numbers too; held as Python's, so that files can write them.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.integer | np.floating | np.bool_):
                object.__setattr__(self, f.name, value.item())
        _one_of("cell", self.cell, CELLS)
        _one_of("activation", self.activation, ACTIVATIONS)
        _one_of("encoding", self.encoding, ENCODINGS)
        _one_of("initialisation", self.init, INITS)
        _one_of("preset", self.preset, PRESETS)
        _one_of("loss at", self.loss_at, LOSS_AT)
        _one_of("dtype", self.dtype, DTYPES)
        if self.cell != "vanilla" and self.activation != "tanh":
            raise ValueError(f"the {self.cell} cell always uses tanh and sigmoid gates")
        # Whole numbers, each within its documented limit (rnnviz.io.limits).
        for name, low, high in (
            ("hidden_size", 1, limits.MAX_HIDDEN),
            ("input_size", 1, max(limits.MAX_INPUT, limits.MAX_VOCAB)),
            ("seed", 0, limits.MAX_SEED),
            ("sequence_length", 1, limits.MAX_STEPS),
            ("target_lag", 0, limits.MAX_STEPS),
            ("num_layers", 1, limits.MAX_LAYERS),
        ):
            _whole_in(name, getattr(self, name), low, high)
        if not isinstance(self.bidirectional, bool):
            kind = _kind(self.bidirectional)
            raise ValueError(f"bidirectional must be true or false, not {kind}")
        if self.truncate is not None:
            _whole_in("truncate", self.truncate, 1, limits.MAX_STEPS, "the truncation window")
        _real_in("gate_bias", self.gate_bias, -10, 10, "the gate bias")
        _real_in("spectral_radius", self.spectral_radius, 0, 10, "the spectral radius")
        if self.clip is not None:
            _real_in("clip", self.clip, 0, limits.MAX_CLIP, "the clipping threshold")
            if not self.clip > 0:
                raise ValueError("the clipping threshold must be positive")
        # The widest per-step array: a layer's gates, the inputs, or a bidirectional
        # layer's [forward; backward] outputs.
        D = 2 if self.bidirectional else 1
        per_step = max(GATES[self.cell] * self.hidden_size, self.input_size, D * self.hidden_size)
        try:
            limits.check_steps(self.sequence_length, per_step, "the sequence length")
        except limits.LimitError as e:
            raise ValueError(str(e)) from None

    @property
    def loss(self) -> str:
        """Text is classified (cross-entropy over the vocabulary); numbers are regressed."""
        return "xent" if self.encoding == "text" else "mse"

    @property
    def t_max(self) -> int:
        """The longest memory the chrono initialisation plans for: the sequence length."""
        return max(self.sequence_length, 3)

    def changed(self, **changes: object) -> SessionConfig:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)


def draws_new_network(old: SessionConfig, new: SessionConfig) -> bool:
    """Whether going from ``old`` to ``new`` needs a new network (the same seed's draw)."""
    if any(getattr(old, f) != getattr(new, f) for f in NETWORK_FIELDS):
        return True
    # Chrono's gate biases are drawn for the sequence length.
    return new.init == "chrono" and new.cell != "vanilla" and old.t_max != new.t_max


def _one_of(label: str, value: str, options: Collection[str]) -> None:
    if not isinstance(value, str) or value not in options:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise ValueError(f"unknown {label} {shown}; choose one of {', '.join(options)}")


def _whole_in(name: str, value: object, low: int, high: int, label: str = "") -> None:
    """An integer (not a float, a text or a bool) in low..high."""
    label = label or name.replace("_", " ")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{label} must be a whole number, not {_kind(value)}")
    if value < low:
        raise ValueError(f"{label} must be at least {low}")
    if value > high:
        raise ValueError(f"{label} is {value:,}; the most rnnviz takes is {high:,}")


def _real_in(name: str, value: object, low: float, high: float, label: str) -> None:
    """A finite real number (int or float, not a text or a bool) in low..high."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{label} must be a number, not {_kind(value)}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{label} must lie between {low:g} and {high:g} (got {value:g})")


def _kind(value: object) -> str:
    """What a wrong value is, in a message: '"8" (a text)'."""
    kinds = {
        str: "a text",
        float: "a fraction",
        bool: "true/false",
        list: "a list",
        dict: "an object",
        type(None): "empty",
    }
    shown = repr(value) if len(repr(value)) <= 20 else repr(value)[:19] + "…"
    return f"{shown} ({kinds.get(type(value), type(value).__name__)})"
