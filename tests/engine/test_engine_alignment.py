"""The loop matrices start on a 64-byte boundary and keep their rows on 32-byte ones."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.alignment import aligned_zeros, padded
from rnnviz.engine.cells.base import fold_width, folded_matrix, joint_width


@pytest.mark.parametrize("shape", [(1,), (7,), (128, 132), (3, 5, 2)])
def test_aligned_zeros_are_zeros_on_a_64_byte_boundary(shape: tuple[int, ...]) -> None:
    for _ in range(5):  # wherever the allocator puts the block
        a = aligned_zeros(shape)
        assert a.shape == shape and a.dtype == np.float64 and not a.any()
        assert a.ctypes.data % 64 == 0 and a.flags.c_contiguous


def test_rows_of_whole_blocks() -> None:
    assert [padded(n) for n in (1, 4, 5, 129, 130, 132)] == [4, 4, 8, 132, 132, 132]
    p = init_params("vanilla", 1, 128, 1, np.random.default_rng(0))
    width = p.hidden_size + fold_width(p)
    M = folded_matrix(p, p.b_ih + p.b_hh, fold_width(p))
    assert M.shape == (128, width) and width % 4 == 0 and M.ctypes.data % 64 == 0
    assert joint_width(128, 1) == 132  # G*H gradients, O readout values, then zeros
