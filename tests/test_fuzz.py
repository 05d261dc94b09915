"""Property-based fuzzing of every public function (hypothesis, derandomized).

Each example builds a target -- a NumPy array, a torch tensor or a DLPack
object, of any dtype (the four float ones, complex, integers, bool), 0 to 6
dimensions with zero-size ones, in some layout (permuted, sliced with steps,
negative strides, expanded, overlapping, read-only) -- as a view into a
larger buffer of random bytes, and calls the function with random arguments
(NaN, infinities, negative or huge values, ints too large for a double,
strings, None, tensors, NumPy scalars, generators of every kind and wrong
types).  Properties:

* the call returns the target or raises one of the exceptions torch raises
  for bad arguments (``ALLOWED``);
* where torch.nn.init can be given the same thing, it raises the same
  exception type (or neither raises);
* bytes of the buffer outside the view's footprint never change; after an
  exception no byte changes at all;
* after success, the values are valid for the distribution (bounds, no NaN
  from finite parameters, the constant's bits) and, for a
  ``weightinit.Generator``, equal bit for bit to a fill of a contiguous
  tensor of the same shape (the reproducibility contract).

The functions come from ``weightinit.__all__``: those listed in ``SPECIFIC``
get argument strategies and value checks of their own; any other public fill
function (``name_`` in ``__all__``) is fuzzed generically with arguments
drawn for each parameter of torch.nn.init's signature.
"""

import inspect
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.init as tinit
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import weightinit as wi
from conftest import DL

ALLOWED = (TypeError, ValueError, RuntimeError, NotImplementedError, ZeroDivisionError, OverflowError)

# Deterministic by default (the same examples on every run, about 20 s).  For a
# longer, fresh search: WEIGHTINIT_FUZZ_EXAMPLES=5000 WEIGHTINIT_FUZZ_RANDOM=1.
EXAMPLES = int(os.environ.get("WEIGHTINIT_FUZZ_EXAMPLES", "250"))
SETTINGS = settings(derandomize=not os.environ.get("WEIGHTINIT_FUZZ_RANDOM"), database=None,
                    deadline=None, max_examples=EXAMPLES, suppress_health_check=list(HealthCheck),
                    print_blob=True)

# ------------------------------------------------------------------ targets

NP_DTYPES = [np.float16, np.float32, np.float64, np.complex64, np.complex128,
             np.int8, np.int32, np.int64, np.uint8, np.bool_]
TORCH_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
                torch.complex128, torch.int8, torch.int32, torch.int64, torch.uint8, torch.bool]
LAYOUTS = ["contiguous", "permuted", "strided", "expanded", "overlap", "readonly"]
PAD = 24  # guard elements on each side of the parent array


@dataclass(frozen=True)
class Spec:
    framework: str      # numpy | torch | dlpack-numpy | dlpack-torch
    dtype: object
    shape: tuple
    layout: str
    perm: tuple         # memory dimension k holds logical dimension perm[k]
    steps: tuple        # slicing step per logical dimension (negative: reversed, NumPy only)
    offs: tuple         # slicing offset per logical dimension
    expand: tuple       # logical dimensions stored with size 1 and expanded
    strides: tuple      # element strides for the overlap layout
    seed: int


