"""timm's init functions (``timm/layers/weight_init.py``) with timm's
signatures and semantics, filled by weightinit: what ``weightinit.patch()``
puts in place of timm's ``trunc_normal_``, ``trunc_normal_tf_``,
``variance_scaling_`` and ``lecun_normal_`` wherever timm binds them.

timm's names mean what they mean in timm, which is not always what
weightinit's public function of the same name means:

* ``trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.)``: absolute bounds
  (weightinit's ``trunc_normal_``);
* ``trunc_normal_tf_(tensor, mean=0., std=1., a=-2., b=2.)``: bounds in units
  of std around the mean (weightinit's ``trunc_normal_tf_``);
* ``variance_scaling_(tensor, scale=1.0, mode='fan_in', distribution='normal')``:
  *untruncated* by default (weightinit's defaults to Keras's truncated
  normal), modes ``fan_in``/``fan_out``/``fan_avg``, the distribution names
  exactly ``'truncated_normal'``, ``'normal'``, ``'uniform'``; returns None;
* ``lecun_normal_(tensor)``: fan_in, truncated normal; returns None.

Each also takes ``generator=`` (keyword only; timm's take none), so that
``patched(generator_for=...)`` and ``init_model`` reach them.  weightinit fills
where the arguments are ordinary -- a tensor weightinit fills, real numbers
where timm's function is well defined --; every other call (meta tensors,
tensor subclasses, integer and complex dtypes, a zero or NaN std, an unknown
mode, ...) runs timm's own code, so its results, errors and warnings are
timm's.  That code runs as copies whose globals are a snapshot of timm's
module holding these copies (``_frameworks._run_unpatched``): timm's
``lecun_normal_`` calls ``variance_scaling_``, which calls
``trunc_normal_tf_``, and none of them reaches a patched name again.

Where timm's inverse-CDF sampling breaks down numerically (a float32 window
far in a tail, where its uniform values round to a few levels near 1: from
about 4 sigma out a handful of values, beyond about 5.5 sigma a single one),
weightinit draws the truncated normal the arguments define.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

from . import _api
from ._catalogue import trunc_normal_tf_ as _tf, variance_fill
from ._frameworks import _run_unpatched, torch_info
from ._target import torch_fallback
from ._typing import GeneratorLike, T

__all__ = ["MODULE", "NAMES", "pairs"]

MODULE = "timm.layers.weight_init"
NAMES = ("trunc_normal_", "trunc_normal_tf_", "variance_scaling_", "lecun_normal_")

# timm's modes and distribution names (compared exactly, as timm does)
_MODES: dict[str, Callable[[int, int], float]] = {
    "fan_in": lambda fan_in, fan_out: fan_in, "fan_out": lambda fan_in, fan_out: fan_out,
    "fan_avg": lambda fan_in, fan_out: (fan_in + fan_out) / 2}
_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal", "uniform": "uniform"}


def _theirs(tensor: Any, generator: Any) -> bool:
    """True when timm's own code fills ``tensor``: the torch tensors weightinit
    leaves to torch (meta, subclasses, integer dtypes, ...) and complex ones --
    unless a generator was given, which timm's functions cannot take."""
    if generator is not None:
        return False
    if torch_fallback(tensor, sharded=True):
        return True
    info = torch_info()
    return info is not None and isinstance(tensor, info.Tensor) and tensor.dtype in info.complex


def _reals(*values: Any) -> bool:
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isnan(v) for v in values)


def _window(a: float, b: float) -> bool:
    """[a, b] a window timm's sampling and weightinit's agree on."""
    return a <= b and a < math.inf and b > -math.inf


def _variance(tensor: Any, scale: Any, mode: Any, distribution: Any) -> float | None:
    """timm's variance for these arguments, or None where timm's own code runs
    (its errors; its zeros for scale 0)."""
    shape = getattr(tensor, "shape", None)
    if (shape is None or len(shape) < 2 or not _reals(scale) or not 0 < scale < math.inf
            or not isinstance(mode, str) or mode not in _MODES
            or not isinstance(distribution, str) or distribution not in _DISTRIBUTIONS):
        return None
    n = _MODES[mode](*_api._calculate_fan_in_and_fan_out(tensor))
    return scale / n if n > 0 else None


