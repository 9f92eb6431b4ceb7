"""PyTorch references for stacks, shared by the stack tests: the modules themselves, and the
same network stepped with torch's own cell functions so that every h_t's gradient is kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.engine.stack_params import StackParams, recurrent_key


def as_torch(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=grad)


def torch_modules(
    p: StackParams,
) -> tuple[torch.nn.Module, torch.nn.Linear, torch.nn.Module | None]:
    """nn.RNN/LSTM/GRU, nn.Linear and nn.Embedding holding p's arrays, in float64."""
    kind = {"vanilla": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[p.cell]
    extra = {"nonlinearity": p.activation} if p.cell == "vanilla" else {}
    rnn = kind(
        p.input_size,
        p.hidden_size,
        num_layers=p.num_layers,
        bidirectional=p.bidirectional,
        dtype=torch.float64,
        **extra,
    )
    lin = torch.nn.Linear(p.num_directions * p.hidden_size, p.output_size, dtype=torch.float64)
    emb = None
    if p.embedding is not None:
        emb = torch.nn.Embedding(*p.embedding.shape, dtype=torch.float64, padding_idx=p.padding_idx)
    with torch.no_grad():
        for k, dirs in enumerate(p.layers):
            for d, layer in enumerate(dirs):
                for field in ("W_ih", "W_hh", "b_ih", "b_hh"):
                    getattr(rnn, recurrent_key(field, k, d)).copy_(as_torch(getattr(layer, field)))
        lin.weight.copy_(as_torch(p.W_hy))
        lin.bias.copy_(as_torch(p.b_y))
        if emb is not None:
            emb.weight.copy_(as_torch(p.embedding))
    return rnn, lin, emb


def torch_loss(y: torch.Tensor, targets: np.ndarray, loss: str, loss_at: str) -> torch.Tensor:
    scored = (lambda a: a) if loss_at == "all" else (lambda a: a[-1:])
    if loss == "mse":
        return torch.nn.MSELoss()(scored(y), scored(as_torch(targets)))
    return torch.nn.CrossEntropyLoss()(scored(y), scored(torch.tensor(targets, dtype=torch.long)))


@dataclass
class Stepped:
    """The network stepped with torch's cells: h[k][d][t] and c[k][d][t] in step order,
    each a leaf-like tensor that keeps its gradient, and the outputs o[k][t]."""

    h: list[list[list[torch.Tensor]]]
    c: list[list[list[torch.Tensor | None]]]
    o: list[list[torch.Tensor]]
    y: torch.Tensor
    x: torch.Tensor
    weights: dict[str, torch.Tensor]  # canonical names (StackParams.arrays()) → leaf tensors


def _cell_fn(p: StackParams):
    if p.cell == "lstm":
        return lambda x, h, c, *w: torch.lstm_cell(x, (h, c), *w)
    fn = {
        ("vanilla", "tanh"): torch.rnn_tanh_cell,
        ("vanilla", "relu"): torch.rnn_relu_cell,
        ("gru", "tanh"): torch.gru_cell,
    }[(p.cell, p.activation)]
    return lambda x, h, c, *w: (fn(x, h, *w), None)


def step_with_cells(
    p: StackParams,
    inputs: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    cuts: np.ndarray | None = None,
) -> Stepped:
    """With ``cuts`` (truncation_cuts), every layer's state is detached at each boundary
    between row t and t+1 where cuts[t], in both directions: truncated BPTT by hand."""
    step = _cell_fn(p)
    weights = {name: as_torch(a, grad=True) for name, a in p.arrays().items()}
    if p.embedding is not None:
        x = weights["embedding.weight"][torch.tensor(inputs, dtype=torch.long)]
    else:
        x = as_torch(inputs)
    T, D = x.shape[0], p.num_directions
    below = [x[t : t + 1] for t in range(T)]
    hs, cs, os_ = [], [], []
    for k, dirs in enumerate(p.layers):
        h_k, c_k = [], []
        for d in range(len(dirs)):
            w = [weights["rnn." + recurrent_key(f, k, d)] for f in ("W_ih", "W_hh", "b_ih", "b_hh")]
            h = as_torch(h0[k * D + d][None])
            c = None if c0 is None else as_torch(c0[k * D + d][None])
            h_d: list = [None] * T
            c_d: list = [None] * T
            for t in range(T) if d == 0 else range(T - 1, -1, -1):
                came_from = t - 1 if d == 0 else t  # the boundary crossed into row t
                if cuts is not None and 0 <= came_from < T - 1 and cuts[came_from]:
                    h = h.detach()
                    c = None if c is None else c.detach()
                h, c = step(below[t], h, c, *w)
                h.retain_grad()
                if c is not None:
                    c.retain_grad()
                h_d[t], c_d[t] = h, c
            h_k.append(h_d)
            c_k.append(c_d)
        o_k = [torch.cat([h_k[d][t] for d in range(D)], dim=1) for t in range(T)]
        hs.append(h_k)
        cs.append(c_k)
        os_.append(o_k)
        below = o_k
    y = torch.cat(below) @ weights["readout.weight"].T + weights["readout.bias"]
    return Stepped(hs, cs, os_, y, x, weights)
