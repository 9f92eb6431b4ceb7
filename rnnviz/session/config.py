"""Everything the user can set, as one immutable value."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from rnnviz.engine import ACTIVATIONS, CELLS, INITS, LOSS_AT
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

    def __post_init__(self) -> None:
        _one_of("cell", self.cell, CELLS)
        _one_of("activation", self.activation, ACTIVATIONS)
        _one_of("encoding", self.encoding, ENCODINGS)
        _one_of("initialisation", self.init, INITS)
        _one_of("preset", self.preset, PRESETS)
        _one_of("loss at", self.loss_at, LOSS_AT)
        if self.cell != "vanilla" and self.activation != "tanh":
            raise ValueError(f"the {self.cell} cell always uses tanh and sigmoid gates")
        for name, low in (
            ("hidden_size", 1),
            ("input_size", 1),
            ("sequence_length", 1),
            ("target_lag", 0),
        ):
            if getattr(self, name) < low:
                raise ValueError(f"{name.replace('_', ' ')} must be at least {low}")
        if not -10 <= self.gate_bias <= 10:
            raise ValueError("the gate bias must lie between −10 and 10")
        if not 0 <= self.spectral_radius <= 10:
            raise ValueError("the spectral radius must lie between 0 and 10")
        if self.truncate is not None and self.truncate < 1:
            raise ValueError("the truncation window must be at least 1 step")
        if self.clip is not None and not self.clip > 0:
            raise ValueError("the clipping threshold must be positive")

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


def _one_of(label: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"unknown {label} {value!r}; choose one of {', '.join(options)}")
