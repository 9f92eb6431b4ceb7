"""The stage's plans when a lesson's slide is about one panel (stage.focused_plans)."""

from __future__ import annotations

import pytest

from rnnviz.session.window_state import FOCUSES
from rnnviz.views.window.stage import FOCUS_PANELS, GRAPH, PLANS, Plan, focused_plans


def _one_swap(before: Plan, after: Plan, focus: str) -> bool:
    """Whether ``after`` is ``before``, or ``before`` with one panel swapped for ``focus``
    in its place."""
    if [(w, [k for _, k in row]) for w, row in before.rows] != [
        (w, [k for _, k in row]) for w, row in after.rows
    ]:
        return False
    changed = [(a, b) for a, b in zip(before.panels, after.panels, strict=True) if a != b]
    return not changed or (len(changed) == 1 and changed[0][1] == focus != GRAPH)


def test_every_focus_a_slide_may_name_has_its_panel() -> None:
    assert set(FOCUS_PANELS) == set(FOCUSES)


def test_no_focus_or_the_graph_keeps_the_plans() -> None:
    assert focused_plans(None) == PLANS
    assert focused_plans(GRAPH) == PLANS


@pytest.mark.parametrize("focus", sorted(set(FOCUS_PANELS.values()) - {GRAPH}))
def test_plans_with_the_focus_come_first_then_the_plans_as_they_are(focus: str) -> None:
    plans = focused_plans(focus)
    first = [plan for plan in plans if focus in plan.panels]
    assert plans[: len(first)] == tuple(first), "every plan showing the focus comes first"
    assert plans[len(first) - 1] == Plan(((1, ((focus, 1),)),)), "the focus alone last of them"
    for plan in first[:-1]:  # a plan of PLANS, or one with a panel swapped for the focus
        assert GRAPH in plan.panels
        assert any(_one_swap(p, plan, focus) for p in PLANS), plan
    assert plans[len(first) :] == tuple(p for p in PLANS if p not in first)
    assert plans[-1] == PLANS[-1]  # the graph alone: the page's minimum
    assert len(set(plans)) == len(plans)
