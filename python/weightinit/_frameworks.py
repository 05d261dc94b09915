"""The array types weightinit fills: NumPy's dtype codes, and what it needs
from torch, looked up once torch has been imported.

torch is never imported here: a tensor can only exist once the user has
imported torch, so ``sys.modules`` is consulted instead.  This is also the
one place that holds torch.nn.init's own functions, captured the first time
torch is seen (at import when torch is already loaded): every fallback to torch calls these, never whatever
``torch.nn.init`` holds at that moment (weightinit.patch() replaces those).
"""

import sys
import types

import numpy as np

from . import _core

__all__ = ["NP_CODES", "NP_COMPLEX", "TORCH_INIT_NAMES", "TorchInfo", "torch_info", "nn_init"]

NP_CODES = {np.dtype(np.float16): _core.F16, np.dtype(np.float32): _core.F32,
            np.dtype(np.float64): _core.F64}
# complex arrays are filled as (..., 2) arrays of their real dtype
NP_COMPLEX = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}

# torch.nn.init's fill functions that weightinit's fallbacks call
TORCH_INIT_NAMES = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                    "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                    "kaiming_normal_", "orthogonal_", "sparse_")


class TorchInfo:
    """torch's types, dtype codes and original init functions."""

    def __init__(self, torch):
        self.torch = torch
        self.Tensor = torch.Tensor
        self.codes = {torch.float16: _core.F16, torch.bfloat16: _core.BF16,
                      torch.float32: _core.F32, torch.float64: _core.F64}
        self.complex = {torch.complex64, torch.complex128}
        self.strided = torch.strided
        # torch.autograd.graph.increment_version without its Python wrapper
        raw = getattr(torch._C, "_increment_version", None)
        self.increment_version = ((lambda t: raw((t,))) if raw is not None
                                  else torch.autograd.graph.increment_version)
        self.plain = {}  # class -> True when torch's overrides do not apply to it
        init = torch.nn.init
        self.nn_init = types.SimpleNamespace(**{name: getattr(init, name) for name in TORCH_INIT_NAMES})

    def is_plain(self, cls):
        plain = self.plain.get(cls)
        if plain is None:
            torch = self.torch
            tf = getattr(cls.__torch_function__, "__func__", cls.__torch_function__)
            plain = (tf in (torch.Tensor.__torch_function__.__func__,
                            torch._C._disabled_torch_function_impl)
                     and cls.__torch_dispatch__ is torch.Tensor.__torch_dispatch__)
            self.plain[cls] = plain
        return plain


_info = None


def torch_info():
    """TorchInfo if torch has been imported, else None."""
    global _info
    if _info is None:
        torch = sys.modules.get("torch")
        if torch is None or not hasattr(torch, "Tensor"):
            return None
        _info = TorchInfo(torch)
    return _info


def nn_init():
    """torch.nn.init's own functions (torch must have been imported)."""
    return torch_info().nn_init


torch_info()  # capture torch's functions now if torch is loaded, before anything replaces them
