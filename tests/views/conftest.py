import pytest

from rnnviz.views.appearance import appearance
from rnnviz.views.palettes import LIGHT


@pytest.fixture(autouse=True)
def light_appearance():
    """Every test starts and ends in the light theme at scale 1: the appearance belongs to the
    whole application, and a window that opens with a remembered theme changes it."""
    appearance.set(palette=LIGHT, scale=1.0, line_scale=1.0)
    yield
    appearance.set(palette=LIGHT, scale=1.0, line_scale=1.0)
