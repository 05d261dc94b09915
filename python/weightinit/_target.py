"""What can be filled, and how each kind of target reaches the C core.

* numpy.ndarray (float16/32/64, complex as interleaved pairs): straight to
  the core through the NumPy C API.
* torch.Tensor on the CPU (float16, bfloat16, float32, float64, complex):
  a raw (data_ptr, dtype, shape, strides) view; written without autograd,
  then the version counter is bumped as torch's in-place ops do.
* Anything else with ``__dlpack__``: a DLPack capsule.
* Block: a block of a larger logical tensor (sharded init).

torch is never imported here: a tensor can only exist once the user has
imported torch, so ``sys.modules`` is consulted instead.
"""

import math
import operator
import sys

import numpy as np

from . import _core
from ._random import _check_generator, draw

__all__ = ["Block", "block", "fill", "torch_fallback", "float_arg", "float_args"]

_NP_CODES = {np.dtype(np.float16): _core.F16, np.dtype(np.float32): _core.F32,
             np.dtype(np.float64): _core.F64}
_NP_COMPLEX = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
# c10 names of the dtypes torch refuses to sample, for its NotImplementedError text
_C10_NAMES = {"b1": "Bool", "i1": "Char", "u1": "Byte", "i2": "Short", "u2": "UInt16",
              "i4": "Int", "u4": "UInt32", "i8": "Long", "u8": "UInt64"}
_KERNEL_NAMES = {_core.UNIFORM: "check_uniform_bounds", _core.NORMAL: "normal_kernel_cpu"}
_C10_COMPLEX = {"c8": "ComplexFloat", "c16": "ComplexDouble"}


class _TorchInfo:
    """What weightinit needs from torch, looked up once torch is in use."""

    def __init__(self, torch):
        self.torch = torch
        self.Tensor = torch.Tensor
        self.codes = {torch.float16: _core.F16, torch.bfloat16: _core.BF16,
                      torch.float32: _core.F32, torch.float64: _core.F64}
        self.complex = {torch.complex64, torch.complex128}
        self.strided = torch.strided
        # torch.autograd.graph.increment_version without its Python wrapper
        raw = getattr(torch._C, "_increment_version", None)
        self.increment_version = ((lambda t: raw((t,))) if raw is not None
                                  else torch.autograd.graph.increment_version)
        self.plain = {}  # class -> True when torch's overrides do not apply to it

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


def _torch_info():
    """_TorchInfo if torch has been imported, else None."""
    global _info
    if _info is None:
        torch = sys.modules.get("torch")
        if torch is None or not hasattr(torch, "Tensor"):
            return None
        _info = _TorchInfo(torch)
    return _info


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

    def __init__(self, tensor, full_shape, offset):
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
    def ndim(self):
        return len(self.shape)

    def dim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"weightinit.Block(shape={tuple(self.tensor.shape)}, offset={self.offset}, "
                f"full_shape={self.shape})")


def block(tensor, full_shape, offset):
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
    info = _info or _torch_info()
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


def _type_name(x):
    t = type(x)
    if t.__module__ in ("builtins", None) or t.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


_NO_GENERATOR = object()


def _float_type_ok(x, info):
    return isinstance(x, (int, float, np.floating, np.integer, np.bool_, np.complexfloating)) or (
        info is not None and isinstance(x, info.Tensor) and x.dim() == 0 and not x.requires_grad)


def _to_double(x, info):
    if type(x) is float:
        return x
    if info is not None and isinstance(x, info.Tensor):
        x = x.item()
        if isinstance(x, complex):  # torch's conversion to double keeps a zero imaginary part only
            if x.imag != 0:
                raise RuntimeError("value cannot be converted to type double without overflow")
            x = x.real
    return float(x)


def float_args(fname, generator, *args):
    """Float arguments ``(value, name, position)`` under torch's argument
    parser rules, in its order: the type of every argument first (Python and
    NumPy scalars -- NumPy complex ones give their real part, with NumPy's
    ComplexWarning -- and 0-d tensors that do not require grad; anything else
    is a TypeError), then the generator's type, then the conversions (an int
    too large for a double is an OverflowError, a complex 0-d tensor with an
    imaginary part a RuntimeError).  Returns the floats."""
    if generator is None and len(args) == 2 and type(args[0][0]) is float and type(args[1][0]) is float:
        return args[0][0], args[1][0]  # the common case: nothing to check or convert
    info = _torch_info()
    for x, name, pos in args:
        if type(x) is not float and not _float_type_ok(x, info):
            raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be float, not {_type_name(x)}")
    if generator is not _NO_GENERATOR:
        _check_generator(generator, fname)
    return tuple(_to_double(x, info) for x, _, _ in args)


def float_arg(x, fname, name, pos):
    """One float argument under torch's argument parser rules (see float_args)."""
    return float_args(fname, _NO_GENERATOR, (x, name, pos))[0]


