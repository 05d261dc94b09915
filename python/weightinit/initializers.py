"""Keras 3's initializer classes, filled by weightinit: the same names,
parameters, defaults, fan rule, seeding semantics, string identifiers and
configs as ``keras.initializers`` (3.15), without Keras.

``init(shape, dtype="float32")`` returns a new NumPy array.  The values are
those of weightinit's functions on that array with a ``weightinit.Generator``
(see ``seed`` below), so they follow weightinit's reproducibility contract;
JAX users take them with ``jnp.asarray(init(shape))``.  ``weightinit.keras``
offers the same classes as ``keras.initializers.Initializer`` subclasses.

Keras's fan rule (its ``compute_fans``), for kernels laid out ``(..., in, out)``:
rank 0 -> (1, 1); rank 1 -> (n, n); rank 2 -> (shape[0], shape[1]); rank >= 3 ->
fan_in = shape[-2] * rf, fan_out = shape[-1] * rf with rf the product of the
other dimensions; with both ``input_axes`` and ``output_axes`` given, the
products of those axes.  The divisor is ``max(1, fan)``.

Seeds, as in Keras: an int gives the same array on every call; ``None`` draws
a seed once, when the initializer is made (here from weightinit's default
generator, so ``weightinit.manual_seed`` fixes it), and then also gives the
same array on every call -- two unseeded initializers differ; a
``weightinit.Generator`` (Keras: a ``SeedGenerator``) gives fresh values on
every call, reproducibly from its seed.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any

import numpy as np

from . import _random
from ._api import constant_, normal_, ones_, uniform_, zeros_
from ._catalogue import check_distribution, check_scale, trunc_normal_tf_, variance_fill
from ._random import Generator
from ._structured import eye_, orthogonal_

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
    "LecunUniform", "LecunNormal", "Orthogonal", "compute_fans", "get", "serialize", "deserialize",
]

Shape = Any  # a sequence of ints


def _shape(shape):
    dims = tuple(operator.index(d) for d in shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"Negative dimensions are not allowed. Received: shape={shape}")
    return dims


class Initializer:
    """Base class: ``init(shape, dtype="float32")`` returns a new array of that
    shape and dtype (``dtype=None`` is float32, Keras's default floatx)."""

    def __call__(self, shape: Shape, dtype: Any = "float32") -> np.ndarray:
        target, dtype = self._empty(_shape(shape), dtype)
        self._fill(target)
        return self._result(target, dtype)

    def _empty(self, shape, dtype):
        """(array to fill, dtype asked for); weightinit.keras makes backend tensors instead."""
        dtype = "float32" if dtype is None else dtype
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: dtype {dtype!r} is not a NumPy dtype (bfloat16 arrays: "
                            "use weightinit.keras, or fill a torch tensor with weightinit's functions)") from None
        return np.empty(shape, dt), dt

    def _fill(self, target):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def _result(self, target, dtype):
        return target

    def get_config(self) -> dict:
        """The constructor's arguments, as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        """An initializer from ``get_config()``'s dict."""
        return cls(**config)

    def clone(self) -> Initializer:
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__module__}.{type(self).__name__}({args})"


class Constant(Initializer):
    """Every element ``value`` (converted to the dtype).

    Example:
        >>> weightinit.initializers.Constant(10.0)((2, 2))
        array([[10., 10.],
               [10., 10.]], dtype=float32)
    """

    def __init__(self, value: float = 0.0):
        self.value = value

    def _fill(self, target):
        constant_(target, self.value)

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """Every element 0.

    Example:
        >>> weightinit.initializers.Zeros()((2, 3))
    """

    def _fill(self, target):
        zeros_(target)


class Ones(Initializer):
    """Every element 1.

    Example:
        >>> weightinit.initializers.Ones()((2, 3))
    """

    def _fill(self, target):
        ones_(target)


