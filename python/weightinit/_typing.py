"""Types shared by the public signatures (for type checkers only: nothing
here runs torch or NumPy code).

torch.nn.init annotates ``tensor: Tensor -> Tensor``; weightinit fills more
kinds of target and returns the one it was given, so its functions take a
``T`` bound to :data:`Fillable` and return that ``T``: a ``torch.Tensor``
comes back a ``torch.Tensor``, a NumPy array the same array type, a Block a
Block.  New public functions reuse these names (and go in
tests/typing/usage.py, which CI type-checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, Union

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ._random import Generator
    from ._target import Block

__all__ = ["Array", "Fillable", "T", "GeneratorLike", "NonlinearityType", "FanMode"]


class Array(Protocol):
    """What weightinit fills besides a Block: torch tensors, NumPy arrays and
    other arrays with a shape and ``__dlpack__`` (JAX, CuPy, ...)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __dlpack__(self) -> Any: ...


Fillable = Union[Array, "Block"]
T = TypeVar("T", bound=Fillable)

# a fill's key source (see weightinit._random)
GeneratorLike = Union["torch.Generator", "np.random.Generator", "Generator"]

# torch.nn.init's _NonlinearityType and _FanMode
NonlinearityType = Literal[
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "sigmoid", "tanh", "relu", "leaky_relu", "selu",
]
FanMode = Literal["fan_in", "fan_out"]
