"""``rnnviz analyze``: run the engine once over a sequence and write every number to JSON."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import numpy as np

from rnnviz.engine import (
    ACTIVATIONS,
    CELLS,
    DTYPES,
    INITS,
    LOSS_AT,
    LOSSES,
    bptt,
    forward,
    init_params,
    jacobian_norms,
)
from rnnviz.engine.forward import ForwardTrace
from rnnviz.engine.gates import saturated_fraction
from rnnviz.engine.stack import stack_forward
from rnnviz.engine.stack_bptt import stack_bptt
from rnnviz.engine.stack_params import (
    READOUT_BIAS,
    READOUT_WEIGHT,
    RNN_PREFIX,
    StackParams,
    init_stack,
)
from rnnviz.io import limits
from rnnviz.io.json_report import build_report, finite_or_none, per_step, write_report
from rnnviz.io.sequences import SequenceFileError, load_sequence
from rnnviz.io.stack_report import build_stack_report
from rnnviz.io.stack_weights import LoadedStack, load_stack_weights
from rnnviz.io.weights import WeightFileError, default_names
from rnnviz.session import analysis

# ASCII only: --help must print on any terminal encoding.
DESCRIPTION = """\
Run the engine once over a sequence and write every number it computes to a JSON file.

THE NETWORK
  --weights FILE reads one nn.RNN / nn.LSTM / nn.GRU, one nn.Linear readout and at most
  one nn.Embedding under their state_dict names: <rnn>weight_ih_l{k}, <rnn>weight_hh_l{k},
  <rnn>bias_ih_l{k}, <rnn>bias_hh_l{k} for layers k = 0..L-1 (any module prefix, e.g.
  "rnn."), the backward direction's with the suffix _reverse (bidirectional), then
  <readout>weight, <readout>bias (e.g. "fc.") and <emb>weight (V x I, no bias: the
  embedding). The cell follows from the rows of weight_hh_l0 (H, 4H, 3H: vanilla, lstm,
  gru). A module made with bias=False has no bias arrays: absent biases are zeros. An
  LSTM with proj_size (weight_hr_l{k}) is refused. Formats: .npz, .safetensors (pip
  install safetensors), .pt / .pth (pip install torch; a state_dict, read with
  torch.load(weights_only=True)).
  A single unidirectional layer without embedding gets the report below; any other
  network gets the report of STACKS further down.
  Without --weights, --hidden-size H initialises a network with --cell (default vanilla),
  --init (default pytorch), --spectral-radius (default: the scheme's own), --seed
  (default 0), --gate-bias (default 0: PyTorch's gate biases, unlike the app's +3; chrono
  sets them from the number of steps) and --output-size (default: the targets' width for
  mse, the largest class + 1 for xent, the input width without targets).
  --activation (default tanh) is the vanilla cell's; lstm and gru need tanh.
  --num-layers L (default 1), --bidirectional and --vocab-size V (an embedding of V rows
  of H values before layer 0) initialise a stack; each direction of each layer is drawn
  like a single layer, the readout U(-1/sqrt(D*H), 1/sqrt(D*H)), the embedding N(0, 1).

THE DATA
  --inputs and --targets: one timestep per row, as .npy or .csv (numbers only, comma
  separated, no header line; blank lines are skipped). For --loss xent each row of
  --targets is one whole class index. With an embedding each row of --inputs is one
  token id (a row of the embedding, 0..V-1). The initial state is h_0 = 0 (and c_0 = 0).
  Without --targets there is no loss: the forward pass, the Jacobian norms and the
  spectra are written and every gradient field is null; --loss, --loss-at, --truncate
  and --clip then are errors. Defaults: --loss mse, --loss-at all.

STEPS AND TRUNCATION
  Steps are numbered t = 1..T, and row t-1 of every per-step array is step t.
  --truncate K: truncated BPTT in windows of K steps counted back from the last step T,
  as if the state were detached at the start of each window; each window's losses send
  their gradient back only inside that window. truncation_cuts lists the steps t that
  receive no gradient from step t+1.
  --clip THETA rescales all gradients together when their global L2 norm exceeds THETA.

OUT.json (strict JSON: NaN and infinity are never written; a non-finite number is null)
  config                 what was run: cell, activation, input_size, hidden_size,
                         output_size, steps (T), dtype, weights (path or null), init
                         ({scheme, spectral_radius, seed, gate_bias}, or null with
                         --weights),
                         inputs, targets, loss, loss_at, truncate, clip, zero_filled
                         (the bias keys the weight file lacks, read as zeros)
  loss                   the loss, averaged like nn.MSELoss / nn.CrossEntropyLoss over
                         the scored steps (all, or the last)
  h                      T x H hidden states h_t
  c                      T x H LSTM cell states c_t (null for other cells)
  y                      T x O outputs y_t = W_hy h_t + b_y
  dL_dh                  T x H total gradient dL/dh_t (through every later step),
                         before clipping
  dL_dh_norm             T: the L2 norm of each row of dL_dh
  dL_dc_norm             T: the L2 norm of dL/dc_t (LSTM; null for other cells)
  dW_hh_contrib          T: the Frobenius norm of step t's term of dL/dW_hh
  jacobian_norm          T: spectral norm of dh_T/dh_t (1 at t = T)
  jacobian_overflow_at   the step where that product left the float range, or null;
                         the norms of steps <= it are null
  truncation_cuts        steps t that receive no gradient from step t+1 ([] without
                         --truncate)
  grads                  parameter gradients after clipping, keyed by the weight file's
                         own state_dict names (rnn.* and readout.* for an initialised
                         network), each shaped like its array; keys absent from the file
                         have none
  grad_norm_before_clip  global L2 norm of all parameter gradients before clipping
  grad_norm_after_clip   the same after clipping (equal when nothing was clipped)
  spectral_radius        largest |eigenvalue| of W_hh (gated cells: the largest over
                         the gates' H x H blocks)
  sigma_max              largest singular value of W_hh (gated: largest over the gates)
  gate_spectra           {gate: {spectral_radius, sigma_max}} for each H x H block of
                         W_hh (vanilla: h; lstm: i, f, g, o; gru: r, z, n)
  saturated_fraction     T: the share of hidden units the lab's saturation view counts
                         as saturated at step t (null after a forward explosion)
  What the gradient panel draws and its badge say (null without --targets):
  last_step_dL_dh_norm   T: ||dL_T/dh_t||, the gradient of the last step's term of the
                         loss alone (1/T of the loss scored at step T when --loss-at is
                         all), before clipping: how far one error reaches back. It equals
                         dL_dh_norm at t = T, and everywhere with --loss-at last
  bound                  T: ||dL_T/dh_T|| * (bound_slope * sigma_max)^(T-t), an upper
                         bound on last_step_dL_dh_norm; vanilla cell only, else null
  bound_slope            the largest slope of the activation in that bound: 1 for tanh,
                         relu, linear; 0.25 for sigmoid (null when there is no bound)
  rho_rate               T: ||dL_T/dh_T|| * spectral_radius^(T-t), the long-run rate
                         (exact for a linear cell with a normal W_hh); vanilla only
  gate_path              T: ||dL_T/dh_T|| times the mean over units of the product of
                         the carry gate over steps t+1..T (lstm: f, gru: z); else null
  gate_path_gate         "f", "z" or null
  regime                 the badge: {name ("vanishing", "near the edge", "exploding",
                         or null when there is nothing to measure), rate (the factor
                         per step back of last_step_dL_dh_norm, exactly
                         (norm at first_step / norm at T)^(1/(T - first_step))), text
                         (the badge's words), first_step (1, or the first step of the
                         last truncation window), vanishing_below and exploding_above
                         (the thresholds on rate)}; "exploding" with a null rate when a
                         pass overflowed; "vanishing" with rate 0 when the curve reaches
                         exactly 0
  Curve values beyond the float range, and those of steps before regime's
  first_step (truncated away: the last step's loss does not reach them), are null.
  exploded_at            the first step, in the order of computation, whose values
                         stopped being finite, or null
  exploded_in            "forward", "backward" or null
  After an explosion, what could not be computed is null rather than a number: the rows
  of h, c and y from exploded_at on (forward), the rows of dL_dh, dL_dh_norm, dL_dc_norm
  and dW_hh_contrib up to exploded_at (backward, or all of them after a forward
  explosion), jacobian_norm after a forward explosion, the loss after a forward
  explosion, and grads and both gradient norms after either.

STACKS (several layers, two directions, or an embedding)
  Layer k+1 reads layer k's outputs; a bidirectional layer runs its backward direction
  over the reversed sequence and outputs [forward; backward] (2H values); the readout
  reads the top layer (PyTorch's nn.RNN/LSTM/GRU in evaluation mode). Truncation detaches
  every layer's state, in both directions, at the same window boundaries.
  config                 as above, plus num_layers, bidirectional, vocab_size (null
                         without embedding); input_size is the embedding's width
  loss, y, truncation_cuts, grad_norm_before_clip, grad_norm_after_clip, exploded_at,
  exploded_in            as above
  tokens                 T token ids fed through the embedding, or null
  layers                 one entry per layer, bottom first: {layer (1..L), directions:
                         one entry per direction, [forward] or [forward, backward]}; each
                         direction is {direction ("forward" or "backward"), h (T x H),
                         c (T x H, LSTM, else null), dL_dh (T x H, the total gradient
                         through every later step and every layer above), dL_dh_norm (T),
                         dL_dc_norm (T, LSTM), dW_hh_contrib (T), jacobian_norm (T: the
                         spectral norm of dh_last/dh_t within that direction, where
                         last is step T going forward and step 1 going backward),
                         jacobian_overflow_at, spectral_radius, sigma_max}; every row in
                         step order t = 1..T, in both directions
  depth_jacobian_norm    L x T: the spectral norm of do_T/do_t^(k), how the top layer's
                         last output o_T (both directions) depends on layer k's output
                         at step t through every path (c_t held fixed for the LSTM)
  dL_dx                  T x I: the gradient of the loss with respect to layer 0's inputs
                         (the embedded rows with an embedding)
  grads                  as above, keyed by the file's state_dict names (rnn.*,
                         readout.*, embedding.weight for an initialised stack), the
                         embedding's included
  After an explosion every gradient field is null; so are the rows of h, c and y after a
  forward explosion and every row of dL_dh after a backward one.

LIMIT
  The exact Jacobian norms and spectra cost about H^3 multiply-adds per step (a product
  and a singular value decomposition of an H x H matrix), plus the eigenvalues of W_hh.
  So that a report takes at most about a minute on two cores, analyze refuses a network
  and sequence with hidden_size^3 * (steps + 30) above 4e10: H = 256 up to 2,354 steps,
  H = 512 up to 268, H = 1024 up to 7; H = 2048 and larger are refused.

EXIT STATUS
  0 when OUT.json was written; 2 for a bad argument or file (or beyond the limit above),
  with one line on stderr.
"""

# hidden_size³ × (steps + WORK_EXTRA_STEPS) above this is refused. Measured here: H = 512
# at 100 steps (1.7e10) took 16 s on one core, the Jacobians' SVDs most of it and the
# spectra about as much as 30 steps; so the budget is a minute with room for gated cells.
MAX_WORK = 4e10
WORK_EXTRA_STEPS = 30

# Options that describe a network to initialise; a weight file fixes all of them.
_INIT_OPTIONS: tuple[str, ...] = (
    "hidden_size",
    "cell",
    "init",
    "spectral_radius",
    "seed",
    "output_size",
    "gate_bias",
    "num_layers",
    "bidirectional",
    "vocab_size",
)
# Options that only mean something for a loss.
_LOSS_OPTIONS: tuple[str, ...] = ("loss", "loss_at", "truncate", "clip")


class _ArgumentError(ValueError):
    """A bad argument; its message is the one line printed on stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    net = parser.add_argument_group("network")
    net.add_argument(
        "--weights", metavar="FILE", help="weight file (.npz, .safetensors, .pt, .pth)"
    )
    net.add_argument(
        "--hidden-size", type=int, metavar="H", help="initialise a network with H hidden units"
    )
    net.add_argument("--cell", choices=CELLS, help="cell to initialise (default vanilla)")
    net.add_argument("--init", choices=INITS, help="initialisation scheme (default pytorch)")
    net.add_argument(
        "--spectral-radius", type=float, metavar="R", help="spectral radius of each recurrent block"
    )
    net.add_argument("--seed", type=int, metavar="S", help="random seed (default 0)")
    net.add_argument(
        "--gate-bias",
        type=float,
        metavar="B",
        help="added to the LSTM forget / GRU update gate bias (default 0: PyTorch's own "
        "initialisation; the app's new gated cells use +3)",
    )
    net.add_argument("--output-size", type=int, metavar="O", help="outputs of the readout")
    net.add_argument("--num-layers", type=int, metavar="L", help="layers to initialise (1)")
    net.add_argument(
        "--bidirectional",
        action="store_true",
        default=None,
        help="initialise bidirectional layers",
    )
    net.add_argument(
        "--vocab-size",
        type=int,
        metavar="V",
        help="initialise an embedding of V tokens (then --inputs holds token ids)",
    )
    net.add_argument(
        "--activation", choices=ACTIVATIONS, default="tanh", help="vanilla cell (default tanh)"
    )
    net.add_argument(
        "--dtype",
        choices=tuple(DTYPES),
        default="float64",
        help="float type of every array (default float64)",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--inputs", required=True, metavar="X", help="inputs (.npy or .csv)")
    data.add_argument("--targets", metavar="Y", help="targets (.npy or .csv)")
    loss = parser.add_argument_group("loss and backward pass (need --targets)")
    loss.add_argument("--loss", choices=LOSSES, help="default mse")
    loss.add_argument("--loss-at", choices=LOSS_AT, help="score all steps or the last (all)")
    loss.add_argument("--truncate", type=int, metavar="K", help="truncated BPTT, K steps")
    loss.add_argument("--clip", type=float, metavar="THETA", help="clip the gradient norm")
    parser.add_argument("--json", required=True, metavar="OUT", help="where to write the report")


def run(args: argparse.Namespace) -> int:
    try:
        report = analyze(args)
    except (_ArgumentError, WeightFileError, SequenceFileError) as err:
        print(f"rnnviz analyze: error: {err}", file=sys.stderr)
        return 2
    try:
        write_report(args.json, report)
    except OSError as err:
        print(f"rnnviz analyze: error: cannot write {args.json} ({err.strerror})", file=sys.stderr)
        return 2
    return 0


def analyze(args: argparse.Namespace) -> dict[str, Any]:
    """The report for parsed arguments; raises the one-line errors that ``run`` prints."""
    _check_numbers(args)
    x = load_sequence(args.inputs)  # (T, I)
    targets = None if args.targets is None else load_sequence(args.targets)  # (T, N)
    if targets is None:
        for option in _LOSS_OPTIONS:
            if getattr(args, option) is not None:
                raise _ArgumentError(f"{_flag(option)} needs --targets")
    loss = args.loss or "mse"
    if targets is not None:
        _check_targets(args, x, targets, loss)

    if args.weights is not None:
        for option in _INIT_OPTIONS:
            if getattr(args, option) is not None:
                raise _ArgumentError(f"{_flag(option)} cannot be combined with --weights")
        loaded = load_stack_weights(args.weights, activation=args.activation, dtype=args.dtype)
        zero_filled = [loaded.names[c] for c in loaded.zero_filled]
        stacked = loaded.params
        # Every layer and direction is its own chain of Jacobians over the steps.
        _check_work(stacked.hidden_size, x.shape[0] * stacked.num_layers * stacked.num_directions)
        if not _is_single(loaded.params):
            return _analyze_stack(args, loaded.params, x, targets, loss, loaded, None)
        params = loaded.params.single()
        grad_names = _single_names(loaded)
        init = None
    else:
        if args.hidden_size is None:
            raise _ArgumentError("give --weights FILE, or --hidden-size H to initialise a network")
        _check_work(args.hidden_size, x.shape[0])
        init = {
            "scheme": args.init or "pytorch",
            "spectral_radius": args.spectral_radius,
            "seed": 0 if args.seed is None else args.seed,
            "gate_bias": args.gate_bias or 0.0,
        }
        output_size = args.output_size or _default_output_size(x, targets, loss)
        if args.num_layers or args.bidirectional or args.vocab_size:
            stack = _init_stack(args, x, output_size, init)
            return _analyze_stack(args, stack, x, targets, loss, None, init)
        try:
            params = init_params(
                args.cell or "vanilla",
                x.shape[1],
                args.hidden_size,
                output_size,
                np.random.default_rng(init["seed"]),
                scheme=init["scheme"],
                spectral_radius=args.spectral_radius,
                activation=args.activation,
                dtype=args.dtype,
                gate_bias=init["gate_bias"],
                t_max=max(x.shape[0], 3),  # chrono plans for the sequence given
            )
        except ValueError as err:  # e.g. an lstm asked for a relu activation
            raise _ArgumentError(str(err)) from None
        grad_names, zero_filled = default_names(), []

    _check_sizes(args, x, targets, loss, params.input_size, params.output_size)
    trace = forward(params, x)
    result = None
    if targets is not None:
        result = bptt(
            trace,
            targets,
            loss=loss,
            loss_at=args.loss_at or "all",
            truncate=args.truncate,
            clip=args.clip,
        )
    # The Jacobian norms need no loss; after a forward explosion there is nothing to measure.
    jacobian = jacobian_norms(trace) if trace.exploded_at is None else None
    config = {
        "cell": params.cell,
        "activation": params.activation,
        "input_size": params.input_size,
        "hidden_size": params.hidden_size,
        "output_size": params.output_size,
        "steps": trace.T,
        "dtype": args.dtype,
        "weights": args.weights,
        "init": init,
        "inputs": args.inputs,
        "targets": args.targets,
        "loss": None if targets is None else loss,
        "loss_at": None if targets is None else args.loss_at or "all",
        "truncate": args.truncate,
        "clip": args.clip,
        "zero_filled": zero_filled,
    }
    report = build_report(trace, result, jacobian, grad_names, config, truncate=args.truncate)
    reach = None
    if targets is not None:
        reach = analysis.reach(
            trace,
            targets,
            loss,
            args.loss_at or "all",
            args.truncate,
            analysis.spectra(params),
            result,
        )
    report.update(_panel_fields(trace, reach))
    return report


def _is_single(p: StackParams) -> bool:
    return p.num_layers == 1 and not p.bidirectional and p.embedding is None


def _single_names(loaded: LoadedStack) -> dict[str, str]:
    """Params field -> the file's key, for the arrays the file has."""
    canonical = {
        "W_ih": RNN_PREFIX + "weight_ih_l0",
        "W_hh": RNN_PREFIX + "weight_hh_l0",
        "b_ih": RNN_PREFIX + "bias_ih_l0",
        "b_hh": RNN_PREFIX + "bias_hh_l0",
        "W_hy": READOUT_WEIGHT,
        "b_y": READOUT_BIAS,
    }
    present = loaded.present_names
    return {f: present[c] for f, c in canonical.items() if c in present}


def _init_stack(
    args: argparse.Namespace, x: np.ndarray, output_size: int, init: dict[str, Any]
) -> StackParams:
    H, V = args.hidden_size, args.vocab_size
    try:
        return init_stack(
            args.cell or "vanilla",
            H if V else x.shape[1],  # an embedding's rows have H values
            H,
            output_size,
            np.random.default_rng(init["seed"]),
            num_layers=args.num_layers or 1,
            bidirectional=bool(args.bidirectional),
            vocab_size=V,
            scheme=init["scheme"],
            spectral_radius=args.spectral_radius,
            activation=args.activation,
            dtype=args.dtype,
            gate_bias=init["gate_bias"],
            t_max=max(x.shape[0], 3),
        )
    except ValueError as err:
        raise _ArgumentError(str(err)) from None


def _analyze_stack(
    args: argparse.Namespace,
    p: StackParams,
    x: np.ndarray,
    targets: np.ndarray | None,
    loss: str,
    loaded: LoadedStack | None,
    init: dict[str, Any] | None,
) -> dict[str, Any]:
    """The report of a stack (see STACKS in the help)."""
    inputs: np.ndarray = x  # (T, I), or (T,) token ids
    if p.embedding is not None:
        inputs = _token_ids(args, x, p.embedding.shape[0])
    width = 1 if p.embedding is not None else p.input_size  # a token id, or a row
    _check_sizes(args, x, targets, loss, width, p.output_size)
    trace = stack_forward(p, inputs)
    result = None
    if targets is not None:
        result = stack_bptt(
            trace,
            targets,
            loss=loss,
            loss_at=args.loss_at or "all",
            truncate=args.truncate,
            clip=args.clip,
        )
    grad_names = loaded.present_names if loaded is not None else {n: n for n in p.arrays()}
    config = {
        "cell": p.cell,
        "activation": p.activation,
        "input_size": p.input_size,
        "hidden_size": p.hidden_size,
        "output_size": p.output_size,
        "num_layers": p.num_layers,
        "bidirectional": p.bidirectional,
        "vocab_size": p.vocab_size,
        "steps": trace.T,
        "dtype": args.dtype,
        "weights": args.weights,
        "init": init,
        "inputs": args.inputs,
        "targets": args.targets,
        "loss": None if targets is None else loss,
        "loss_at": None if targets is None else args.loss_at or "all",
        "truncate": args.truncate,
        "clip": args.clip,
        "zero_filled": [] if loaded is None else [loaded.names[c] for c in loaded.zero_filled],
    }
    return build_stack_report(trace, result, grad_names, config, truncate=args.truncate)


def _token_ids(args: argparse.Namespace, x: np.ndarray, V: int) -> np.ndarray:
    """The rows of --inputs as token ids for an embedding of V rows, or a one-line error."""
    if x.shape[1] != 1:
        raise _ArgumentError(
            f"{args.inputs}: {x.shape[1]} values per row; a network with an embedding reads "
            "one token id per row"
        )
    ids = x[:, 0]  # (T,)
    bad = (ids != np.round(ids)) | (ids < 0) | (ids >= V)  # (T,)
    if bad.any():
        row = int(np.argmax(bad))
        raise _ArgumentError(
            f"{args.inputs}: row {row + 1} holds {ids[row]:g}; token ids are whole numbers "
            f"0..{V - 1} (the rows of the embedding)"
        )
    return ids.astype(np.int64)


def _panel_fields(trace: ForwardTrace, reach: analysis.Reach | None) -> dict[str, Any]:
    """What the gradient panel and the saturation view show, from the window's own functions:
    the last step's loss curve, the curves drawn beside it, the badge, the saturation."""
    everywhere = np.ones(trace.T, dtype=bool)  # (T,) theory curves: null only where not finite
    fields: dict[str, Any] = {
        # The lab's saturation view calls this same function on the same trace.
        "saturated_fraction": per_step(saturated_fraction(trace), trace.valid),
        "last_step_dL_dh_norm": None,
        "bound": None,
        "bound_slope": None,
        "rho_rate": None,
        "gate_path": None,
        "gate_path_gate": None,
        "regime": None,
    }
    if reach is None:
        return fields
    regime = reach.regime
    curves = {"bound": reach.bound, "rho_rate": reach.rate, "gate_path": reach.path}
    fields.update(
        {name: None if c is None else per_step(c, everywhere) for name, c in curves.items()}
    )
    fields["last_step_dL_dh_norm"] = per_step(reach.last, reach.valid)
    fields["bound_slope"] = reach.slope_bound if reach.bound is not None else None
    fields["gate_path_gate"] = reach.path_gate if reach.path is not None else None
    fields["regime"] = {
        "name": regime.name or None,
        "rate": None if regime.rate is None else finite_or_none(regime.rate),
        "text": regime.text or None,
        "first_step": reach.first,
        "vanishing_below": analysis.VANISHING_BELOW,
        "exploding_above": analysis.EXPLODING_ABOVE,
    }
    return fields


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _check_numbers(args: argparse.Namespace) -> None:
    """Ranges argparse's types do not check."""
    at_least_one = ("hidden_size", "output_size", "truncate", "num_layers", "vocab_size")
    for option in at_least_one:
        value = getattr(args, option)
        if value is not None and value < 1:
            raise _ArgumentError(f"{_flag(option)} must be at least 1, got {value}")
    if args.clip is not None and not (math.isfinite(args.clip) and args.clip > 0):
        raise _ArgumentError(f"--clip must be a positive number, got {args.clip}")
    rho = args.spectral_radius
    if rho is not None and not (math.isfinite(rho) and rho >= 0):
        raise _ArgumentError(f"--spectral-radius must be a number >= 0, got {rho}")
    if args.seed is not None and args.seed < 0:
        raise _ArgumentError(f"--seed must be >= 0, got {args.seed}")
    most = {
        "hidden_size": limits.MAX_HIDDEN,
        "output_size": limits.MAX_OUTPUT,
        "truncate": limits.MAX_STEPS,
        "seed": limits.MAX_SEED,
    }
    for option, limit in most.items():
        value = getattr(args, option)
        if value is not None and value > limit:
            raise _ArgumentError(
                f"{_flag(option)} is {value:,}; the most rnnviz takes is {limit:,}"
            )


def _check_targets(args: argparse.Namespace, x: np.ndarray, targets: np.ndarray, loss: str) -> None:
    if targets.shape[0] != x.shape[0]:
        raise _ArgumentError(
            f"{args.targets}: {targets.shape[0]} rows, but {args.inputs} has {x.shape[0]}: "
            "one row per timestep in both"
        )
    if loss == "xent":
        if targets.shape[1] != 1:
            raise _ArgumentError(
                f"{args.targets}: {targets.shape[1]} values per row; --loss xent needs one "
                "class index per row"
            )
        bad = (targets[:, 0] != np.round(targets[:, 0])) | (targets[:, 0] < 0)  # (T,)
        if bad.any():
            row = int(np.argmax(bad))
            raise _ArgumentError(
                f"{args.targets}: row {row + 1} holds {targets[row, 0]:g}; --loss xent needs "
                "whole class indices >= 0"
            )


def _default_output_size(x: np.ndarray, targets: np.ndarray | None, loss: str) -> int:
    if targets is None:
        return int(x.shape[1])
    if loss == "xent":
        return int(targets.max()) + 1
    return int(targets.shape[1])


def _check_work(hidden_size: int, steps: int) -> None:
    """Refuse, before allocating anything of size H², a report that would take too long."""
    work = float(hidden_size) ** 3 * (steps + WORK_EXTRA_STEPS)
    if work > MAX_WORK:
        raise _ArgumentError(
            f"hidden size {hidden_size} over {steps} steps is beyond analyze's limit "
            f"(hidden_size^3 * (steps + {WORK_EXTRA_STEPS}) <= {MAX_WORK:.0e}, about a minute "
            "of work): use a smaller network or fewer steps"
        )


def _check_sizes(
    args: argparse.Namespace,
    x: np.ndarray,
    targets: np.ndarray | None,
    loss: str,
    input_size: int,
    output_size: int,
) -> None:
    """The data against the network, named after the files, before the engine sees them."""
    network = f"the network in {args.weights}" if args.weights else "the network"
    if x.shape[1] != input_size:
        raise _ArgumentError(
            f"{args.inputs}: {x.shape[1]} values per row, but {network} has input size {input_size}"
        )
    if targets is None:
        return
    if loss == "mse" and targets.shape[1] != output_size:
        raise _ArgumentError(
            f"{args.targets}: {targets.shape[1]} values per row, but {network} has output size "
            f"{output_size}"
        )
    if loss == "xent" and targets.max() >= output_size:
        raise _ArgumentError(
            f"{args.targets}: class {int(targets.max())} is out of range: {network} has output "
            f"size {output_size} (classes 0..{output_size - 1})"
        )
