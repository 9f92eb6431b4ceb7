"""The parameters of a single-layer RNN with a linear readout, under PyTorch's layout.

Weights follow ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (gate blocks stacked along the rows:
LSTM i, f, g, o; GRU r, z, n) and the readout follows ``nn.Linear``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnnviz.engine import activations

CELLS: tuple[str, ...] = ("vanilla", "lstm", "gru")
GATES: dict[str, int] = {"vanilla": 1, "lstm": 4, "gru": 3}
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "vanilla": ("h",),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
}
# The names of the arrays in a PyTorch state_dict, in the order of Params' fields.
RECURRENT_KEYS: tuple[str, ...] = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
READOUT_KEYS: tuple[str, ...] = ("weight", "bias")
DTYPES: dict[str, type[np.floating]] = {"float64": np.float64, "float32": np.float32}


@dataclass(frozen=True, eq=False)
class Params:
    """One network. Arrays are never modified in place; use ``replace`` to derive another."""

    cell: str
    activation: str
    W_ih: np.ndarray  # (G*H, I)
    W_hh: np.ndarray  # (G*H, H)
    b_ih: np.ndarray  # (G*H,)
    b_hh: np.ndarray  # (G*H,)
    W_hy: np.ndarray  # (O, H)
    b_y: np.ndarray  # (O,)

    def __post_init__(self) -> None:
        if self.cell not in GATES:
            raise ValueError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        activations.check(self.activation)
        if self.cell != "vanilla" and self.activation != "tanh":
            raise ValueError(
                f"the {self.cell} cell has fixed nonlinearities; activation must be tanh"
            )
        G, H = GATES[self.cell], self.W_hh.shape[1]
        I, O = self.W_ih.shape[1], self.W_hy.shape[0]
        expected = {
            "W_ih": (G * H, I),
            "W_hh": (G * H, H),
            "b_ih": (G * H,),
            "b_hh": (G * H,),
            "W_hy": (O, H),
            "b_y": (O,),
        }
        for name, shape in expected.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"{name} has shape {got}, expected {shape} for a {self.cell} cell")

    @property
    def hidden_size(self) -> int:
        return int(self.W_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.W_ih.shape[1])

    @property
    def output_size(self) -> int:
        return int(self.W_hy.shape[0])

    @property
    def n_gates(self) -> int:
        return GATES[self.cell]

    @property
    def dtype(self) -> np.dtype:
        return self.W_hh.dtype

    def arrays(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, n) for n in ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")}

    def astype(self, dtype: str | np.dtype | type) -> Params:
        dt = np.dtype(DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
        arrays = {n: np.ascontiguousarray(a, dtype=dt) for n, a in self.arrays().items()}
        return replace(self, **arrays)

    def with_arrays(self, **arrays: np.ndarray) -> Params:
        return replace(self, **arrays)

    def recurrent_block(self, gate: int) -> np.ndarray:
        """The (H, H) block of W_hh that feeds gate number ``gate``."""
        H = self.hidden_size
        return self.W_hh[gate * H : (gate + 1) * H]  # (H, H)
