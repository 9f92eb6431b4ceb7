"""Gated cells keep their promise at the app's defaults: the memory gate starts open, and the
compare keeps ≥ 10× more gradient over 40 steps in LSTM and GRU than in vanilla."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.init import chrono_biases
from rnnviz.session import Session, SessionConfig
from rnnviz.session.lab import Comparison, Lab

STEPS = 40


def kept(comp: Comparison) -> dict[str, float]:
    """‖dL/dh_1‖ / ‖dL/dh_T‖ per cell: the share of the gradient that survives T − 1 steps."""
    return {cell: c.dL_dh_norm[0] / c.dL_dh_norm[-1] for cell, c in comp.curves.items()}


def compare_over(steps: int, **settings: object) -> Comparison:
    """The lab's compare for the window's default network, loss on the last of ``steps``."""
    s = Session(SessionConfig(sequence_length=steps, loss_at="last", **settings))
    s.seek(steps)
    return Lab(s).compare()


def test_gated_cells_keep_ten_times_more_gradient_than_vanilla_at_the_defaults() -> None:
    # Measured: vanilla 2.7e-4, LSTM 7.2e-3 (27×), GRU 0.29 (1000×) at ρ = 0.9.
    r = kept(compare_over(STEPS))
    assert r["lstm"] >= 10 * r["vanilla"]
    assert r["gru"] >= 10 * r["vanilla"]


def test_a_closed_gate_keeps_less_gradient_than_vanilla() -> None:
    # Gate bias 0 (PyTorch's default): vanilla 2.7e-4, LSTM 4.1e-8, GRU 1.5e-6.
    r = kept(compare_over(STEPS, gate_bias=0.0))
    assert r["lstm"] < r["vanilla"] and r["gru"] < r["vanilla"]


@pytest.mark.parametrize(("bias", "low", "high"), [(3.0, 0.93, 0.97), (0.0, 0.45, 0.55)])
def test_the_memory_gates_open_as_the_tooltip_says(bias: float, low: float, high: float) -> None:
    # "+3: about 0.95 open"; "0: about half open" (mean over units and steps).
    comp = compare_over(STEPS, gate_bias=bias)
    for cell in ("lstm", "gru"):
        assert low <= comp.curves[cell].gate_mean.mean() <= high


def test_the_new_gated_cells_have_the_default_gate_bias_vanilla_ignores_it() -> None:
    for cell in ("lstm", "gru"):
        p = Session(SessionConfig(cell=cell)).params
        plain = init_params(cell, 1, 8, 1, np.random.default_rng(0), "orthogonal", gate_bias=0)
        np.testing.assert_allclose(p.b_hh[8:16] - plain.b_hh[8:16], 3.0)
        np.testing.assert_array_equal(p.b_hh[:8], plain.b_hh[:8])
    a = init_params("vanilla", 1, 8, 1, np.random.default_rng(0), gate_bias=3.0)
    b = init_params("vanilla", 1, 8, 1, np.random.default_rng(0), gate_bias=0.0)
    np.testing.assert_array_equal(a.b_hh, b.b_hh)


def test_chrono_sets_the_memory_and_input_gate_biases() -> None:
    H, t_max = 64, 40
    p = init_params("lstm", 2, H, 1, np.random.default_rng(1), "chrono", t_max=t_max)
    b = p.b_ih + p.b_hh  # (4H,) the gate's whole bias; i, f, g, o
    forget = b[H : 2 * H]
    np.testing.assert_array_equal(
        forget, chrono_biases(H, t_max, _after_weights("lstm", 2, H, 1, 1))
    )
    assert np.all((forget >= 0) & (forget <= np.log(t_max - 1)))
    np.testing.assert_allclose(b[:H], -forget)  # the input gate closes as f opens
    # Memories 1 + u, u ~ U(1, T_max − 1): from 2 to T_max steps.
    memory = 1 / (1 - 1 / (1 + np.exp(-forget)))
    assert memory.min() >= 2 and memory.max() <= t_max
    g = init_params("gru", 2, H, 1, np.random.default_rng(1), "chrono", t_max=t_max)
    z = (g.b_ih + g.b_hh)[H : 2 * H]
    assert np.all((z >= 0) & (z <= np.log(t_max - 1)))
    # The gate bias setting does not move chrono's biases.
    again = init_params(
        "gru", 2, H, 1, np.random.default_rng(1), "chrono", gate_bias=3, t_max=t_max
    )
    np.testing.assert_array_equal(again.b_hh, g.b_hh)


def _after_weights(cell: str, I: int, H: int, O: int, seed: int) -> np.random.Generator:
    """A generator that has made the draws chrono's biases come after."""
    rng = np.random.default_rng(seed)
    init_params(cell, I, H, O, rng, "orthogonal")
    return rng


def test_a_vanilla_cell_with_chrono_is_the_orthogonal_draw() -> None:
    a = init_params("vanilla", 1, 8, 1, np.random.default_rng(2), "chrono")
    b = init_params("vanilla", 1, 8, 1, np.random.default_rng(2), "orthogonal")
    for name, arr in a.arrays().items():
        np.testing.assert_array_equal(arr, b.arrays()[name])


def test_the_session_redraws_chrono_for_a_new_sequence_length() -> None:
    s = Session(SessionConfig(cell="lstm", init="chrono", sequence_length=20))
    before = s.params.b_hh.copy()
    s.set_config(sequence_length=200)
    assert np.log(199) >= s.params.b_hh[8:16].max() and not np.array_equal(s.params.b_hh, before)
    v = Session(SessionConfig(init="orthogonal", cell="lstm"))
    w = v.params
    v.set_config(sequence_length=50)  # other schemes keep their network
    assert v.params is w


def test_imported_weights_keep_their_own_biases() -> None:
    from rnnviz.session.weights import use_weights

    s = Session(SessionConfig(cell="lstm"))  # gate bias +3 for the app's own networks
    theirs = init_params("lstm", 1, 8, 1, np.random.default_rng(5), "pytorch")
    use_weights(s, theirs)
    np.testing.assert_array_equal(s.params.b_hh, theirs.b_hh)
    np.testing.assert_array_equal(s.params.b_ih, theirs.b_ih)