@st.composite
def specs(draw):
    framework = draw(st.sampled_from(["numpy", "numpy", "torch", "torch", "dlpack-numpy", "dlpack-torch"]))
    np_side = framework in ("numpy", "dlpack-numpy")
    dtype = draw(st.sampled_from(NP_DTYPES if np_side else TORCH_DTYPES))
    kind = draw(st.integers(0, 29))
    if kind == 0:  # large enough for several threads and the non-temporal path on 2-byte dtypes
        shape = (draw(st.integers((1 << 18) - 40, (1 << 18) + 3000)),)
    elif kind == 1:  # a zero-size dimension next to a huge one
        shape = draw(st.permutations([0, draw(st.sampled_from([2**31 + 1, 2**40, 7]))]))
    elif kind == 2:  # a few SIMD groups, ragged
        shape = (draw(st.integers(1, 40)), draw(st.integers(30, 70)))
    else:
        ndim = draw(st.integers(0, 6))
        shape = tuple(draw(st.lists(st.sampled_from([0, 1, 1, 2, 3, 4, 5, 7]), min_size=ndim,
                                    max_size=ndim)))
        while math.prod(shape) > 3000:
            shape = tuple(max(1, s // 2) for s in shape)
    shape = tuple(shape)
    ndim = len(shape)
    layout = draw(st.sampled_from(LAYOUTS))
    if math.prod(shape) > 100_000 or any(s > 10**6 for s in shape):
        layout = draw(st.sampled_from(["contiguous", "permuted"]))
    perm = tuple(draw(st.permutations(range(ndim)))) if layout != "contiguous" else tuple(range(ndim))
    steps = tuple([1] * ndim)
    offs = tuple([0] * ndim)
    if layout in ("strided", "readonly", "expanded"):
        steps = tuple(draw(st.lists(st.sampled_from([1, 2, 3, -1, -2]), min_size=ndim, max_size=ndim)))
        if not np_side:
            steps = tuple(abs(s) for s in steps)
        offs = tuple(draw(st.lists(st.integers(0, 2), min_size=ndim, max_size=ndim)))
    expand = ()
    if layout == "expanded":
        expand = tuple(d for d in range(ndim) if draw(st.booleans()))
    strides = tuple(draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))) \
        if layout == "overlap" else ()
    return Spec(framework, dtype, shape, layout, perm, steps, offs, expand, strides,
                draw(st.integers(0, 2**32 - 1)))


def _itemsize(dtype):
    return torch.empty((), dtype=dtype).element_size() if isinstance(dtype, torch.dtype) \
        else np.dtype(dtype).itemsize


class Target:
    """A view into a buffer of random bytes, with the byte footprint of the view."""

    def __init__(self, spec):
        self.spec = spec
        item = _itemsize(spec.dtype)
        shape = spec.shape
        if spec.layout == "overlap":
            under = shape
            extent = 1 + sum((s - 1) * k for s, k in zip(shape, spec.strides)) if 0 not in shape else 0
            pshape = (extent,)
        else:
            under = tuple(1 if d in spec.expand else s for d, s in enumerate(shape))
            pshape = tuple(under[d] * abs(spec.steps[d]) + spec.offs[d] for d in spec.perm)
        n = math.prod(pshape)
        total = n + 2 * PAD
        rng = np.random.default_rng(spec.seed)
        raw = rng.integers(0, 256, total * item, dtype=np.uint8)
        if spec.dtype in (np.bool_, torch.bool):
            raw &= 1
        self.raw = raw
        self.before = raw.copy()
        torch_side = isinstance(spec.dtype, torch.dtype)
        if torch_side:
            buf = torch.from_numpy(raw).view(spec.dtype)
        else:
            buf = raw.view(spec.dtype)
        parent = buf[PAD:PAD + n].reshape(pshape)
        if spec.layout == "overlap":
            if torch_side:
                view = parent.as_strided(shape, spec.strides)
            else:
                view = np.lib.stride_tricks.as_strided(parent, shape, [k * item for k in spec.strides],
                                                       writeable=True)
        else:
            index = []
            for d in spec.perm:
                step, off, m = spec.steps[d], spec.offs[d], under[d]
                if m == 0:
                    index.append(slice(off, off))
                elif step > 0:
                    index.append(slice(off, off + m * step, step))
                else:
                    index.append(slice(off + (m - 1) * -step, off - 1 if off > 0 else None, step))
            view = parent[tuple(index) + (Ellipsis,)]  # a view, also when 0-D
            inv = tuple(int(i) for i in np.argsort(spec.perm))
            view = view.permute(inv) if torch_side else view.transpose(inv)
            assert tuple(view.shape) == under
            if spec.expand:
                if torch_side:
                    view = view.expand(*shape)
                elif spec.seed % 2:
                    view = np.broadcast_to(view, shape)  # read-only
                else:
                    strides = [0 if d in spec.expand else s for d, s in enumerate(view.strides)]
                    view = np.lib.stride_tricks.as_strided(view, shape, strides, writeable=True)
        if spec.layout == "readonly" and not torch_side:
            view.flags.writeable = False
        assert tuple(view.shape) == shape
        self.view = view
        self.item = item
        # byte footprint of the view inside raw
        base = (view.data_ptr() if torch_side else view.__array_interface__["data"][0]) - raw.ctypes.data
        strides = [s * item for s in view.stride()] if torch_side else list(view.strides)
        mask = np.zeros(raw.size, bool)
        if 0 not in shape:
            offsets = np.full((1,) * len(shape), base, np.int64)
            for d, (s, k) in enumerate(zip(shape, strides)):
                idx = np.arange(s, dtype=np.int64).reshape((1,) * d + (s,) + (1,) * (len(shape) - d - 1))
                offsets = offsets + idx * k
            offsets = offsets.ravel()
            for b in range(item):
                mask[offsets + b] = True
        self.footprint = mask
        if spec.framework.startswith("dlpack"):
            self.obj = DL(view)
        else:
            self.obj = view

    def changed(self):
        return self.raw != self.before

    def values(self):
        """The view's logical values as float64 (complex: real pairs); None for
        non-float dtypes."""
        v = self.view
        if isinstance(v, torch.Tensor):
            if v.dtype.is_complex:
                v = torch.view_as_real(v)
            if not v.dtype.is_floating_point:
                return None
            return v.to(torch.float64).numpy()
        if v.dtype.kind == "c":
            v = np.stack([v.real, v.imag], -1)
        if v.dtype.kind != "f":
            return None
        return v.astype(np.float64)


