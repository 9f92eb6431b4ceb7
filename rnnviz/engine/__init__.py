"""The pure-NumPy engine: cells, forward pass, BPTT, analysis, initialisation.

Nothing here imports Qt or pyqtgraph; a test checks it.
"""

from rnnviz.engine.activations import ACTIVATIONS
from rnnviz.engine.bptt import BPTTResult, bptt, truncation_cuts
from rnnviz.engine.clipping import clip_by_global_norm
from rnnviz.engine.forward import ForwardTrace, as_inputs, forward
from rnnviz.engine.init import INITS, init_params, orthogonal
from rnnviz.engine.jacobian import jacobian_norms
from rnnviz.engine.losses import LOSS_AT, LOSSES, loss_and_grad
from rnnviz.engine.params import CELLS, DTYPES, GATE_NAMES, Params
from rnnviz.engine.spectral import (
    gate_spectra,
    recurrent_radius,
    recurrent_sigma_max,
    sigma_max,
    spectral_radius,
    with_spectral_radius,
)
from rnnviz.engine.stack import StackTrace, stack_forward
from rnnviz.engine.stack_bptt import StackBPTTResult, stack_bptt
from rnnviz.engine.stack_params import StackParams, init_stack
from rnnviz.engine.stepper import RNN

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "DTYPES",
    "GATE_NAMES",
    "INITS",
    "LOSSES",
    "LOSS_AT",
    "RNN",
    "BPTTResult",
    "ForwardTrace",
    "Params",
    "StackBPTTResult",
    "StackParams",
    "StackTrace",
    "as_inputs",
    "bptt",
    "clip_by_global_norm",
    "forward",
    "gate_spectra",
    "init_params",
    "init_stack",
    "jacobian_norms",
    "loss_and_grad",
    "orthogonal",
    "recurrent_radius",
    "recurrent_sigma_max",
    "sigma_max",
    "spectral_radius",
    "stack_bptt",
    "stack_forward",
    "truncation_cuts",
    "with_spectral_radius",
]