def _adapters(theirs: Any) -> dict[str, Callable]:
    """The four functions, falling back to ``theirs`` (copies of timm's)."""

    def trunc_normal_(tensor: T, mean: float = 0., std: float = 1., a: float = -2., b: float = 2., *,
                      generator: GeneratorLike | None = None) -> T:
        """timm's ``trunc_normal_``, filled by weightinit: N(mean, std²)
        truncated to the absolute window [a, b] (``weightinit.trunc_normal_``)."""
        if (_theirs(tensor, generator) or not _reals(mean, std, a, b) or not 0 < std < math.inf
                or not math.isfinite(mean) or not _window(a, b)):
            return theirs.trunc_normal_(tensor, mean, std, a, b)
        return _api.trunc_normal_(tensor, mean, std, a, b, generator)

    def trunc_normal_tf_(tensor: T, mean: float = 0., std: float = 1., a: float = -2., b: float = 2., *,
                         generator: GeneratorLike | None = None) -> T:
        """timm's ``trunc_normal_tf_``, filled by weightinit: mean + std·Z, Z ~
        N(0, 1) truncated to [a, b] (``weightinit.trunc_normal_tf_``)."""
        if (_theirs(tensor, generator) or not _reals(mean, std, a, b) or not math.isfinite(mean)
                or not math.isfinite(std) or not _window(a, b)):
            return theirs.trunc_normal_tf_(tensor, mean, std, a, b)
        return _tf(tensor, mean, std, a, b, generator)

    def variance_scaling_(tensor: Any, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal", *,
                          generator: GeneratorLike | None = None) -> None:
        """timm's ``variance_scaling_``, filled by weightinit: zero-mean values
        of variance scale / n, n by ``mode`` ('fan_in', 'fan_out', 'fan_avg';
        torch's fans), from ``distribution``: 'normal' (the default:
        *untruncated*), 'truncated_normal' (at ±2σ, σ widened by 1/0.8796) or
        'uniform'.  Returns None, as timm's does."""
        variance = None if _theirs(tensor, generator) else _variance(tensor, scale, mode, distribution)
        if variance is None:
            theirs.variance_scaling_(tensor, scale, mode, distribution)
            return
        variance_fill(tensor, variance, _DISTRIBUTIONS[distribution], generator)

    def lecun_normal_(tensor: Any, *, generator: GeneratorLike | None = None) -> None:
        """timm's ``lecun_normal_``, filled by weightinit: variance 1 / fan_in,
        truncated at ±2σ.  Returns None, as timm's does."""
        variance_scaling_(tensor, 1.0, "fan_in", "truncated_normal", generator=generator)

    return {f.__name__: f for f in (trunc_normal_, trunc_normal_tf_, variance_scaling_, lecun_normal_)}


def _staged(ours: Callable, theirs: Callable) -> Callable:
    """patch()'s fallback for tensors on accelerators: timm's function, or
    ours when a generator was passed (timm's take none)."""
    def fallback(*args: Any, generator: Any = None, **kwargs: Any) -> Any:
        if generator is None:
            return theirs(*args, **kwargs)
        return ours(*args, generator=generator, **kwargs)
    return fallback


def pairs(module: Any) -> dict[str, tuple[Callable, Callable, Callable]]:
    """patch()'s provider: {name: (timm's function, its weightinit
    replacement, the fallback)} for a fully imported ``timm.layers.weight_init``."""
    theirs = _run_unpatched(vars(module), NAMES, linked=True)
    ours = _adapters(theirs)
    return {name: (getattr(module, name), ours[name], _staged(ours[name], getattr(theirs, name)))
            for name in NAMES}
