"""The JSON report: every number as the engine computed it, and null for what it could not."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnviz.engine import Params, bptt, forward, init_params, jacobian_norms, truncation_cuts
from rnnviz.io import build_report, default_names, dumps_strict, finite_or_none, write_report


def refuse_constant(token: str) -> float:
    raise AssertionError(f"non-strict JSON token {token}")


def strict_round_trip(report: dict[str, Any]) -> dict[str, Any]:
    return json.loads(dumps_strict(report), parse_constant=refuse_constant)


def exploding_params(bias: bool = True) -> Params:
    # A linear RNN with every eigenvalue of modulus 3: ‖h_t‖ and dL/dh grow like 3^t.
    p = init_params(
        "vanilla",
        1,
        4,
        1,
        np.random.default_rng(0),
        scheme="orthogonal",
        spectral_radius=3.0,
        activation="linear",
    )
    return p if bias else p.with_arrays(b_ih=np.zeros(4), b_hh=np.zeros(4))


def report_for(p: Params, x: np.ndarray, targets: np.ndarray | None, **kw: Any) -> dict[str, Any]:
    trace = forward(p, x)
    result = None if targets is None else bptt(trace, targets, **kw)
    jacobian = None if trace.exploded_at is not None else jacobian_norms(trace)
    return strict_round_trip(
        build_report(trace, result, jacobian, default_names(), {"note": "test"}, kw.get("truncate"))
    )


def test_finite_numbers_are_the_engines_exactly() -> None:
    p = init_params("lstm", 2, 3, 2, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((9, 2))  # (T, I)
    targets = np.random.default_rng(2).standard_normal((9, 2))  # (T, O)
    trace = forward(p, x)
    result = bptt(trace, targets, truncate=4, clip=0.05)
    norms, overflow = jacobian_norms(trace)
    report = strict_round_trip(
        build_report(trace, result, (norms, overflow), default_names(), {"k": 1}, 4)
    )
    assert report["config"] == {"k": 1}
    assert report["loss"] == result.loss
    np.testing.assert_array_equal(report["h"], trace.h)
    np.testing.assert_array_equal(report["c"], trace.c)
    np.testing.assert_array_equal(report["y"], trace.y)
    np.testing.assert_array_equal(report["dL_dh"], result.dL_dh)
    np.testing.assert_array_equal(report["dL_dh_norm"], result.dL_dh_norm)
    np.testing.assert_array_equal(report["dL_dc_norm"], result.dL_dc_norm)
    np.testing.assert_array_equal(report["dW_hh_contrib"], result.dW_hh_contrib)
    np.testing.assert_array_equal(report["jacobian_norm"], norms)
    assert report["jacobian_overflow_at"] is None
    for field, key in default_names().items():
        np.testing.assert_array_equal(report["grads"][key], result.grads[field])
    assert report["grad_norm_before_clip"] == result.grad_norm_before_clip
    assert report["grad_norm_after_clip"] == pytest.approx(0.05, rel=1e-12)
    assert report["truncation_cuts"] == [
        t + 1 for t in np.flatnonzero(truncation_cuts(9, 4)) if t + 1 < 9
    ]
    assert set(report["gate_spectra"]) == {"i", "f", "g", "o"}
    assert report["exploded_at"] is None
    assert report["exploded_in"] is None


def test_gradients_of_absent_arrays_are_left_out() -> None:
    p = init_params("vanilla", 1, 2, 1, np.random.default_rng(0))
    trace = forward(p, np.ones((3, 1)))
    names = {f: k for f, k in default_names().items() if f not in ("b_ih", "b_hh")}
    report = build_report(trace, bptt(trace, np.zeros((3, 1))), None, names, {})
    assert set(report["grads"]) == {
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "readout.weight",
        "readout.bias",
    }


def test_backward_explosion_is_null_where_it_was_not_computed() -> None:
    T = 400  # h_T ~ 3^400 is finite; dL/dh_1 ~ 3^800 is not, and nor is the loss
    x = np.random.default_rng(1).standard_normal((T, 1))  # (T, I)
    report = report_for(exploding_params(), x, np.zeros((T, 1)))
    step = report["exploded_at"]
    assert report["exploded_in"] == "backward"
    assert 1 < step < T
    assert report["loss"] is None  # y² overflowed
    assert all(row is not None for row in report["h"])
    assert report["dL_dh"][:step] == [None] * step
    assert report["dL_dh_norm"][:step] == [None] * step
    assert all(math.isfinite(v) for v in report["dL_dh_norm"][step:])
    assert report["grads"] is None
    assert report["grad_norm_before_clip"] is None
    assert report["grad_norm_after_clip"] is None
    assert all(v is None or math.isfinite(v) for v in report["jacobian_norm"])


def test_forward_explosion_nulls_rows_from_the_step_on() -> None:
    T = 700  # 3^700 > 1e308: the state itself overflows
    x = np.random.default_rng(1).standard_normal((T, 1))  # (T, I)
    report = report_for(exploding_params(), x, np.zeros((T, 1)))
    step = report["exploded_at"]
    assert report["exploded_in"] == "forward"
    assert all(row is not None for row in report["h"][: step - 1])
    assert report["h"][step - 1 :] == [None] * (T - step + 1)
    assert report["y"][step - 1 :] == [None] * (T - step + 1)
    assert report["dL_dh"] == [None] * T
    assert report["loss"] is None
    assert report["grads"] is None
    assert report["jacobian_norm"] is None


def test_jacobian_overflow_is_null_up_to_its_step() -> None:
    T = 700
    x = np.zeros((T, 1))  # (T, I): one tiny kick, so h_t = 3^t·1e-300 stays finite
    x[0] = 1e-300
    report = report_for(exploding_params(bias=False), x, None)
    at = report["jacobian_overflow_at"]
    assert report["exploded_at"] is None
    assert 1 < at < T
    assert report["jacobian_norm"][:at] == [None] * at
    assert all(math.isfinite(v) and v > 0 for v in report["jacobian_norm"][at:])
    assert report["loss"] is None
    assert report["grads"] is None
    assert report["dL_dh"] is None


def test_finite_or_none() -> None:
    assert finite_or_none(np.float32(1.5)) == 1.5
    assert finite_or_none(float("inf")) is None
    assert finite_or_none(np.nan) is None


def test_dumps_strict_refuses_nan_and_write_report(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        dumps_strict({"x": float("nan")})
    path = tmp_path / "r.json"
    write_report(path, {"x": [1.0, None]})
    assert json.loads(path.read_text(encoding="utf-8")) == {"x": [1.0, None]}
