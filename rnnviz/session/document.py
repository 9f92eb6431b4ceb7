"""The document: everything a session file holds, and the verbs of the File menu.

It owns the session, the lab, the window's state, the file's path and whether there are
unsaved changes. The file format is ``rnnviz.io.session_file``; dialogs, menus and the
autosave timer are the Qt layer's (``rnnviz.views.window.files``, ``…autosave``).

Every verb that reads a file reads and checks all of it first: a file that cannot be used
raises DocumentError (one line naming the file and the problem) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from rnnviz.engine.stack_params import StackParams
from rnnviz.io.refusal import one_line
from rnnviz.io.session_file import (
    SUFFIX,
    SessionContents,
    SessionFileError,
    read_session,
    write_session,
)
from rnnviz.session.config import SessionConfig
from rnnviz.session.lab import Lab, LabChange
from rnnviz.session.prepared import Prepared
from rnnviz.session.session import Change, Session
from rnnviz.session.window_state import WindowState, WindowStateError, check_saved

if TYPE_CHECKING:
    from rnnviz.engine.train import TrainingHistory

__all__ = ["SUFFIX", "Document", "DocumentError"]


class DocumentError(ValueError):
    """A file that cannot be opened or written; the message names the file and the problem."""


@dataclass(frozen=True)
class _Saved:
    """The session as last saved: what "modified" compares with."""

    config: SessionConfig
    params: object  # the network object itself (Params or a stack): any new one is a change
    sequence: np.ndarray  # (N, I)
    vocab: str
    t: int
    selected: int | None
    training: TrainingHistory | None

    @classmethod
    def of(cls, session: Session, lab: Lab) -> _Saved:
        s = session
        return cls(s.config, s.network, s.sequence.copy(), s.vocab, s.t, s.selected, lab.training)

    def same_as(self, session: Session, lab: Lab) -> bool:
        s = session
        return (
            self.config == s.config
            and self.params is s.network
            and self.vocab == s.vocab
            and self.t == s.t
            and self.selected == s.selected
            and self.training is lab.training
            and np.array_equal(self.sequence, s.sequence)
        )


@dataclass(frozen=True, eq=False)
class Opening:
    """A session file read and checked (``Document.read``), ready to be put in."""

    path: Path
    contents: SessionContents
    config: SessionConfig
    shown: dict[str, Any]  # the window state it holds

    @property
    def restore_args(self) -> tuple[Any, ...]:
        """The arguments of ``Session.restore`` that put its session back."""
        c = self.contents
        return (self.config, c.params, c.sequence, c.vocab, c.t, c.selected)


class Document:
    """Public: ``session``, ``lab``, ``window`` (WindowState), ``path`` (the open file or
    None), ``modified``, ``busy`` (an export is stepping through the session: not
    autosaved); the verbs ``new``, ``open``, ``save``, ``save_as``, ``recover`` and ``autosave``.
    ``changed`` fires when ``path`` or ``modified`` changes (the window's title follows)."""

    changed = Signal()

    def __init__(
        self,
        session: Session | None = None,
        lab: Lab | None = None,
        window: WindowState | None = None,
    ) -> None:
        self.session = session if session is not None else Session()
        self.lab = lab if lab is not None else Lab(self.session)
        self.window = window if window is not None else WindowState()
        self.path: Path | None = None
        self.busy = False
        self._saved: _Saved | None = _Saved.of(self.session, self.lab)
        self._autosaved = self._saved
        self._modified = False
        # How a file's saved backward pass is redone; a window runs a long one in its worker.
        self.run_backward: Callable[[], object] = self.session.run_backward
        self.session.changed.connect(self._on_session_changed)
        self.lab.changed.connect(self._on_lab_changed)

    @property
    def modified(self) -> bool:
        return self._modified

    # ---- verbs ----------------------------------------------------------------------
    def new(self) -> None:
        """The app's starting state: default settings, network, inputs and view."""
        fresh = Session()
        self.session.restore(
            fresh.config,
            fresh.params,
            fresh.sequence,
            fresh.vocab,
            fresh.t,
            fresh.selected,
            fresh.source,
        )
        self.lab.set_training(None)
        self.window.restore(WindowState().saved())
        self._mark_saved(None)

    def open(self, path: str | Path) -> None:
        """Open a session file as the saved state of ``path``."""
        self.put_in(self.read(Path(path)))

    def put_in(self, opening: Opening, restored: Prepared | None = None) -> bool:
        """Make a file read by ``read`` the open one. ``restored``: its session computed by
        ``Session.prepare("restore", *opening.restore_args)`` (in a worker); False, and
        nothing changes, when the session changed since that began."""
        if not self._apply(opening, restored):
            return False
        self._mark_saved(opening.path)
        return True

    def recover(self, path: str | Path) -> None:
        """Open an autosave as unsaved work (nothing of it is saved yet)."""
        self.recover_opening(self.read(Path(path)))

    def recover_opening(self, opening: Opening, restored: Prepared | None = None) -> bool:
        """``recover`` of an autosave read by ``read``, its session maybe computed in a
        worker (``restored``, as for ``put_in``): False, and nothing changes, when stale."""
        if not self._apply(opening, restored):
            return False
        self.path = None
        self._saved = None  # so the next autosave writes it, under this window's own name
        self._on_changed()
        self.changed.emit()
        return True

    def save(self) -> Path:
        """Save to the open file (DocumentError when there is none yet: ask for a name)."""
        if self.path is None:
            raise DocumentError("the session has no file yet: choose where to save it")
        return self.save_as(self.path)

    def save_as(self, path: str | Path) -> Path:
        """Save everything on screen to ``path`` (".rnnviz" is added when it has no suffix),
        which becomes the open file; returns where it went."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(SUFFIX)
        self._write(target)
        self._mark_saved(target)
        return target

    def autosave(self, path: Path) -> bool:
        """Write ``path`` if the work changed since it was last saved or autosaved."""
        if self.busy or not self._modified or self._autosaved.same_as(self.session, self.lab):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write(path)
        self._autosaved = _Saved.of(self.session, self.lab)
        return True

    # ---- reading and writing -------------------------------------------------------------
    def contents(self) -> SessionContents:
        s, lab = self.session, self.lab
        view = {
            **self.window.saved(),
            "backward": s.gradients is not None,
            "compare": lab.comparison is not None,
            # The layer and direction the panels show: kept with the view, and like the
            # rest of it no change to the work (modified does not follow it).
            "focus": list(s.focus),
        }
        config = {f.name: getattr(s.config, f.name) for f in fields(SessionConfig)}
        return SessionContents(
            config, s.network, s.sequence.copy(), s.vocab, s.t, s.selected, lab.training, view
        )

    def _write(self, path: Path) -> None:
        try:
            write_session(path, self.contents())
        except (OSError, ValueError) as e:
            problem = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise DocumentError(f"{path}: {problem}") from None

    def _load(self, path: Path) -> None:
        self._apply(self.read(path))

    def read(self, path: Path) -> Opening:
        """Read and check everything first (DocumentError): only a complete, valid file
        changes anything."""
        try:
            contents = read_session(path)
        except SessionFileError as e:
            raise DocumentError(str(e)) from None
        config = _config(contents.config, path)
        if contents.params.hidden_size != config.hidden_size:
            p = contents.params
            W_hh = p.layers[0][0].W_hh if isinstance(p, StackParams) else p.W_hh
            raise DocumentError(
                f"{path}: W_hh has shape {W_hh.shape}, which does not fit the "
                f"{config.hidden_size} hidden units of the settings"
            )
        view = contents.view
        try:
            shown = check_saved(view)
        except WindowStateError as e:
            raise DocumentError(f"{path}: its view.json has {e}") from None
        for flag in ("backward", "compare"):
            if not isinstance(view.get(flag, False), bool):
                raise DocumentError(f'{path}: its view.json has a bad "{flag}"')
        problem = _focus_problem(view.get("focus"), config)
        if problem:
            raise DocumentError(f'{path}: its view.json has a bad "focus": {problem}')
        return Opening(path, contents, config, shown)

    def _apply(self, opening: Opening, restored: Prepared | None = None) -> bool:
        c, view, path = opening.contents, opening.contents.view, opening.path
        before = self._snapshot()
        try:
            if restored is None:
                self.session.restore(*opening.restore_args)
            elif not self.session.commit(restored):
                return False
            self.lab.set_training(c.training)
            _show_saved_focus(self.session, view)
            if view.get("backward", False) and self.session.t > 0:
                self.run_backward()  # deterministic: the same gradients as when saved
            if view.get("compare", False):
                self.lab.compare()
            self.window.restore(opening.shown)
        except Exception as e:  # anything at all: the old work comes back, and is redrawn
            self._put_back(before)
            what = str(e) if isinstance(e, ValueError) else f"cannot be opened ({e!r})"
            raise DocumentError(one_line(f"{path}: {what}")) from None
        return True

    def _snapshot(self) -> tuple[SessionContents, dict[str, Any]]:
        return self.contents(), self.window.saved()

    def _put_back(self, snapshot: tuple[SessionContents, dict[str, Any]]) -> None:
        """Restore a snapshot: every verb emits, so every view redraws the old work."""
        c, shown = snapshot
        config = SessionConfig(**c.config)
        self.session.restore(config, c.params, c.sequence, c.vocab, c.t, c.selected)
        self.lab.set_training(c.training)
        _show_saved_focus(self.session, c.view)
        if c.view.get("backward", False) and self.session.t > 0:
            self.run_backward()
        if c.view.get("compare", False):
            self.lab.compare()
        self.window.restore(shown)

    # ---- modified -------------------------------------------------------------------------
    def _mark_saved(self, path: Path | None) -> None:
        self.path = path
        self._saved = _Saved.of(self.session, self.lab)
        self._autosaved = self._saved
        self._modified = False
        self.changed.emit()

    def _on_session_changed(self, changes: Change) -> None:
        if changes & ~Change.SWEEP:  # the backward animation's cursor is not saved
            self._on_changed()

    def _on_lab_changed(self, changes: LabChange) -> None:
        if changes & LabChange.TRAINING:  # the only lab result a file holds
            self._on_changed()

    def _on_changed(self) -> None:
        modified = self._saved is None or not self._saved.same_as(self.session, self.lab)
        if modified != self._modified:
            self._modified = modified
            self.changed.emit()


def _config(raw: dict[str, Any], path: Path) -> SessionConfig:
    known = {f.name for f in fields(SessionConfig)}
    unknown = set(raw) - known
    if unknown:
        raise DocumentError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        return SessionConfig().changed(**raw)
    except (TypeError, ValueError) as e:
        raise DocumentError(f"{path}: {e}") from None


def _focus_problem(focus: object, config: SessionConfig) -> str:
    """What is wrong with a saved focus for the network of ``config`` ("" when nothing is;
    files older than stacks have none)."""
    if focus is None:
        return ""
    layers, directions = config.num_layers, 2 if config.bidirectional else 1
    whole = isinstance(focus, list) and len(focus) == 2
    whole = whole and all(isinstance(v, int) and not isinstance(v, bool) for v in focus)
    if not whole:
        return f"{one_line(repr(focus))[:40]} is not a layer and a direction"
    layer, direction = focus
    if not (0 <= layer < layers and 0 <= direction < directions):
        return (
            f"{focus} is not in the network's {layers} layer{'s' if layers > 1 else ''} "
            f"of {directions} direction{'s' if directions > 1 else ''}"
        )
    return ""


def _show_saved_focus(session: Session, view: dict[str, Any]) -> None:
    """The layer and direction the saved panels showed (checked by ``_focus_problem``)."""
    focus = view.get("focus")
    if focus is not None:
        session.set_focus(*focus)
