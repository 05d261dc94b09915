"""Initialisers torch.nn.init lacks, each with the meaning of the library its
name comes from: the variance-scaling family of Keras and JAX
(``variance_scaling_``, LeCun/He/Glorot in their uniform and *truncated*
normal forms, ``fan_avg`` and JAX's ``fan_geo_avg``, JAX's axis rule for
fans), timm's ``trunc_normal_tf_`` and JAX's ``delta_orthogonal_``.

Each function only works out its distribution's parameters and hands the
fill to weightinit's torch-style functions (``trunc_normal_``, ``normal_``,
``uniform_``, ``orthogonal_``), so targets, generators, dtypes, Blocks,
DTensors, the torch fallbacks and the reproducibility contract are theirs.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from . import _core
from ._api import normal_, trunc_normal_, uniform_
from ._frameworks import nn_init, torch_info
from ._random import _check_generator
from ._structured import _clear, _split, _target_kind, orthogonal_
from ._target import dtensor_block, torch_fallback
from ._torch_compat import float_arg, type_name
from ._typing import GeneratorLike, T

__all__ = [
    "variance_scaling_", "lecun_normal_", "lecun_uniform_", "he_normal_", "he_uniform_",
    "glorot_normal_", "glorot_uniform_", "trunc_normal_tf_", "delta_orthogonal_",
]

Axes = Union[int, Sequence[int]]

# standard deviation of N(0, 1) truncated to (-2, 2): Keras, JAX and timm divide by it
TRUNC_STD = 0.87962566103423978

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
# accepted names (after lower-casing) -> the distribution drawn
DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "untruncated_normal": "untruncated_normal",
                 "normal": "untruncated_normal", "uniform": "uniform"}


def check_scale(scale):
    """``scale`` as a float: a positive finite real number (Keras's ValueError otherwise)."""
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"Argument `scale` must be positive float, not {type_name(scale)}")
    if not 0.0 < scale < math.inf:
        raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
    return float(scale)


def check_distribution(distribution, names, fname):
    """The canonical distribution for ``distribution`` (lower-cased, as Keras
    does), looked up in ``names``; ValueError naming it otherwise."""
    key = distribution.lower() if isinstance(distribution, str) else distribution
    if key not in names:
        raise ValueError(f"{fname}: invalid `distribution` argument: {distribution!r}; "
                         f"use one of {', '.join(map(repr, names))}")
    return names[key]


def mode_denominator(mode, fan_in, fan_out):
    """n of variance = scale / n for a checked ``mode``."""
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2
    return (fan_in * fan_out) ** 0.5


def variance_fill(tensor, variance, distribution, generator):
    """Fill ``tensor`` with zero-mean values of this variance from a canonical
    distribution (see DISTRIBUTIONS), as Keras, JAX and timm define them:
    N(0, 1) truncated to (-2, 2) times sqrt(variance) / TRUNC_STD, N(0, variance),
    or U(-sqrt(3 variance), sqrt(3 variance))."""
    if distribution == "truncated_normal":
        std = math.sqrt(variance) / TRUNC_STD
        return trunc_normal_(tensor, 0.0, std, -2.0 * std, 2.0 * std, generator)
    if distribution == "untruncated_normal":
        return normal_(tensor, 0.0, math.sqrt(variance), generator)
    bound = math.sqrt(3.0 * variance)
    return uniform_(tensor, -bound, bound, generator)


def _axes(value, name, ndim, shape, fname):
    """The axes of ``value`` (an int or a sequence of ints) as a tuple, each in range."""
    many = not isinstance(value, numbers.Integral) or isinstance(value, bool)
    try:
        axes = tuple(operator.index(a) for a in value) if many else (operator.index(value),)
    except TypeError:
        raise TypeError(f"{fname}(): {name} must be an int or a sequence of ints, "
                        f"not {value!r}") from None
    for a in axes:
        if not -ndim <= a < ndim:
            raise IndexError(f"{fname}(): {name} {a} is out of range for a tensor of shape {shape}")
    return axes


