"""The gradient lab's state: comparisons, the ρ sweep, Jacobians, saturation, training and
the gradient check, computed from the session's network and inputs.

Quick answers are computed on request. Long ones are progress generators (``*_steps``) that
the Qt layer runs in a worker thread; their results come back through ``set_*`` on the GUI
thread, which store them and emit ``changed`` once, like every other state change.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from rnnviz.engine import bptt, forward, init_params, with_spectral_radius
from rnnviz.engine.gates import MAX_SLOPE as MAX_SLOPE  # for the views' captions
from rnnviz.engine.gates import SATURATED_BELOW, mean_gate, relative_slopes, share_saturated
from rnnviz.engine.jacobian import jacobian_between, step_jacobians
from rnnviz.engine.params import CELLS, Params
from rnnviz.engine.progress import Steps, run_to_end
from rnnviz.engine.sweep import radius_sweep_steps
from rnnviz.session.analysis import LOG_FLOOR
from rnnviz.session.config import SessionConfig
from rnnviz.session.encoding import InputError, one_hot
from rnnviz.session.session import Change, Session

if TYPE_CHECKING:
    from rnnviz.engine.gradcheck import (  # noqa: F401 (the verdicts, ε and RTOL: for the view)
        AGREES,
        DISAGREES,
        EPS,
        RTOL,
        TOO_SMALL,
        GradCheck,
    )
    from rnnviz.engine.jacobian_map import JacobianMap
    from rnnviz.engine.tasks import Task
    from rnnviz.engine.train import EpochReport, TrainConfig, TrainingHistory

# The engines of the lab's long computations (training, the tasks, the gradient check, the
# Jacobian map) are imported when first used: no window needs them before its first paint
# (~8 ms of a launch). The names the views read from here come the same way.
_LAZY = {
    **dict.fromkeys(("AGREES", "DISAGREES", "EPS", "RTOL", "TOO_SMALL"), "rnnviz.engine.gradcheck"),
    "TrainingHistory": "rnnviz.engine.train",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The gate whose mean per step shows each gated cell's mechanism.
MECHANISM_GATE: dict[str, tuple[str, str]] = {
    "lstm": ("f", "forget gate f"),
    "gru": ("z", "update gate z"),
}


@dataclass(frozen=True)
class CellCurves:
    cell: str
    dL_dh_norm: np.ndarray  # (T,)
    valid: np.ndarray  # (T,) bool
    dL_dc_norm: np.ndarray | None  # (T,) LSTM: the cell-state path
    gate_label: str | None  # e.g. "forget gate f"
    gate_mean: np.ndarray | None  # (T,) mean over units per step


@dataclass(frozen=True)
class Comparison:
    steps: int
    curves: dict[str, CellCurves]  # keyed by cell name, vanilla/lstm/gru


@dataclass(frozen=True)
class SweepResult:
    rhos: np.ndarray  # (R,)
    log10_norm: np.ndarray  # (R, T) log₁₀ ‖dL/dh_t‖, floored at LOG_FLOOR
    valid: np.ndarray  # (R, T) bool: False where the computation overflowed


@dataclass(frozen=True)
class Saturation:
    """How flat the cell's nonlinearities are: one quantity, per unit and per step.

    ``slope`` holds each nonlinearity's slope over its largest possible slope (0..1), its
    column blocks of H units in the order of ``groups``; ``fraction`` is, per step, the
    share of those slopes below ``threshold``, so it is exactly what ``slope`` shows.
    """

    fraction: np.ndarray  # (T,) share of slope < threshold per step
    slope: np.ndarray  # (T, K*H) relative slopes, K = len(groups) blocks of H units
    groups: tuple[str, ...]  # e.g. ("h",) for vanilla, ("i", "f", "g", "o", "tanh c")
    threshold: float = SATURATED_BELOW


class LabChange(enum.Flag):
    """Which of the lab's results one change replaced; ``Lab.changed`` carries them."""

    COMPARISON = enum.auto()
    SWEEP = enum.auto()  # the ρ sweep
    JACOBIANS = enum.auto()  # the map of ‖∂h_t/∂h_k‖ (LSTM: ‖∂h_t/∂(h_k, c_k)‖)
    TRAINING = enum.auto()
    GRADCHECK = enum.auto()


# Each result, by the attribute that holds it. All but the training history describe the
# session's current network and inputs.
_RESULTS: dict[str, LabChange] = {
    "comparison": LabChange.COMPARISON,
    "sweep": LabChange.SWEEP,
    "jacobian_map": LabChange.JACOBIANS,
    "training": LabChange.TRAINING,
    "gradcheck": LabChange.GRADCHECK,
}
_OF_THE_NETWORK = ("comparison", "sweep", "jacobian_map", "gradcheck")


