"""The array types weightinit fills: NumPy's dtype codes, and what it needs
from torch, looked up once torch has been imported.

torch is never imported here: a tensor can only exist once the user has
imported torch, so ``sys.modules`` is consulted instead.  This is also the
one place that holds torch.nn.init's own functions, captured the first time
torch is seen (at import when torch is already loaded), in two forms:

* ``torch_info().nn_init``: the very function objects (public functions and
  deprecated aliases), which ``weightinit.unpatch()`` puts back;
* ``nn_init()``: copies of the public functions that run against a snapshot
  of torch.nn.init's namespace taken at capture.  Every fallback to torch
  calls these, so neither the call nor torch's own global look-ups inside it
  (``handle_torch_function(normal_, ...)``, ``calculate_gain``) ever reach
  what ``torch.nn.init`` holds later -- weightinit's replacements while
  patched, transformers' guarded functions inside its initialisation.  A
  ``__torch_function__`` handler is thus handed torch's original function
  object, which identity-keyed tables (legacy ShardedTensor's) expect.
"""

import sys
import types

import numpy as np

from . import _core

__all__ = ["NP_CODES", "NP_COMPLEX", "TORCH_INIT_NAMES", "TORCH_PUBLIC_NAMES", "TorchInfo", "torch_info", "nn_init"]

NP_CODES = {np.dtype(np.float16): _core.F16, np.dtype(np.float32): _core.F32,
            np.dtype(np.float64): _core.F64}
# complex arrays are filled as (..., 2) arrays of their real dtype
NP_COMPLEX = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}

# torch.nn.init's fill functions that weightinit's fallbacks call
TORCH_INIT_NAMES = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                    "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                    "kaiming_normal_", "orthogonal_", "sparse_")
# torch.nn.init.__all__ in torch 2.13: every public function and deprecated alias
TORCH_PUBLIC_NAMES = ("calculate_gain",) + TORCH_INIT_NAMES + (
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse")


def _run_unpatched(namespace, names, linked=False):
    """Copies of namespace's functions ``names`` whose globals are a snapshot
    of ``namespace``: their global look-ups always find these originals (or,
    ``linked``, these copies: functions that call one another by name then
    never reach a live namespace, whose originals a patch may have replaced)."""
    snapshot = dict(namespace)
    out = {}
    for name in names:
        f = snapshot[name]
        g = types.FunctionType(f.__code__, snapshot, f.__name__, f.__defaults__, f.__closure__)
        g.__kwdefaults__ = f.__kwdefaults__
        g.__qualname__, g.__doc__, g.__module__ = f.__qualname__, f.__doc__, f.__module__
        g.__wrapped__ = f
        out[name] = g
    if linked:
        snapshot.update(out)
    return types.SimpleNamespace(**out)


class TorchInfo:
    """torch's types, dtype codes and original init functions."""

    def __init__(self, torch):
        self.torch = torch
        self.Tensor = torch.Tensor
        self.codes = {torch.float16: _core.F16, torch.bfloat16: _core.BF16,
                      torch.float32: _core.F32, torch.float64: _core.F64}
        self.complex = {torch.complex64, torch.complex128}
        self.strided = torch.strided
        # torch.autograd.graph.increment_version of a tuple of tensors, without its Python wrapper
        self.increment_versions = getattr(torch._C, "_increment_version", torch.autograd.graph.increment_version)
        self.increment_version = lambda t: self.increment_versions((t,))
        self.plain = {}  # class -> True when torch's overrides do not apply to it
        init = torch.nn.init
        # the originals, by identity; names a torch version lacks are left out
        self.nn_init = types.SimpleNamespace(**{name: getattr(init, name) for name in TORCH_PUBLIC_NAMES
                                                if hasattr(init, name)})
        self.unpatched = _run_unpatched(vars(init), TORCH_INIT_NAMES)

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
    """torch.nn.init's own fill functions, as they run unpatched (torch must
    have been imported); see the module docstring."""
    return torch_info().unpatched


torch_info()  # capture torch's functions now if torch is loaded, before anything replaces them