def compute_fans(shape, in_axis, out_axis, batch_axis, fname):
    """(fan_in, fan_out), or None for a shape with no elements (after the checks).

    Both axes None: torch's layout (out, in, *kernel), torch's error below 2
    dimensions (batch axes, if any, leave the receptive field as in JAX).
    Otherwise JAX's rule: fan_in = prod(shape[in_axis]) * rf, fan_out =
    prod(shape[out_axis]) * rf, rf = prod(shape) / in / out / batch, with
    JAX's error for a tensor below 2 dimensions when in_axis is -2."""
    shape = tuple(shape)
    ndim = len(shape)
    if in_axis is None and out_axis is None:
        if ndim < 2:
            raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
        in_axis, out_axis = 1, 0
        if batch_axis == ():
            return _core.fans(shape) if math.prod(shape) else None
    elif in_axis is None or out_axis is None:
        raise TypeError(f"{fname}(): give both in_axis and out_axis (JAX's layout: in_axis=-2, "
                        "out_axis=-1), or neither for torch's layout (out, in, *kernel)")
    elif isinstance(in_axis, numbers.Integral) and in_axis == -2 and ndim <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {ndim}-dimensional weights tensor "
                         "with default in_axis. Must be at least 2D or specify in_axis explicitly.")
    sizes = [math.prod(shape[a] for a in _axes(v, n, ndim, shape, fname))
             for v, n in ((in_axis, "in_axis"), (out_axis, "out_axis"), (batch_axis, "batch_axis"))]
    if math.prod(shape) == 0:
        return None
    receptive = math.prod(shape) / sizes[0] / sizes[1] / sizes[2]
    return sizes[0] * receptive, sizes[1] * receptive


def variance_scaling_(tensor: T, scale: float = 1.0, mode: str = "fan_in",
                      distribution: str = "truncated_normal", generator: GeneratorLike | None = None, *,
                      in_axis: Axes | None = None, out_axis: Axes | None = None,
                      batch_axis: Axes = ()) -> T:
    r"""Fill ``tensor`` with zero-mean values of variance :math:`\text{scale} / n`
    (Keras's and JAX's ``variance_scaling``), where :math:`n` is by ``mode``

    * ``"fan_in"``: the number of inputs, ``"fan_out"``: of outputs,
    * ``"fan_avg"``: :math:`(\text{fan\_in} + \text{fan\_out}) / 2`,
    * ``"fan_geo_avg"``: :math:`\sqrt{\text{fan\_in} \cdot \text{fan\_out}}` (JAX),

    drawn from ``distribution`` (case-insensitive):

    * ``"truncated_normal"``: :math:`\sigma Z` with :math:`Z \sim \mathcal{N}(0, 1)`
      truncated to :math:`(-2, 2)` and :math:`\sigma = \sqrt{\text{scale}/n} /
      0.87962566103423978`, so the values lie within :math:`\pm 2\sigma` and their
      standard deviation is :math:`\sqrt{\text{scale}/n}`;
    * ``"untruncated_normal"`` or ``"normal"``: :math:`\mathcal{N}(0, \text{scale}/n)`
      (``"normal"`` means untruncated as in JAX and timm; Keras's
      ``VarianceScaling`` reads it as ``"truncated_normal"``);
    * ``"uniform"``: :math:`\mathcal{U}(-\sqrt{3\,\text{scale}/n}, \sqrt{3\,\text{scale}/n})`.

    Fans: by default from torch's layout ``(out, in, *kernel)``, as
    ``torch.nn.init``'s functions compute them (fan_in = in * prod(kernel)).
    Given ``in_axis`` and ``out_axis`` (ints or sequences of ints), JAX's rule:
    the receptive field is the product of the dimensions that are in none of
    ``in_axis``, ``out_axis`` and ``batch_axis``; ``in_axis=-2, out_axis=-1``
    serves Keras/JAX kernels ``(*kernel, in, out)``.  A tensor with no elements
    is returned as is.

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block (fans from
            its full shape)
        scale: positive scaling factor
        mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``
        distribution: ``"truncated_normal"``, ``"untruncated_normal"``
            (``"normal"``) or ``"uniform"``
        generator: as for uniform_
        in_axis, out_axis, batch_axis: JAX's axes (keyword only)

    Raises ValueError for a scale <= 0 (Keras), an unknown mode or distribution
    (Keras, JAX) and for tensors of fewer than 2 dimensions (torch's message
    in torch's layout, JAX's with ``in_axis=-2``).

    Example:
        >>> w = torch.empty(256, 128)          # nn.Linear(128, 256).weight
        >>> weightinit.variance_scaling_(w, 2.0, "fan_in", "truncated_normal")
        >>> k = np.empty((3, 3, 64, 128), np.float32)   # a JAX/Keras conv kernel
        >>> weightinit.variance_scaling_(k, mode="fan_avg", distribution="uniform",
        ...                              in_axis=-2, out_axis=-1)
    """
    return _variance_scaling(tensor, scale, mode, distribution, generator, in_axis, out_axis, batch_axis,
                             "variance_scaling_")


