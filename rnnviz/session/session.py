"""The session: the one mutable state of the app. Views call its verbs and redraw on ``changed``.

Data flows one way: a view asks (``feed``, ``step_forward``, ``set_config`` …), the session
computes with the engine once per change, stores the results, and emits ``changed`` once,
with flags saying what changed; every view redraws itself from the stored arrays, once.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
from psygnal import Signal

from rnnviz.engine import (
    RNN,
    BPTTResult,
    ForwardTrace,
    Params,
    bptt,
    init_params,
    with_spectral_radius,
)
from rnnviz.engine.losses import scored_steps
from rnnviz.engine.params import GATES
from rnnviz.engine.progress import Steps, run_to_end
from rnnviz.engine.reach import LastStepGradient
from rnnviz.engine.spectral import gate_spectra
from rnnviz.engine.stack import StackTrace, as_tokens
from rnnviz.engine.stack_bptt import StackBPTTResult, stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.engine.stack_stepper import StackRNN
from rnnviz.io import limits
from rnnviz.session import analysis, prepared
from rnnviz.session.config import SessionConfig, draws_new_network
from rnnviz.session.depth import (
    focused_gradients,
    focused_params,
    focused_trace,
    map_layers,
    one_layer_trace,
)
from rnnviz.session.encoding import InputError, one_hot, parse_numbers, vocabulary
from rnnviz.session.presets import TEXT_PRESETS, numeric_preset
from rnnviz.session.source import Source

F = TypeVar("F", bound=Callable[..., object])
# What a verb may change before it fails; restored so a rejected change leaves no trace.
_STATE = (
    "config",
    "vocab",
    "sequence",
    "source",
    "params",
    "_base_params",
    "_base_stack",
    "_stack",
    "_focus",
    "_spectra",
    "_rnn",
    "_trace",
    "_stack_trace",
    "gradients",
    "_stack_gradients",
    "selected",
    "sweep",
    "_given_targets",
)

# ``work``'s units are ≈ ns: a multiply-add of a step ≈ 1; a step's fixed cost in the Python
# loop ≈ 4 µs (100,000 steps ≈ 0.4 s); eigenvalues of an H × H block ≈ 3 H³ (40 ms at 256).
_STEP_WORK = 4_000
_SPECTRA_WORK = 3
_NUMBER = re.compile(r"[^\s,;]+")  # what parse_numbers takes for one number


@dataclass(frozen=True, eq=False)
class Backward:
    """A backward pass computed away from the session, with what it was computed from."""

    trace: ForwardTrace
    config: SessionConfig
    result: BPTTResult
    stack: StackBPTTResult | None = None  # the whole stack's, when it is one


@dataclass(frozen=True, eq=False)
class ReachOf:
    """How far the last step's loss reaches back, with what it was computed from."""

    trace: ForwardTrace
    config: SessionConfig
    spectra: analysis.Spectra
    reach: analysis.Reach


def _backward(trace: ForwardTrace, targets: np.ndarray, loss: str, c: SessionConfig) -> BPTTResult:
    return bptt(trace, targets, loss=loss, loss_at=c.loss_at, truncate=c.truncate, clip=c.clip)


def _atomic(verb: F) -> F:
    """A verb that either completes or leaves the session exactly as it was."""

    @functools.wraps(verb)
    def wrapper(self: Session, *args: object, **kwargs: object) -> object:
        saved = {name: getattr(self, name) for name in _STATE if hasattr(self, name)}
        emitted = self._emitted
        try:
            return verb(self, *args, **kwargs)
        except Exception:
            for name, value in saved.items():
                setattr(self, name, value)
            if self._emitted != emitted:
                # Views had redrawn the change (one of them raised): redraw what is back.
                with contextlib.suppress(Exception):
                    self.changed.emit(_EVERYTHING)
            raise

    return wrapper  # type: ignore[return-value]


class Change(enum.Flag):
    """What one verb changed; ``Session.changed`` carries them together, once per verb."""

    STEPS = enum.auto()  # the fed steps' trace: t, h_t, y_t
    SEQUENCE = enum.auto()  # the inputs (and a text's vocabulary) were replaced
    CONFIG = enum.auto()  # a setting or the network's weights
    GRADIENTS = enum.auto()  # BPTT ran, or its result was dropped
    SELECTION = enum.auto()  # the step the user picked
    SWEEP = enum.auto()  # the backward animation's cursor
    # The layer and direction the single-layer panels show; its weights, trace and
    # gradients change along (CONFIG, STEPS, GRADIENTS), so every panel follows it.
    FOCUS = enum.auto()
    # After these, anything computed from the network or the inputs is stale.
    DATA = STEPS | SEQUENCE | CONFIG


_EVERYTHING = Change.DATA | Change.GRADIENTS | Change.SELECTION | Change.SWEEP | Change.FOCUS


# What the views read, and the flag that says it changed. The session replaces arrays and
# results instead of changing them in place, so a new object is new content; settings, the
# vocabulary and step numbers are compared by value (an equal config may be a new object).
_WATCHED: tuple[tuple[str, Change, bool], ...] = (
    ("_trace", Change.STEPS, False),
    ("sequence", Change.SEQUENCE, False),
    ("vocab", Change.SEQUENCE, True),
    ("source", Change.SEQUENCE, True),
    ("params", Change.CONFIG, False),
    ("config", Change.CONFIG, True),
    ("gradients", Change.GRADIENTS, False),
    ("selected", Change.SELECTION, True),
    ("sweep", Change.SWEEP, True),
    ("_focus", Change.FOCUS, True),
)


