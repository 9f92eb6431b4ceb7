"""The frame benchmark's yardstick window shows new data in every frame."""

from __future__ import annotations

import numpy as np

from rnnviz.bench.minimal import DATA_SETS, MinimalWindow


def test_each_frame_shows_the_next_data_set(qtbot) -> None:
    window = MinimalWindow(30, 6, (400, 300))
    qtbot.addWidget(window.widget)
    window.widget.show()
    qtbot.waitExposed(window.widget)
    shown = []
    for i in range(DATA_SETS + 1):
        window.frame(i)
        np.testing.assert_array_equal(window.image.image, window.images[i % DATA_SETS])
        _, y = window.curve.getData()
        shown.append(y.copy())
    assert window.image.image.shape == (6, 30)
    assert not np.array_equal(shown[0], shown[1])  # new data every frame
    np.testing.assert_array_equal(shown[0], shown[DATA_SETS])  # cycling through the sets