def _variance_scaling(tensor, scale, mode, distribution, generator, in_axis, out_axis, batch_axis, fname):
    scale = check_scale(scale)
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{fname}: invalid `mode` argument: {mode!r}; use one of "
                         f"{', '.join(map(repr, MODES))}")
    distribution = check_distribution(distribution, DISTRIBUTIONS, fname)
    _check_generator(generator, fname)
    fans = compute_fans(tensor.shape, in_axis, out_axis, batch_axis, fname)
    if fans is None:
        return tensor
    return variance_fill(tensor, scale / mode_denominator(mode, *fans), distribution, generator)


_LAW = {
    "uniform": """:math:`\\mathcal{{U}}(-b, b)` with :math:`b = \\sqrt{{3 \\cdot {scale:g} / n}}`,
    :math:`n = {n}`.""",
    "truncated_normal": """a **truncated** normal: :math:`\\sigma Z` with
    :math:`Z \\sim \\mathcal{{N}}(0, 1)` truncated to :math:`(-2, 2)`,
    :math:`\\sigma = \\sqrt{{{scale:g} / n}} / 0.87962566103423978` and :math:`n = {n}`: every
    value lies within :math:`\\pm 2\\sigma` and the standard deviation is :math:`\\sqrt{{{scale:g} / n}}`.""",
}
_FAN = {"fan_in": "\\text{fan\\_in}", "fan_avg": "(\\text{fan\\_in} + \\text{fan\\_out}) / 2"}


def _named(name, scale, mode, distribution, keras, note):
    """lecun_normal_ & co.: variance_scaling_ with fixed (scale, mode, distribution)."""
    fname = f"{name}_"

    def init(tensor: T, generator: GeneratorLike | None = None, *, in_axis: Axes | None = None,
             out_axis: Axes | None = None, batch_axis: Axes = ()) -> T:
        return _variance_scaling(tensor, scale, mode, distribution, generator, in_axis, out_axis, batch_axis,
                                 fname)

    init.__name__ = init.__qualname__ = fname
    init.__doc__ = f"""Fill ``tensor`` as Keras's ``{keras}`` and JAX's
    ``jax.nn.initializers.{name}`` do: {_LAW[distribution].format(scale=scale, n=_FAN[mode])}

    Same as ``variance_scaling_(tensor, {scale}, "{mode}", "{distribution}", generator)``.
    {note}

    Fans from torch's layout ``(out, in, *kernel)`` by default; ``in_axis=-2,
    out_axis=-1`` (keyword only) gives JAX's rule for kernels ``(*kernel, in, out)``
    (see variance_scaling_).

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        generator: as for uniform_
        in_axis, out_axis, batch_axis: JAX's axes (see variance_scaling_)

    Example:
        >>> w = torch.empty(256, 128)
        >>> weightinit.{fname}(w)
        >>> k = np.empty((3, 3, 64, 128), np.float32)
        >>> weightinit.{fname}(k, in_axis=-2, out_axis=-1)
    """
    return init


_TORCH_NORMAL = """Unlike torch's ``{0}`` (an untruncated normal), the values are
    truncated at 2 sigma; ``{0}`` with ``{1}`` gives the untruncated normal of
    the same variance."""
_TORCH_UNIFORM = "The same distribution as torch's ``{0}``{1}."

lecun_normal_ = _named("lecun_normal", 1.0, "fan_in", "truncated_normal", "LecunNormal",
                       """timm's ``lecun_normal_`` is this (in torch's layout).  transformers'
    ``lecun_normal_`` truncates at +-2 absolute instead of 2 sigma: an untruncated
    normal 13.7 % too wide.""")
