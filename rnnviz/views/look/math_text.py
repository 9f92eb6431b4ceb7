"""Math typed the way people type it — ``W_hh``, ``h_{t−1}``, ``ρ^(T−t)``, ``σ_max`` — set as
subscripts and superscripts, so no raw ``_``, ``^`` or braces reach the screen.

``math_html`` is the one converter from such text to Qt rich text. It is safe for text from
files: every character of the input is escaped, and the only markup in its output is its
own ``<sub>`` and ``<sup>``. A script is what follows ``_`` or ``^``: a group in braces or
parentheses (``h_{t−1}``, ``x_(t − k)``, ``ρ^(T−t)``; the brackets only group), else a run
of letters and digits (``W_hh``, ``σ_max``, ``10^-3`` takes its sign).
"""

from __future__ import annotations

import html
import re

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QTextDocument
from PyQt6.QtWidgets import QLabel

_OPEN = {"{": "}", "(": ")"}
_RUN = re.compile(r"[−-]?[^\W_]+")  # letters (Greek too) and digits, with a leading sign
_TAGS = {"_": "sub", "^": "sup"}


def math_html(text: str) -> str:
    """``text`` as escaped HTML with its scripts in ``<sub>``/``<sup>`` (see the module)."""
    out: list[str] = []
    i, n = 0, len(text)
    plain_from = 0
    while i < n:
        mark = text[i]
        if mark in _TAGS and i > 0 and i + 1 < n:
            script, end = _script(text, i + 1)
            if script:
                out.append(html.escape(text[plain_from:i], quote=False))
                inner = math_html(script)  # a script may hold scripts: σ_max^(T−t)… or e^{x_t}
                out.append(f"<{_TAGS[mark]}>{inner}</{_TAGS[mark]}>")
                i = plain_from = end
                continue
        i += 1
    out.append(html.escape(text[plain_from:], quote=False))
    return "".join(out)


def _script(text: str, start: int) -> tuple[str, int]:
    """The script starting at ``start`` and the index after it ("" when there is none)."""
    opener = text[start]
    if opener in _OPEN:
        depth = 0
        for j in range(start, len(text)):
            if text[j] == opener:
                depth += 1
            elif text[j] == _OPEN[opener]:
                depth -= 1
                if depth == 0:
                    return text[start + 1 : j], j + 1
        return "", start  # unbalanced: left as typed
    run = _RUN.match(text, start)
    return (run.group(), run.end()) if run else ("", start)


def has_raw_markup(shown: str) -> bool:
    """Whether text as displayed still holds math markup typed for a script, or our own
    HTML shown literally by a plain-text label."""
    return any(c in shown for c in "_^{}") or _SHOWN_TAG.search(shown) is not None


_SHOWN_TAG = re.compile(r"</?(sub|sup|b|i|p|br)\b[^>]*>")


def shown_text(text: str) -> str:
    """What a label or tooltip given ``text`` displays: the words without markup."""
    if not Qt.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def set_math_text(label: QLabel, text: str) -> None:
    """``label`` shows ``text`` (from a file or ours) literally, its scripts typeset."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(math_html(text))


def math_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally, its scripts typeset (line breaks kept)."""
    return f"<p style='white-space:pre-wrap'>{math_html(text)}</p>"