class Lab:
    changed = Signal(LabChange)  # once per verb, with the results it replaced

    def __init__(self, session: Session) -> None:
        self.session = session
        self.comparison: Comparison | None = None
        self.sweep: SweepResult | None = None
        self.jacobian_map: JacobianMap | None = None  # its first rows while it is computed
        self.gradcheck: GradCheck | None = None
        self.training: TrainingHistory | None = None
        self._adopted: tuple[Params, Params] | None = None  # (weights before, trained weights)
        self._jacobians: tuple[object, np.ndarray] | None = None  # (trace, its step Jacobians)
        self._run_work: tuple[int, float] = (0, 0.0)  # this run's (updates, seconds) so far
        # How the session takes trained weights with their example inputs: True when they
        # are in at once. A window puts large ones in from its worker (False until then).
        self.put_weights: Callable[[Params, np.ndarray | str], bool] = self._put_now
        session.changed.connect(self._on_session_changed)

    # ---- what the lab looks at --------------------------------------------------------
    def inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """The fed steps when there are at least two, else the whole sequence; with targets."""
        s = self.session
        n = s.t if s.t >= 2 else s.sequence.shape[0]
        return s.sequence[:n], s.targets_for(n)

    # ---- 1. side-by-side comparison (worker when long) ----------------------------------
    def compare(self) -> Comparison:
        """Vanilla, LSTM and GRU with the same hidden size and seed on the same inputs."""
        self.set_comparison(run_to_end(self.compare_steps()))
        assert self.comparison is not None
        return self.comparison

    def compare_steps(self) -> Steps[Comparison]:
        """``compare`` as a generator for a worker: yields (cells done, 3), returns the
        Comparison for ``set_comparison``. Reads the session now, not while it runs."""
        s, c = self.session, self.session.config
        x, targets = self.inputs()
        net = s.stack_params  # one-layer cells that read the network's inputs and outputs
        return _compare(net.input_size, net.output_size, c, x, targets, s.loss)

    def set_comparison(self, result: Comparison | None) -> None:
        self._store("comparison", result)

    # ---- 2. the spectral-radius sweep (worker) ----------------------------------------
    def sweep_steps(self, low: float = 0.5, high: float = 1.5, count: int = 41) -> Steps:
        """A generator for a worker: yields progress, returns a SweepResult."""
        if not 0 <= low < high:
            raise ValueError("the ρ range must satisfy 0 ≤ from < to")
        if count < 2:
            raise ValueError("the sweep needs at least 2 values of ρ")
        self._one_layer()
        s, c = self.session, self.session.config
        x, targets = self.inputs()
        rhos = np.linspace(low, high, count)  # (R,)
        return _sweep(s.params, x, targets, rhos, s.loss, c.loss_at, c.truncate)

    def set_sweep(self, result: SweepResult | None) -> None:
        self._store("sweep", result)

    # ---- 3. Jacobians ------------------------------------------------------------------
    # For the LSTM both are of ∂h_t/∂(h_k, c_k): h_t's dependence on the whole state at k,
    # the cell-state path included, which is also what the regime badge measures.
    def pair_singular_values(self, k: int, t: int) -> np.ndarray:
        """Singular values of ∂h_t/∂h_k (LSTM: ∂h_t/∂(h_k, c_k)), 1-based, k ≤ t ≤ steps
        fed, largest first: (H,)."""
        self._one_layer()
        trace = self.session.trace
        M = jacobian_between(trace, k, t, self._step_jacobians(), include_cell_state=True)
        if not np.isfinite(M).all():
            raise ValueError(f"∂h_{t}/∂h_{k} overflows: its norm is beyond the float range")
        return np.linalg.svd(M, compute_uv=False)

    def jacobian_map_steps(self) -> Steps[JacobianMap]:
        """A generator for a worker: yields progress and a JacobianMap of the rows done so
        far after every block of rows; returns the whole T × T map of ‖∂h_t/∂h_k‖₂ (LSTM:
        ‖∂h_t/∂(h_k, c_k)‖₂)."""
        from rnnviz.engine.jacobian_map import jacobian_map_steps

        if self.session.t < 1:
            raise ValueError("feed at least one step first")
        self._one_layer()
        trace = self.session.trace
        return jacobian_map_steps(trace, include_cell_state=True, steps=self._step_jacobians())

    def set_jacobian_map(self, result: JacobianMap | None) -> None:
        """Store the map, or the rows of it done so far."""
        self._store("jacobian_map", result)

    def _step_jacobians(self) -> np.ndarray:
        """The trace's step Jacobians (T, S, S), computed once per trace."""
        trace = self.session.trace
        if self._jacobians is None or self._jacobians[0] is not trace:
            self._jacobians = (trace, step_jacobians(trace))
        return self._jacobians[1]

    # ---- 4. saturation (quick) ---------------------------------------------------------
    def saturation(self) -> Saturation:
        """The saturation of every nonlinearity of the session's fed steps."""
        slopes = relative_slopes(self.session.trace)
        slope = np.concatenate(list(slopes.values()), axis=1)  # (T, K*H)
        return Saturation(share_saturated(slope), slope, tuple(slopes), SATURATED_BELOW)

    # ---- 5. training (worker) ---------------------------------------------------------
    def make_task(self, name: str, length: int = 20, lag: int = 5, text: str = "") -> Task:
        from rnnviz.engine.tasks import (
            adding_task,
            copy_memory_task,
            delay_task,
            next_value_task,
            text_task,
        )

        if name == "delay":
            return delay_task(lag, length)
        if name == "copy-memory":
            return copy_memory_task(lag)  # its length follows from the delay
        if name == "adding":
            return adding_task(length)
        if name == "text":
            if not text:
                raise ValueError("type a text to learn from")
            return text_task(text, length)
        if name == "next-value":
            s = self.session
            signal = s.sequence[:, 0] if s.config.encoding == "scalar" else None
            if signal is not None and signal.size < length + 2:
                signal = None  # too short to cut windows from: fall back to the sine
            return next_value_task(signal, length)
        raise ValueError(f"unknown task {name!r}")

    def training_network(self, task: Task, hidden_size: int | None = None) -> Params:
        """The session's network if it fits the task, else a fresh one of the same kind
        with ``hidden_size`` units (default: the session's hidden size).

        The training form picks its own size because a task the main window's network cannot
        take needs a network of its own, and the main window's size suits stepping through
        by eye, not learning: at the form's default (adding, T = 50) LSTM learns with 16
        units and not with the main window's 8.

        Weights adopted from the last training run do not count as the session's: training
        again starts where that run started, so the same seed repeats the same run.
        """
        s, c = self.session, self.session.config
        p = s.params
        if self._adopted is not None and p is self._adopted[1]:
            p = self._adopted[0]
        if p.input_size == task.input_size and p.output_size == task.output_size:
            return p
        fresh = init_params(
            c.cell,
            task.input_size,
            c.hidden_size if hidden_size is None else hidden_size,
            task.output_size,
            np.random.default_rng(c.seed),
            scheme=c.init,
            activation=c.activation,
            dtype=c.dtype,
            gate_bias=c.gate_bias,
            t_max=max(task.length, 3),  # chrono plans for the task's sequences
        )
        return _rescaled(fresh, c.spectral_radius)

    def training_steps(
        self, task: Task, config: TrainConfig, hidden_size: int | None = None
    ) -> Iterator[EpochReport]:
        """A generator for a worker: one EpochReport per epoch. ``hidden_size``: that of a
        fresh network (see training_network)."""
        from rnnviz.engine.train import TrainingHistory, train

        network = self.training_network(task, hidden_size)  # a bad size raises before the run
        self._run_work = (0, 0.0)
        self._store("training", TrainingHistory(task, (), (), (), None))
        return train(network, task, config)

    @property
    def updates_per_second(self) -> float | None:
        """The current run's optimiser updates per second of computation, over its epochs
        so far (the time the engine spent, not the time the window took to show them)."""
        updates, seconds = self._run_work
        return updates / seconds if updates and seconds > 0 else None

    def record_epoch(self, report: EpochReport) -> None:
        from rnnviz.engine.train import TrainingHistory

        updates, seconds = self._run_work
        self._run_work = (updates + report.updates, seconds + report.seconds)
        h = self.training
        assert h is not None, "training_steps starts the history"
        history = TrainingHistory(
            h.task,
            (*h.losses, report.loss),
            (*h.norm_before, report.grad_norm_before_clip),
            (*h.norm_after, report.grad_norm_after_clip),
            report.params,
        )
        self._store("training", history)

    def set_training(self, history: TrainingHistory | None) -> None:
        """Put back a saved history (or none): what a session file holds."""
        self._store("training", history)

    def adopt_trained(self) -> bool:
        """Step with the trained weights: the session takes them, with an example to feed.
        True when they are in, False while a window puts them in (``put_weights``)."""
        h = self.training
        if h is None or h.params is None:
            raise ValueError("nothing has been trained yet")
        before, task = self.session.params, h.task
        if task.name == "text":
            inputs: np.ndarray | str = "".join(
                task.vocab[i] for i in task.signal[: max(task.length, 40)]
            )
        else:
            inputs = task.draw(np.random.default_rng(self.session.config.seed)).x
        now = self.put_weights(h.params, inputs)
        # Weights put in later are the trained ones too: the way back is what was there.
        if before is not (self._adopted[1] if self._adopted else None):
            self._adopted = (before, h.params)
        else:
            self._adopted = (self._adopted[0], h.params)
        return now

    def _put_now(self, params: Params, inputs: np.ndarray | str) -> bool:
        self.session.set_params(params, inputs)
        return True

    def predict_next_char(self, prime: str) -> dict[str, float]:
        """The trained text model's probabilities for the character after ``prime``."""
        h = self._text_model()
        self._check_prime(prime, h.task.vocab)
        y = forward(h.params, one_hot(prime, h.task.vocab)).y[-1]  # (V,)
        prob = np.exp(y - y.max())
        prob /= prob.sum()
        return dict(zip(h.task.vocab, prob.tolist(), strict=True))

    def sample(self, prime: str, n: int, temperature: float, seed: int = 0) -> str:
        from rnnviz.engine.train import sample_text

        h = self._text_model()
        self._check_prime(prime, h.task.vocab)
        return sample_text(
            h.params, h.task.vocab, prime, n, temperature, np.random.default_rng(seed)
        )

    # ---- 6. gradient check (worker) --------------------------------------------------
    def gradcheck_steps(self) -> Steps[GradCheck]:
        from rnnviz.engine.gradcheck import gradient_check_steps

        self._one_layer()
        s = self.session
        x, targets = self.inputs()
        return gradient_check_steps(s.params, x, targets, s.loss, s.config.loss_at)

    def set_gradcheck(self, result: GradCheck | None) -> None:
        self._store("gradcheck", result)

    # ---- internals -------------------------------------------------------------------
    def _one_layer(self) -> None:
        """InputError (saying what to do) unless the session's network is one layer, one
        way: the sweep, the Jacobians and the gradient check are a single layer's maths."""
        (L, D), cell = self.session.depth, self.session.config.cell
        if L * D > 1:
            way = " bidirectional" if D == 2 else ""
            raise InputError(
                f"this tab studies one layer, and the network is a {L}-layer{way} {cell}: set "
                "Layers to 1 and Bidirectional off (the network page shows every layer)"
            )

    @staticmethod
    def _check_prime(prime: str, vocab: str) -> None:
        if not prime:
            raise ValueError("type a few characters to start from")
        missing = sorted(set(prime) - set(vocab))
        if missing:
            shown = ", ".join(repr(c) for c in missing)
            raise ValueError(f"{shown} not in the training text")

    def _text_model(self) -> TrainingHistory:
        h = self.training
        if h is None or h.params is None or h.task.name != "text":
            raise ValueError("train the text task first")
        return h

    def _store(self, name: str, result: object) -> None:
        """Keep one result and say so; storing the very same object changes nothing."""
        if getattr(self, name) is not result:
            setattr(self, name, result)
            self.changed.emit(_RESULTS[name])

    def _on_session_changed(self, changes: Change) -> None:
        """A new network or new inputs: the results that described the old ones go, in one
        change."""
        if not changes & Change.DATA:
            return
        stale = LabChange(0)
        for name in _OF_THE_NETWORK:
            if getattr(self, name) is not None:
                setattr(self, name, None)
                stale |= _RESULTS[name]
        if stale:
            self.changed.emit(stale)


