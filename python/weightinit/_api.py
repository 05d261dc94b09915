"""torch.nn.init's functions, with its signatures, checks, errors and warnings.

Each function computes its distribution's parameters exactly as torch does
(same Python float arithmetic, same order of checks) and hands the fill to
the C core.  Torch tensors weightinit does not fill itself (see
``_target.torch_fallback``) go to torch.nn.init unchanged.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import _core
from ._frameworks import nn_init, torch_info
from ._target import Block, fill, observe, observers, quick_fill, torch_fallback
from ._torch_compat import C10_REAL, fill_value, float_args, refuse_numpy_dtype
from ._typing import FanMode, Fillable, GeneratorLike, NonlinearityType, T

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "_calculate_fan_in_and_fan_out", "_calculate_correct_fan",
]


def calculate_gain(nonlinearity: NonlinearityType, param: int | float | None = None) -> float:
    r"""Return the recommended gain for a nonlinearity (torch's table).

    ================= =======================================================
    nonlinearity      gain
    ================= =======================================================
    linear, conv*     :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\sqrt{2}`
    leaky_relu        :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}`
    selu              :math:`3/4`
    ================= =======================================================

    For self-normalising networks (SELU) use ``'linear'``: weights with
    variance ``1/N`` are what keeps activations at the fixed point; the
    ``'selu'`` gain trades that for steadier gradients.

    Args:
        nonlinearity: a name from the table (an ``nn.functional`` name)
        param: negative_slope for ``'leaky_relu'`` (default 0.01)

    Returns the int 1 for linear, conv* and sigmoid, as torch does.

    Example:
        >>> weightinit.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    slope = 0.0
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            slope = param
            if isinstance(param, int):  # squared exactly as a Python int, rounded once: torch's
                return math.sqrt(2.0 / (1 + param ** 2))
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
    return _core.gain(nonlinearity, slope)


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` in place from :math:`\mathcal{U}(a, b)`.

    Values lie in ``[a, b)`` in float32/float64; float16 and bfloat16 hold
    the float32 value rounded to nearest even, which may equal ``b``.

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        a: lower bound
        b: upper bound
        generator: torch.Generator, numpy.random.Generator or
            weightinit.Generator (default: torch's default generator for
            torch tensors, weightinit's for anything else)

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.uniform_(w)
    """
    if quick_fill(tensor, _core.UNIFORM, a, b, generator) is not None:
        return tensor
    if torch_fallback(tensor, sharded=True):
        return nn_init().uniform_(tensor, a, b, generator)
    a, b = float_args("uniform_", generator, (a, "from", 1), (b, "to", 2))
    return fill(tensor, _core.UNIFORM, a, b, generator, "uniform_")


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` in place from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        mean: the mean
        std: the standard deviation (>= 0)
        generator: as for uniform_

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.normal_(w)
    """
    if quick_fill(tensor, _core.NORMAL, mean, std, generator) is not None:
        return tensor
    if torch_fallback(tensor, sharded=True):
        return nn_init().normal_(tensor, mean, std, generator)
    mean, std = float_args("normal_", generator, (mean, "mean", 1), (std, "std", 2))
    return fill(tensor, _core.NORMAL, mean, std, generator, "normal_")


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: GeneratorLike | None = None,
) -> T:
    r"""Fill ``tensor`` in place from the normal distribution
    :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated to :math:`[a, b]`.

    ``a`` and ``b`` are absolute bounds, not multiples of ``std``.  Values are
    drawn exactly, by the inverse CDF computed on the smaller tail, so narrow
    windows and windows far in a tail (e.g. ``[5, 6]`` with ``std=1``) have the
    truncated normal's distribution in every dtype, and every value lies in
    ``[a, b]`` after rounding to the tensor's dtype, with no pile-up at the
    bounds.  As in torch, a warning is issued when ``mean`` is more than
    2 ``std`` outside ``[a, b]``; a non-finite ``mean`` or ``std`` gives
    uniform values on ``[a, b]`` (torch's behaviour).  float16 and bfloat16
    hold the float32 value rounded to nearest even (kept inside ``[a, b]``).

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        mean: the mean of the normal distribution
        std: its standard deviation
        a: the minimum cutoff value
        b: the maximum cutoff value
        generator: as for uniform_

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.trunc_normal_(w, std=0.02)
    """
    if torch_fallback(tensor, sharded=True):
        return nn_init().trunc_normal_(tensor, mean, std, a, b, generator)
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    # torch draws normal values when more than 30% of the mass is inside
    # [a, b] and uniform ones otherwise; its errors and messages follow that
    p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    branch = _core.NORMAL if p > 0.3 else _core.UNIFORM
    target = tensor.tensor if isinstance(tensor, Block) else tensor
    if branch == _core.NORMAL and isinstance(target, np.ndarray) and target.dtype.kind in ("i", "u"):
        info_int = np.iinfo(target.dtype)  # torch converts a and b to the dtype first: they can overflow
        for bound in (a, b):
            if not info_int.min <= bound <= info_int.max:
                raise RuntimeError(f"value cannot be converted to type {target.dtype.name} without overflow")
    fname = "normal_" if branch == _core.NORMAL else "uniform_"
    # torch passes (mean, std) to normal_ or (a, b) to uniform_: its parser
    # checks their types and the generator's before any dtype error
    if branch == _core.NORMAL:
        float_args(fname, generator, (mean, "mean", 1), (std, "std", 2))
    else:
        float_args(fname, generator, (a, "from", 1), (b, "to", 2))
    # integer dtypes fail in torch's kernels, complex ones in its comparisons
    # after torch has written the tensor: weightinit refuses both unwritten
    dtype = str(getattr(target, "dtype", ""))
    if branch == _core.UNIFORM and dtype.endswith(("complex64", "complex128")):
        # torch's uniform_ checks the bounds before its comparison fails
        _core.check(_core.UNIFORM, float(a), float(b), _core.F32 if dtype.endswith("64") else _core.F64)
    refuse_numpy_dtype(target, branch, "trunc_normal_", complex_ok=False)
    mean, std, a, b = float(mean), float(std), float(a), float(b)
    if not (math.isfinite(mean) and math.isfinite(std)):
        return fill(tensor, _core.UNIFORM, a, b, generator, fname)
    return fill(tensor, _core.TRUNC_NORMAL, mean, abs(std), generator, fname, a, b)


def _constant(tensor, val, torch_fn):
    """constant_/ones_/zeros_: torch tensors go to torch's own fill_ (already at
    memory bandwidth, every dtype); NumPy float arrays and DLPack objects to
    the core; other NumPy dtypes take NumPy's assignment."""
    target = tensor.tensor if type(tensor) is Block else tensor
    info = torch_info()
    if info is not None and isinstance(target, info.Tensor):
        if observers:
            observe(tensor, _core.CONSTANT, val)
        torch_fn(target)
        return tensor
    from_tensor = info is not None and isinstance(val, info.Tensor)
    val = fill_value(val)
    if isinstance(target, np.ndarray) and target.dtype.kind != "f":
        target[...] = val
        return tensor
    if isinstance(val, complex) or np.iscomplexobj(val):
        if val.imag != 0:
            if not from_tensor:
                name = C10_REAL.get(str(getattr(target, "dtype", "")), "float")
                raise RuntimeError(f"value cannot be converted to type {name} without overflow")
            # a complex 0-d tensor is copied, as torch's fill_ does
            warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                          stacklevel=3)
        val = val.real
    return fill(tensor, _core.CONSTANT, float(val), 0.0, None, "fill_")


