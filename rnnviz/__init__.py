"""rnnviz: see recurrent neural networks compute, step by step, and watch their gradients.

``rnnviz.from_torch`` (live PyTorch modules in) and ``rnnviz.show`` (the window, from a script
or a notebook) are imported when first used: ``import rnnviz`` loads neither torch nor Qt.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "from_torch", "show"]

# name -> the module that defines it. Imported by name, when asked for: every layer imports
# ``rnnviz`` itself (for __version__), so a static import here would sit below them all.
_LAZY = {"from_torch": "rnnviz.io.torch_modules", "show": "rnnviz.notebook"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnviz' has no attribute {name!r}")
