"""What the equations panel's tests share: counting the lines it places anew."""

from __future__ import annotations

import pytest

from rnnviz.views.panels import equation_text


@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The first argument of every call of equation_text's ``_place_text`` and
    ``_place_rows`` from now on: what was placed anew, not found placed before."""
    calls: list[object] = []
    for name in ("_place_text", "_place_rows"):
        place = getattr(equation_text, name)

        def counted(*args: object, place=place) -> object:
            calls.append(args[0])
            return place(*args)

        monkeypatch.setattr(equation_text, name, counted)
    return calls
