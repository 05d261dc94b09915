"""What can be filled, and how each kind of target reaches the C core.

* numpy.ndarray (float16/32/64, complex as interleaved pairs): straight to
  the core through the NumPy C API.
* torch.Tensor on the CPU (float16, bfloat16, float32, float64, complex):
  a raw (data_ptr, dtype, shape, strides) view; written without autograd,
  then the version counter is bumped as torch's in-place ops do.
* Anything else with ``__dlpack__``: a DLPack capsule.
* Block: a block of a larger logical tensor (sharded init).

``name_key`` is materialize's hook in the fill path: weightinit.materialize
sets it to a function (target) -> Generator or None, so that a fill of one of
the model's tensors (or of a view of its memory, a DTensor's local shard, a
Block of it) takes its key from that tensor's name instead of ``generator``.

torch is never imported here: a tensor can only exist once the user has
imported torch, so ``sys.modules`` is consulted instead.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Sequence
from typing import Any, SupportsIndex

import numpy as np

from . import _core, _frameworks
from ._frameworks import NP_CODES, NP_COMPLEX, torch_info
from ._random import Generator, cpu_key, draw
from ._torch_compat import ARG_NAMES, empty_noop, float_args, numpy_dtype_error, type_name
from ._typing import Array

__all__ = ["Block", "block", "fill", "quick_fill", "keyed", "torch_fallback", "numpy_view", "observers", "observe"]


class Block:
    """A tensor that is the block ``[offset, offset + tensor.shape)`` of a
    larger logical tensor of shape ``full_shape``.

    Every weightinit function accepts a Block in place of a tensor and gives
    it exactly the values that block gets when a tensor of ``full_shape`` is
    filled whole with the same seed; fans (xavier_*, kaiming_*) come from
    ``full_shape``.  Use it to initialise shards of a model on each rank
    without materialising the full weight.  Functions return the Block.
    """

    __slots__ = ("tensor", "shape", "offset")
    tensor: Array
    shape: tuple[int, ...]  # the full logical shape
    offset: tuple[int, ...]

    def __init__(self, tensor: Array, full_shape: Sequence[SupportsIndex],
                 offset: Sequence[SupportsIndex]) -> None:
        local = tuple(tensor.shape)
        full = tuple(operator.index(s) for s in full_shape)
        off = tuple(operator.index(o) for o in offset)
        if len(full) != len(local) or len(off) != len(local):
            raise ValueError(
                f"block: full_shape {full} and offset {off} need {len(local)} entries, "
                f"one per dimension of the tensor of shape {local}")
        for d, (n, f, o) in enumerate(zip(local, full, off)):
            if o < 0 or f < 0 or o + n > f:
                raise ValueError(
                    f"block: dimension {d}: offset {o} + size {n} does not fit in full size {f}")
        self.tensor = tensor
        self.shape = full
        self.offset = off

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def dim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (f"weightinit.Block(shape={tuple(self.tensor.shape)}, offset={self.offset}, "
                f"full_shape={self.shape})")


def block(tensor: Array, full_shape: Sequence[SupportsIndex], offset: Sequence[SupportsIndex]) -> Block:
    """``Block(tensor, full_shape, offset)``: see Block."""
    return Block(tensor, full_shape, offset)


def dtensor_block(tensor):
    """A Block(local shard, global shape, global offset) for a DTensor laid out
    by Shard and Replicate placements (each rank then fills its shard with
    exactly the values of the unsharded fill); None for anything else."""
    dt = sys.modules.get("torch.distributed.tensor")
    if dt is None or not isinstance(tensor, getattr(dt, "DTensor", ())):
        return None
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    if not all(type(p) in (Shard, Replicate) for p in tensor.placements):
        return None  # Partial, strided shards: torch's own sampling
    shape, offset = compute_local_shape_and_global_offset(tensor.shape, tensor.device_mesh, tensor.placements)
    local = tensor._local_tensor
    if tuple(local.shape) != tuple(shape) or torch_fallback(local):
        return None
    return Block(local, tuple(tensor.shape), tuple(offset))


def torch_fallback(tensor, sharded=False):
    """True for torch tensors weightinit leaves to torch itself: meta tensors,
    tensor subclasses with __torch_function__ or __torch_dispatch__ (DTensor,
    FakeTensor, ...), sparse and other non-strided layouts, conjugate or
    negative views, dtypes other than the float and complex ones, and inference
    tensors outside inference mode (torch raises for those).  Tensors on other
    devices are weightinit's: they are filled through a CPU staging buffer.
    With ``sharded``, DTensors that dtensor_block handles are weightinit's too."""
    cls = type(tensor)
    if cls is np.ndarray or cls is Block:
        return False
    info = _frameworks._info or torch_info()
    if info is None or not isinstance(tensor, info.Tensor):
        return False
    if not info.is_plain(cls):
        return not (sharded and dtensor_block(tensor) is not None)
    if tensor.is_meta or tensor.layout is not info.strided:
        return True
    dtype = tensor.dtype
    if dtype not in info.codes and (dtype not in info.complex or tensor.is_conj()):
        return True
    if tensor.is_neg():
        return True
    return tensor.is_inference() and not info.torch.is_inference_mode_enabled()