class Session:
    """Config, network, the input sequence and how far it has been fed, and what BPTT found.

    Steps are numbered 1..t; ``t`` steps of ``sequence`` have been fed. ``selected`` is the
    step the user is looking at (defaults to the newest); ``sweep`` is how far the animated
    backward pass has come down from t (None when not animating); ``source`` says where the
    sequence came from.

    The network is a stack of ``depth`` = (L, D) layers and directions. A one-layer
    unidirectional network runs as it always did (``RNN``, stepped); a stack runs in a
    ``StackRNN``: stepped a layer at a time when unidirectional, recomputed over the fed
    steps when bidirectional. ``params``, ``trace``, ``gradients``, ``spectra`` and
    ``reach`` are those of the ``focus`` (layer, direction) (see session/depth.py);
    ``stack_params``, ``stack_trace`` and ``depth_grad_norm`` are the whole network's.
    """

    changed = Signal(Change)  # once per verb, with what it changed

    def __init__(self, config: SessionConfig | None = None) -> None:
        self.config = config or SessionConfig()
        self.vocab = ""
        self.sequence = np.zeros((0, self.config.input_size))  # (N, I)
        self.source = Source("preset", self.config.preset)
        self._base_params: Params | None = None
        self.params: Params
        # A stack (None for one unidirectional layer), as drawn and as rescaled to ρ.
        self._base_stack: StackParams | None = None
        self._stack: StackParams | None = None
        self._base_stack_spectra: list[list[tuple[float, float]]] = []
        self._base_stack_spectra_of: StackParams | None = None
        # Each direction of each layer's (ρ, σ_max), scaled from the drawn ones, and the
        # stack they are of: a change of focus or of ρ needs no eigenvalues.
        self._stack_spectra: list[list[analysis.Spectra]] = []
        self._stack_spectra_of: StackParams | None = None
        self._focus = (0, 0)
        self._stack_trace: StackTrace | None = None
        self._stack_gradients: StackBPTTResult | None = None
        # The one-layer network as a stack, built on request, for the objects it is of.
        self._one_layer_params: tuple[Params, StackParams] | None = None
        self._one_layer_trace: tuple[ForwardTrace, StackTrace] | None = None
        self.gradients: BPTTResult | None = None
        self._reach: ReachOf | None = None  # the last step's loss, with what it came from
        self._base_spectra: list[tuple[float, float]] = []
        self._base_spectra_of: Params | None = None
        self.selected: int | None = None
        self.sweep: int | None = None
        self._emitted = 0  # how many times ``changed`` was emitted (see _atomic)
        # Targets given with the inputs (set_params), kept with the very sequence they
        # belong to: once the inputs are replaced, they no longer apply.
        self._given_targets: tuple[np.ndarray, np.ndarray] | None = None
        self._load_preset_sequence()
        self._build_network()
        self._rnn = self._new_rnn()
        self._refresh_trace()

    # ---- what views read -------------------------------------------------------------
    @property
    def t(self) -> int:
        return self._rnn.t

    @property
    def trace(self) -> ForwardTrace:
        """The focused layer and direction over the fed steps, in step order."""
        return self._trace

    @property
    def depth(self) -> tuple[int, int]:
        """(L, D): the network's layers, and directions per layer (2: bidirectional)."""
        s = self._stack
        return (1, 1) if s is None else (s.num_layers, s.num_directions)

    @property
    def focus(self) -> tuple[int, int]:
        """The (layer, direction) the single-layer panels show, 0-based; the top layer's
        forward direction unless the user chose another (``set_focus``)."""
        return self._focus

    @property
    def stack_params(self) -> StackParams:
        """The whole network, also when it is one unidirectional layer."""
        if self._stack is not None:
            return self._stack
        cached = self._one_layer_params
        if cached is None or cached[0] is not self.params:
            cached = self._one_layer_params = (self.params, StackParams.from_single(self.params))
        return cached[1]

    @property
    def network(self) -> Params | StackParams:
        """The network as a file holds it: ``Params`` for one unidirectional layer (the
        names every version reads), else the stack."""
        return self.params if self._stack is None else self._stack

    @property
    def stack_trace(self) -> StackTrace:
        """The whole network over the fed steps (one layer: its trace, not recomputed)."""
        if self._stack_trace is not None:
            return self._stack_trace
        cached = self._one_layer_trace
        if cached is None or cached[0] is not self._trace:
            built = one_layer_trace(self._trace, self.stack_params)
            cached = self._one_layer_trace = (self._trace, built)
        return cached[1]

    @property
    def depth_grad_norm(self) -> np.ndarray | None:
        """‖dL/dh_t‖ of every layer and direction after the backward pass, (L, D, t): the
        total gradient, through later steps and the layers above. None before it."""
        if self._stack_gradients is not None:
            return self._stack_gradients.dL_dh_norm  # (L, D, t)
        g = self.gradients
        return None if g is None else g.dL_dh_norm[None, None, :]  # (1, 1, t)

    @property
    def targets(self) -> np.ndarray:
        """Targets for the fed steps: (t, O) for mse, (t,) class indices for text."""
        return self.targets_for(self.t)

    @property
    def loss(self) -> str:
        """Cross-entropy over the vocabulary for text, or for given class targets; mean
        squared error otherwise."""
        given = self._targets_given()
        if given is not None:
            return "mse" if given.ndim == 2 else "xent"
        text = self.config.encoding == "text" and self.params.output_size == len(self.vocab)
        return "xent" if text else "mse"

    @property
    def spectra(self) -> analysis.Spectra:
        return self._spectra

    @property
    def regime(self) -> analysis.Regime:
        """The badge: from ``reach``, so it is the same before and after the backward pass."""
        reach = self.reach
        return analysis.NO_REGIME if reach is None else reach.regime

    @property
    def reach(self) -> analysis.Reach | None:
        """How far the last step's loss reaches back over the fed steps, with its bound,
        rate or gate path (None before a step is fed). Computed on request, once per trace
        and settings: one backward pass of the last step's loss (none when the loss is
        only there and the backward pass has run)."""
        if self.t == 0:
            return None
        cached = self.cached_reach()
        if cached is not None:
            return cached
        computed = run_to_end(self.reach_steps())
        self.keep_reach(computed)
        return computed.reach

    @property
    def backward_work(self) -> int:
        """What a backward pass costs, roughly: steps × units × gates × layers × directions
        (views run it in a worker beyond a threshold)."""
        L, D = self.depth
        return self.t * self.params.hidden_size * self.params.n_gates * L * D

    @property
    def reach_work(self) -> int:
        """What computing ``reach`` costs, as ``backward_work``: the top layer's forward
        direction needs its own layer only (see reach_steps), any other the whole stack."""
        L, _ = self.depth
        if self.focus == (L - 1, 0):
            return self.t * self.params.hidden_size * self.params.n_gates
        return self.backward_work

    def cached_reach(self) -> analysis.Reach | None:
        """``reach`` if it is already computed for the current steps and settings, else None."""
        cached = self._reach
        if cached is not None and self._is_current(cached.trace, cached.config, cached.spectra):
            return cached.reach
        return None

    def reach_steps(self) -> Steps[ReachOf]:
        """``reach`` as a generator for a worker thread (a backward pass: seconds at 5000
        steps of 256 units); ``keep_reach`` stores what it returns. It reads the session
        now: nothing the session does while it runs reaches it."""
        trace, targets, loss, c, spectra = (
            self._trace, self.targets, self.loss, self.config, self._spectra
        )  # fmt: skip
        total = self.gradients
        stack = self._stack_trace
        (L, _), focus = self.depth, self._focus

        def steps() -> Steps[ReachOf]:
            yield 0, 1
            # The top layer's forward direction is a single layer of its own: the readout
            # (its columns of W_hy) and its own recurrence are all its gradient goes
            # through, so its trace alone gives the curve, and the single-layer theory holds.
            if stack is None or focus == (L - 1, 0):
                found = analysis.reach(trace, targets, loss, c.loss_at, c.truncate, spectra, total)
                return ReachOf(trace, c, spectra, found)
            last = _stack_last_step(stack, targets, loss, c, focus)
            found = analysis.reach(
                trace, targets, loss, c.loss_at, c.truncate, spectra, found=last, theory=False
            )
            return ReachOf(trace, c, spectra, found)

        return steps()

    def keep_reach(self, computed: ReachOf) -> bool:
        """Keep a reach from ``reach_steps`` for ``reach`` to return; False (dropped) when
        the steps or settings changed since it began."""
        if not self._is_current(computed.trace, computed.config, computed.spectra):
            return False
        self._reach = computed
        return True

    def _is_current(
        self, trace: ForwardTrace, config: SessionConfig, spectra: analysis.Spectra
    ) -> bool:
        return trace is self._trace and config == self.config and spectra is self._spectra

    @property
    def selected_step(self) -> int | None:
        """The step the panels focus on: the user's choice, else the newest step."""
        if self.selected is not None and 1 <= self.selected <= self.t:
            return self.selected
        return self.t if self.t > 0 else None

    # ---- verbs ---------------------------------------------------------------------
    def feed(self, x: np.ndarray) -> np.ndarray:
        """Feed one input (I,) at step t+1, dropping any fed-ahead steps after t; returns y."""
        with self._verb():
            x = np.asarray(x, dtype=float).reshape(-1)
            if x.shape != (self.config.input_size,):
                raise InputError(f"expected {self.config.input_size} numbers, got {x.size}")
            self._check_length(self.t + 1)
            self.sequence = np.vstack([self.sequence[: self.t], x[None, :]])  # (t+1, I)
            self.source = Source("typed")
            return self._advance()

    def feed_text(self, text: str) -> int:
        """Parse what the user typed and feed every step of it. Returns how many were fed.

        Raises InputError (with a short message) and feeds nothing when any part is bad.
        """
        with self._verb():
            rows = self.parse(text)
            self._check_length(self.t + rows.shape[0])
            self.sequence = np.vstack([self.sequence[: self.t], rows])  # (t+k, I)
            self.source = Source("typed")
            # One forward pass and one trace for all k steps: a trace per step copies the
            # whole history each time, and 10,000 pasted numbers took minutes.
            self._rnn.run(rows)
            self._after_step()
            return rows.shape[0]

    def parse(self, text: str) -> np.ndarray:
        """The (k, I) inputs that typing ``text`` would feed, or InputError."""
        if self.config.encoding == "text":
            if not text:
                raise InputError("type some characters")
            return one_hot(text, self.vocab)
        return parse_numbers(text, self.config.input_size)

    def step_forward(self) -> bool:
        """Feed the next input of the sequence; False at its end."""
        with self._verb():
            if self.t >= self.sequence.shape[0]:
                return False
            self._advance()
            return True

    def prepare_next_step(self) -> None:
        """Work out ahead what the next step of the sequence will show, where that is long:
        a bidirectional stack's trace is worked out anew for every step (its backward
        direction starts after the last one). A window calls this when it is idle, between
        two steps of Play; the next ``step_forward`` then finds it. Nothing shown changes."""
        if isinstance(self._rnn, StackRNN) and self.t < self.sequence.shape[0]:
            self._rnn.prepare(self.sequence[self.t])

    def step_back(self) -> bool:
        """Go back one step through history (the input stays in the sequence)."""
        with self._verb():
            if self.t == 0:
                return False
            self._rnn.step_back()
            self._after_step()
            return True

    def seek(self, t: int) -> None:
        """Jump to having fed exactly ``t`` steps of the sequence (the timeline slider)."""
        with self._verb():
            self._seek(t)

    def reset(self) -> None:
        """Back to t = 0 with h_0; the sequence stays, ready to step again."""
        with self._verb():
            self._seek(0)
            self.selected = None

    @_atomic
    def set_sequence(self, values: np.ndarray | str, source: Source | None = None) -> None:
        """Replace the inputs (numbers (N,) or (N, I), or text) and go back to t = 0.

        ``source`` says where they came from (by default the user's text, or given values).
        """
        with self._verb():
            if isinstance(values, str):
                self._set_text(values)
                self.source = source or Source("text", values)
            else:
                arr = np.asarray(values, dtype=float)
                if arr.ndim == 1:
                    arr = arr[:, None]
                if arr.ndim != 2 or arr.shape[0] == 0:
                    raise InputError("a sequence needs at least one step")
                if not np.isfinite(arr).all():
                    raise InputError("a sequence holds only finite numbers")
                self._check_length(arr.shape[0], arr.shape[1])
                if self.config.encoding == "text" or arr.shape[1] != self.config.input_size:
                    encoding = "scalar" if arr.shape[1] == 1 else "vector"
                    self._reconfigure(encoding=encoding, input_size=arr.shape[1])
                self.sequence = arr
                self.source = source or Source("values")
            self._restart()

    @_atomic
    def load_preset(self, name: str, source: Source | None = None) -> None:
        """The ready-made sequence ``name`` (``source``: who asked for it, by default the
        preset itself), back to t = 0."""
        with self._verb():
            self.config = self.config.changed(preset=name)
            if name in TEXT_PRESETS:
                self._set_text(TEXT_PRESETS[name])
            else:
                if self.config.encoding != "scalar":
                    self._reconfigure(encoding="scalar", input_size=1)
                self._load_preset_sequence()
            self.source = source or Source("preset", name)
            self._restart()

    @_atomic
    def set_config(self, **changes: object) -> None:
        """Change settings. Network-shaping ones draw a new network (same seed, same draw).

        The inputs always fit the encoding: switching to text loads the "hello world" text
        (input size = its vocabulary), switching away from text loads a numeric preset.
        """
        with self._verb():
            old = self.config
            new = old.changed(**changes)
            # A length asked for that the sequence does not have (it was typed or drawn)
            # loads the preset at that length, even when the setting already says so.
            relength = (
                "sequence_length" in changes and self.sequence.shape[0] != new.sequence_length
            )
            if new == old and not relength:
                return
            text = None
            if new.encoding == "text":
                text = TEXT_PRESETS.get(new.preset, TEXT_PRESETS["hello world"])
                if old.encoding == "text" and self.vocab and new.preset == old.preset:
                    text = None  # keep the text the user has
                vocab = vocabulary(text) if text is not None else self.vocab
                new = new.changed(input_size=len(vocab))
            else:
                if new.preset in TEXT_PRESETS:
                    new = new.changed(preset=SessionConfig().preset)
                if new.encoding == "scalar":
                    new = new.changed(input_size=1)
            self.config = new
            reload = new.encoding != "text" and (
                relength
                or old.preset != new.preset
                or old.sequence_length != new.sequence_length
                or old.encoding == "text"
                or self.sequence.shape[1] != new.input_size
            )
            if text is not None:
                self.vocab = vocabulary(text)
                self.sequence = one_hot(text, self.vocab)  # (N, V)
                self.source = Source("preset", new.preset)
            elif reload:
                self._load_preset_sequence()
                self.source = Source("preset", new.preset)
            if draws_new_network(old, new):
                self._build_network()
            elif old.spectral_radius != new.spectral_radius:
                self._apply_radius()
            self._replay()

    @_atomic
    def restore(
        self,
        config: SessionConfig,
        params: Params | StackParams,
        sequence: np.ndarray,
        vocab: str,
        t: int,
        selected: int | None,
        source: Source | None = None,
    ) -> None:
        """Put back a saved state exactly: settings, weights, inputs, steps fed, selection
        (``source``: where the inputs came from, by default the session file)."""
        with self._verb():
            if isinstance(params, StackParams) and params.embedding is not None:
                raise InputError("a saved network never holds an embedding")
            if sequence.ndim != 2 or sequence.shape[1] != params.input_size:
                raise InputError("the saved inputs do not fit the saved weights")
            if config.encoding == "text" and len(vocab) != params.input_size:
                raise InputError("the saved vocabulary does not fit the saved weights")
            depth = (config.num_layers, 2 if config.bidirectional else 1)
            if depth != _depth_of(params):
                raise InputError("the saved settings' layers do not fit the saved weights")
            self.config, self.vocab, self.sequence = config, vocab, np.array(sequence, dtype=float)
            self.source = source or Source("saved")
            self._hold(params)  # exactly the saved weights
            self._rnn = self._new_rnn()
            self._rnn.run(self.sequence[: int(np.clip(t, 0, self.sequence.shape[0]))])
            self._refresh_trace()
            self._clear_gradients()
            self.selected = selected

    @_atomic
    def set_params(
        self,
        params: Params | StackParams,
        sequence: np.ndarray | str | list | None = None,
        targets: np.ndarray | None = None,
        source: Source | None = None,
    ) -> None:
        """Use given weights (imported or trained), optionally with the inputs to feed them
        and their ``targets``: (N, O) numbers for mean squared error, or (N,) whole class
        indices for cross-entropy. Without targets the output echoes the input (targets_for).
        ``source``: where the inputs came from, by default an example of the trained task.

        The input encoding follows the weights' input size (text needs a text whose
        vocabulary has exactly that many characters). The ρ setting shows the weights' ρ, and
        moving it rescales these weights. Fed steps are replayed when the inputs still fit.

        A stack (``StackParams``, bidirectional too) is held whole, its top layer in focus; its
        ρ setting is the top layer's, and moving it rescales every layer to it. With an
        embedding, ``sequence`` holds token ids: the inputs are their rows of the table.
        """
        if targets is not None and sequence is None:
            raise InputError("targets need the inputs they belong to")
        with self._verb():
            if isinstance(params, StackParams) and params.embedding is not None:
                if sequence is None or isinstance(sequence, str):
                    raise InputError(f"give the token ids to feed a {params.describe()}")
                try:
                    tokens = as_tokens(sequence, params.embedding.shape[0])  # (N,)
                except ValueError as e:
                    raise InputError(str(e)) from None
                sequence = params.embedding[tokens]  # (N, I): nn.Embedding is a row lookup
                params = replace(params, embedding=None, padding_idx=None)
            L, D = _depth_of(params)
            top = params if isinstance(params, Params) else focused_params(params, L - 1, 0)
            rho = analysis.spectra(top).rho
            changes: dict[str, object] = {
                "cell": params.cell,
                "activation": params.activation,
                "hidden_size": params.hidden_size,
                "input_size": params.input_size,
                "dtype": str(params.dtype),
                "spectral_radius": float(np.clip(rho, 0.0, 10.0)),
                "num_layers": L,
                "bidirectional": D == 2,
            }
            vocab, rows = self.vocab, None
            if isinstance(sequence, str):
                vocab = vocabulary(sequence)
                if len(vocab) != params.input_size:
                    raise InputError(
                        f"the text has {len(vocab)} distinct characters; "
                        f"these weights take {params.input_size} inputs"
                    )
                rows, changes["encoding"] = one_hot(sequence, vocab), "text"
            else:
                if sequence is not None:
                    rows = np.asarray(sequence, dtype=float).reshape(len(sequence), -1)  # (N, I)
                    if rows.shape[1] != params.input_size:
                        raise InputError(
                            f"the inputs have {rows.shape[1]} values per step; "
                            f"these weights take {params.input_size}"
                        )
                text_fits = self.config.encoding == "text" and len(self.vocab) == params.input_size
                if not text_fits:
                    changes["encoding"] = "scalar" if params.input_size == 1 else "vector"
            config = self.config.changed(**changes)  # validates before anything changes
            self.config, self.vocab = config, vocab
            self._hold(params)
            if rows is not None:
                self.sequence = rows
                self.source = source or Source("trained")
            elif self.sequence.shape[1] != params.input_size:
                self.sequence = np.zeros((config.sequence_length, params.input_size))
                self.source = Source("zeros")
            self._given_targets = None
            if targets is not None:
                self._given_targets = (self.sequence, _given(targets, self.sequence, top))
            self._replay()

    def run_backward(self) -> BPTTResult | None:
        """BPTT over the fed steps; the result stays until the steps or the network change."""
        with self._verb():
            if self.t == 0:
                return None
            if self._stack_trace is None:
                self.gradients = _backward(self.trace, self.targets, self.loss, self.config)
            else:
                self._keep_stack_gradients(
                    _stack_backward(self._stack_trace, self.targets, self.loss, self.config)
                )
            self.sweep = None
            return self.gradients

    def backward_steps(self) -> Steps[Backward]:
        """``run_backward`` as a generator for a worker thread (seconds at 5000 steps of 256
        units); ``set_backward`` stores what it returns. It reads the session now: nothing
        the session does while it runs reaches it."""
        trace, targets, loss, config = self.trace, self.targets, self.loss, self.config
        stack, stack_params, (k, d) = self._stack_trace, self._stack, self._focus

        def steps() -> Steps[Backward]:
            yield 0, 1
            if stack is None or stack_params is None:
                return Backward(trace, config, _backward(trace, targets, loss, config))
            whole = _stack_backward(stack, targets, loss, config)
            return Backward(trace, config, focused_gradients(whole, stack_params, k, d), whole)

        return steps()

    def set_backward(self, backward: Backward) -> bool:
        """Store a pass from ``backward_steps``; False (nothing changes) when the steps or
        the settings changed since it began, so it no longer describes them."""
        with self._verb():
            if backward.trace is not self._trace or backward.config != self.config:
                return False
            if backward.stack is None:
                self.gradients = backward.result
            else:
                self._keep_stack_gradients(backward.stack)
            self.sweep = None
            return True

    def work(self, verb: str, *args: Any, **kwargs: Any) -> int:
        """Roughly how long ``verb(*args, **kwargs)`` would take, in ns (beyond
        ``prepared.INLINE_WORK`` a window computes it with ``prepare`` in a worker): the
        steps it feeds or replays × (gates × H² + a step's fixed cost), plus the spectra of
        a network it draws or is given."""
        c = self.config
        hidden, gates, steps, spectra = c.hidden_size, GATES[c.cell], self.t, 0
        blocks = c.num_layers * (2 if c.bidirectional else 1)  # layers × directions
        if verb == "set_config":
            try:
                new = c.changed(**kwargs)
            except (TypeError, ValueError):
                return 0  # refused at once
            hidden, gates = new.hidden_size, GATES[new.cell]
            blocks = new.num_layers * (2 if new.bidirectional else 1)
            spectra = int(draws_new_network(c, new))
        elif verb == "feed_text":
            text = str(args[0])
            numbers = len(_NUMBER.findall(text)) // c.input_size
            steps = len(text) if c.encoding == "text" else numbers
        elif verb in ("restore", "set_params"):
            params: Params | StackParams = args[1] if verb == "restore" else args[0]
            hidden, gates, spectra = params.hidden_size, GATES[params.cell], 1
            layers, directions = _depth_of(params)
            blocks = layers * directions
            if verb == "restore":
                steps = int(args[4])
        elif verb == "load_preset":
            steps, spectra = c.sequence_length, 1  # a new sequence, maybe a new network
        per_step = blocks * gates * hidden**2 + _STEP_WORK
        return steps * per_step + spectra * _SPECTRA_WORK * blocks * gates * hidden**3

    def prepare(self, verb: str, *args: Any, **kwargs: Any) -> Steps[prepared.Prepared]:
        """The verb ``verb`` computed on a copy of the session, as a generator for a worker
        thread (a second at the widgets' maxima); ``commit`` puts in what it returns."""
        return prepared.steps(self, _STATE, verb, args, kwargs)

    def commit(self, done: prepared.Prepared) -> bool:
        """Put in a verb computed by ``prepare``, with the one ``changed`` the verb itself
        would have emitted; False (nothing changes) when the session changed since it began."""
        with self._verb():
            return prepared.swap_in(self, done)

    def set_sweep(self, step: int | None) -> None:
        """Move the backward animation's cursor (step T down to 1), or end it with None."""
        with self._verb():
            self.sweep = step

    @_atomic
    def set_focus(self, layer: int, direction: int) -> None:
        """Show layer ``layer``, direction ``direction`` (0-based; 1 is backward) in the
        single-layer panels; InputError when the network has no such layer or direction."""
        with self._verb():
            L, D = self.depth
            whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (layer, direction))
            if not whole or not (0 <= layer < L and 0 <= direction < D):
                raise InputError(
                    f"no layer {layer}, direction {direction}: the network has {L} "
                    f"layer{'s' if L > 1 else ''} of {D} direction{'s' if D > 1 else ''}"
                )
            if (layer, direction) != self._focus:
                self._focus = (layer, direction)
                self._show_focus()

    def select(self, t: int | None) -> None:
        """Focus every panel on step t (1-based), or on the newest step with None."""
        with self._verb():
            if t is not None and not 1 <= t <= max(self.t, 1):
                return
            self.selected = t

    # ---- internals -----------------------------------------------------------------
    @contextlib.contextmanager
    def _verb(self) -> Iterator[None]:
        """Around the body of a verb: when it completes, ``changed`` is emitted once with
        everything it changed, and not at all when it changed nothing; a verb that raises
        emits nothing.

        What changed is read from the state, not announced by the helpers a verb calls: a
        verb cannot forget a flag, and a chain of helpers cannot emit a burst. Verbs never
        call each other (that would emit twice); they share private helpers instead. (A
        context, not a decorator: Qt passes a signal's arguments to a ``*args`` wrapper, and
        ``triggered.connect(session.step_back)`` would get ``checked``.)
        """
        before = [getattr(self, name) for name, _, _ in _WATCHED]
        yield
        changes = Change(0)
        for (name, flag, by_value), old in zip(_WATCHED, before, strict=True):
            new = getattr(self, name)
            if new is not old and not (by_value and new == old):
                changes |= flag
        if changes:
            self._emitted += 1
            self.changed.emit(changes)

    def _check_length(self, steps: int, width: int | None = None) -> None:
        """InputError if ``steps`` inputs (of ``width`` values) would exceed the limits."""
        c = self.config
        D = 2 if c.bidirectional else 1
        per_step = max(GATES[c.cell] * c.hidden_size, width or c.input_size, D * c.hidden_size)
        try:
            limits.check_steps(steps, per_step, "the inputs")
        except limits.LimitError as e:
            raise InputError(str(e)) from None

    def _seek(self, t: int) -> None:
        t = int(np.clip(t, 0, self.sequence.shape[0]))
        if t == self.t:
            return
        if t < self.t:
            self._rnn.rewind(t)  # the history is kept: going back costs nothing
        self._rnn.run(self.sequence[self.t : t])
        self._after_step()

    def _advance(self) -> np.ndarray:
        y = self._rnn.step(self.sequence[self.t])
        self._after_step()
        return y

    def _after_step(self) -> None:
        self._refresh_trace()
        self._clear_gradients()

    def _clear_gradients(self) -> None:
        self.gradients, self.sweep = None, None
        self._stack_gradients = None

    def _refresh_trace(self) -> None:
        rnn = self._rnn
        if isinstance(rnn, RNN):
            self._trace, self._stack_trace = rnn.trace(), None
        else:
            self._stack_trace = rnn.trace()
            self._trace = focused_trace(self._stack_trace, *self._focus, self.params)

    def _new_rnn(self) -> RNN | StackRNN:
        return RNN(self.params) if self._stack is None else StackRNN(self._stack)

    def _hold(self, params: Params | StackParams) -> None:
        """Hold exactly these weights (a one-layer unidirectional stack as ``Params``),
        focused on the top layer's forward direction."""
        if isinstance(params, StackParams) and _depth_of(params) == (1, 1):
            params = params.single()
        if isinstance(params, Params):
            self._base_stack = self._stack = None
            self._base_params = self.params = params
            self._focus = (0, 0)
            self._spectra = analysis.spectra(params)
            return
        self._base_params = None
        self._base_stack = self._stack = params
        self._focus = (params.num_layers - 1, 0)
        self._focus_params()

    def _focus_params(self) -> None:
        """The focused layer's weights and spectra, from the stack."""
        assert self._stack is not None
        self.params = focused_params(self._stack, *self._focus)
        if self._stack_spectra_of is self._stack:
            k, d = self._focus
            self._spectra = self._stack_spectra[k][d]
        else:
            self._spectra = analysis.spectra(self.params)

    def _show_focus(self) -> None:
        """What the panels read, for the new focus (the network and the steps stay)."""
        self._focus_params()
        if self._stack_trace is not None:
            self._trace = focused_trace(self._stack_trace, *self._focus, self.params)
        if self._stack_gradients is not None:
            self._keep_stack_gradients(self._stack_gradients)

    def _keep_stack_gradients(self, whole: StackBPTTResult) -> None:
        assert self._stack is not None
        self._stack_gradients = whole
        self.gradients = focused_gradients(whole, self._stack, *self._focus)

    def _restart(self) -> None:
        self._rnn = self._new_rnn()
        self.selected = None
        self._refresh_trace()
        self._clear_gradients()

    def _replay(self) -> None:
        """Recompute the fed steps with the current network (the inputs stay)."""
        t = min(self.t if hasattr(self, "_rnn") else 0, self.sequence.shape[0])
        self._rnn = self._new_rnn()
        self._rnn.run(self.sequence[:t])
        self._refresh_trace()
        self._clear_gradients()

    def _reconfigure(self, **changes: object) -> None:
        self.config = self.config.changed(**changes)
        self._build_network()

    def _set_text(self, text: str) -> None:
        if not text:
            raise InputError("the text is empty")
        vocab = vocabulary(text)
        if self.config.encoding != "text" or vocab != self.vocab:
            self.vocab = vocab
            self._reconfigure(encoding="text", input_size=len(vocab))
        self.sequence = one_hot(text, vocab)  # (N, V)

    def _load_preset_sequence(self) -> None:
        c = self.config
        if c.preset in TEXT_PRESETS:
            self._set_text(TEXT_PRESETS[c.preset])
            return
        rng = np.random.default_rng(c.seed)
        signal = numeric_preset(c.preset, c.sequence_length, rng)  # (N,)
        self.sequence = np.repeat(signal[:, None], c.input_size, axis=1)  # (N, I)

    def _output_size(self) -> int:
        return len(self.vocab) if self.config.encoding == "text" else self.config.input_size

    def _build_network(self) -> None:
        c = self.config
        before = self.depth
        rng = np.random.default_rng(c.seed)
        init = {
            "scheme": c.init,
            "activation": c.activation,
            "dtype": c.dtype,
            "gate_bias": c.gate_bias,
            "t_max": c.t_max,
        }
        I, H, O = c.input_size, c.hidden_size, self._output_size()
        if c.num_layers == 1 and not c.bidirectional:
            self._base_stack, self._stack = None, None
            self._base_params = init_params(c.cell, I, H, O, rng, **init)  # type: ignore[arg-type]
        else:
            # The same draw as init_stack's: each direction of each layer as init_params.
            self._base_params = None
            self._base_stack = init_stack(
                c.cell, I, H, O, rng, c.num_layers, c.bidirectional, **init
            )
        depth = (c.num_layers, 2 if c.bidirectional else 1)
        if depth != before:
            self._focus = (depth[0] - 1, 0)  # a new depth shows its top layer
        self._apply_radius()

    def _apply_radius(self) -> None:
        """Rescale the drawn W_hh to the ρ setting; its spectra scale along (no eigvals)."""
        if self._base_stack is not None:
            self._apply_stack_radius(self._base_stack)
            return
        assert self._base_params is not None
        base = self._base_gate_spectra()
        radii = [rho for rho, _ in base]
        target = self.config.spectral_radius
        if min(radii) == 0.0:
            self.params = self._base_params  # ρ = 0 (e.g. an all-zero W_hh) cannot be rescaled
            self._spectra = analysis.Spectra(max(radii), max(s for _, s in base))
            return
        self.params = with_spectral_radius(self._base_params, target, radii)
        # Eigenvalues and singular values both scale linearly with the matrix.
        self._spectra = analysis.Spectra(target, max(sigma * target / rho for rho, sigma in base))

    def _apply_stack_radius(self, base: StackParams) -> None:
        """Every direction of every layer rescaled to the ρ setting."""
        if self._base_stack_spectra_of is not base:
            self._base_stack_spectra = [
                [list(gate_spectra(base.layer_params(k, d)).values()) for d in range(D)]
                for k, D in enumerate([base.num_directions] * base.num_layers)
            ]
            self._base_stack_spectra_of = base
        spectra, target = self._base_stack_spectra, self.config.spectral_radius
        if min(rho for per_layer in spectra for gates in per_layer for rho, _ in gates) == 0.0:
            self._stack = base  # ρ = 0 somewhere cannot be rescaled: the drawn weights
            self._stack_spectra = [
                [analysis.Spectra(max(r for r, _ in g), max(s for _, s in g)) for g in layer]
                for layer in spectra
            ]
        else:
            self._stack = map_layers(
                base,
                lambda k, d, p: with_spectral_radius(p, target, [r for r, _ in spectra[k][d]]),
            )
            # Eigenvalues and singular values both scale linearly with the matrix.
            self._stack_spectra = [
                [analysis.Spectra(target, max(s * target / r for r, s in g)) for g in layer]
                for layer in spectra
            ]
        self._stack_spectra_of = self._stack
        self._focus_params()

    def _base_gate_spectra(self) -> list[tuple[float, float]]:
        """(ρ, σ_max) of each gate block of the drawn network, computed once per network."""
        if self._base_spectra_of is not self._base_params:
            self._base_spectra = list(gate_spectra(self._base_params).values())
            self._base_spectra_of = self._base_params
        return self._base_spectra

    def _targets_given(self) -> np.ndarray | None:
        given = self._given_targets
        return given[1] if given is not None and given[0] is self.sequence else None

    def targets_for(self, t: int) -> np.ndarray:
        """Targets for the first t steps: the ones given with the inputs (set_params), else
        y_t should reproduce x_{t−lag}.

        Before the sequence starts the target is 0 (class 0 for text). Weights whose output
        size differs from the input size (imported ones) have no echo to learn: their
        target is 0, so the loss measures the outputs' size.
        """
        given = self._targets_given()
        if given is not None:
            return given[:t]
        lag, n_out = self.config.target_lag, self.params.output_size
        x = self.sequence[:t]  # (t, I)
        if self.config.encoding == "text" and n_out == len(self.vocab):
            classes = np.argmax(x, axis=1) if t else np.zeros(0, dtype=int)  # (t,)
            out = np.zeros(t, dtype=int)
            out[lag:] = classes[: max(t - lag, 0)]
            return out
        out = np.zeros((t, n_out))  # (t, O)
        if n_out == x.shape[1]:
            out[lag:] = x[: max(t - lag, 0)]
        return out