# ------------------------------------------------------- argument values

SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-3, math.nan, -math.nan, math.inf, -math.inf,
                  5e-324, 1e-310, 1e-40, 65504.0, 65520.0, -65504.0, 3.4028234663852886e38,
                  3.5e38, -3.4e38, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308]
SPECIAL_INTS = [0, 1, -1, 3, 2**31, 2**53 + 1, 2**63, 2**64, -(2**64), 10**400]


def numbers():
    return st.one_of(
        st.sampled_from(SPECIAL_FLOATS),
        st.floats(-10.0, 10.0),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(SPECIAL_INTS),
        st.integers(-5, 5),
    )


def oddballs():
    """Values that are not plain numbers; tensors are built fresh per use."""
    return st.sampled_from([
        True, False, None, "1", "x", "", 1j, complex(2, 0), [1.0], (0.5,),
        np.float16(0.5), np.float32(-2.0), np.float64(math.nan), np.int64(3), np.bool_(True),
        np.complex64(1 + 2j), np.array(0.5), np.array([0.5]),
        ("tensor", torch.float32, 0.25), ("tensor", torch.float64, math.inf), ("tensor", torch.int64, 2),
        ("tensor", torch.bool, True), ("tensor", torch.complex64, 1 + 1j), ("tensor", torch.complex64, 2 + 0j),
        ("tensor", torch.float16, -1.5), ("tensor1d", torch.float32, 0.5), ("tensor2", torch.float32, 0.5),
    ])


def any_value():
    return st.one_of(numbers(), numbers(), oddballs())


def realise(v):
    """Tensor placeholders become fresh tensors (so both sides get their own)."""
    if isinstance(v, tuple) and len(v) == 3 and v[0] in ("tensor", "tensor1d", "tensor2"):
        kind, dtype, x = v
        if kind == "tensor":
            return torch.tensor(x, dtype=dtype)
        return torch.tensor([x] if kind == "tensor1d" else [x, x], dtype=dtype)
    if isinstance(v, list):
        return list(v)
    return v


GEN_CHOICES = ["none", "torch", "weightinit", "numpy", "string", "int"]


