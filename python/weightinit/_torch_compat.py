"""How torch would have complained: emulation of torch's argument parser,
dtype checks and messages, so that weightinit raises what torch.nn.init
raises, of the same type, with the same text, in the same order.

Kept apart from ``_target`` (what can be filled and how it reaches the core)
so that each question has one file.  Nothing here writes to a tensor.
"""

import numpy as np

from . import _core
from ._frameworks import NP_CODES, NP_COMPLEX, torch_info
from ._random import _check_generator

__all__ = ["type_name", "float_args", "float_arg", "ARG_NAMES", "numpy_dtype_error", "refuse_numpy_dtype",
           "empty_noop", "fill_value", "C10_REAL", "C10_FLOAT", "orthogonal_gain"]

# c10 names of the dtypes torch refuses to sample, for its NotImplementedError text
_C10_UNSAMPLEABLE = {"b1": "Bool", "i1": "Char", "u1": "Byte", "i2": "Short", "u2": "UInt16",
                     "i4": "Int", "u4": "UInt32", "i8": "Long", "u8": "UInt64"}
_KERNEL_NAMES = {_core.UNIFORM: "check_uniform_bounds", _core.NORMAL: "normal_kernel_cpu"}
# c10 names of NumPy's complex dtypes, by dtype code
_C10_NUMPY_COMPLEX = {"c8": "ComplexFloat", "c16": "ComplexDouble"}
# c10 names of the float dtypes, and of the complex type a product with a complex gain has
C10_FLOAT = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}
_C10_COMPLEX_RESULT = {"Half": "ComplexHalf", "BFloat16": "ComplexFloat", "Float": "ComplexFloat",
                       "Double": "ComplexDouble"}
# c10 names of the real dtypes in fill_'s overflow message
C10_REAL = {"float16": "c10::Half", "float32": "float", "float64": "double"}

# torch's names of the two float arguments of each distribution's method
ARG_NAMES = {_core.UNIFORM: ("from", "to"), _core.NORMAL: ("mean", "std"),
             _core.TRUNC_NORMAL: ("mean", "std")}


def type_name(x):
    """The type name torch's messages give for ``x``."""
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
    info = torch_info()
    for x, name, pos in args:
        if type(x) is not float and not _float_type_ok(x, info):
            raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be float, not {type_name(x)}")
    if generator is not _NO_GENERATOR:
        _check_generator(generator, fname)
    return tuple(_to_double(x, info) for x, _, _ in args)


def float_arg(x, fname, name, pos):
    """One float argument under torch's argument parser rules (see float_args)."""
    return float_args(fname, _NO_GENERATOR, (x, name, pos))[0]


def numpy_dtype_error(dtype, dist, fname):
    """The exception for a NumPy target of a dtype weightinit cannot fill:
    torch's NotImplementedError for the integer and bool dtypes its kernel
    ``dist`` refuses, a TypeError naming the dtypes that work otherwise."""
    c10 = _C10_UNSAMPLEABLE.get(dtype.str[1:])
    if c10 is not None and dist in _KERNEL_NAMES:
        return NotImplementedError(f"\"{_KERNEL_NAMES[dist]}\" not implemented for '{c10}'")
    return TypeError(f"{fname}(): tensor dtype {dtype} is not supported; "
                     "use float16, float32, float64, complex64 or complex128")


def refuse_numpy_dtype(target, kernel_dist, fname, complex_ok=True):
    """For a NumPy target whose dtype weightinit cannot fill with this
    function, raise what torch raises for that dtype; kernel_dist names
    torch's kernel (UNIFORM or NORMAL) for integer dtypes.  Without
    complex_ok, complex targets (torch tensors too) are refused."""
    info = torch_info()
    if not complex_ok and info is not None and isinstance(target, info.Tensor) and target.dtype in info.complex:
        target = np.empty(0, np.complex64 if target.dtype == info.torch.complex64 else np.complex128)
    if not isinstance(target, np.ndarray) or target.dtype in NP_CODES:
        return
    if not complex_ok and target.dtype.str[1:] in _C10_NUMPY_COMPLEX:  # trunc_normal_'s comparisons fail first
        op = "lt_cpu" if kernel_dist == _core.NORMAL else "gt_cpu"
        raise NotImplementedError(f"\"{op}\" not implemented for '{_C10_NUMPY_COMPLEX[target.dtype.str[1:]]}'")
    if target.dtype not in NP_COMPLEX:
        raise numpy_dtype_error(target.dtype, kernel_dist, fname)


def empty_noop(dtype, size, dist):
    """torch returns from these before sampling or checking anything more:
    uniform_ on an empty complex tensor, normal_ on an empty tensor of a
    dtype it cannot sample (after its std check)."""
    if size != 0:
        return False
    if dist == _core.UNIFORM:
        return dtype in NP_COMPLEX
    return dist == _core.NORMAL and _C10_UNSAMPLEABLE.get(dtype.str[1:]) is not None


def fill_value(val):
    """A fill value under torch's fill_ rules: a real or complex number or a
    0-d tensor."""
    if isinstance(val, (bool, int)):
        if not -(1 << 63) <= val < (1 << 64):
            raise OverflowError("int too big to convert")
        return val
    if isinstance(val, np.complexfloating):  # torch's parser reads it as a real number
        return float(val)  # the real part, with NumPy's ComplexWarning
    if isinstance(val, (float, complex, np.number, np.bool_)):
        return val
    info = torch_info()
    if info is not None and isinstance(val, info.Tensor):
        if val.dim() != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {val.dim()} dimensions.")
        return val.item()
    name = type(val).__name__ if type(val).__module__ == "builtins" else \
        f"{type(val).__module__}.{type(val).__name__}"
    raise TypeError(
        f"fill_() received an invalid combination of arguments - got ({name}), but expected one of:\n"
        f" * (Tensor value)\n      didn't match because some of the arguments have invalid types: (!{name}!)\n"
        f" * (Number value)\n      didn't match because some of the arguments have invalid types: (!{name}!)\n")


def orthogonal_gain(gain, c10, shape):
    """``gain`` as a float, or the error torch's ``tensor.mul_(gain)`` raises
    for a tensor of c10 dtype ``c10`` and this shape."""
    if isinstance(gain, complex):
        raise RuntimeError(
            f"result type {_C10_COMPLEX_RESULT[c10]} can't be cast to the desired output type {c10}")
    if isinstance(gain, (bool, int, np.integer)):
        if not -(1 << 63) <= gain < (1 << 64):
            raise OverflowError("int too big to convert")
        return float(gain)
    if isinstance(gain, (float, np.floating, np.bool_, np.complexfloating)):
        return float(gain)  # NumPy's ComplexWarning for complex64, as with torch
    info = torch_info()
    if info is not None and isinstance(gain, info.Tensor):
        if gain.numel() == 1:
            if gain.dim() > len(shape):
                raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                                   f"shape {[1] * (gain.dim() - len(shape)) + list(shape)}")
            if gain.is_complex():
                raise RuntimeError(
                    f"result type {_C10_COMPLEX_RESULT[c10]} can't be cast to the desired output type {c10}")
            return float(gain.item())
        raise TypeError(f"orthogonal_(): gain must be a number or a one-element tensor, "
                        f"not a tensor of shape {list(gain.shape)}")
    raise TypeError(f"mul_(): argument 'other' (position 1) must be Tensor, not {type_name(gain)}")