class Identity(Initializer):
    """``gain`` times the (rectangular) identity matrix; 2-D shapes only.

    Example:
        >>> weightinit.initializers.Identity(2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Shape, dtype: Any = "float32") -> np.ndarray:
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return super().__call__(shape, dtype)

    def _fill(self, target):
        eye_(target)
        if self.gain != 1:
            target[...] = target * self.gain  # cast back, as for integer dtypes

    def get_config(self):
        return {"gain": self.gain}


def _seed_config(seed):
    if type(seed) is Generator:
        return {"class_name": "Generator", "config": {"seed": seed.initial_seed()}}
    return seed


class RandomInitializer(Initializer):
    """Base of the random initializers: how ``seed`` gives each call's generator."""

    def __init__(self, seed: int | Generator | dict | None = None):
        self._init_seed = seed
        if isinstance(seed, dict) and seed.get("class_name") == "Generator":
            seed = Generator(seed["config"]["seed"])
        self._state, self._shared = self._resolve_seed(seed)
        self.seed = seed if seed is not None else self._state

    def _resolve_seed(self, seed):
        """(state, shared generator): a fixed (key, stream) for every call, or a
        generator that each call draws from."""
        if type(seed) is Generator:
            return None, seed
        if seed is None:
            return _random.default_generator._draw(), None
        if isinstance(seed, int):  # bools too, as in Keras
            return (Generator(int(seed)).initial_seed(), 0), None
        raise ValueError("`seed` argument should be an instance of `weightinit.Generator` or an integer. "
                         f"Received: seed={seed}")

    def _generator(self):
        if self._shared is not None:
            return self._shared
        g = Generator(0)
        g.set_state(self._state)
        return g

    def get_config(self):
        return {"seed": _seed_config(self._init_seed)}


class RandomNormal(RandomInitializer):
    """Normal values, :math:`\\mathcal{N}(\\text{mean}, \\text{stddev}^2)`.

    Example:
        >>> weightinit.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=0)((2, 2))
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | Generator | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def _fill(self, target):
        normal_(target, self.mean, self.stddev, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal values with those more than 2 ``stddev`` from ``mean`` redrawn
    (sampled exactly, as ``weightinit.trunc_normal_tf_(t, mean, stddev)``).

    Example:
        >>> weightinit.initializers.TruncatedNormal(stddev=0.02, seed=0)((768, 768))
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | Generator | None = None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def _fill(self, target):
        trunc_normal_tf_(target, self.mean, self.stddev, -2.0, 2.0, self._generator())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform values in ``[minval, maxval)``.

    Example:
        >>> weightinit.initializers.RandomUniform(-1.0, 1.0, seed=0)((2, 2))
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | Generator | None = None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def _fill(self, target):
        uniform_(target, self.minval, self.maxval, self._generator())

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape: Shape, input_axes: Any = None, output_axes: Any = None) -> tuple[int, int]:
    """Keras's (fan_in, fan_out) of a weight shape (see the module docstring)."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)), int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = math.prod(shape[:-2])
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


_KERAS_MODES = ("fan_in", "fan_out", "fan_avg")
# Keras reads "normal" as the truncated normal (weightinit.variance_scaling_, like JAX and timm, does not)
_KERAS_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "truncated_normal",
                        "untruncated_normal": "untruncated_normal", "uniform": "uniform"}


def _keras_set(names):
    return "{" + ", ".join(map(repr, names)) + "}"


