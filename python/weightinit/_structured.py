"""torch.nn.init's structured initialisers -- orthogonal_, sparse_, eye_,
dirac_ -- and its deprecated aliases (uniform, normal, ...).

The random numbers come from the C core with the same key semantics as the
other functions; the structure on top of them is computed with NumPy or
torch:

* orthogonal_: a Gaussian matrix filled by the core, QR-factorised by LAPACK
  (torch.linalg.qr's geqrf and orgqr for torch tensors, numpy.linalg.qr for
  everything else), signs fixed so that the result is Haar-distributed.
* sparse_: normal values filled by the core; the zero pattern comes from a
  second key drawn from the same generator, so a seed fixes both.
* eye_, dirac_: exact 0/1 patterns.

Torch tensors weightinit does not handle itself (``_target.torch_fallback``:
meta, other devices, subclasses, ...) go to torch.nn.init unchanged.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any, Callable, ParamSpec, TypeVar

import numpy as np

from . import _core
from ._api import (
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)
from ._frameworks import nn_init, torch_info
from ._random import _check_generator, draw
from ._target import Block, fill, keyed, numpy_view, torch_fallback
from ._torch_compat import C10_FLOAT, float_arg, orthogonal_gain, type_name
from ._typing import GeneratorLike, T

__all__ = [
    "orthogonal_", "sparse_", "eye_", "dirac_",
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]

def _split(tensor):
    """(target, full logical shape, offset of the target in it or None)."""
    if type(tensor) is Block:
        return tensor.tensor, tuple(tensor.shape), tuple(tensor.offset)
    return tensor, tuple(tensor.shape), None


def _local(full_values, target, offset):
    """The part of a full-shape array that a Block's target holds."""
    if offset is None:
        return full_values
    return full_values[tuple(slice(o, o + n) for o, n in zip(offset, target.shape))]


def _target_kind(target, fname):
    """("torch", tensor) for a CPU torch tensor, ("numpy", array) for an
    ndarray or a DLPack object NumPy can view and write."""
    if isinstance(target, np.ndarray):
        return "numpy", target
    info = torch_info()
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
                    f"with __dlpack__, not {type_name(target)}")


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
    torch = torch_info().torch
    mask = np.zeros(tuple(target.shape), dtype=bool)
    mask[index] = True
    with torch.no_grad():
        target.copy_(torch.from_numpy(mask))


def eye_(tensor: T) -> T:
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
        return nn_init().eye_(tensor)
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


