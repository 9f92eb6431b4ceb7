"""Which layer and direction of a stack the single-layer panels show, in words."""

from __future__ import annotations

from rnnviz.session import Session

DIRECTION_NAMES = ("forward", "backward")


def focus_name(depth: tuple[int, int], focus: tuple[int, int]) -> str:
    """'layer 3 (top) · forward', 1-based as a teacher says it; '' for one layer, one way."""
    (L, D), (k, d) = depth, focus
    if L * D == 1:
        return ""
    name = f"layer {k + 1}" + (" (top)" if L > 1 and k == L - 1 else "")
    return name + (f" · {DIRECTION_NAMES[d]}" if D == 2 else "")


def focus_tip(session: Session) -> str:
    """What the focused layer and direction have computed, for a tooltip ('' for one layer)."""
    (L, D), (k, d) = session.depth, session.focus
    if L * D == 1:
        return ""
    reads = "the inputs x_t" if k == 0 else f"the outputs of layer {k}"
    ways = ", each run both ways" if D == 2 else ""
    text = f"Shown: {focus_name((L, D), (k, d))}, of {L} layers{ways}; it reads {reads}."
    if d == 1:
        t = session.t
        ran = f"steps {t} … 1" if t > 1 else ("step 1" if t == 1 else "no step yet")
        text += (
            f" The backward direction runs from the last fed step down to step 1: after "
            f"t = {t} steps it has run over {ran}, so every new step changes all of its h."
        )
    keys = " ↑ / ↓ show the layer above / below" + ("; D the other direction." if D == 2 else ".")
    return text + keys
