"""weightinit's initializers as Keras 3 initializers.

The classes of ``weightinit.initializers`` (same names, parameters and
defaults as ``keras.initializers``), as ``keras.initializers.Initializer``
subclasses, registered for Keras serialisation under the package
``"weightinit"``::

    import keras, weightinit.keras
    layer = keras.layers.Dense(64, kernel_initializer=weightinit.keras.HeUniform(seed=0))

A call returns a tensor of the Keras backend in the dtype Keras asks for
(floatx by default).  With the torch backend the values are filled straight
into a torch tensor (bfloat16 included); with the others into a NumPy array
that ``keras.ops.convert_to_tensor`` converts (bfloat16: filled in float32,
then cast).  Seeds as in Keras: an int gives the same values on every call;
``None`` draws a seed from Python's ``random`` when the initializer is made,
as Keras does, so ``keras.utils.set_random_seed`` fixes it; a
``keras.random.SeedGenerator`` or a ``weightinit.Generator`` gives fresh values
on every call.  Given the same int seed, these return exactly the values of
``weightinit.initializers``.

Importing this module imports Keras; ``weightinit`` itself never does.
"""

import random as _python_random

try:
    import keras
except ImportError as e:  # noqa: F841 - re-raised with the reason below
    raise ImportError("weightinit.keras needs Keras 3 (pip install 'weightinit[keras]'); "
                      "weightinit.initializers gives the same initializers as NumPy arrays without it") from e

if not keras.__version__.startswith("3."):
    raise ImportError(f"weightinit.keras needs Keras 3, found Keras {keras.__version__}")

import numpy as np  # noqa: E402

from . import initializers as _wi  # noqa: E402
from ._random import Generator  # noqa: E402

__all__ = [cls.__name__ for cls in _wi.ALL_OBJECTS] + ["get"]


class _SeedGeneratorDraw:
    """Each call: one draw from a keras.random.SeedGenerator as a weightinit.Generator."""

    def __init__(self, seed_generator):
        self.seed_generator = seed_generator

    def __call__(self):
        s = keras.ops.convert_to_numpy(self.seed_generator.next()).astype(np.int64)
        return Generator((int(s[0]) & 0xFFFFFFFF) | ((int(s[-1]) & 0xFFFFFFFF) << 32))


def _resolve_seed(self, seed):
    if isinstance(seed, dict):  # a serialised keras.random.SeedGenerator
        seed = keras.saving.deserialize_keras_object(seed)
    if seed is None:  # Keras's make_default_seed: governed by keras.utils.set_random_seed
        return (Generator(_python_random.randint(1, int(1e9))).initial_seed(), 0), None
    if isinstance(seed, keras.random.SeedGenerator):
        return None, _SeedGeneratorDraw(seed)
    return _wi.RandomInitializer._resolve_seed(self, seed)


def _generator(self):
    shared = self._shared
    if isinstance(shared, _SeedGeneratorDraw):
        return shared()
    return _wi.RandomInitializer._generator(self)


def _empty(self, shape, dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    if keras.backend.backend() == "torch":
        import torch
        return torch.empty(shape, dtype=getattr(torch, dtype)), dtype  # CPU; convert_to_tensor moves it
    return np.empty(shape, np.float32 if dtype == "bfloat16" else dtype), dtype


def _result(self, target, dtype):
    return keras.ops.convert_to_tensor(target, dtype=dtype)


def _call(cls):
    def __call__(self, shape, dtype=None):
        return cls.__call__(self, shape, dtype)
    __call__.__doc__ = "A backend tensor of this shape and dtype (default: Keras's floatx)."
    return __call__


def _adapter(cls):
    attrs = {"__module__": __name__, "__doc__": cls.__doc__, "__call__": _call(cls), "_empty": _empty,
             "_result": _result}
    if issubclass(cls, _wi.RandomInitializer):
        attrs.update(_resolve_seed=_resolve_seed, _generator=_generator)
    new = type(cls.__name__, (cls, keras.initializers.Initializer), attrs)
    if cls is _wi.Initializer:
        return new
    return keras.saving.register_keras_serializable(package="weightinit")(new)


_CLASSES = {cls.__name__: _adapter(cls) for cls in _wi.ALL_OBJECTS}
globals().update(_CLASSES)
ALL_OBJECTS_DICT = _wi._identifiers(tuple(_CLASSES.values()))


def get(identifier):
    """``weightinit.initializers.get``, returning these Keras classes:
    ``weightinit.keras.get("he_uniform")``."""
    return _wi.get(identifier, ALL_OBJECTS_DICT)
