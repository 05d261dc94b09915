"""eye_ and dirac_, against torch.nn.init: signatures, errors and warnings,
meta and empty tensors, exact values in every dtype, the identity
convolution."""

import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torch.nn.init as tinit

import weightinit as wi
from conftest import FLOAT_TORCH

NEW = ["eye_", "dirac_"]


def outcome(fn, *args, **kwargs):
    """(exception type and message or None, warnings) of one call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn(*args, **kwargs)
            exc = None
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            exc = (type(e), str(e))
    return exc, [(w.category, str(w.message)) for w in caught]


# ---------------------------------------------------------------- the API

@pytest.mark.parametrize("name", NEW)
def test_signature_and_docstring(name):
    ours = inspect.signature(getattr(wi, name)).parameters
    theirs = inspect.signature(getattr(tinit, name)).parameters
    assert list(ours) == list(theirs)
    for p, q in zip(ours.values(), theirs.values()):
        assert p.kind == q.kind
        assert type(p.default) is type(q.default) and repr(p.default) == repr(q.default)
    assert len(getattr(wi, name).__doc__) > 200


# ------------------------------------------------ errors, warnings, meta, empty

T = torch.empty
ERROR_CASES = [
    # (function, tensor factory, args, kwargs)
    ("eye_", lambda: T(3), (), {}),
    ("eye_", lambda: T(2, 3, 4), (), {}),
    ("eye_", lambda: T(3, device="meta"), (), {}),
    ("dirac_", lambda: T(3, 3), (), {}),
    ("dirac_", lambda: T(2, 2, 2, 2, 2, 2), (), {}),
    ("dirac_", lambda: T(4, 3, 3), (3,), {}),
    ("dirac_", lambda: T(4, 3, 3), (0,), {}),
    ("dirac_", lambda: T(4, 3, 3), (2.0,), {}),
    ("dirac_", lambda: T(4, 3, 3), (1.5,), {}),
    ("dirac_", lambda: T(4, 3, 3), ("2",), {}),
    ("dirac_", lambda: T(4, 3, 3), (None,), {}),
    ("dirac_", lambda: T(4, 3, 3, device="meta"), (3,), {}),
    ("dirac_", lambda: T(4, 3, 0), (), {}),
    ("dirac_", lambda: T(4, 3, 3, 0), (), {}),
    ("dirac_", lambda: T(4, 3, 0, 0, 3), (2,), {}),
    ("dirac_", lambda: T(0, 3, 3), (0,), {}),
]


@pytest.mark.parametrize("name,make,args,kwargs", ERROR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_errors_and_warnings_match_torch(name, make, args, kwargs):
    ours = outcome(getattr(wi, name), make(), *args, **kwargs)
    theirs = outcome(getattr(tinit, name), make(), *args, **kwargs)
    if "generator" in kwargs:
        # weightinit accepts more generator types, and its message lists them
        assert ours[0][0] is theirs[0][0] is TypeError
        assert "argument 'generator' must be torch.Generator" in ours[0][1]
        return
    assert ours == theirs


@pytest.mark.parametrize("name,make,args,kwargs",
                         [c for c in ERROR_CASES if "generator" not in c[3]])
def test_numpy_targets_raise_like_torch_and_stay_untouched(name, make, args, kwargs):
    t = make()
    if t.is_meta or t.stride() != torch.empty(t.shape).stride() or t.dtype.is_complex:
        pytest.skip("no NumPy equivalent")
    arr = np.full(tuple(t.shape), 7, dtype=torch.empty((), dtype=t.dtype).numpy().dtype)
    ours = outcome(getattr(wi, name), arr, *args, **kwargs)
    assert ours == outcome(getattr(tinit, name), t, *args, **kwargs)
    assert (arr == 7).all()


CALLS = [
    ("eye_", ()),
    ("dirac_", ()),
    ("dirac_", (2,)),
]
SHAPES = {
    "eye_": [(5, 6)],
    "dirac_": [(4, 6, 3), (4, 2, 3, 3), (4, 2, 1, 3, 2)],
}


@pytest.mark.parametrize("name,args", CALLS)
def test_meta_tensors_as_in_torch(name, args):
    for shape in SHAPES[name]:
        m = torch.empty(shape, device="meta")
        assert getattr(wi, name)(m, *args) is m
        assert outcome(getattr(wi, name), m, *args) == outcome(getattr(tinit, name), m, *args)


ZERO_SHAPES = {
    "eye_": [(0, 3), (3, 0), (0, 0)],
    "dirac_": [(0, 3, 3), (4, 0, 3), (0, 0, 2, 2), (4, 3, 0), (4, 3, 2, 0)],
}


@pytest.mark.parametrize("name,args", CALLS)
def test_zero_element_tensors_as_in_torch(name, args):
    for shape in ZERO_SHAPES[name]:
        for make in [lambda: torch.empty(shape), lambda: np.empty(shape, np.float32)]:
            t = make()
            ours = outcome(getattr(wi, name), t, *args)
            assert ours == outcome(getattr(tinit, name), torch.empty(shape), *args), shape
            if ours[0] is None:
                assert getattr(wi, name)(t, *args) is t


# ---------------------------------------------------------------- DLPack

class _DL:
    """A minimal foreign array: only __dlpack__."""

    def __init__(self, t):
        self.t = t
        self.shape = tuple(t.shape)

    def __dlpack__(self, **kwargs):
        return self.t.__dlpack__(**kwargs)


DLPACK_CASES = [
    ("eye_", (), (4, 6)),
    ("dirac_", (2,), (4, 3, 3)),
]


@pytest.mark.parametrize("name,args,shape", DLPACK_CASES)
def test_dlpack_objects_numpy_can_view(name, args, shape):
    """Filled through a NumPy view."""
    t = torch.full(shape, 5.0)
    getattr(wi, name)(_DL(t), *args)
    assert np.array_equal(t.numpy(), getattr(wi, name)(np.empty(shape, np.float32), *args))
    b = torch.full(shape, 5.0, dtype=torch.bfloat16)  # NumPy has no bfloat16
    with pytest.raises(TypeError, match="DLPack"):
        getattr(wi, name)(_DL(b), *args)
    assert (b == 5).all()


# ------------------------------------------------------------- eye_, dirac_

EYE_SHAPES = [(3, 5), (5, 3), (4, 4), (1, 7), (0, 2)]


@pytest.mark.parametrize("dtype", FLOAT_TORCH + [torch.complex64, torch.int64, torch.bool])
def test_eye_equals_torch(dtype):
    for shape in EYE_SHAPES:
        ours, theirs = torch.full(shape, 3).to(dtype), torch.full(shape, 3).to(dtype)
        wi.eye_(ours), tinit.eye_(theirs)
        assert torch.equal(ours, theirs) and ours.dtype == dtype
    for t in [torch.full((5, 3), 3.0, dtype=dtype).t(), torch.full((8, 9), 3.0, dtype=dtype)[1::2, ::2]]:
        expect = torch.eye(*t.shape, dtype=dtype)
        v = t._version
        wi.eye_(t)
        assert torch.equal(t, expect) and t._version == v + 1


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex128, np.int32])
def test_eye_on_numpy(dtype):
    for shape in EYE_SHAPES:
        a = np.full(shape, 3, dtype=dtype)
        assert wi.eye_(a) is a
        assert np.array_equal(a, np.eye(*shape))
    a = np.full((9, 8), 3, dtype=dtype)[::-2, 1::2]
    wi.eye_(a)
    assert np.array_equal(a, np.eye(5, 4))


DIRAC_CASES = [((4, 3, 5), 1), ((6, 4, 4), 2), ((3, 6, 3), 3), ((8, 2, 3, 3), 2), ((5, 5, 2, 4), 1),
               ((6, 1, 3, 3), 3), ((4, 3, 3, 2, 5), 2), ((2, 5, 1, 1, 1), 1), ((6, 4, 3), -2),
               ((4, 3, 3), True), ((6, 4, 3), np.int64(3)), ((0, 3, 3), 1)]


@pytest.mark.parametrize("shape,groups", DIRAC_CASES)
def test_dirac_equals_torch(shape, groups):
    theirs = tinit.dirac_(torch.full(shape, 3.0), groups)
    for dtype in FLOAT_TORCH + [torch.complex128]:
        ours = torch.full(shape, 3.0, dtype=dtype)
        assert wi.dirac_(ours, groups) is ours
        assert torch.equal(ours, theirs.to(dtype))
    for dtype in [np.float16, np.float32, np.float64, np.int64]:
        arr = np.full(shape, 3, dtype=dtype)
        wi.dirac_(arr, groups)
        assert np.array_equal(arr, theirs.numpy())
    t = torch.full(shape[::-1], 3.0).permute(*range(len(shape) - 1, -1, -1))
    wi.dirac_(t, groups)
    assert torch.equal(t, theirs)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("groups,out_per_group,in_per_group", [(1, 4, 4), (1, 3, 5), (2, 3, 3), (3, 2, 4), (2, 5, 2)])
def test_dirac_kernel_is_the_identity_convolution(dims, groups, out_per_group, in_per_group):
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[dims]
    kernel = (3, 5, 1)[:dims]
    x = torch.randn((2, groups * in_per_group) + (6, 7, 5)[:dims])
    w = torch.empty((groups * out_per_group, in_per_group) + kernel)
    wi.dirac_(w, groups)
    y = conv(x, w, padding=tuple(k // 2 for k in kernel), groups=groups)
    for g in range(groups):
        for d in range(out_per_group):
            out = y[:, g * out_per_group + d]
            if d < in_per_group:
                assert torch.equal(out, x[:, g * in_per_group + d])
            else:
                assert (out == 0).all()


def test_eye_and_dirac_blocks_and_autograd():
    full = wi.eye_(torch.empty(7, 9))
    for off, shape in [((2, 5), (3, 4)), ((4, 0), (3, 3)), ((0, 6), (2, 3))]:
        part = torch.full(shape, 5.0)
        wi.eye_(wi.block(part, (7, 9), off))
        assert torch.equal(part, full[off[0]:off[0] + shape[0], off[1]:off[1] + shape[1]])
    full = wi.dirac_(torch.empty(6, 4, 3, 3), 2)
    part = np.full((2, 3, 3, 2), 5.0, np.float32)
    wi.dirac_(wi.block(part, (6, 4, 3, 3), (3, 1, 0, 1)), 2)
    assert np.array_equal(part, full[3:5, 1:4, :, 1:3].numpy())
    for fn in [wi.eye_, lambda p: wi.dirac_(p.view(3, 3, 1))]:
        p = torch.nn.Parameter(torch.randn(3, 3))
        x = torch.randn(3, 3, requires_grad=True)
        y = (p * x).sum()
        fn(p)
        assert p.is_leaf and p.requires_grad and p.grad_fn is None
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_eye_and_dirac_refuse_read_only_arrays_untouched():
    for fn, shape in [(wi.eye_, (3, 3)), (wi.dirac_, (3, 3, 3))]:
        a = np.full(shape, 5.0)
        a.setflags(write=False)
        with pytest.raises(ValueError, match="read-only"):
            fn(a)
        assert (a == 5).all()
    b = np.lib.stride_tricks.as_strided(np.zeros(20), (4, 4), (8, 8))
    with pytest.raises(RuntimeError, match="memory location"):
        wi.eye_(b)


def test_eye_and_dirac_refuse_overlapping_tensors():
    """torch's eye_ and dirac_ write an expanded tensor without complaint (and
    leave it all ones); weightinit raises as torch's other in-place ops do."""
    for fn, make in [(wi.eye_, lambda: torch.zeros(3, 1).expand(3, 3)),
                     (wi.dirac_, lambda: torch.zeros(4, 1, 1).expand(4, 3, 3))]:
        t = make()
        with pytest.raises(RuntimeError, match="more than one element"):
            fn(t)
        assert (t == 0).all()
        assert outcome(getattr(tinit, fn.__name__), make()) == (None, [])
