"""Live PyTorch modules in: ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``, ``nn.Linear`` and
``nn.Embedding`` become a ``StackParams`` in float64.

torch is imported here only, when called: rnnviz never needs it otherwise. The modules are
read as they are in evaluation mode (dropout between layers inactive), and copied: changing
the module afterwards does not change the parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnviz.engine.stack_params import (
    EMBEDDING,
    READOUT_BIAS,
    READOUT_WEIGHT,
    RNN_PREFIX,
    StackParams,
    stack_from_arrays,
)

_MODES: dict[str, tuple[str, str]] = {
    "RNN_TANH": ("vanilla", "tanh"),
    "RNN_RELU": ("vanilla", "relu"),
    "LSTM": ("lstm", "tanh"),
    "GRU": ("gru", "tanh"),
}


def from_torch(rnn: Any, readout: Any = None, embedding: Any = None) -> StackParams:
    """The parameters of a live ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (any layers, one or two
    directions), with an ``nn.Linear`` readout on its outputs and an ``nn.Embedding`` before it.

    Without ``readout`` the outputs are the recurrent module's own (an identity readout of
    width D*H, zero bias). TypeError for something that is not such a module, ValueError for
    what rnnviz does not compute (an LSTM's ``proj_size``, an embedding's ``max_norm`` or
    ``scale_grad_by_freq``) or for widths that do not fit together.
    """
    import torch

    if not isinstance(rnn, torch.nn.RNNBase) or rnn.mode not in _MODES:
        raise TypeError(f"expected an nn.RNN, nn.LSTM or nn.GRU, got {type(rnn).__name__}")
    if getattr(rnn, "proj_size", 0):
        raise ValueError(
            f"an LSTM with proj_size={rnn.proj_size} is not supported; use one without proj_size"
        )
    cell, activation = _MODES[rnn.mode]
    D, H = (2 if rnn.bidirectional else 1), rnn.hidden_size
    arrays = {RNN_PREFIX + name: _numpy(t) for name, t in rnn.named_parameters()}
    if not rnn.bias:  # bias=False: the biases are zeros
        G = {"vanilla": 1, "lstm": 4, "gru": 3}[cell]
        for name in [n for n in arrays if n.startswith(RNN_PREFIX + "weight_hh")]:
            arrays[name.replace("weight_hh", "bias_ih")] = np.zeros(G * H)
            arrays[name.replace("weight_hh", "bias_hh")] = np.zeros(G * H)
    if readout is None:
        arrays[READOUT_WEIGHT], arrays[READOUT_BIAS] = np.eye(D * H), np.zeros(D * H)
    else:
        if not isinstance(readout, torch.nn.Linear):
            raise TypeError(f"readout: expected an nn.Linear, got {type(readout).__name__}")
        if readout.in_features != D * H:
            raise ValueError(
                f"readout: nn.Linear({readout.in_features}, …) does not read the "
                f"{D * H} outputs of the recurrent module"
            )
        arrays[READOUT_WEIGHT] = _numpy(readout.weight)
        arrays[READOUT_BIAS] = (
            np.zeros(readout.out_features) if readout.bias is None else _numpy(readout.bias)
        )
    padding_idx = None
    if embedding is not None:
        _check_embedding(torch, embedding, rnn.input_size)
        arrays[EMBEDDING] = _numpy(embedding.weight)
        padding_idx = embedding.padding_idx
    return stack_from_arrays(cell, activation, arrays, rnn.num_layers, D, padding_idx)


def _check_embedding(torch: Any, embedding: Any, input_size: int) -> None:
    if not isinstance(embedding, torch.nn.Embedding):
        raise TypeError(f"embedding: expected an nn.Embedding, got {type(embedding).__name__}")
    if embedding.max_norm is not None:
        raise ValueError("embedding: max_norm rescales the table as it reads it; not supported")
    if embedding.scale_grad_by_freq:
        raise ValueError("embedding: scale_grad_by_freq is not supported")
    if embedding.embedding_dim != input_size:
        raise ValueError(
            f"embedding: rows of {embedding.embedding_dim} values, but the recurrent module "
            f"reads {input_size}"
        )


def _numpy(t: Any) -> np.ndarray:
    # float64 holds every float16/bfloat16/float32 value exactly.
    return t.detach().cpu().double().numpy().copy()
