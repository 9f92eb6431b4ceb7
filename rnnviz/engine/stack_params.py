"""The parameters of a stacked, optionally bidirectional RNN/LSTM/GRU, as PyTorch lays them out.

``nn.RNN(I, H, num_layers=L, bidirectional=True)`` holds, for layer k and each direction,
``weight_ih_l{k}`` (G*H, I_k), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}``
(G*H,), the backward direction's with the suffix ``_reverse``. Layer 0 reads the inputs
(I_0 = I); layer k > 0 reads layer k−1's outputs, [forward; backward] of width D*H (I_k = D*H).
The readout (an ``nn.Linear``) reads the top layer's outputs; an optional ``nn.Embedding``
table (V, I) turns token t into the input row E[t].

The single-layer ``Params`` stay what the window and the lab use; a stack of one
unidirectional layer without embedding converts both ways (``from_single`` / ``single``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine import activations
from rnnviz.engine.init import init_params
from rnnviz.engine.params import DTYPES, GATES, Params

DIRECTIONS: tuple[str, ...] = ("forward", "backward")
# The state_dict name of a direction's arrays: weight_ih_l0 / weight_ih_l0_reverse.
_SUFFIX: tuple[str, ...] = ("", "_reverse")
_FIELDS: tuple[tuple[str, str], ...] = (
    ("W_ih", "weight_ih"),
    ("W_hh", "weight_hh"),
    ("b_ih", "bias_ih"),
    ("b_hh", "bias_hh"),
)
# Canonical names of the arrays outside the recurrent module (PyTorch's, prefix included).
READOUT_WEIGHT, READOUT_BIAS, EMBEDDING = "readout.weight", "readout.bias", "embedding.weight"
RNN_PREFIX = "rnn."


@dataclass(frozen=True, eq=False)
class Layer:
    """One direction of one layer: the recurrent arrays of a single-layer cell."""

    W_ih: np.ndarray  # (G*H, I_k)
    W_hh: np.ndarray  # (G*H, H)
    b_ih: np.ndarray  # (G*H,)
    b_hh: np.ndarray  # (G*H,)


def recurrent_key(field: str, layer: int, direction: int) -> str:
    """The state_dict key (without module prefix) of a Layer field: W_hh, 1, 1 →
    weight_hh_l1_reverse."""
    return f"{dict(_FIELDS)[field]}_l{layer}{_SUFFIX[direction]}"


@dataclass(frozen=True, eq=False)
class StackParams:
    """A stack of ``len(layers)`` layers, each with one or two directions, a readout and an
    optional embedding. Arrays are never modified in place."""

    cell: str
    activation: str
    layers: tuple[tuple[Layer, ...], ...]  # [layer][direction]
    W_hy: np.ndarray  # (O, D*H)
    b_y: np.ndarray  # (O,)
    embedding: np.ndarray | None = None  # (V, I)
    # nn.Embedding's padding_idx: that row's gradient is always zero.
    padding_idx: int | None = None

    def __post_init__(self) -> None:
        if self.cell not in GATES:
            raise ValueError(f"unknown cell {self.cell!r}; choose one of {', '.join(GATES)}")
        activations.check(self.activation)
        if self.cell != "vanilla" and self.activation != "tanh":
            raise ValueError(
                f"the {self.cell} cell has fixed nonlinearities; activation must be tanh"
            )
        if not self.layers or len({len(dirs) for dirs in self.layers}) != 1:
            raise ValueError("every layer needs the same number of directions (1 or 2)")
        D = len(self.layers[0])
        if D not in (1, 2):
            raise ValueError(f"a layer has 1 or 2 directions, not {D}")
        G, H = GATES[self.cell], self.layers[0][0].W_hh.shape[1]
        width = self.embedding.shape[1] if self.embedding is not None else None
        for k, dirs in enumerate(self.layers):
            for d, layer in enumerate(dirs):
                I = layer.W_ih.shape[1] if k == 0 else D * H
                if k == 0 and width is not None and width != I:
                    raise ValueError(
                        f"{recurrent_key('W_ih', k, d)} reads {I} inputs but the embedding "
                        f"has {width} columns"
                    )
                for field, shape in (
                    ("W_ih", (G * H, I)),
                    ("W_hh", (G * H, H)),
                    ("b_ih", (G * H,)),
                    ("b_hh", (G * H,)),
                ):
                    got = getattr(layer, field).shape
                    if got != shape:
                        raise ValueError(
                            f"{recurrent_key(field, k, d)} has shape {got}; expected {shape} "
                            f"for {self.cell} with hidden size {H}"
                        )
        if self.W_hy.ndim != 2 or self.W_hy.shape[1] != D * H:
            raise ValueError(f"the readout has shape {self.W_hy.shape}, expected (O, {D * H})")
        if self.b_y.shape != (self.W_hy.shape[0],):
            raise ValueError(f"the readout bias has shape {self.b_y.shape}")
        if self.padding_idx is not None and (
            self.embedding is None or not 0 <= self.padding_idx < self.embedding.shape[0]
        ):
            raise ValueError(f"padding_idx {self.padding_idx} is not a row of the embedding")

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def num_directions(self) -> int:
        return len(self.layers[0])

    @property
    def bidirectional(self) -> bool:
        return self.num_directions == 2

    @property
    def hidden_size(self) -> int:
        return int(self.layers[0][0].W_hh.shape[1])

    @property
    def input_size(self) -> int:
        """Width of the recurrent module's input rows (the embedding's width with one)."""
        return int(self.layers[0][0].W_ih.shape[1])

    @property
    def output_size(self) -> int:
        return int(self.W_hy.shape[0])

    @property
    def vocab_size(self) -> int | None:
        return None if self.embedding is None else int(self.embedding.shape[0])

    @property
    def n_gates(self) -> int:
        return GATES[self.cell]

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0][0].W_hh.dtype

    def layer_params(self, layer: int, direction: int) -> Params:
        """One direction of one layer as a single-layer network that reads nothing out
        (a readout of 0 outputs): what ``forward`` runs."""
        arrays = self.layers[layer][direction]
        H = self.hidden_size
        return Params(
            self.cell,
            self.activation,
            arrays.W_ih,
            arrays.W_hh,
            arrays.b_ih,
            arrays.b_hh,
            np.zeros((0, H), dtype=self.dtype),  # (0, H)
            np.zeros(0, dtype=self.dtype),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array under its canonical state_dict name (rnn.*, readout.*, embedding.*)."""
        out: dict[str, np.ndarray] = {}
        if self.embedding is not None:
            out[EMBEDDING] = self.embedding
        for k, dirs in enumerate(self.layers):
            for d, layer in enumerate(dirs):
                for field, _ in _FIELDS:
                    out[RNN_PREFIX + recurrent_key(field, k, d)] = getattr(layer, field)
        out[READOUT_WEIGHT], out[READOUT_BIAS] = self.W_hy, self.b_y
        return out

    def astype(self, dtype: str | np.dtype | type) -> StackParams:
        dt = np.dtype(DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
        return stack_from_arrays(
            self.cell,
            self.activation,
            {n: np.ascontiguousarray(a, dtype=dt) for n, a in self.arrays().items()},
            self.num_layers,
            self.num_directions,
            self.padding_idx,
        )

    def describe(self) -> str:
        """In words: '3-layer bidirectional LSTM, 32 units, embedding 50 × 8'."""
        depth = f"{self.num_layers}-layer " if self.num_layers > 1 else ""
        way = "bidirectional " if self.bidirectional else ""
        name = {"vanilla": f"{self.activation} RNN", "lstm": "LSTM", "gru": "GRU"}[self.cell]
        text = f"{depth}{way}{name}, {self.hidden_size} units"
        if self.embedding is not None:
            text += f", embedding {self.embedding.shape[0]} × {self.embedding.shape[1]}"
        return text

    @classmethod
    def from_single(cls, p: Params) -> StackParams:
        layer = Layer(p.W_ih, p.W_hh, p.b_ih, p.b_hh)
        return cls(p.cell, p.activation, ((layer,),), p.W_hy, p.b_y)

    def single(self) -> Params:
        """The same network as single-layer Params; ValueError when it is not one layer,
        one direction, without embedding."""
        if self.num_layers > 1 or self.bidirectional or self.embedding is not None:
            raise ValueError(f"a {self.describe()} is not a single-layer network")
        layer = self.layers[0][0]
        return Params(
            self.cell,
            self.activation,
            layer.W_ih,
            layer.W_hh,
            layer.b_ih,
            layer.b_hh,
            self.W_hy,
            self.b_y,
        )


def stack_from_arrays(
    cell: str,
    activation: str,
    arrays: dict[str, np.ndarray],
    num_layers: int,
    num_directions: int,
    padding_idx: int | None = None,
) -> StackParams:
    """The stack whose arrays ``arrays`` holds under the canonical names of ``arrays()``."""
    layers = tuple(
        tuple(
            Layer(
                **{field: arrays[RNN_PREFIX + recurrent_key(field, k, d)] for field, _ in _FIELDS}
            )
            for d in range(num_directions)
        )
        for k in range(num_layers)
    )
    return StackParams(
        cell,
        activation,
        layers,
        arrays[READOUT_WEIGHT],
        arrays[READOUT_BIAS],
        arrays.get(EMBEDDING),
        padding_idx,
    )


def init_stack(
    cell: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    rng: np.random.Generator,
    num_layers: int = 1,
    bidirectional: bool = False,
    vocab_size: int | None = None,
    **init: object,
) -> StackParams:
    """A fresh stack: each direction of each layer drawn by ``init_params`` (same schemes and
    options), in the order layer 0 forward, layer 0 backward, layer 1 …, then the readout
    U(−1/√(D*H), 1/√(D*H)) as ``nn.Linear``, then an N(0, 1) embedding as ``nn.Embedding``."""
    if num_layers < 1:
        raise ValueError("a stack needs at least one layer")
    D, H = (2 if bidirectional else 1), hidden_size
    layers = []
    for k in range(num_layers):
        dirs = []
        for _ in range(D):
            p = init_params(cell, input_size if k == 0 else D * H, H, 1, rng, **init)  # type: ignore[arg-type]
            dirs.append(Layer(p.W_ih, p.W_hh, p.b_ih, p.b_hh))
        layers.append(tuple(dirs))
    dt = layers[0][0].W_hh.dtype
    bound = 1 / np.sqrt(D * H)
    W_hy = rng.uniform(-bound, bound, (output_size, D * H)).astype(dt)  # (O, D*H)
    b_y = rng.uniform(-bound, bound, output_size).astype(dt)
    embedding = None
    if vocab_size is not None:
        embedding = rng.standard_normal((vocab_size, input_size)).astype(dt)  # (V, I)
    activation = str(init.get("activation", "tanh"))
    return StackParams(cell, activation, tuple(layers), W_hy, b_y, embedding)
