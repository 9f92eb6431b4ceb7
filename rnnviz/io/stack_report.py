"""The analysis report of a stack: every layer's and direction's numbers, as strict JSON.

Same conventions as rnnviz/io/json_report.py (non-finite numbers and rows that could not
be computed are null); the fields are documented in ``rnnviz analyze --help``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rnnviz.engine.jacobian import jacobian_norms
from rnnviz.engine.spectral import recurrent_radius, recurrent_sigma_max
from rnnviz.engine.stack import StackTrace
from rnnviz.engine.stack_bptt import StackBPTTResult
from rnnviz.engine.stack_jacobian import depth_jacobian_norms
from rnnviz.engine.stack_params import DIRECTIONS
from rnnviz.io.json_report import cut_steps, finite_or_none, per_step


def build_stack_report(
    trace: StackTrace,
    result: StackBPTTResult | None,
    grad_names: Mapping[str, str],
    config: Mapping[str, Any],
    truncate: int | None = None,
) -> dict[str, Any]:
    """The report as JSON-ready Python objects; ``result`` is None without a loss, and
    ``grad_names`` renames the canonical gradient names to the weight file's keys."""
    p, T = trace.params, trace.T
    forward_ok = np.ones(T, dtype=bool) if trace.exploded_at is None else np.zeros(T, bool)
    backward_ok = result.valid if result is not None else None  # (T,)
    layers = []
    for k in range(p.num_layers):
        directions = []
        for d in range(p.num_directions):
            layer_trace = trace.layers[k][d]
            params = layer_trace.params
            entry: dict[str, Any] = {
                "direction": DIRECTIONS[d],
                "h": per_step(trace.h(k, d), forward_ok),
                "c": None if layer_trace.c is None else per_step(trace.c(k, d), forward_ok),
                "dL_dh": None,
                "dL_dh_norm": None,
                "dL_dc_norm": None,
                "dW_hh_contrib": None,
                "jacobian_norm": None,
                "jacobian_overflow_at": None,
                "spectral_radius": finite_or_none(recurrent_radius(params)),
                "sigma_max": finite_or_none(recurrent_sigma_max(params)),
            }
            if trace.exploded_at is None:
                norms, overflow = jacobian_norms(layer_trace)  # in the direction's order
                ok = np.ones(T, dtype=bool)  # (T,)
                if overflow is not None:
                    ok[:overflow] = False
                flip = slice(None) if d == 0 else slice(None, None, -1)
                entry["jacobian_norm"] = per_step(norms[flip], ok[flip])
                entry["jacobian_overflow_at"] = (
                    None if overflow is None else overflow if d == 0 else T - overflow + 1
                )
            if result is not None and backward_ok is not None:
                g = result.layers[k][d]
                entry["dL_dh"] = per_step(g.dL_dh, backward_ok)
                entry["dL_dh_norm"] = per_step(g.dL_dh_norm, backward_ok)
                if g.dL_dc_norm is not None:
                    entry["dL_dc_norm"] = per_step(g.dL_dc_norm, backward_ok)
                entry["dW_hh_contrib"] = per_step(g.dW_hh_contrib, backward_ok)
            directions.append(entry)
        layers.append({"layer": k + 1, "directions": directions})
    depth = None
    if trace.exploded_at is None:
        depth = [per_step(row, np.ones(T, dtype=bool)) for row in depth_jacobian_norms(trace)]
    report: dict[str, Any] = {
        "config": dict(config),
        "loss": None,
        "tokens": None if trace.tokens is None else trace.tokens.tolist(),
        "y": per_step(trace.y, forward_ok),
        "layers": layers,
        "depth_jacobian_norm": depth,
        "dL_dx": None,
        "truncation_cuts": cut_steps(T, truncate),
        "grads": None,
        "grad_norm_before_clip": None,
        "grad_norm_after_clip": None,
        "exploded_at": trace.exploded_at,
        "exploded_in": None if trace.exploded_at is None else "forward",
    }
    if result is not None:
        report["exploded_at"] = result.exploded_at
        report["exploded_in"] = result.exploded_in
        report["dL_dx"] = per_step(result.dL_dx, result.valid)
        if trace.exploded_at is None:  # the loss of a forward explosion saw placeholder rows
            report["loss"] = finite_or_none(result.loss)
        if result.exploded_at is None:  # the engine zeroes an explosion's gradients: none exist
            report["grads"] = {
                grad_names[n]: per_step(g, np.ones(g.shape[0], dtype=bool))
                for n, g in result.grads.items()
                if n in grad_names
            }
            report["grad_norm_before_clip"] = finite_or_none(result.grad_norm_before_clip)
            report["grad_norm_after_clip"] = finite_or_none(result.grad_norm_after_clip)
    return report