def _numpy_view(arr, dist, fname):
    """(array the core can fill, std scale): complex as (..., 2) real pairs."""
    if arr.dtype in _NP_CODES:
        return arr, 1.0
    real = _NP_COMPLEX.get(arr.dtype)
    if real is not None:
        return arr[..., None].view(real), 1.0 / math.sqrt(2.0)
    c10 = _C10_NAMES.get(arr.dtype.str[1:])
    if c10 is not None and dist in _KERNEL_NAMES:
        raise NotImplementedError(f"\"{_KERNEL_NAMES[dist]}\" not implemented for '{c10}'")
    raise TypeError(f"{fname}(): tensor dtype {arr.dtype} is not supported; "
                    "use float16, float32, float64, complex64 or complex128")


def refuse_numpy_dtype(tensor, kernel_dist, fname, complex_ok=True):
    """For a NumPy target (or a Block of one) whose dtype weightinit cannot fill
    with this function, raise what torch raises for that dtype; kernel_dist
    names torch's kernel (UNIFORM or NORMAL) for integer dtypes.  Without
    complex_ok, complex targets (torch tensors too) are refused."""
    arr = tensor.tensor if type(tensor) is Block else tensor
    info = _torch_info()
    if not complex_ok and info is not None and isinstance(arr, info.Tensor) and arr.dtype in info.complex:
        arr = np.empty(0, np.complex64 if arr.dtype == info.torch.complex64 else np.complex128)
    if not isinstance(arr, np.ndarray) or arr.dtype in _NP_CODES:
        return
    if not complex_ok and arr.dtype.str[1:] in _C10_COMPLEX:  # trunc_normal_'s comparisons fail first
        op = "lt_cpu" if kernel_dist == _core.NORMAL else "gt_cpu"
        raise NotImplementedError(f"\"{op}\" not implemented for '{_C10_COMPLEX[arr.dtype.str[1:]]}'")
    _numpy_view(arr, kernel_dist, fname)


_force_staging = False  # tests: stage CPU tensors too, to check the staging path


_ARG_NAMES = {_core.UNIFORM: ("from", "to"), _core.NORMAL: ("mean", "std"),
              _core.TRUNC_NORMAL: ("mean", "std")}


def _empty_noop(dtype, size, dist):
    """torch returns from these before sampling or checking anything more:
    uniform_ on an empty complex tensor, normal_ on an empty tensor of a
    dtype it cannot sample (after its std check)."""
    if size != 0:
        return False
    if dist == _core.UNIFORM:
        return dtype in _NP_COMPLEX
    return dist == _core.NORMAL and _C10_NAMES.get(dtype.str[1:]) is not None


def _region(blk, extra):
    if blk is None:
        return None, None
    return blk.shape + extra, blk.offset + (0,) * len(extra)


def _key(dist, generator, torch):
    return (0, 0) if dist == _core.CONSTANT else draw(generator, torch)


def fill(tensor, dist, p0, p1, generator, fname, p2=0.0, p3=0.0):
    """Fill ``tensor`` (ndarray, CPU torch tensor, __dlpack__ object, Block of
    one, or sharded DTensor) with UNIFORM(p0, p1), NORMAL(p0, p1), CONSTANT(p0)
    or TRUNC_NORMAL(mean p0, std p1, a p2, b p3); returns it."""
    sharded = None
    if dist != _core.CONSTANT:
        # parameters derived in xavier_*/kaiming_* meet torch's argument parser here
        names = _ARG_NAMES[dist]
        p0, p1 = float_args(fname, generator, (p0, names[0], 1), (p1, names[1], 2))
    if dist == _core.NORMAL:
        _core.check(dist, p0, p1, _core.F64)  # torch checks std first, whatever the tensor
    blk = None
    target = tensor
    if type(target) is Block:
        blk = target
        target = blk.tensor
    elif (sharded := dtensor_block(tensor)) is not None:
        blk = sharded
        target = blk.tensor

    if isinstance(target, np.ndarray):
        if _empty_noop(target.dtype, target.size, dist):
            return tensor
        view, scale = _numpy_view(target, dist, fname)
        if dist == _core.NORMAL:
            p1 *= scale
        full, off = _region(blk, view.shape[target.ndim:])
        key, stream = _key(dist, generator, None)
        _core.fill(view, dist, p0, p1, key, stream, full, off, p2, p3)
        return tensor

    info = _torch_info()
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
        key, stream = _key(dist, generator, torch)
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
        key, stream = _key(dist, generator, None)
        full, off = _region(blk, ())
        _core.fill(capsule, dist, p0, p1, key, stream, full, off, p2, p3)
        return tensor

    raise TypeError(f"{fname}(): tensor must be a torch.Tensor, a numpy.ndarray or an object "
                    f"with __dlpack__, not {_type_name(target)}")
