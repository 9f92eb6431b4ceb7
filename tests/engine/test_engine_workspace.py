"""The engine's reused working memory: a result the caller keeps is never overwritten,
memory is reused once results are dropped, and what is kept is bounded by the last shape."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz.engine import CELLS, bptt, forward, init_params, workspace


@pytest.mark.parametrize("cell", CELLS)
def test_kept_results_stay_intact_across_later_passes(cell: str) -> None:
    rng = np.random.default_rng(0)
    p = init_params(cell, 1, 128, 1, rng)  # (T, H) arrays of ~300 kB, kept for reuse
    xs = [rng.standard_normal((300, 1)) for _ in range(3)]
    y = rng.standard_normal((300, 1))
    kept = [bptt(forward(p, x), y) for x in xs]
    copies = [(r.dL_dh.copy(), r.dL_dh_norm.copy()) for r in kept]
    traces = [forward(p, x) for x in xs]
    h_copies = [t.h_all.copy() for t in traces]
    for x in xs:  # more passes of the same shape, their results dropped at once
        bptt(forward(p, x), y)
    for r, (dH, norms) in zip(kept, copies, strict=True):
        np.testing.assert_array_equal(r.dL_dh, dH)
        np.testing.assert_array_equal(r.dL_dh_norm, norms)
    for t, h in zip(traces, h_copies, strict=True):
        np.testing.assert_array_equal(t.h_all, h)


def test_dropped_results_give_their_memory_back_and_a_new_shape_replaces_it() -> None:
    rng = np.random.default_rng(1)
    p = init_params("vanilla", 1, 128, 1, rng)
    y = rng.standard_normal((400, 1))
    workspace.release()
    first = bptt(forward(p, rng.standard_normal((400, 1))), y)
    address = first.dL_dh.__array_interface__["data"][0]
    del first
    second = bptt(forward(p, rng.standard_normal((400, 1))), y)
    assert second.dL_dh.__array_interface__["data"][0] == address  # the same memory again
    held = workspace.held_bytes()
    bptt(forward(p, rng.standard_normal((200, 1))), y[:200])  # another shape
    assert workspace.held_bytes() < held  # the longer shape's buffers are no longer kept


def test_threads_never_share_a_buffer() -> None:
    rng = np.random.default_rng(2)
    p = init_params("vanilla", 1, 128, 1, rng)
    x, y = rng.standard_normal((400, 1)), rng.standard_normal((400, 1))
    want = bptt(forward(p, x), y).dL_dh.copy()
    bad: list[float] = []

    def work() -> None:
        for _ in range(20):
            got = bptt(forward(p, x), y).dL_dh
            bad.append(float(np.max(np.abs(got - want))))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(bad) == 0.0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("loss_at", "truncate"), [("last", None), ("all", 7)])
def test_a_pass_in_memory_an_earlier_pass_filled_gives_what_fresh_memory_gives(
    cell: str, loss_at: str, truncate: int | None
) -> None:
    # The backward arrays are not zeroed up front: the rows a vanished chain never reaches
    # and the rows no gradient flows into across a truncation cut must still come out 0.
    rng = np.random.default_rng(2)
    T = 3000
    p = init_params(cell, 3, 8, 2, rng, scheme="orthogonal", gain=1e-3, gate_bias=-6.0)
    x, y = rng.standard_normal((T, 3)), rng.standard_normal((T, 2))

    def arrays() -> dict[str, np.ndarray]:
        r = bptt(forward(p, x), y, loss_at=loss_at, truncate=truncate)
        out = {"dL_dh": r.dL_dh, "dL_dh_norm": r.dL_dh_norm, **r.grads}
        if r.dL_dc_norm is not None:
            out["dL_dc_norm"] = r.dL_dc_norm
        return {k: v.copy() for k, v in out.items()}

    workspace.release()
    fresh = arrays()
    if loss_at == "last":
        assert not fresh["dL_dh"][0].any()  # the chain vanished before the first step
    # A pass of the same shape whose every row carries a gradient fills the memory.
    filled = bptt(forward(p, x), rng.standard_normal((T, 2)) * 1e3)
    assert filled.dL_dh.all()
    del filled
    again = arrays()
    for k, v in fresh.items():
        np.testing.assert_array_equal(again[k], v, err_msg=k)