def constant_(tensor: T, val: float) -> T:
    r"""Fill ``tensor`` in place with ``val``.

    Args:
        tensor: a torch.Tensor, numpy.ndarray, DLPack object or Block
        val: the value

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.constant_(w, 0.3)
    """
    return _constant(tensor, val, lambda t: nn_init().constant_(t, val))


def ones_(tensor: T) -> T:
    r"""Fill ``tensor`` in place with 1.

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.ones_(w)
    """
    return _constant(tensor, 1.0, lambda t: nn_init().ones_(t))


def zeros_(tensor: T) -> T:
    r"""Fill ``tensor`` in place with 0.

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.zeros_(w)
    """
    return _constant(tensor, 0.0, lambda t: nn_init().zeros_(t))


def _calculate_fan_in_and_fan_out(tensor: Fillable) -> tuple[int, int]:
    """(fan_in, fan_out) for a weight laid out (out, in, *kernel):
    fan_in = in * prod(kernel), fan_out = out * prod(kernel)."""
    return _core.fans(tensor.shape)


def _calculate_correct_fan(tensor: Fillable, mode: FanMode) -> int:
    """fan_in or fan_out of ``tensor`` by ``mode`` ('fan_in' or 'fan_out', any case)."""
    lowered = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if lowered not in valid_modes:
        raise ValueError(f"Mode {lowered} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if lowered == "fan_in" else fan_out


def xavier_uniform_(tensor: T, gain: float = 1.0, generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` with Xavier/Glorot uniform values (Glorot & Bengio, 2010):
    :math:`\mathcal{U}(-a, a)` with

    .. math::
        a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Args:
        tensor: at least 2-D; a torch.Tensor, numpy.ndarray, DLPack object or Block
        gain: scaling factor
        generator: as for uniform_

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.xavier_uniform_(w, gain=weightinit.calculate_gain("relu"))
    """
    if torch_fallback(tensor, sharded=True):
        return nn_init().xavier_uniform_(tensor, gain, generator)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return fill(tensor, _core.UNIFORM, -a, a, generator, "uniform_")


def xavier_normal_(tensor: T, gain: float = 1.0, generator: GeneratorLike | None = None) -> T:
    r"""Fill ``tensor`` with Xavier/Glorot normal values (Glorot & Bengio, 2010):
    :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    Args:
        tensor: at least 2-D; a torch.Tensor, numpy.ndarray, DLPack object or Block
        gain: scaling factor
        generator: as for uniform_

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.xavier_normal_(w)
    """
    if torch_fallback(tensor, sharded=True):
        return nn_init().xavier_normal_(tensor, gain, generator)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return fill(tensor, _core.NORMAL, 0.0, std, generator, "normal_")


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(
    tensor: T,
    a: float = 0,
    mode: FanMode = "fan_in",
    nonlinearity: NonlinearityType = "leaky_relu",
    generator: GeneratorLike | None = None,
) -> T:
    r"""Fill ``tensor`` with Kaiming/He uniform values (He et al., 2015):
    :math:`\mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
        \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}

    Args:
        tensor: at least 2-D; a torch.Tensor, numpy.ndarray, DLPack object or Block
        a: negative slope of the rectifier after this layer (used with
            ``'leaky_relu'`` only)
        mode: ``'fan_in'`` (default) keeps the variance of activations in the
            forward pass; ``'fan_out'`` keeps that of gradients in the backward pass
        nonlinearity: an ``nn.functional`` name; meant for ``'relu'`` or
            ``'leaky_relu'`` (default)
        generator: as for uniform_

    Fans assume torch's layout ``(out_features, in_features, *kernel)``, i.e.
    ``x @ w.T``; for a weight used as ``x @ w`` pass ``w.T``.  A tensor with no
    elements is left as is, with torch's warning.

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")
    """
    if torch_fallback(tensor, sharded=True):
        return nn_init().kaiming_uniform_(tensor, a, mode, nonlinearity, generator)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return fill(tensor, _core.UNIFORM, -bound, bound, generator, "uniform_")


def kaiming_normal_(
    tensor: T,
    a: float = 0,
    mode: FanMode = "fan_in",
    nonlinearity: NonlinearityType = "leaky_relu",
    generator: GeneratorLike | None = None,
) -> T:
    r"""Fill ``tensor`` with Kaiming/He normal values (He et al., 2015):
    :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Args:
        tensor: at least 2-D; a torch.Tensor, numpy.ndarray, DLPack object or Block
        a: negative slope of the rectifier after this layer (used with
            ``'leaky_relu'`` only)
        mode: ``'fan_in'`` (default) keeps the variance of activations in the
            forward pass; ``'fan_out'`` keeps that of gradients in the backward pass
        nonlinearity: an ``nn.functional`` name; meant for ``'relu'`` or
            ``'leaky_relu'`` (default)
        generator: as for uniform_

    Fans assume torch's layout ``(out_features, in_features, *kernel)``, i.e.
    ``x @ w.T``; for a weight used as ``x @ w`` pass ``w.T``.  A tensor with no
    elements is left as is, with torch's warning.

    Example:
        >>> w = torch.empty(3, 5)
        >>> weightinit.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    """
    if torch_fallback(tensor, sharded=True):
        return nn_init().kaiming_normal_(tensor, a, mode, nonlinearity, generator)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return fill(tensor, _core.NORMAL, 0.0, std, generator, "normal_")