def _depth_of(params: Params | StackParams) -> tuple[int, int]:
    if isinstance(params, Params):
        return 1, 1
    return params.num_layers, params.num_directions


def _stack_backward(
    trace: StackTrace, targets: np.ndarray, loss: str, c: SessionConfig
) -> StackBPTTResult:
    return stack_bptt(
        trace, targets, loss=loss, loss_at=c.loss_at, truncate=c.truncate, clip=c.clip
    )


def _stack_last_step(
    trace: StackTrace,
    targets: np.ndarray,
    loss: str,
    c: SessionConfig,
    focus: tuple[int, int],
) -> LastStepGradient:
    """‖∂L_T/∂h_t‖ of one direction of one layer of a stack (see engine.reach): the last
    step's term of the loss, through time and the layers above."""
    found = stack_bptt(trace, targets, loss=loss, loss_at="last", truncate=c.truncate)
    share = 1.0 / scored_steps(trace.T, c.loss_at).size
    k, d = focus
    norm = found.layers[k][d].dL_dh_norm * share  # (T,)
    return LastStepGradient(norm, found.valid, found.exploded_at, found.exploded_in)


def _given(targets: np.ndarray, sequence: np.ndarray, params: Params) -> np.ndarray:
    """Targets checked against the inputs and the readout: (N, O) floats, or (N,) classes."""
    arr = np.asarray(targets)
    N, O = sequence.shape[0], params.output_size
    if arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
        if arr.shape != (N,) or arr.min(initial=0) < 0 or arr.max(initial=0) >= O:
            raise InputError(f"class targets must be {N} whole numbers in 0..{O - 1}")
        return arr.astype(np.int64)
    arr = arr.astype(float).reshape(N, -1) if arr.size == N * O else arr
    if arr.shape != (N, O) or not np.isfinite(arr).all():
        raise InputError(f"targets have shape {np.shape(targets)}; expected ({N}, {O}) numbers")
    return arr
