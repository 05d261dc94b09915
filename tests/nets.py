"""Small models for the materialize tests: sizes that 2 and 3 do not divide,
layers in a ModuleDict (so a pipeline stage can drop some and keep the
others' names), and a switch that registers every submodule in reverse order
(the same names, the opposite initialisation order)."""

import torch
from torch import nn

import weightinit as wi

DIM, HIDDEN, VOCAB, LAYERS = 7, 11, 13, 4


def _register(module, parts, reverse):
    for name, make in (parts[::-1] if reverse else parts):
        setattr(module, name, make())


class Noise(nn.Module):
    """A module with a random buffer of its own (plain on every rank)."""

    def __init__(self, n):
        super().__init__()
        self.register_buffer("noise", torch.empty(n))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.normal_(self.noise, std=0.5)


class Block(nn.Module):
    def __init__(self, reverse=False):
        super().__init__()
        _register(self, [("norm", lambda: nn.LayerNorm(DIM)),
                         ("wq", lambda: nn.Linear(DIM, DIM)),
                         ("wo", lambda: nn.Linear(DIM, DIM, bias=False)),
                         ("up", lambda: nn.Linear(DIM, HIDDEN)),
                         ("down", lambda: nn.Linear(HIDDEN, DIM)),
                         ("conv", lambda: nn.Conv1d(DIM, 5, 3))], reverse)


class Net(nn.Module):
    def __init__(self, reverse=False, layers=LAYERS):
        super().__init__()
        order = range(layers)
        _register(self, [("emb", lambda: nn.Embedding(VOCAB, DIM, padding_idx=VOCAB - 2)),
                         ("layers", lambda: nn.ModuleDict(
                             {str(i): Block(reverse) for i in (reversed(order) if reverse else order)})),
                         ("norm", lambda: nn.RMSNorm(DIM)),
                         ("noise", lambda: Noise(5)),
                         ("head", lambda: nn.Linear(DIM, VOCAB, bias=False))], reverse)


def on_meta(**kwargs):
    with torch.device("meta"):
        return Net(**kwargs)


def user_init(m):
    """A user's init= function calling weightinit: explicit generators (which
    materialize overrides), views of the parameters, two fills of one tensor."""
    if isinstance(m, nn.Linear):
        wi.trunc_normal_(m.weight, std=0.3, generator=torch.Generator().manual_seed(5))
        if m.bias is not None:
            wi.uniform_(m.bias.data, -0.2, 0.2)
    elif isinstance(m, nn.Conv1d):
        wi.kaiming_normal_(m.weight, mode="fan_out")
        wi.normal_(m.bias)
        wi.normal_(m.bias, mean=1.0)  # a second fill of the same tensor: stream 1
    elif isinstance(m, nn.Embedding):
        wi.xavier_uniform_(m.weight)
    elif isinstance(m, (nn.LayerNorm, nn.RMSNorm)):
        wi.ones_(m.weight)
        if getattr(m, "bias", None) is not None:
            wi.zeros_(m.bias)
    elif isinstance(m, Noise):
        wi.uniform_(m.noise)


def full_state(model):
    """name -> full (unsharded) tensor of every parameter and buffer."""
    dt = torch.distributed.tensor.DTensor if torch.distributed.is_available() else ()
    out = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        t = t.full_tensor() if isinstance(t, dt) else t
        out[name] = t.detach().clone()
    return out