def numpy_view(arr, dist, fname):
    """(array the core can fill, std scale): complex as (..., 2) real pairs;
    torch's error for any other dtype."""
    if arr.dtype in NP_CODES:
        return arr, 1.0
    real = NP_COMPLEX.get(arr.dtype)
    if real is not None:
        return arr[..., None].view(real), 1.0 / math.sqrt(2.0)
    raise numpy_dtype_error(arr.dtype, dist, fname)


_force_staging = False  # tests: stage CPU tensors too, to check the staging path

# callables (tensor, distribution name, p0, p1, p2, p3) told of every fill
# before it is made, with the parameters weightinit computed: init_model's record
observers: list = []


def observe(tensor, dist, p0, p1=0.0, p2=0.0, p3=0.0):
    for observer in observers:
        observer(tensor, _core.DISTRIBUTIONS[dist], p0, p1, p2, p3)


def _region(blk, extra):
    if blk is None:
        return None, None
    return blk.shape + extra, blk.offset + (0,) * len(extra)


name_key: Any = None  # set by weightinit.materialize while it runs, see the header


def keyed(target, generator):
    """The generator a random fill of ``target`` draws from: the name-keyed one
    while materialize runs and ``target`` is one of its tensors, else ``generator``."""
    hook = name_key
    if hook is None:
        return generator
    named = hook(target)
    return generator if named is None else named


def _key(dist, generator, torch, target):
    return (0, 0) if dist == _core.CONSTANT else draw(keyed(target, generator), torch)


def quick_fill(tensor, dist, p0, p1, generator, p2=0.0, p3=0.0):
    """fill() of a random distribution in the common case, with as few frames
    and torch attribute reads as it takes: a CPU tensor of a plain class, strided,
    of a real float dtype, neither a negative view nor an inference tensor;
    float parameters; generator None, a CPU torch.Generator or a weightinit
    Generator; no observer and no materialize hook.  Then it raises, draws and
    writes exactly what fill() (and torch_fallback before it) would; otherwise it
    returns None having done nothing, and the caller takes the general path."""
    info = _frameworks._info
    if (info is None or info.plain.get(type(tensor)) is not True or type(p0) is not float
            or type(p1) is not float or observers or name_key is not None or _force_staging):
        return None
    if not tensor.is_cpu or tensor.layout is not info.strided or tensor.is_neg() or tensor.is_inference():
        return None
    code = info.codes.get(tensor.dtype)
    if code is None:
        return None
    from_torch = generator is None or (type(generator) is info.torch.Generator and generator.device.type == "cpu")
    if not from_torch and type(generator) is not Generator:
        return None
    _core.check(dist, p0, p1, code, p2, p3)  # before the draw: a refused call leaves the generator alone
    key, stream = (cpu_key(generator), 0) if from_torch else generator._draw()
    _core.fill((tensor.data_ptr(), code, tensor.shape, tensor.stride()), dist, p0, p1, key, stream,
               None, None, p2, p3)
    info.increment_versions((tensor,))
    return tensor