def make_generator(kind, seed):
    return {"none": lambda: None,
            "torch": lambda: torch.Generator().manual_seed(seed),
            "weightinit": lambda: wi.Generator(seed),
            "numpy": lambda: np.random.default_rng(seed),
            "string": lambda: "seed",
            "int": lambda: seed}[kind]()


MODES = ["fan_in", "fan_out", "FAN_IN", "Fan_Out", "bad", "", None, 3]
NONLINEARITIES = ["relu", "leaky_relu", "tanh", "linear", "selu", "sigmoid", "conv2d",
                  "conv_transpose3d", "foo", "", "relu\0", None, 3]

# name -> {param: strategy}; params not drawn keep their defaults
SPECIFIC = {
    "uniform_": {"a": any_value(), "b": any_value()},
    "normal_": {"mean": any_value(), "std": any_value()},
    "constant_": {"val": any_value()},
    "ones_": {},
    "zeros_": {},
    "xavier_uniform_": {"gain": any_value()},
    "xavier_normal_": {"gain": any_value()},
    "kaiming_uniform_": {"a": any_value(), "mode": st.sampled_from(MODES),
                         "nonlinearity": st.sampled_from(NONLINEARITIES)},
    "kaiming_normal_": {"a": any_value(), "mode": st.sampled_from(MODES),
                        "nonlinearity": st.sampled_from(NONLINEARITIES)},
}

# Fill functions take the tensor first; model-level ones (lsuv_) take a model.
PUBLIC_FILLS = sorted(n for n in wi.__all__ if n.endswith("_") and callable(getattr(wi, n))
                      and next(iter(inspect.signature(getattr(wi, n)).parameters)) == "tensor")


def params_of(name):
    """(parameter names after the tensor, whether it takes a generator)."""
    ref = getattr(tinit, name, None) or getattr(wi, name)
    names = list(inspect.signature(ref).parameters)[1:]
    return [p for p in names if p != "generator"], "generator" in names


# ------------------------------------------------------------ the calls