lecun_uniform_ = _named("lecun_uniform", 1.0, "fan_in", "uniform", "LecunUniform",
                        _TORCH_UNIFORM.format("kaiming_uniform_", " with ``nonlinearity='linear'``"))
he_normal_ = _named("he_normal", 2.0, "fan_in", "truncated_normal", "HeNormal",
                    _TORCH_NORMAL.format("kaiming_normal_", "nonlinearity='relu'"))
he_uniform_ = _named("he_uniform", 2.0, "fan_in", "uniform", "HeUniform",
                     _TORCH_UNIFORM.format("kaiming_uniform_", " with ``nonlinearity='relu'``"))
glorot_normal_ = _named("glorot_normal", 1.0, "fan_avg", "truncated_normal", "GlorotNormal",
                        _TORCH_NORMAL.format("xavier_normal_", "gain=1"))
glorot_uniform_ = _named("glorot_uniform", 1.0, "fan_avg", "uniform", "GlorotUniform",
                         _TORCH_UNIFORM.format("xavier_uniform_", ""))


def trunc_normal_tf_(tensor: T, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                     generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` with :math:`\text{mean} + \text{std} \cdot Z`, :math:`Z \sim
    \mathcal{N}(0, 1)` truncated to :math:`[a, b]` (timm's ``trunc_normal_tf_``,
    TensorFlow's and JAX's convention).

    ``a`` and ``b`` are in units of ``std`` around ``mean``: the defaults keep
    values within 2 ``std`` of the mean whatever ``std`` is.  torch's (and
    timm's) ``trunc_normal_`` take absolute bounds instead, so
    ``trunc_normal_(w, std=0.02)`` is practically untruncated while
    ``trunc_normal_tf_(w, std=0.02)`` cuts at :math:`\pm 0.04`.  The values
    are drawn as ``trunc_normal_``'s, exactly, on the window
    :math:`[\text{mean} + a\,\text{std}, \text{mean} + b\,\text{std}]`; a
    negative ``std`` mirrors it, ``std=0`` gives ``mean`` everywhere, as in timm.

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        mean: the mean of the normal distribution
        std: its standard deviation
        a: the lower cutoff, in units of ``std``
        b: the upper cutoff, in units of ``std``
        generator: as for uniform_

    Example:
        >>> w = torch.empty(768, 3072)
        >>> weightinit.trunc_normal_tf_(w, std=0.02)      # values in [-0.04, 0.04]
    """
    mean, std, a, b = (float_arg(x, "trunc_normal_tf_", name, pos)
                       for pos, (x, name) in enumerate(((mean, "mean"), (std, "std"), (a, "a"), (b, "b")), 1))
    _check_generator(generator, "trunc_normal_tf_")
    if not a <= b:
        # timm draws uniform values on [2 Phi(a) - 1, 2 Phi(b) - 1] first: torch's message for that
        lo, hi = (math.erf(x / math.sqrt(2.0)) for x in (a, b))
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo:g} > to={hi:g}")
    if std == 0.0:
        return uniform_(tensor, mean, mean, generator)
    lo, hi = sorted((mean + a * std, mean + b * std))
    return trunc_normal_(tensor, mean, abs(std), lo, hi, generator)


def delta_orthogonal_(tensor: T, scale: float = 1.0, generator: GeneratorLike | None = None, *,
                      in_axis: int | None = None, out_axis: int | None = None) -> T:
    r"""Fill a 3-, 4- or 5-D convolution kernel with a delta-orthogonal kernel
    (Xiao et al., 2018; JAX's ``delta_orthogonal``): zeros everywhere except at
    the spatial centre :math:`c = ((k_1 - 1) / 2, \dots)` (integer halves, as
    JAX takes them), where the ``(out, in)`` slice is ``scale`` times a matrix
    with orthonormal columns, Haar-distributed (``orthogonal_``'s).  A
    convolution with this kernel maps its input isometrically (times ``scale``).

    Layout: torch's ``(out, in, *kernel)`` by default; ``in_axis=-2,
    out_axis=-1`` for JAX/Keras kernels ``(*kernel, in, out)`` (any two
    distinct axes; the others are the kernel's).  As in JAX, ``out`` must be at
    least ``in``.

    Args:
        tensor: a 3-, 4- or 5-D torch.Tensor, numpy.ndarray, DLPack object or Block
        scale: scaling factor (JAX's name; torch's ``orthogonal_`` calls it gain)
        generator: as for uniform_ (one fill's key is drawn)
        in_axis, out_axis: the input- and output-channel axes (keyword only)

    Example:
        >>> w = torch.empty(64, 32, 3, 3)          # nn.Conv2d(32, 64, 3).weight
        >>> weightinit.delta_orthogonal_(w)
        >>> k = np.empty((3, 3, 32, 64), np.float32)
        >>> weightinit.delta_orthogonal_(k, in_axis=-2, out_axis=-1)
    """
    fname = "delta_orthogonal_"
    shape = tuple(tensor.shape)
    ndim = len(shape)
    if ndim not in (3, 4, 5):
        raise ValueError(f"Delta orthogonal initializer requires a 3D, 4D or 5D shape; got shape {shape}")
    if (in_axis is None) != (out_axis is None):
        raise TypeError(f"{fname}(): give both in_axis and out_axis (JAX's layout: in_axis=-2, "
                        "out_axis=-1), or neither for torch's layout (out, in, *kernel)")
    if in_axis is None:
        in_axis, out_axis = 1, 0
    (ia,), (oa,) = (_axes(v, n, ndim, shape, fname) for v, n in ((in_axis, "in_axis"), (out_axis, "out_axis")))
    ia, oa = ia % ndim, oa % ndim
    if ia == oa:
        raise ValueError(f"{fname}(): in_axis and out_axis name the same axis {ia}")
    n_in, n_out = shape[ia], shape[oa]
    if n_out < n_in:
        raise ValueError(f"`fan_in` must be less or equal than `fan_out`: {n_in} input channels "
                         f"(axis {ia}) > {n_out} output channels (axis {oa}) in shape {shape}")
    scale = float_arg(scale, fname, "scale", 2)
    _check_generator(generator, fname)
    centre = [(k - 1) // 2 for k in shape]

    def index(in_range, out_range):
        """An index of the centre slice, (out, in) axes given by these ranges."""
        idx = list(centre)
        idx[ia], idx[oa] = in_range, out_range
        return tuple(idx)

    # the (out, in) slice, transposed when the in axis comes first
    def place(m):
        return m.T if ia < oa else m

    sharded = dtensor_block(tensor)
    if sharded is None and torch_fallback(tensor):
        # meta tensors, subclasses with their own dispatch: torch's own functions
        torch = torch_info().torch
        init = nn_init()
        t: Any = tensor  # a torch tensor
        m = torch.empty((n_out, n_in), dtype=t.dtype, device=t.device)
        init.orthogonal_(m, scale, generator)
        init.zeros_(t)
        with torch.no_grad():
            t[index(slice(None), slice(None))] = place(m)
        return tensor
    target, full, offset = _split(sharded if sharded is not None else tensor)
    if math.prod(full) == 0:
        return tensor
    kind, view = _target_kind(target, fname)
    if kind == "numpy":
        m = np.empty((n_out, n_in), view.dtype)
    else:
        torch = torch_info().torch
        m = torch.empty((n_out, n_in), dtype=view.dtype)
    # the whole matrix, also for a Block (every rank draws the same); its dtype errors come first
    orthogonal_(m, scale, generator)
    if kind == "numpy":
        _clear(view)  # refuses read-only or overlapping memory before writing
    offset = offset or (0,) * ndim
    local: list = []  # index into the view
    part: list = [None, None]  # the rows (out) and columns (in) of m it holds
    inside = True
    for d, (lo, n) in enumerate(zip(offset, view.shape)):
        if d in (ia, oa):
            local.append(slice(None))
            part[d == ia] = slice(lo, lo + n)
        else:
            inside &= lo <= centre[d] < lo + n
            local.append(centre[d] - lo)
    if kind == "numpy":
        if inside:
            view[tuple(local)] = place(m[part[0], part[1]])
        return tensor
    # torch: one copy_ under no_grad (no autograd record, one version bump)
    values = torch.zeros(view.shape, dtype=view.dtype)
    if inside:
        values[tuple(local)] = place(m[part[0], part[1]])
    with torch.no_grad():
        view.copy_(values)
    if sharded is not None:  # the DTensor wrapper has a version counter of its own
        torch_info().increment_version(tensor)
    return tensor
