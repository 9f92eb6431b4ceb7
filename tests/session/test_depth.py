"""The session holds a whole stack: depth, focus, the stack's trace and its dL/dh_t."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import forward
from rnnviz.engine.losses import loss_and_grad
from rnnviz.engine.progress import run_to_end
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.io.stack_weights import save_stack_weights
from rnnviz.session import Change, InputError, Session, SessionConfig
from rnnviz.session.document import Document
from rnnviz.session.lab import Lab
from rnnviz.session.lessons import ScenarioFileError, load_scenario
from rnnviz.session.player import ScenarioPlayer
from rnnviz.session.weights import read_weights, use_weights


def deep(**settings: object) -> Session:
    config = {"hidden_size": 4, "num_layers": 3, "sequence_length": 8, "seed": 2, **settings}
    return Session(SessionConfig(**config))  # type: ignore[arg-type]


def test_one_layer_is_a_stack_of_one() -> None:
    s = Session()
    assert s.depth == (1, 1) and s.focus == (0, 0)
    assert s.depth_grad_norm is None
    s.seek(6)
    for name, a in s.stack_params.single().arrays().items():
        np.testing.assert_array_equal(a, s.params.arrays()[name])
    np.testing.assert_array_equal(s.stack_trace.h(0), s.trace.h)
    np.testing.assert_array_equal(s.stack_trace.y, s.trace.y)
    s.run_backward()
    assert s.depth_grad_norm is not None and s.depth_grad_norm.shape == (1, 1, 6)
    np.testing.assert_array_equal(s.depth_grad_norm[0, 0], s.gradients.dL_dh_norm)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_trace_is_the_focused_layer_in_step_order(bidirectional: bool) -> None:
    s = deep(cell="lstm", bidirectional=bidirectional)
    s.seek(5)
    L, D = s.depth
    assert L == 3 and (2 if bidirectional else 1) == D and s.focus == (2, 0)
    whole = stack_forward(s.stack_params, s.sequence[:5])
    np.testing.assert_allclose(s.stack_trace.y, whole.y)
    for k in range(L):
        for d in range(D):
            s.set_focus(k, d)
            assert s.focus == (k, d)
            np.testing.assert_allclose(s.trace.h, whole.h(k, d))
            np.testing.assert_allclose(s.trace.c, whole.c(k, d))
            below = s.sequence[:5] if k == 0 else whole.outputs[k - 1]
            np.testing.assert_allclose(s.trace.x, below)
            np.testing.assert_allclose(s.trace.y, whole.y)
            assert s.params.input_size == below.shape[1]


def test_focus_is_one_verb_one_change_and_checked() -> None:
    s = deep(bidirectional=True)
    s.seek(4)
    s.run_backward()
    seen: list[Change] = []
    s.changed.connect(seen.append)
    s.set_focus(0, 1)
    assert len(seen) == 1 and seen[0] & Change.FOCUS and seen[0] & Change.GRADIENTS
    np.testing.assert_array_equal(s.gradients.dL_dh_norm, s.depth_grad_norm[0, 1])
    for bad in [(3, 0), (0, 2), (-1, 0), (True, 0)]:
        with pytest.raises(InputError):
            s.set_focus(*bad)
    assert s.focus == (0, 1) and len(seen) == 1
    s.set_focus(0, 1)
    assert len(seen) == 1  # nothing changed, nothing emitted
    s.set_config(cell="gru")  # a new network of the same depth keeps the focus
    assert s.focus == (0, 1)
    s.set_config(num_layers=2)  # a new depth shows its top layer
    assert s.depth == (2, 2) and s.focus == (1, 0)
    s.set_config(num_layers=1, bidirectional=False)
    assert s.depth == (1, 1) and s.focus == (0, 0)
    with pytest.raises(InputError):
        s.set_focus(0, 1)


def _loss_with_h_moved(
    p: StackParams, x: np.ndarray, targets: np.ndarray, layer: int, t: int, move: np.ndarray
) -> float:
    """The loss when h_t of ``layer`` (forward, unidirectional stack) is moved by ``move``:
    layer ``layer`` goes on from the moved state, and every layer above reads it."""
    below = x
    for k in range(p.num_layers):
        h = forward(p.layer_params(k, 0), below).h  # (T, H)
        if k == layer:
            moved = h[t - 1] + move  # (H,)
            rest = forward(p.layer_params(k, 0), below[t:], h0=moved).h  # (T-t, H)
            h = np.vstack([h[: t - 1], moved[None, :], rest])  # (T, H)
        below = h
    y = below @ p.W_hy.T + p.b_y  # (T, O)
    return float(loss_and_grad("mse", y, targets, "all")[0])


def test_depth_grad_norm_is_the_total_gradient_by_finite_differences() -> None:
    s = deep(spectral_radius=1.1, target_lag=1)
    s.seek(6)
    s.run_backward()
    p, x, targets = s.stack_params, s.sequence[:6], s.targets
    layer, t, eps = 0, 2, 1e-6
    H = p.hidden_size
    grad = np.array(
        [
            (
                _loss_with_h_moved(p, x, targets, layer, t, eps * e)
                - _loss_with_h_moved(p, x, targets, layer, t, -eps * e)
            )
            / (2 * eps)
            for e in np.eye(H)
        ]
    )  # (H,)
    norm = s.depth_grad_norm[layer, 0, t - 1]
    assert norm > 0
    np.testing.assert_allclose(norm, np.linalg.norm(grad), rtol=1e-6)
    # Through the layers above, not only along its own time: the top layer's own
    # recurrence alone would give a different number.
    s.set_focus(layer, 0)
    np.testing.assert_allclose(s.gradients.dL_dh_norm[t - 1], norm)


def test_a_bidirectional_stack_fed_step_by_step_is_the_stack_over_the_fed_steps() -> None:
    s = deep(bidirectional=True)
    first_backward_h1 = []
    for t in range(1, 6):
        s.step_forward()
        whole = stack_forward(s.stack_params, s.sequence[:t])
        np.testing.assert_allclose(s.stack_trace.h(0, 1), whole.h(0, 1))
        first_backward_h1.append(s.stack_trace.h(0, 1)[0].copy())
    # The backward direction at step 1 has seen steps t … 1: it changes as t grows.
    assert not np.allclose(first_backward_h1[0], first_backward_h1[-1])
    s.step_back()
    np.testing.assert_allclose(
        s.stack_trace.h(1, 1), stack_forward(s.stack_params, s.sequence[:4]).h(1, 1)
    )


def test_the_backward_pass_in_a_worker_equals_the_inline_one() -> None:
    s = deep(bidirectional=True, cell="gru")
    s.seek(5)
    s.set_focus(1, 1)
    assert s.set_backward(run_to_end(s.backward_steps()))
    worker = s.depth_grad_norm.copy()
    shown = s.gradients.dL_dh_norm.copy()
    s.run_backward()
    np.testing.assert_array_equal(worker, s.depth_grad_norm)
    np.testing.assert_array_equal(shown, s.depth_grad_norm[1, 1])


def test_set_params_holds_a_bidirectional_stack_with_its_embedding() -> None:
    rng = np.random.default_rng(0)
    p = init_stack("lstm", 3, 5, 2, rng, num_layers=2, bidirectional=True, vocab_size=7)
    tokens = np.array([1, 4, 4, 0, 6, 2])
    s = Session()
    s.set_params(p, tokens)
    assert s.depth == (2, 2) and s.focus == (1, 0)
    assert s.config.num_layers == 2 and s.config.bidirectional and s.config.cell == "lstm"
    np.testing.assert_array_equal(s.sequence, p.embedding[tokens])
    s.seek(6)
    expected = stack_forward(p, tokens)
    np.testing.assert_allclose(s.stack_trace.y, expected.y)
    np.testing.assert_allclose(s.trace.h, expected.h(1, 0))
    with pytest.raises(InputError):
        s.set_params(p, np.array([9]))  # not a row of the table
    assert s.depth == (2, 2)


def test_stacks_survive_a_session_file(tmp_path: Path) -> None:
    s = deep(cell="gru", bidirectional=True, spectral_radius=1.2)
    s.seek(5)
    s.select(3)
    path = tmp_path / "deep.rnnviz"
    Document(s).save_as(path)
    fresh = Session()
    document = Document(fresh)
    document.open(path)
    assert fresh.config == s.config and fresh.depth == (3, 2) and fresh.t == 5
    fresh.set_focus(0, 1)  # what the panels show is no part of the work
    assert not document.modified
    for name, a in s.stack_params.arrays().items():
        np.testing.assert_array_equal(fresh.stack_params.arrays()[name], a)
    np.testing.assert_array_equal(fresh.stack_trace.top, s.stack_trace.top)


def test_files_from_before_stacks_still_open(tmp_path: Path) -> None:
    s = Session()
    s.seek(3)
    path, old = tmp_path / "new.rnnviz", tmp_path / "old.rnnviz"
    Document(s).save_as(path)
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(old, "w") as out:
        for name in z.namelist():
            data = z.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                del manifest["config"]["num_layers"], manifest["config"]["bidirectional"]
                data = json.dumps(manifest).encode()
            out.writestr(name, data)
    fresh = deep(bidirectional=True)
    Document(fresh).open(old)
    assert fresh.depth == (1, 1) and fresh.t == 3
    np.testing.assert_array_equal(fresh.trace.h, s.trace.h)


@pytest.mark.parametrize(
    "settings",
    [
        {"num_layers": 0},
        {"num_layers": 5},
        {"num_layers": "2"},
        {"num_layers": 2.0},
        {"num_layers": True},
        {"bidirectional": 1},
        {"bidirectional": "yes"},
    ],
)
def test_depth_settings_are_checked(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SessionConfig().changed(**settings)


def test_depth_settings_are_network_settings() -> None:
    s = Session()
    before = s.params
    s.set_config(num_layers=4, bidirectional=True)
    assert s.depth == (4, 2) and s.params is not before
    assert s.config == SessionConfig().changed(num_layers=4, bidirectional=True)


def test_a_lesson_slide_sets_the_depth(tmp_path: Path) -> None:
    lesson = {
        "format": "rnnviz-scenario",
        "version": 1,
        "slides": [
            {"caption": "deep", "settings": {"num_layers": 3, "bidirectional": True}},
            {"caption": "bad", "settings": {"num_layers": 9}},
        ],
    }
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(lesson))
    with pytest.raises(ScenarioFileError, match="num layers is 9; the most rnnviz takes is 4"):
        load_scenario(path)
    lesson["slides"].pop()
    path.write_text(json.dumps(lesson))
    s = Session()
    ScenarioPlayer(s).open(load_scenario(path))
    assert s.depth == (3, 2) and s.focus == (2, 0)


def test_a_weight_file_of_a_bidirectional_stack_is_imported_whole(tmp_path: Path) -> None:
    p = init_stack("gru", 1, 3, 1, np.random.default_rng(8), num_layers=2, bidirectional=True)
    path = tmp_path / "deep.npz"
    save_stack_weights(path, p)
    s = Session()
    used = use_weights(s, read_weights(path))
    assert isinstance(used, StackParams) and s.depth == (2, 2)
    for name, a in p.arrays().items():
        np.testing.assert_array_equal(s.stack_params.arrays()[name], a)
    s.seek(5)
    np.testing.assert_allclose(s.trace.h, stack_forward(p, s.sequence[:5]).h(1, 0))


def test_the_last_steps_reach_follows_the_focus_with_theory_only_where_it_holds() -> None:
    s = deep(num_layers=2)
    s.seek(6)
    top = s.reach
    assert top is not None and top.bound is not None and top.rate is not None
    whole = stack_bptt(s.stack_trace, s.targets, loss_at="last")
    # The loss scores all 6 steps: the last step's term is 1/6 of the last step's loss.
    np.testing.assert_allclose(top.last, whole.layers[1][0].dL_dh_norm / 6, rtol=1e-12)
    s.set_focus(0, 0)
    below = s.reach
    assert below is not None and below.bound is None and below.rate is None
    np.testing.assert_allclose(below.last, whole.layers[0][0].dL_dh_norm / 6, rtol=1e-12)


def test_the_lab_compares_one_layer_cells_and_refuses_one_layer_maths_for_a_stack() -> None:
    s = deep(num_layers=2, bidirectional=True)
    s.seek(6)
    s.set_focus(1, 1)  # a layer whose inputs are 8 wide: the lab still reads the network's
    lab = Lab(s)
    comparison = lab.compare()
    assert set(comparison.curves) == {"vanilla", "lstm", "gru"}
    refusal = "this tab studies one layer, and the network is a 2-layer bidirectional vanilla"
    for ask in (lab.sweep_steps, lab.gradcheck_steps, lab.jacobian_map_steps):
        with pytest.raises(InputError, match=refusal):
            ask()
    with pytest.raises(InputError, match="set Layers to 1 and Bidirectional off"):
        lab.pair_singular_values(2, 4)


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_the_focused_spectra_are_the_focused_weights_eigenvalues_after_any_rho(cell: str) -> None:
    """ρ and σ_max of the focused layer are scaled from the drawn network's, not measured
    again on every change of ρ or focus: they must still be the shown weights' own."""
    from rnnviz.engine.spectral import gate_spectra

    s = deep(cell=cell, bidirectional=True, hidden_size=6)
    for rho in (0.5, 1.3, 0.97):
        s.set_config(spectral_radius=rho)
        L, D = s.depth
        for k in range(L):
            for d in range(D):
                s.set_focus(k, d)
                blocks = gate_spectra(s.params).values()
                assert s.spectra.rho == pytest.approx(rho, rel=1e-12)
                assert s.spectra.rho == pytest.approx(max(r for r, _ in blocks), rel=1e-9)
                assert s.spectra.sigma_max == pytest.approx(max(m for _, m in blocks), rel=1e-9)


def test_the_next_step_worked_out_ahead_changes_nothing_shown() -> None:
    """``prepare_next_step`` tells no view of any change, and the step it prepared shows
    what a session stepped there without it shows; at the end of the sequence it does
    nothing."""
    s = deep(bidirectional=True)
    s.seek(4)
    told: list[object] = []
    s.changed.connect(told.append)
    s.prepare_next_step()
    assert told == []
    s.step_forward()
    fresh = deep(bidirectional=True)
    fresh.seek(5)
    np.testing.assert_array_equal(s.stack_trace.y, fresh.stack_trace.y)
    np.testing.assert_array_equal(s.trace.h_all, fresh.trace.h_all)
    s.seek(s.sequence.shape[0])
    s.prepare_next_step()
    assert s.t == s.sequence.shape[0]