def _rescaled(p: Params, rho: float) -> Params:
    try:
        return with_spectral_radius(p, rho)
    except ValueError:
        return p  # a zero W_hh (ρ = 0) cannot be rescaled


def _sweep(params, x, targets, rhos, loss, loss_at, truncate) -> Steps[SweepResult]:
    norms, valid = yield from radius_sweep_steps(params, x, targets, rhos, loss, loss_at, truncate)
    log10 = np.log10(np.clip(norms, LOG_FLOOR, None))  # (R, T)
    return SweepResult(rhos, log10, valid)


def _compare(
    input_size: int,
    output_size: int,
    c: SessionConfig,
    x: np.ndarray,
    targets: np.ndarray,
    loss: str,
) -> Steps[Comparison]:
    curves = {}
    for done, cell in enumerate(CELLS):
        yield done, len(CELLS)
        p = init_params(
            cell,
            input_size,
            c.hidden_size,
            output_size,
            np.random.default_rng(c.seed),
            scheme=c.init,
            activation=c.activation if cell == "vanilla" else "tanh",
            dtype=c.dtype,
            gate_bias=c.gate_bias,
            t_max=c.t_max,
        )
        p = _rescaled(p, c.spectral_radius)
        trace = forward(p, x)
        r = bptt(trace, targets, loss, c.loss_at, truncate=c.truncate)
        gate = MECHANISM_GATE.get(cell)
        curves[cell] = CellCurves(
            cell,
            r.dL_dh_norm,
            r.valid,
            r.dL_dc_norm,
            gate[1] if gate else None,
            mean_gate(trace, gate[0]) if gate else None,
        )
    return Comparison(x.shape[0], curves)
