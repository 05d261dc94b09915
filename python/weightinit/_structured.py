"""torch.nn.init's structured initialisers -- eye_, dirac_.

eye_ and dirac_ write exact 0/1 patterns, with torch ops for torch
tensors and NumPy for arrays.

Torch tensors weightinit does not handle itself (``_target.torch_fallback``:
meta, other devices, subclasses, ...) go to torch.nn.init unchanged.
"""

import operator
import sys

import numpy as np

from . import _core
from ._target import Block, _torch_info, _type_name, fill, torch_fallback

__all__ = [
    "eye_", "dirac_",
]


def _nn_init():
    return sys.modules["torch"].nn.init


def _split(tensor):
    """(target, full logical shape, offset of the target in it or None)."""
    if type(tensor) is Block:
        return tensor.tensor, tuple(tensor.shape), tuple(tensor.offset)
    return tensor, tuple(tensor.shape), None


def _target_kind(target, fname):
    """("torch", tensor) for a CPU torch tensor, ("numpy", array) for an
    ndarray or a DLPack object NumPy can view and write."""
    if isinstance(target, np.ndarray):
        return "numpy", target
    info = _torch_info()
    if info is not None and isinstance(target, info.Tensor):
        if torch_fallback(target):  # only reachable through a Block
            raise TypeError(f"{fname}(): a Block must wrap a CPU tensor with a float or complex dtype")
        return "torch", target
    if hasattr(target, "__dlpack__"):
        try:
            arr = np.from_dlpack(target)
        except (RuntimeError, TypeError, BufferError) as e:
            raise TypeError(f"{fname}(): this DLPack object cannot be viewed by NumPy ({e}); "
                            "pass a torch tensor or a NumPy array") from None
        return "numpy", arr
    raise TypeError(f"{fname}(): tensor must be a torch.Tensor, a numpy.ndarray or an object "
                    f"with __dlpack__, not {_type_name(target)}")


def _clear(arr):
    """Zero a NumPy target.  Float and complex arrays go through the core,
    which refuses read-only arrays and overlapping memory before writing."""
    if arr.dtype.kind in "fc":
        fill(arr, _core.CONSTANT, 0.0, 0.0, None, "fill_")
    else:
        arr[...] = 0


def _write_pattern(target, kind, index):
    """Set ``target`` to 0 except 1 at ``index`` (a tuple of int arrays).
    A torch tensor is written by one copy_ under no_grad: no autograd record,
    one version bump."""
    if kind == "numpy":
        _clear(target)
        target[index] = 1
        return
    torch = _torch_info().torch
    mask = np.zeros(tuple(target.shape), dtype=bool)
    mask[index] = True
    with torch.no_grad():
        target.copy_(torch.from_numpy(mask))


def eye_(tensor):
    r"""Fill the 2-D ``tensor`` with the identity: :math:`w_{ij} = [i = j]`.

    Rectangular matrices get ones on the main diagonal only, so a Linear
    layer initialised this way passes through ``min(out, in)`` of its inputs
    unchanged.  Values are exact in every dtype.

    Args:
        tensor: a 2-D torch.Tensor, numpy.ndarray, DLPack object or Block

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.eye_(w)
    """
    if torch_fallback(tensor):
        return _nn_init().eye_(tensor)
    target, full, offset = _split(tensor)
    if len(full) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    kind, view = _target_kind(target, "eye_")
    rows, cols = view.shape
    # element (i, j) of the target is (i + r0, j + c0) of the full matrix
    shift = 0 if offset is None else offset[0] - offset[1]
    i = np.arange(max(0, -shift), max(0, min(rows, cols - shift)))
    _write_pattern(view, kind, (i, i + shift))
    return tensor


def dirac_(tensor, groups=1):
    r"""Fill the 3-, 4- or 5-D ``tensor`` (a convolution weight
    ``(out, in, *kernel)``) with a Dirac delta per group:

    .. math::
        w[g \cdot O_g + d,\; d,\; k_1/2, \dots] = 1
        \quad\text{for } 0 \le g < \text{groups},\ 0 \le d < \min(O_g, \text{in}),

    with :math:`O_g = \text{out} / \text{groups}`, integer halves of the
    kernel sizes as centre, and 0 elsewhere.  A convolution with this kernel
    (and ``groups`` groups) reproduces the first ``min(O_g, in)`` input
    channels of each group.

    Args:
        tensor: a 3-, 4- or 5-D torch.Tensor, numpy.ndarray, DLPack object or Block
        groups: number of groups of the convolution; must divide ``out``

    Example:
        >>> w = torch.empty(3, 16, 5, 5)
        >>> weightinit.dirac_(w)
        >>> w = torch.empty(3, 24, 5, 5)
        >>> weightinit.dirac_(w, 3)
    """
    if torch_fallback(tensor):
        return _nn_init().dirac_(tensor, groups)
    target, full, offset = _split(tensor)
    if len(full) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if full[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = full[0] // groups
    min_dim = min(per_group, full[1])
    # range() raises torch's TypeError for a non-integral groups; a negative
    # groups gives no ones at all, as in torch
    n_groups = len(range(groups))
    n_per_group = len(range(min_dim)) if n_groups else 0
    if n_groups and n_per_group:
        for dim in range(2, len(full)):
            if full[dim] == 0:
                raise IndexError(f"index 0 is out of bounds for dimension {dim} with size 0")
    kind, view = _target_kind(target, "dirac_")
    g = np.arange(n_groups, dtype=np.int64)
    d = np.arange(n_per_group, dtype=np.int64)
    coords = [(g[:, None] * operator.index(per_group) + d).ravel(), np.tile(d, n_groups)]
    coords += [np.full(len(coords[0]), n // 2, dtype=np.int64) for n in full[2:]]
    if offset is not None:
        keep = np.ones(len(coords[0]), dtype=bool)
        for c, o, n in zip(coords, offset, view.shape):
            keep &= (c >= o) & (c < o + n)
        coords = [c[keep] - o for c, o in zip(coords, offset)]
    _write_pattern(view, kind, tuple(coords))
    return tensor