def dirac_(tensor: T, groups: int = 1) -> T:
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
        return nn_init().dirac_(tensor, groups)
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
    # no ones at all (an empty kernel, groups of no channels): no per-group arrays either,
    # however large groups is
    g = np.arange(n_groups if n_per_group else 0, dtype=np.int64)
    d = np.arange(n_per_group, dtype=np.int64)
    coords = [(g[:, None] * operator.index(per_group) + d).ravel(), np.tile(d, len(g))]
    coords += [np.full(len(coords[0]), n // 2, dtype=np.int64) for n in full[2:]]
    if offset is not None:
        keep = np.ones(len(coords[0]), dtype=bool)
        for c, o, n in zip(coords, offset, view.shape):
            keep &= (c >= o) & (c < o + n)
        coords = [c[keep] - o for c, o in zip(coords, offset)]
    _write_pattern(view, kind, tuple(coords))
    return tensor


# QRs up to this many rows * cols * min(rows, cols) (128 x 128) run in float64
# for every torch dtype: under a millisecond, and orthogonal to ~1e-8 before
# rounding instead of ~5e-7 with float32's QR.
_SMALL_QR = 1 << 21

_SIGN_MESSAGE = ("Unlike NumPy, torch.sign is not intended to support complex numbers. "
                 "Please use torch.sgn instead.")


def _column_scale(r, gain, ones_like):
    """gain * sign(R[j, j]) per column j of Q (+gain for a zero); ``r`` is R or
    anything with R's diagonal (geqrf's output).  LAPACK's
    Householder QR leaves the signs of diag(R), hence of Q's columns, tied to
    the data; making diag(R) positive makes Q Haar-distributed (Mezzadri 2007)."""
    d = r.diagonal()
    s = ones_like(d)
    s[d < 0] = -1
    return s * gain


def orthogonal_(tensor: T, gain: float = 1, generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``
    (Saxe et al., 2013).

    The tensor is seen as a matrix :math:`W` of ``rows = size(0)`` rows and
    ``cols = numel / rows`` columns.  With :math:`A` a ``rows x cols``
    matrix of standard normal values from ``generator`` and :math:`A = QR`
    (:math:`A^T = QR` when rows < cols) its reduced QR factorisation with
    the signs chosen so that :math:`\operatorname{diag}(R) > 0`,

    .. math::
        W = \text{gain} \cdot Q \quad (\text{or } \text{gain} \cdot Q^T),

    so :math:`W^T W = \text{gain}^2 I` when rows >= cols and
    :math:`W W^T = \text{gain}^2 I` otherwise, and :math:`Q` is uniformly
    (Haar) distributed.

    The QR runs in LAPACK: ``numpy.linalg.qr`` (float64) for NumPy arrays
    and DLPack objects; ``torch.linalg.qr``'s (``torch.geqrf`` then
    ``torch.linalg.householder_product``) for torch tensors, in float64
    for float64 tensors and for small matrices (rows * cols * min(rows, cols)
    up to 2**21, e.g. 128 x 128), in float32 otherwise (float16 and bfloat16
    included: torch's own orthogonal_ refuses those).  The result is then
    rounded to the tensor's dtype.  A seed fixes the result for a given
    target kind and LAPACK build; across them values agree to rounding.

    Args:
        tensor: at least 2-D; a torch.Tensor, numpy.ndarray, DLPack object or Block
            (a Block gets its part of the full matrix, which is computed whole)
        gain: scaling factor
        generator: as for uniform_ (one fill's key is drawn)

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.orthogonal_(w)
    """
    if torch_fallback(tensor):
        return nn_init().orthogonal_(tensor, gain, generator)
    target, full, offset = _split(tensor)
    if len(full) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = full[0]
    numel = math.prod(full)
    if numel == 0:
        return tensor
    cols = numel // rows
    kind, view = _target_kind(target, "orthogonal_")
    _check_generator(generator, "normal_")
    generator = keyed(view, generator)  # the Gaussian matrix is a temporary: key it by the target
    if kind == "numpy":
        numpy_view(view, _core.NORMAL, "normal_")  # torch's error for integer dtypes
        if view.dtype.kind == "c":
            raise NotImplementedError(_SIGN_MESSAGE)
        g = orthogonal_gain(gain, C10_FLOAT[view.dtype.name], full)
        _clear(view)  # refuses read-only or overlapping memory before drawing
        a = np.empty((rows, cols), np.float64)
        fill(a, _core.NORMAL, 0.0, 1.0, generator, "normal_")
        q, r = np.linalg.qr(a.T if rows < cols else a)
        q *= _column_scale(r, g, np.ones_like)
        w = q.T if rows < cols else q
        view[...] = _local(w.reshape(full), view, offset)
        return tensor

    info = torch_info()
    torch = info.torch
    if view.is_complex():
        raise NotImplementedError(_SIGN_MESSAGE)
    small = rows * cols * min(rows, cols) <= _SMALL_QR
    dtype = torch.float64 if small or view.dtype == torch.float64 else torch.float32
    g = orthogonal_gain(gain, C10_FLOAT[str(view.dtype)[6:]], full)
    tall = rows >= cols
    # M, the matrix factorised (A, or A^T when wide), is laid out column-major
    # as LAPACK reads it, so geqrf and then householder_product (orgqr),
    # torch.linalg.qr's own two LAPACK calls, run in its memory: the same Q
    # without the copy of M, the R torch.linalg.qr builds (a triu) and Q's copy.
    a = torch.empty((cols, rows), dtype=dtype).T if tall else torch.empty((rows, cols), dtype=dtype)
    fill(a, _core.NORMAL, 0.0, 1.0, generator, "normal_")
    m = a if tall else a.T
    h, tau = torch.geqrf(m, out=(m, torch.empty(min(rows, cols), dtype=dtype)))
    scale = _column_scale(h, g, torch.ones_like)  # h's diagonal is R's
    q = torch.linalg.householder_product(h, tau, out=h)
    with torch.no_grad():
        if not tall and offset is None and view.dtype == dtype and view.is_contiguous():
            # Q^T is laid out as the tensor: the sign fix, the gain and the copy in one pass
            # (when tall, torch's copy_ transposes faster than its mul would)
            torch.mul(q, scale, out=view.view(rows, cols).T)
        else:
            q *= scale
            w = q if tall else q.T
            view.copy_(_local(w.reshape(full), view, offset))
    return tensor


def sparse_(tensor: T, sparsity: float, std: float = 0.01, generator: GeneratorLike | None = None) -> T:
    r"""Fill the 2-D ``tensor`` as a sparse matrix (Martens, 2010): values from
    :math:`\mathcal{N}(0, \text{std}^2)`, then in every column
    :math:`\lceil \text{sparsity} \cdot \text{rows} \rceil` elements (all of
    them if that exceeds ``rows``) set to zero.

    The non-zero values are those ``normal_(tensor, 0, std, generator)``
    would write.  The rows zeroed in column :math:`j` are the ones holding
    the smallest of ``rows`` uniform values, which come from a second key
    drawn from the same generator.  Unlike torch, whose zero pattern ignores
    ``generator`` and always uses the global RNG, a seed or generator thus
    fixes the pattern as well as the values.

    Args:
        tensor: a 2-D torch.Tensor, numpy.ndarray, DLPack object or Block
        sparsity: fraction of each column set to zero
        std: standard deviation of the non-zero values
        generator: as for uniform_ (two fills' keys are drawn)

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.sparse_(w, sparsity=0.1)
    """
    if torch_fallback(tensor):
        return nn_init().sparse_(tensor, sparsity, std, generator)
    target, full, offset = _split(tensor)
    if len(full) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = full
    num_zeros = math.ceil(sparsity * rows)
    # torch zeroes randperm(rows)[:num_zeros] in each column: this many rows
    zeros = len(range(rows)[:num_zeros])
    kind, view = _target_kind(target, "sparse_")
    std = float_arg(std, "normal_", "std", 2)
    _check_generator(generator, "normal_")
    generator = keyed(view, generator)  # the same generator for the values and the pattern
    values = view if offset is None else Block(view, full, offset)
    fill(values, _core.NORMAL, 0.0, std, generator, "normal_")
    torch: Any = torch_info().torch if kind == "torch" else None
    key, stream = draw(generator, torch)
    if zeros == 0 or view.shape[0] == 0 or view.shape[1] == 0:
        return tensor
    r0, c0 = offset or (0, 0)
    local_rows, local_cols = view.shape
    if zeros == rows:
        zero_rows = np.broadcast_to(np.arange(local_rows), (local_cols, local_rows))
    else:
        # u[j, i] is the uniform value of row i in column j (column-major, so
        # that each column's values are contiguous for argpartition)
        u = np.empty((local_cols, rows), np.float64)
        _core.fill(u, _core.UNIFORM, 0.0, 1.0, key, stream, (cols, rows), (c0, 0))
        zero_rows = np.argpartition(u, zeros - 1, axis=1)[:, :zeros] - r0
    zero_cols = np.broadcast_to(np.arange(local_cols)[:, None], zero_rows.shape)
    inside = (zero_rows >= 0) & (zero_rows < local_rows)
    index = (zero_rows[inside], zero_cols[inside])
    if kind == "numpy":
        view[index] = 0
    else:
        with torch.no_grad():
            view.index_put_(tuple(map(torch.from_numpy, index)), torch.zeros((), dtype=view.dtype))
    return tensor


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _deprecated(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` under its old name without the trailing underscore, warning as
    torch does when called."""
    new = fn.__name__
    old = new[:-1]
    message = f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`."

    def alias(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        warnings.warn(message, FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated: calls :func:`{new}` after a FutureWarning. Use {new} instead."
    return alias


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
