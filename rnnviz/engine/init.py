"""Initialisers. Every draw goes through the ``np.random.Generator`` passed in, in a fixed order,
so the same seed always gives the same network."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.params import DTYPES, GATES, Params
from rnnviz.engine.spectral import rescale_to_radius

INITS: tuple[str, ...] = (
    "pytorch",
    "normal",
    "uniform",
    "orthogonal",
    "identity",
    "xavier",
    "chrono",
)
INIT_HELP: dict[str, str] = {
    "pytorch": "PyTorch's default: every weight and bias U(−1/√H, 1/√H)",
    "normal": "W_hh ~ N(0, 1/H), rescaled to the target spectral radius (default 1)",
    "uniform": "W_hh ~ U(−1, 1), rescaled to the target spectral radius (default 1)",
    "orthogonal": "W_hh a random orthogonal matrix × gain (all |eigenvalues| = gain)",
    "identity": "IRNN (Le et al. 2015): W_hh = gain · I, zero biases, tiny input weights",
    "xavier": "Glorot uniform U(−a, a), a = gain·√(6/(fan_in + fan_out)), zero biases",
    "chrono": "chrono (Tallec & Ollivier, 2018): as orthogonal, and the memory gate's bias "
    "log U(1, T_max − 1) per unit (T_max: the sequence length), the input gate's its negative "
    "(LSTM), so the units remember over 1 to T_max steps; vanilla cells have no gate to set",
}
# Row block of the gate whose bias opens the memory (LSTM: i, f, g, o; GRU: r, z, n), and the
# block of the LSTM's input gate, which chrono closes as far as the forget gate is opened.
MEMORY_GATE_BLOCK = 1
INPUT_GATE_BLOCK = 0


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal (n, n) matrix (QR of a Gaussian with the sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))  # (n, n)


def _recurrent_block(
    scheme: str, H: int, rng: np.random.Generator, gain: float
) -> tuple[np.ndarray, float | None]:
    """One (H, H) recurrent block and the spectral radius it should be rescaled to by default."""
    if scheme == "pytorch":
        return rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), (H, H)), None
    if scheme == "normal":
        return rng.standard_normal((H, H)) / np.sqrt(H), 1.0
    if scheme == "uniform":
        return rng.uniform(-1.0, 1.0, (H, H)), 1.0
    if scheme in ("orthogonal", "chrono"):
        return gain * orthogonal(H, rng), None
    if scheme == "identity":
        return gain * np.eye(H), None
    a = gain * np.sqrt(6.0 / (H + H))
    return rng.uniform(-a, a, (H, H)), None


def init_params(
    cell: str,
    input_size: int,
    hidden_size: int,
    output_size: int,
    rng: np.random.Generator,
    scheme: str = "pytorch",
    spectral_radius: float | None = None,
    gain: float = 1.0,
    activation: str = "tanh",
    dtype: str = "float64",
    gate_bias: float = 0.0,
    t_max: int = 20,
) -> Params:
    """A fresh network. ``spectral_radius`` rescales every gate's recurrent block to that ρ.

    ``gate_bias`` is added to the bias of the LSTM's forget gate or the GRU's update gate
    (the gate that keeps the memory: GRU's h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}). A positive bias
    keeps it open at the start, so the state (and its gradient) is carried across many steps
    (Gers et al., 2000; Jozefowicz et al., 2015). The 0 default is PyTorch's own
    initialisation. The chrono scheme sets these biases itself from ``t_max`` and ignores
    ``gate_bias``. Vanilla cells have neither.
    """
    if scheme not in INITS:
        raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(INITS)}")
    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}")
    for name, n in (("input", input_size), ("hidden", hidden_size), ("output", output_size)):
        if n < 1:
            raise ValueError(f"the {name} size must be at least 1")
    G, H, I, O = GATES[cell], hidden_size, input_size, output_size
    k = 1 / np.sqrt(H)
    blocks = []
    for _ in range(G):
        block, default_rho = _recurrent_block(scheme, H, rng, gain)
        target = spectral_radius if spectral_radius is not None else default_rho
        blocks.append(block if target is None else rescale_to_radius(block, target))
    W_hh = np.vstack(blocks)  # (G*H, H)
    if scheme == "xavier":
        a_in, a_out = gain * np.sqrt(6 / (I + H)), gain * np.sqrt(6 / (H + O))
        W_ih = rng.uniform(-a_in, a_in, (G * H, I))  # (G*H, I)
        W_hy = rng.uniform(-a_out, a_out, (O, H))  # (O, H)
        b_ih, b_hh, b_y = np.zeros(G * H), np.zeros(G * H), np.zeros(O)
    elif scheme == "identity":
        W_ih = rng.normal(0.0, 1e-3, (G * H, I))  # (G*H, I) Le et al.: σ = 0.001
        W_hy = rng.uniform(-k, k, (O, H))  # (O, H)
        b_ih, b_hh, b_y = np.zeros(G * H), np.zeros(G * H), np.zeros(O)
    else:
        W_ih = rng.uniform(-k, k, (G * H, I))  # (G*H, I)
        b_ih = rng.uniform(-k, k, G * H)
        b_hh = rng.uniform(-k, k, G * H)
        W_hy = rng.uniform(-k, k, (O, H))  # (O, H) nn.Linear(H, O): bound 1/√fan_in
        b_y = rng.uniform(-k, k, O)
    memory = slice(MEMORY_GATE_BLOCK * H, (MEMORY_GATE_BLOCK + 1) * H)
    if cell != "vanilla" and scheme == "chrono":
        b_memory = chrono_biases(H, t_max, rng)  # (H,)
        # The whole gate bias is b_ih + b_hh: chrono sets it, so b_ih's share is zeroed.
        b_ih[memory], b_hh[memory] = 0.0, b_memory
        if cell == "lstm":
            inputs = slice(INPUT_GATE_BLOCK * H, (INPUT_GATE_BLOCK + 1) * H)
            b_ih[inputs], b_hh[inputs] = 0.0, -b_memory
    elif cell != "vanilla":
        b_hh[memory] += gate_bias
    p = Params(cell, activation, W_ih, W_hh, b_ih, b_hh, W_hy, b_y)
    return p.astype(DTYPES[dtype]) if dtype != "float64" else p


def chrono_biases(H: int, t_max: int, rng: np.random.Generator) -> np.ndarray:
    """Chrono initialisation (Tallec & Ollivier, 2018): b = log(u), u ~ U(1, T_max − 1).

    A gate σ(b) = u/(1 + u) keeps a fraction 1 − 1/(1 + u) per step, a memory of about
    1 + u steps: the units' memories spread over 2 to T_max steps.
    """
    if t_max < 3:
        raise ValueError("chrono initialisation needs T_max of at least 3 steps")
    return np.log(rng.uniform(1.0, t_max - 1.0, H))  # (H,)