def fill(tensor, dist, p0, p1, generator, fname, p2=0.0, p3=0.0):
    """Fill ``tensor`` (ndarray, CPU torch tensor, __dlpack__ object, Block of
    one, or sharded DTensor) with UNIFORM(p0, p1), NORMAL(p0, p1), CONSTANT(p0)
    or TRUNC_NORMAL(mean p0, std p1, a p2, b p3); returns it."""
    if dist != _core.CONSTANT and quick_fill(tensor, dist, p0, p1, generator, p2, p3) is not None:
        return tensor
    sharded = None
    if dist != _core.CONSTANT:
        # parameters derived in xavier_*/kaiming_* meet torch's argument parser here
        names = ARG_NAMES[dist]
        p0, p1 = float_args(fname, generator, (p0, names[0], 1), (p1, names[1], 2))
    if dist == _core.NORMAL:
        _core.check(dist, p0, p1, _core.F64)  # torch checks std first, whatever the tensor
    if observers:
        observe(tensor, dist, p0, p1, p2, p3)
    blk = None
    target = tensor
    if type(target) is Block:
        blk = target
        target = blk.tensor
    elif (sharded := dtensor_block(tensor)) is not None:
        blk = sharded
        target = blk.tensor

    if isinstance(target, np.ndarray):
        if empty_noop(target.dtype, target.size, dist):
            return tensor
        view, scale = numpy_view(target, dist, fname)
        if dist == _core.NORMAL:
            p1 *= scale
        full, off = _region(blk, view.shape[target.ndim:])
        key, stream = _key(dist, generator, None, target)
        _core.fill(view, dist, p0, p1, key, stream, full, off, p2, p3)
        return tensor

    info = torch_info()
    if info is not None and isinstance(target, info.Tensor):
        if blk is not None and torch_fallback(target):
            raise TypeError(f"{fname}(): a Block must wrap a strided tensor with a float or complex dtype")
        dtype = target.dtype
        is_complex = dtype in info.complex
        if is_complex and target.numel() == 0 and dist == _core.UNIFORM:
            return tensor  # torch's uniform_ returns before checking the bounds
        torch = info.torch
        # another device: fill a CPU buffer under the same contract, then copy
        staged = not target.is_cpu or _force_staging
        out = torch.empty(target.shape, dtype=dtype) if staged else target
        extra = ()
        if is_complex:
            out = torch.view_as_real(out)
            extra = (2,)
            dtype = out.dtype
            if dist == _core.NORMAL:
                p1 = p1 / math.sqrt(2.0)
        code = info.codes[dtype]
        _core.check(dist, p0, p1, code, p2, p3)
        if staged:  # the core checks the target's layout as it would before writing it
            real = torch.view_as_real(target) if extra else target
            _core.check_view((real.data_ptr(), code, real.shape, real.stride()))
        key, stream = _key(dist, generator, torch, target)
        full, off = _region(blk, extra)
        _core.fill((out.data_ptr(), code, out.shape, out.stride()),
                   dist, p0, p1, key, stream, full, off, p2, p3)
        if staged:
            with torch.no_grad():  # copy_ bumps the version counter once, like an in-place fill
                target.copy_(torch.view_as_complex(out) if extra else out)
        else:
            info.increment_version(target if blk is not None else tensor)
        if sharded is not None:  # the DTensor wrapper has a version counter of its own
            info.increment_version(tensor)
        return tensor

    if hasattr(target, "__dlpack__"):
        try:
            capsule = target.__dlpack__(max_version=(1, 0))
        except TypeError:
            capsule = target.__dlpack__()
        key, stream = _key(dist, generator, None, target)
        full, off = _region(blk, ())
        _core.fill(capsule, dist, p0, p1, key, stream, full, off, p2, p3)
        return tensor

    raise TypeError(f"{fname}(): tensor must be a torch.Tensor, a numpy.ndarray or an object "
                    f"with __dlpack__, not {type_name(target)}")
