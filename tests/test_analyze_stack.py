"""``rnnviz analyze`` on stacks: per-layer and per-direction arrays equal the engine's, token
inputs through an embedding, initialised stacks, every field documented in --help."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnviz.cli import main
from rnnviz.commands.analyze import DESCRIPTION
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import init_stack
from rnnviz.io.stack_weights import save_stack_weights

NAMES = {"embedding.weight": "emb.weight", "readout.weight": "fc.weight", "readout.bias": "fc.bias"}


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    try:
        code = main(["analyze", *map(str, argv)])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


@pytest.fixture
def stack_files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(20)
    p = init_stack("lstm", 3, 4, 2, rng, num_layers=2, bidirectional=True, vocab_size=6)
    names = {n: NAMES.get(n, n.replace("rnn.", "encoder.")) for n in p.arrays()}
    save_stack_weights(tmp_path / "w.npz", p, names)
    np.savetxt(tmp_path / "tokens.csv", rng.integers(0, 6, 9)[:, None], fmt="%d")
    np.savetxt(tmp_path / "y.csv", rng.integers(0, 2, 9)[:, None], fmt="%d")
    return {"w": tmp_path / "w.npz", "x": tmp_path / "tokens.csv", "y": tmp_path / "y.csv",
            "out": tmp_path / "out.json"}  # fmt: skip


def test_every_layer_and_direction_is_written_as_the_engine_computes_it(
    stack_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    f = stack_files
    code, err = run(capsys, "--weights", f["w"], "--inputs", f["x"], "--targets", f["y"],
                    "--loss", "xent", "--truncate", "4", "--json", f["out"])  # fmt: skip
    assert (code, err) == (0, "")
    report = json.loads(f["out"].read_text())
    from rnnviz.io.stack_weights import load_stack_weights

    p = load_stack_weights(f["w"]).params
    tokens = np.loadtxt(f["x"], dtype=int)
    trace = stack_forward(p, tokens)
    result = stack_bptt(trace, np.loadtxt(f["y"], dtype=int), "xent", truncate=4, jacobians=True)
    assert report["tokens"] == tokens.tolist()
    assert report["config"]["num_layers"] == 2 and report["config"]["bidirectional"] is True
    assert report["config"]["vocab_size"] == 6
    assert report["loss"] == pytest.approx(result.loss, rel=1e-15)
    assert [layer["layer"] for layer in report["layers"]] == [1, 2]
    for k, layer in enumerate(report["layers"]):
        assert [d["direction"] for d in layer["directions"]] == ["forward", "backward"]
        for d, entry in enumerate(layer["directions"]):
            np.testing.assert_allclose(entry["h"], trace.h(k, d), rtol=1e-15)
            np.testing.assert_allclose(entry["c"], trace.c(k, d), rtol=1e-15)
            np.testing.assert_allclose(entry["dL_dh"], result.layers[k][d].dL_dh, rtol=1e-15)
            np.testing.assert_allclose(
                entry["jacobian_norm"], result.layers[k][d].jacobian_norm, rtol=1e-12
            )
    np.testing.assert_allclose(
        report["depth_jacobian_norm"], result.depth_jacobian_norm, rtol=1e-12
    )
    np.testing.assert_allclose(report["dL_dx"], result.dL_dx, rtol=1e-15)
    assert report["truncation_cuts"] == [1, 5]
    assert set(report["grads"]) == {NAMES.get(n, n.replace("rnn.", "encoder.")) for n in p.arrays()}
    np.testing.assert_allclose(report["grads"]["emb.weight"], result.grads["embedding.weight"])
    for field in [*report, *report["layers"][0]["directions"][0], *report["config"]]:
        assert field in DESCRIPTION, field


def test_an_initialised_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.savetxt(tmp_path / "x.csv", np.arange(7)[:, None] % 5, fmt="%d")
    out = tmp_path / "out.json"
    code, err = run(capsys, "--hidden-size", "3", "--cell", "gru", "--num-layers", "3",
                    "--bidirectional", "--vocab-size", "5", "--inputs", tmp_path / "x.csv",
                    "--json", out)  # fmt: skip
    assert (code, err) == (0, "")
    report = json.loads(out.read_text())
    assert len(report["layers"]) == 3 and len(report["layers"][2]["directions"]) == 2
    assert report["grads"] is None and report["loss"] is None  # no targets: no loss
    assert np.asarray(report["depth_jacobian_norm"]).shape == (3, 7)
    assert report["config"]["input_size"] == 3  # the embedding's rows have H values


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            "1\n2.5\n",
            "row 2 holds 2.5; token ids are whole numbers 0..5 (the rows of the embedding)",
        ),
        ("1\n6\n", "row 2 holds 6; token ids are whole numbers 0..5 (the rows of the embedding)"),
        ("1,2\n3,4\n", "2 values per row; a network with an embedding reads one token id per row"),
    ],
)
def test_bad_tokens_are_one_line_naming_the_row(
    stack_files: dict[str, Path], capsys: pytest.CaptureFixture[str], rows: str, problem: str
) -> None:
    bad = stack_files["x"].with_name("bad.csv")
    bad.write_text(rows)
    code, err = run(capsys, "--weights", stack_files["w"], "--inputs", bad, "--json",
                    stack_files["out"])  # fmt: skip
    assert code == 2
    assert err == f"rnnviz analyze: error: {bad}: {problem}\n"
