"""Initialisers. Every draw goes through the ``np.random.Generator`` passed in, in a fixed order,
so the same seed always gives the same network."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.params import DTYPES, GATES, Params
from rnnviz.engine.spectral import rescale_to_radius

INITS: tuple[str, ...] = ("pytorch", "normal", "uniform", "orthogonal", "identity", "xavier")
INIT_HELP: dict[str, str] = {
    "pytorch": "PyTorch's default: every weight and bias U(−1/√H, 1/√H)",
    "normal": "W_hh ~ N(0, 1/H), rescaled to the target spectral radius (default 1)",
    "uniform": "W_hh ~ U(−1, 1), rescaled to the target spectral radius (default 1)",
    "orthogonal": "W_hh a random orthogonal matrix × gain (all |eigenvalues| = gain)",
    "identity": "IRNN (Le et al. 2015): W_hh = gain · I, zero biases, tiny input weights",
    "xavier": "Glorot uniform U(−a, a), a = gain·√(6/(fan_in + fan_out)), zero biases",
}


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
    if scheme == "orthogonal":
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
) -> Params:
    """A fresh network. ``spectral_radius`` rescales every gate's recurrent block to that ρ.

    ``gate_bias`` is added to the bias of the LSTM's forget gate or the GRU's update gate:
    1 to 2 keeps the gate open at the start, so the state (and its gradient) is carried
    across many steps (Gers et al., 2000; Jozefowicz et al., 2015). Vanilla cells ignore it.
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
    if cell != "vanilla":
        b_hh[H : 2 * H] += gate_bias  # row block 1 is f (LSTM: i, f, g, o) and z (GRU: r, z, n)
    p = Params(cell, activation, W_ih, W_hh, b_ih, b_hh, W_hy, b_y)
    return p.astype(DTYPES[dtype]) if dtype != "float64" else p