class VarianceScaling(RandomInitializer):
    """Values of variance ``scale / max(1, n)``, n the fan by ``mode``
    (``"fan_in"``, ``"fan_out"``, ``"fan_avg"``), from ``distribution``:
    ``"truncated_normal"`` (alias ``"normal"``, as in Keras; truncated at 2
    sigma, sigma = sqrt(scale / n) / 0.87962566103423978), ``"untruncated_normal"``
    or ``"uniform"`` (within +-sqrt(3 scale / n)).  Fans by Keras's rule.

    Example:
        >>> init = weightinit.initializers.VarianceScaling(0.1, "fan_in", "uniform", seed=0)
        >>> init((64, 32))
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | Generator | None = None, input_axes: Any = None, output_axes: Any = None) -> None:
        scale = check_scale(scale)
        if mode not in _KERAS_MODES:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {_keras_set(_KERAS_MODES)}")
        try:
            distribution = check_distribution(distribution, _KERAS_DISTRIBUTIONS, "VarianceScaling")
        except ValueError:
            shown = distribution.lower() if isinstance(distribution, str) else distribution
            raise ValueError(f"Invalid `distribution` argument: {shown}."  # sic: Keras's message has no space
                             "Please use one of {'uniform', 'truncated_normal', 'untruncated_normal'}") from None
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def _fill(self, target):
        fan_in, fan_out = compute_fans(target.shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance_fill(target, self.scale / max(1.0, n), self.distribution, self._generator())

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _named(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self: Any, seed: int | Generator | None = None, input_axes: Any = None,
                 output_axes: Any = None) -> None:
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": _seed_config(self._init_seed), "input_axes": self.input_axes,
                "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "__module__": __name__,
        "__doc__": f"""{doc}

    ``VarianceScaling({scale}, "{mode}", "{distribution}")``.

    Example:
        >>> weightinit.initializers.{name}(seed=0)((3, 3, 64, 128))
    """})


GlorotUniform = _named("GlorotUniform", 1.0, "fan_avg", "uniform",
                       "Glorot (Xavier) uniform: within +-sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _named("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                      "Glorot (Xavier) normal, truncated at 2 sigma: std sqrt(2 / (fan_in + fan_out)).")
LecunUniform = _named("LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform: within +-sqrt(3 / fan_in).")
LecunNormal = _named("LecunNormal", 1.0, "fan_in", "truncated_normal",
                     "LeCun normal, truncated at 2 sigma: std sqrt(1 / fan_in).")
HeUniform = _named("HeUniform", 2.0, "fan_in", "uniform", "He (Kaiming) uniform: within +-sqrt(6 / fan_in).")
HeNormal = _named("HeNormal", 2.0, "fan_in", "truncated_normal",
                  "He (Kaiming) normal, truncated at 2 sigma: std sqrt(2 / fan_in).")


class Orthogonal(RandomInitializer):
    """``gain`` times a Haar-random (semi-)orthogonal matrix of shape
    ``(prod(shape[:-1]), shape[-1])``, reshaped: orthonormal columns when it
    has at least as many rows as columns, orthonormal rows otherwise.

    Example:
        >>> weightinit.initializers.Orthogonal(seed=0)((3, 3, 16, 32))
    """

    def __init__(self, gain: float = 1.0, seed: int | Generator | None = None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Shape, dtype: Any = "float32") -> np.ndarray:
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return super().__call__(shape, dtype)

    def _fill(self, target):
        rows = math.prod(target.shape[:-1])
        orthogonal_(target.reshape(rows, target.shape[-1]), self.gain, self._generator())

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


# ---------------------------------------------------------------- identifiers

ALL_OBJECTS = (Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
               LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
               VarianceScaling)


def _snake_case(name):
    """Keras's to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _identifiers(objects):
    """Keras's table of identifiers: class names, their snake_case forms, aliases."""
    table = {cls.__name__: cls for cls in objects}
    table.update({_snake_case(cls.__name__): cls for cls in objects})
    by_name = {cls.__name__: cls for cls in objects}
    table.update({"IdentityInitializer": by_name["Identity"], "normal": by_name["RandomNormal"],
                  "one": by_name["Ones"], "OrthogonalInitializer": by_name["Orthogonal"],
                  "uniform": by_name["RandomUniform"], "zero": by_name["Zeros"]})
    return table


ALL_OBJECTS_DICT = _identifiers(ALL_OBJECTS)


_NOT_PROVIDED = {"STFT", "stft", "STFTInitializer"}  # Keras's STFT kernels: not random, not here


def serialize(initializer: Initializer) -> dict:
    """``{"class_name": ..., "config": ...}`` for ``deserialize`` and ``get``."""
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _not_understood(identifier):
    name = identifier.get("class_name") if isinstance(identifier, dict) else identifier
    extra = " (Keras's STFT initializer is not part of weightinit)" if isinstance(name, str) and \
        name in _NOT_PROVIDED else ""
    return ValueError(f"Could not interpret initializer identifier: {identifier}{extra}")


def deserialize(config: dict, table: dict | None = None) -> Initializer:
    """The initializer a ``serialize`` dict describes (Keras's dict form too)."""
    table = ALL_OBJECTS_DICT if table is None else table
    cls = table.get(config.get("class_name")) if isinstance(config, dict) else None
    if cls is None:
        raise _not_understood(config)
    return cls.from_config(config.get("config") or {})


def get(identifier: Any, table: dict | None = None) -> Any:
    """An initializer from an identifier, as ``keras.initializers.get``: None;
    a name (``"he_uniform"``, ``"HeUniform"``, aliases ``"normal"``,
    ``"uniform"``, ``"one"``, ``"zero"``, ...) with default arguments; a
    ``serialize`` dict; a class (instantiated); a callable (returned); or an
    array, which becomes an initializer returning it (shape checked).

    Example:
        >>> weightinit.initializers.get("he_uniform")((64, 32))
    """
    table = ALL_OBJECTS_DICT if table is None else table
    if identifier is None:
        return None
    if isinstance(identifier, (dict, str)):
        config = identifier if isinstance(identifier, dict) else {"class_name": identifier, "config": {}}
        if table.get(config.get("class_name")) is None:
            raise _not_understood(identifier)
        obj: Any = deserialize(config, table)
    elif isinstance(identifier, (np.generic, np.ndarray)):
        def initialize_fn(shape, dtype=None):
            if tuple(shape) != tuple(identifier.shape):
                raise ValueError(f"Expected `shape` to be {identifier.shape} for direct tensor as initializer. "
                                 f"Received shape={shape}")
            return np.asarray(identifier, dtype=dtype)
        obj = initialize_fn
    else:
        obj = identifier
    if callable(obj):
        return obj() if isinstance(obj, type) else obj
    raise _not_understood(identifier)
