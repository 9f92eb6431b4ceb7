from collections.abc import Iterator

import pytest

from rnnviz.views.look.appearance import appearance


@pytest.fixture
def kept_appearance() -> Iterator[None]:
    """For a test that changes the application's look itself (not through a window, which
    puts back what it found when it closes)."""
    with appearance.kept():
        yield