def outcome(fn, target, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(target, **kwargs), None
        except Exception as e:  # noqa: BLE001 - the exception is the outcome
            return None, e


def as_real(x):
    """The double torch's argument parser makes of an accepted value."""
    if isinstance(x, torch.Tensor):
        x = x.item()
    if isinstance(x, (complex, np.complexfloating)):
        x = x.real
    return float(x)


def _rounded(x, dtype):
    """x as dtype holds it, by torch's route (double -> float -> half)."""
    tdt = dtype if isinstance(dtype, torch.dtype) else torch.from_numpy(np.empty(0, dtype)).dtype
    if tdt.is_complex:
        tdt = torch.float32 if tdt == torch.complex64 else torch.float64
    if tdt != torch.float64:
        x = torch.tensor(x, dtype=torch.float64).to(torch.float32)
        return x.to(tdt).double().item()
    return x


def _is_complex(dtype):
    return dtype.is_complex if isinstance(dtype, torch.dtype) else np.dtype(dtype).kind == "c"


def _limits(dtype):
    tdt = dtype if isinstance(dtype, torch.dtype) else torch.from_numpy(np.empty(0, dtype)).dtype
    if tdt.is_complex:
        tdt = torch.float32 if tdt == torch.complex64 else torch.float64
    fi = torch.finfo(tdt)
    return fi.max, fi.eps, fi.tiny * fi.eps  # largest, epsilon, smallest subnormal


def check_uniform(vals, a, b, dtype):
    lo, hi = _rounded(a, dtype), _rounded(b, dtype)
    assert not np.isnan(vals).any()
    assert (vals >= lo).all() and (vals <= hi).all(), (vals.min(), vals.max(), lo, hi)


def check_normal(vals, mean, std, dtype):
    dmax, eps, sub = _limits(dtype)
    if math.isnan(mean) or not math.isfinite(std) or abs(mean) + 9 * std >= dmax / 2:
        return  # r * std may overflow the dtype (inf, and inf * 0 = NaN): nothing to bound
    assert not np.isnan(vals).any()
    tol = 9 * std + 4 * eps * max(abs(mean), 9 * std) + 4 * sub
    assert (np.abs(vals - mean) <= tol).all(), (mean, std, np.abs(vals - mean).max())


def check_constant(vals, val, dtype):
    expect = _rounded(val, dtype)
    if math.isnan(expect):
        assert np.isnan(vals).all()
    else:
        assert (vals == expect).all(), (val, expect, vals.ravel()[:4])
        if expect == 0:  # the sign of zero is kept
            assert (np.signbit(vals) == (math.copysign(1, expect) < 0)).all()


def check_values(name, target, kwargs):
    """Values after a successful call of a function in SPECIFIC."""
    vals = target.values()
    if vals is None or vals.size == 0:
        return
    dtype = target.spec.dtype
    if isinstance(target.obj, np.ndarray) and target.obj.dtype.kind == "c" and name in (
            "constant_", "ones_", "zeros_"):
        return  # NumPy's own assignment of the value
    if name == "uniform_":
        check_uniform(vals, as_real(kwargs.get("a", 0.0)), as_real(kwargs.get("b", 1.0)), dtype)
    elif name == "normal_":
        check_normal(vals, as_real(kwargs.get("mean", 0.0)), as_real(kwargs.get("std", 1.0)), dtype)
    elif name in ("constant_", "ones_", "zeros_"):
        val = {"ones_": 1.0, "zeros_": 0.0}.get(name, kwargs.get("val"))
        if _is_complex(dtype):
            # torch's parser reads a NumPy complex scalar as a real number
            c = complex(val.item() if isinstance(val, torch.Tensor) else
                        val.real if isinstance(val, np.complexfloating) else val)
            check_constant(vals[..., 0], c.real, dtype)
            check_constant(vals[..., 1], c.imag, dtype)
        else:
            check_constant(vals, as_real(val), dtype)
    elif name.startswith("xavier_"):
        fan_in, fan_out = wi._calculate_fan_in_and_fan_out(target.obj)
        std = as_real(kwargs.get("gain", 1.0)) * math.sqrt(2.0 / float(fan_in + fan_out))
        if name == "xavier_uniform_":
            check_uniform(vals, -math.sqrt(3.0) * std, math.sqrt(3.0) * std, dtype)
        else:
            check_normal(vals, 0.0, std, dtype)
    elif name.startswith("kaiming_"):
        fan = wi._calculate_correct_fan(target.obj, kwargs.get("mode", "fan_in"))
        gain = wi.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
        std = gain / math.sqrt(fan)
        if name == "kaiming_uniform_":
            check_uniform(vals, -math.sqrt(3.0) * std, math.sqrt(3.0) * std, dtype)
        else:
            check_normal(vals, 0.0, std, dtype)


class _Plain:
    def __init__(self, obj):
        self.obj = obj


def torch_twin(target):
    """Something torch.nn.init can be handed that raises what it raises for
    this target (for a torch target: the same layout over the same bytes), or
    None when torch has no counterpart: read-only arrays; strides that may
    alias, which weightinit refuses and torch does not check; DLPack objects
    (weightinit fills their float dtypes only)."""
    spec = target.spec
    if spec.framework == "torch":
        return None if spec.layout == "overlap" else Target(spec)
    if spec.framework != "numpy" or spec.layout in ("overlap", "readonly", "expanded"):
        return None
    return _Plain(torch.from_numpy(np.zeros(spec.shape, spec.dtype)))


# documented differences: which (function, target) pairs are not compared
# Functions where weightinit fills what torch refuses, by design (README):
# orthogonal_ on float16/bfloat16, trunc_normal_ windows torch's rejection
# sampler cannot take, sparse_'s seeded pattern, eye_/dirac_ checks made
# before writing.  For these, a success is not compared with torch's outcome;
# an exception still must be of torch's type.
MAY_SUCCEED_WHERE_TORCH_RAISES = {"orthogonal_", "sparse_", "eye_", "dirac_", "trunc_normal_"}


def comparable(name, target, gen_kind):
    if gen_kind in ("weightinit", "numpy"):
        return False  # weightinit accepts these generators, torch does not
    if target.spec.framework == "numpy" and target.spec.dtype not in (np.float16, np.float32, np.float64) \
            and name in ("constant_", "ones_", "zeros_"):
        return False  # other NumPy dtypes take NumPy's own assignment
    if target.spec.framework == "numpy" and math.prod(target.spec.shape) == 1 \
            and name in ("constant_", "ones_", "zeros_"):
        return False  # torch's fill_ of a one-element tensor skips its overflow check for half
    return hasattr(tinit, name)


def run_case(name, data):
    spec = data.draw(specs(), label="target")
    target = Target(spec)
    names, takes_gen = params_of(name)
    strategies = SPECIFIC.get(name) or {p: any_value() for p in names}
    kwargs = {}
    for p, strat in strategies.items():
        if data.draw(st.integers(0, 4), label=f"pass {p}?"):
            kwargs[p] = data.draw(strat, label=p)
    gen_kind = data.draw(st.sampled_from(GEN_CHOICES), label="generator") if takes_gen else "none"
    gen_seed = data.draw(st.integers(0, 2**64 - 1), label="generator seed")
    note(f"{name}({spec}, {kwargs}, generator={gen_kind})")

    def call_kwargs():
        kw = {k: realise(v) for k, v in kwargs.items()}
        if gen_kind != "none":
            kw["generator"] = make_generator(gen_kind, gen_seed)
        return kw

    result, err = outcome(getattr(wi, name), target.obj, call_kwargs())
    event(f"{spec.framework}: {type(err).__name__ if err else 'filled'}")
    changed = target.changed()
    if err is not None and not hasattr(tinit, name):
        # functions torch lacks (Keras/JAX/timm names): their own errors (JAX's IndexError for
        # an axis out of range too), and never a write before one
        assert isinstance(err, ALLOWED + (IndexError,)), f"{type(err).__name__}: {err}"
        assert not changed.any(), f"{type(err).__name__} ({err}) after writing {changed.sum()} bytes"
    elif err is not None:
        if not isinstance(err, ALLOWED):  # only where torch.nn.init raises it too
            _, theirs = outcome(getattr(tinit, name), torch.zeros(spec.shape), call_kwargs())
            assert type(err) is type(theirs), f"{type(err).__name__}: {err}; torch.nn.init: {theirs!r}"
        if changed.any():  # allowed only where torch.nn.init itself writes before raising
            twin = Target(spec) if spec.framework == "torch" and hasattr(tinit, name) else None
            theirs = outcome(getattr(tinit, name), twin.obj, call_kwargs())[1] if twin else None
            assert twin is not None and type(theirs) is type(err) and twin.changed().any(), \
                f"{type(err).__name__} ({err}) after writing {changed.sum()} bytes"
    else:
        assert result is target.obj
        assert not (changed & ~target.footprint).any(), "bytes outside the view were written"

    if comparable(name, target, gen_kind) and not (err is None and name in MAY_SUCCEED_WHERE_TORCH_RAISES):
        twin = torch_twin(target)
        if twin is not None:
            _, theirs = outcome(getattr(tinit, name), twin.obj, call_kwargs())
            event("compared with torch.nn.init")
            assert type(err) is type(theirs), f"weightinit: {err!r}; torch.nn.init: {theirs!r}"
            if name in ("constant_", "ones_", "zeros_") and spec.framework == "torch":
                # torch tensors go to torch's own fill_: the same bytes
                assert np.array_equal(target.raw, twin.raw)

    if err is None and name in SPECIFIC:
        check_values(name, target, call_kwargs())
        if gen_kind == "weightinit" and target.values() is not None and 0 not in spec.shape:
            # the contract: the same values as a contiguous target of the same shape
            ref = _contiguous_like(target)
            getattr(wi, name)(ref, **call_kwargs())
            got = target.view
            if isinstance(ref, torch.Tensor):
                flat = torch.empty(got.shape, dtype=got.dtype).copy_(got).reshape(-1)
                assert torch.equal(flat.view(torch.uint8), ref.reshape(-1).view(torch.uint8))
            else:
                assert np.array_equal(np.ascontiguousarray(got).reshape(-1).view(np.uint8),
                                      ref.reshape(-1).view(np.uint8))


def _contiguous_like(target):
    v = target.view
    if isinstance(v, torch.Tensor):
        return torch.empty(tuple(v.shape), dtype=v.dtype)
    return np.empty(v.shape, v.dtype)


# ------------------------------------------------------------ the tests

@pytest.mark.parametrize("name", PUBLIC_FILLS)
@SETTINGS
@given(data=st.data())
def test_fuzz_public_fill_function(name, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ComplexWarning and friends, as torch gives them
        run_case(name, data)


def test_fuzz_table_matches_the_signatures():
    """SPECIFIC names public functions and their real parameters (any other
    public fill function is fuzzed generically: new ones join by themselves,
    and those torch.nn.init has too are compared with it)."""
    assert set(SPECIFIC) <= set(PUBLIC_FILLS)
    for name in PUBLIC_FILLS:
        names, _ = params_of(name)
        assert set(SPECIFIC.get(name, {})) <= set(names), name


@settings(SETTINGS, max_examples=EXAMPLES)
@given(nonlinearity=st.one_of(st.sampled_from(NONLINEARITIES), st.text(max_size=12)),
       param=st.one_of(st.just("default"), any_value()))
def test_fuzz_calculate_gain(nonlinearity, param):
    args = (nonlinearity,) if param == "default" else (nonlinearity, realise(param))
    ours = outcome(lambda _, **k: wi.calculate_gain(*args), None, {})
    args = (nonlinearity,) if param == "default" else (nonlinearity, realise(param))
    theirs = outcome(lambda _, **k: tinit.calculate_gain(*args), None, {})
    assert type(ours[1]) is type(theirs[1]), (ours, theirs)
    if ours[1] is not None:
        assert isinstance(ours[1], ALLOWED)
        assert str(ours[1]) == str(theirs[1])
    else:
        assert type(ours[0]) is type(theirs[0])
        assert ours[0] == theirs[0] or (math.isnan(ours[0]) and math.isnan(theirs[0]))


def test_guard_check_can_fail():
    """The footprint check of the fuzz test sees a write one element past a view."""
    spec = Spec("numpy", np.float32, (3, 4), "strided", (0, 1), (2, 1), (1, 0), (), (), 5)
    t = Target(spec)
    base = t.view.__array_interface__["data"][0] - t.raw.ctypes.data
    t.view[...] = 1.0
    assert not (t.changed() & ~t.footprint).any()
    t.raw[base - 4:base] = 0 if t.raw[base - 1] else 1  # the element before the view
    assert (t.changed() & ~t.footprint).any()


# ------------------------------------------- what the fuzzing found, pinned

T0 = lambda dtype=torch.float32: torch.zeros(3, dtype=dtype)  # noqa: E731
FOUND = [
    # a derived parameter that torch's parser refuses: xavier's gain as a 2-element tensor
    ("xavier_uniform_", lambda: torch.zeros(3, 4), (torch.tensor([1.0, 2.0]),), {}),
    ("xavier_normal_", lambda: np.zeros((3, 4), np.float32), (torch.tensor([1.0, 2.0]),), {}),
    # 0-d tensors: complex ones convert only with a zero imaginary part; requires_grad is refused
    ("uniform_", T0, (torch.tensor(1 + 1j), 5.0), {}),
    ("uniform_", T0, (torch.tensor(1 + 0j), 5.0), {}),
    ("normal_", T0, (0.0, torch.tensor(2 + 0j)), {}),
    ("normal_", T0, (torch.tensor(0.5, requires_grad=True),), {}),
    ("uniform_", lambda: np.zeros(3, np.float32), (torch.tensor(-1 + 2j),), {}),
    # NumPy complex scalars are numbers to torch's parser
    ("uniform_", T0, (np.complex64(0.5 + 0j), 2.0), {}),
    ("normal_", lambda: np.zeros(3, np.float64), (np.complex128(1 + 0j),), {}),
    # torch checks std before it looks at the dtype, and an empty tensor is not sampled
    ("normal_", lambda: np.zeros(3, np.int8), (0.0, -1.0), {}),
    ("normal_", lambda: np.zeros(0, np.int64), (), {}),
    ("xavier_normal_", lambda: np.zeros((0, 5), np.bool_), (), {}),
    ("normal_", lambda: np.zeros(0, np.int8), (0.0, math.nan), {}),
    # an empty complex tensor: torch's uniform_ returns before checking the bounds
    ("uniform_", lambda: torch.zeros(0, dtype=torch.complex64), (2.0, 1.0), {}),
    ("uniform_", lambda: np.zeros((0, 3), np.complex128), (math.nan, 1.0), {}),
    ("normal_", lambda: torch.zeros(0, dtype=torch.complex64), (0.0, -1.0), {}),
    # torch's parser checks every argument's type (the generator's too) before converting any
    ("normal_", lambda: np.zeros(3, np.float32), (0.0, 10**400), {"generator": "seed"}),
    ("uniform_", T0, (10**400, "x"), {}),
    ("uniform_", lambda: np.zeros(3), (torch.tensor(1 + 1j),), {"generator": "seed"}),
    ("xavier_normal_", lambda: np.zeros((2, 3), np.float16), (torch.tensor(1 + 1j),), {"generator": "seed"}),
    # fill values: NumPy complex scalars are real numbers to torch's parser, a complex
    # 0-d tensor is copied (real part), a complex number names the target's type
    ("constant_", lambda: np.zeros(3, np.float16), (np.complex64(1 + 2j),), {}),
    ("constant_", lambda: np.zeros(3, np.complex64), (np.complex64(1 + 2j),), {}),
    ("constant_", lambda: np.zeros(3, np.float32), (torch.tensor(1 + 2j),), {}),
    ("constant_", lambda: np.zeros(3, np.float16), (1 + 2j,), {}),
    ("constant_", lambda: np.zeros(3, np.float64), (1 + 2j,), {}),
]


@pytest.mark.parametrize("name,make,args,kwargs", FOUND, ids=[f"{c[0]}-{i}" for i, c in enumerate(FOUND)])
def test_found_by_fuzzing_raises_like_torch(name, make, args, kwargs):
    target = make()
    twin = torch.from_numpy(target.copy()) if isinstance(target, np.ndarray) else target.clone()
    before = target.copy() if isinstance(target, np.ndarray) else target.clone()
    _, ours = outcome(getattr(wi, name), target, kwargs if not args else {
        **dict(zip(params_of(name)[0], args)), **kwargs})
    _, theirs = outcome(getattr(tinit, name), twin, {**dict(zip(params_of(name)[0], args)), **kwargs})
    assert type(ours) is type(theirs), (ours, theirs)
    if ours is not None and not isinstance(ours, TypeError):
        assert str(ours) == str(theirs)
    if ours is not None:
        assert np.array_equal(np.asarray(before), np.asarray(target))
    elif name == "constant_":
        assert np.array_equal(np.asarray(target), twin.numpy())


@pytest.mark.parametrize("slope", [2**26 + 1, 2**53 + 1, -(2**60) - 3, 10**20, 10**200, 10**400])
def test_found_by_fuzzing_leaky_relu_gain_of_large_ints(slope):
    """torch squares an int slope exactly (Python ints) before one rounding."""
    ours = outcome(lambda _: wi.calculate_gain("leaky_relu", slope), None, {})
    theirs = outcome(lambda _: tinit.calculate_gain("leaky_relu", slope), None, {})
    assert type(ours[1]) is type(theirs[1])
    assert ours[0] == theirs[0] and str(ours[1]) == str(theirs[1])
