"""orthogonal_, sparse_, eye_, dirac_ and the deprecated aliases, against
torch.nn.init: signatures, errors and warnings, meta and empty tensors,
exact values where torch's are deterministic (eye_, dirac_), and the
properties that define the random ones (orthogonality, Haar signs, zeros per
column, reproducibility from a seed or generator)."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
import torch.nn.init as tinit

import weightinit as wi
from conftest import DL, FLOAT_TORCH, assert_signature_matches_torch, outcome, same_bits

NEW = ["orthogonal_", "sparse_", "eye_", "dirac_"]
ALIASES = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


# ---------------------------------------------------------------- the API

@pytest.mark.parametrize("name", NEW)
def test_signature_and_docstring(name):
    assert_signature_matches_torch(name)
    assert len(getattr(wi, name).__doc__) > 200


def test_all_names_of_torch_nn_init_are_exported():
    # trunc_normal_ is being added in the C core separately
    missing = set(tinit.__all__) - {"trunc_normal_"} - set(wi.__all__)
    assert not missing
    for name in set(tinit.__all__) - {"trunc_normal_"}:
        assert callable(getattr(wi, name))
    assert "trunc_normal" not in wi.__all__ and not hasattr(wi, "trunc_normal")


# ------------------------------------------------ errors, warnings, meta, empty

T = torch.empty
ERROR_CASES = [
    # (function, tensor factory, args, kwargs)
    ("orthogonal_", lambda: T(3), (), {}),
    ("orthogonal_", lambda: T(()), (), {}),
    ("orthogonal_", lambda: T(3, device="meta"), (), {}),
    ("orthogonal_", lambda: T(3, 4), ("x",), {}),
    ("orthogonal_", lambda: T(3, 4), (None,), {}),
    ("orthogonal_", lambda: T(3, 4), ([2.0],), {}),
    ("orthogonal_", lambda: T(3, 4), (np.array(2.0),), {}),
    ("orthogonal_", lambda: T(3, 4), (1j,), {}),
    ("orthogonal_", lambda: T(3, 4, dtype=torch.float64), (np.complex128(1j),), {}),
    ("orthogonal_", lambda: T(3, 4), (torch.tensor(1j),), {}),
    ("orthogonal_", lambda: T(3, 4), (torch.tensor([[[2.0]]]),), {}),
    ("orthogonal_", lambda: T(3, 4), (10 ** 400,), {}),
    ("orthogonal_", lambda: T(3, 4, dtype=torch.complex64), (), {}),
    ("orthogonal_", lambda: T(3, 4, dtype=torch.int64), (), {}),
    ("orthogonal_", lambda: T(3, 4), (), {"generator": "g"}),
    ("orthogonal_", lambda: T(0, 3), ("x",), {}),
    ("orthogonal_", lambda: T(3, 1).expand(3, 3), (), {}),
    ("sparse_", lambda: T(3), (0.1,), {}),
    ("sparse_", lambda: T(2, 3, 4), (0.1,), {}),
    ("sparse_", lambda: T(3, device="meta"), (0.1,), {}),
    ("sparse_", lambda: T(3, 4, device="meta"), ("x",), {}),
    ("sparse_", lambda: T(4, 5), ("x",), {}),
    ("sparse_", lambda: T(4, 5), (None,), {}),
    ("sparse_", lambda: T(4, 5), (1j,), {}),
    ("sparse_", lambda: T(4, 5), (math.nan,), {}),
    ("sparse_", lambda: T(4, 5), (math.inf,), {}),
    ("sparse_", lambda: T(4, 5), (-math.inf,), {}),
    ("sparse_", lambda: T(4, 5), (0.5, -1), {}),
    ("sparse_", lambda: T(4, 5), (0.5, math.nan), {}),
    ("sparse_", lambda: T(4, 5), (0.5, "x"), {}),
    ("sparse_", lambda: T(4, 5), (0.5, None), {}),
    ("sparse_", lambda: T(4, 5), (0.5, 1j), {}),
    ("sparse_", lambda: T(4, 5, dtype=torch.int32), (0.5,), {}),
    ("sparse_", lambda: T(4, 5), (0.5,), {"generator": 5}),
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
    ("orthogonal_", ()),
    ("sparse_", (0.3,)),
    ("eye_", ()),
    ("dirac_", ()),
    ("dirac_", (2,)),
]
SHAPES = {
    "orthogonal_": [(5, 6), (4, 3, 2)],
    "sparse_": [(5, 6)],
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
    "orthogonal_": [(0, 3), (3, 0), (2, 0, 4), (0, 0)],
    "sparse_": [(0, 4), (4, 0), (0, 0)],
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

DLPACK_CASES = [
    ("eye_", (), (4, 6)),
    ("dirac_", (2,), (4, 3, 3)),
    ("orthogonal_", (), (4, 6)),
    ("sparse_", (0.5,), (4, 6)),
]


@pytest.mark.parametrize("name,args,shape", DLPACK_CASES)
def test_dlpack_objects_numpy_can_view(name, args, shape):
    """Filled through a NumPy view, with weightinit's generator semantics."""
    random = name in ("orthogonal_", "sparse_")
    t = torch.full(shape, 5.0)
    kw = lambda: {"generator": wi.Generator(1)} if random else {}  # noqa: E731
    getattr(wi, name)(DL(t), *args, **kw())
    assert np.array_equal(t.numpy(), getattr(wi, name)(np.empty(shape, np.float32), *args, **kw()))
    b = torch.full(shape, 5.0, dtype=torch.bfloat16)  # NumPy has no bfloat16
    with pytest.raises(TypeError, match="DLPack"):
        getattr(wi, name)(DL(b), *args, **kw())
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


def test_dirac_with_no_ones_allocates_nothing_per_group():
    """An empty kernel divides any groups: no ones, and no arrays of `groups`
    entries (a fuzzed groups=10**9 once took 16 GB)."""
    for shape in [(0, 3, 3), (4, 0, 3)]:
        t = torch.full(shape, 5.0)
        groups = 10 ** 12 if shape[0] == 0 else 4
        assert wi.dirac_(t, groups) is t and not t.any()


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


# ------------------------------------------------------------ orthogonal_

def test_bad_gain_leaves_tensor_and_generator_untouched():
    # torch writes Q and draws before mul_ fails; weightinit checks gain first
    t = torch.full((3, 4), 7.0)
    torch.manual_seed(0)
    with pytest.raises(TypeError):
        wi.orthogonal_(t, "x")
    assert (t == 7).all()
    after = torch.randn(2)
    torch.manual_seed(0)
    assert torch.equal(torch.randn(2), after)


def test_multi_element_tensor_gain_is_refused():
    # torch broadcasts a tensor gain elementwise, which is not an orthogonal
    # matrix times a gain; weightinit takes numbers and one-element tensors
    t = torch.zeros(3, 4)
    with pytest.raises(TypeError, match="one-element tensor"):
        wi.orthogonal_(t, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert (t == 0).all()
    for gain in [torch.tensor(2.0), torch.tensor([2.0]), torch.tensor([[2]]), np.float32(2), True]:
        wi.orthogonal_(t, gain)
        assert torch.allclose(t @ t.T, torch.eye(3) * float(gain) ** 2, atol=1e-6)


def test_complex64_numpy_gain_warns_like_torch():
    ours = outcome(wi.orthogonal_, torch.empty(3, 4), np.complex64(2 + 1j))
    theirs = outcome(tinit.orthogonal_, torch.empty(3, 4), np.complex64(2 + 1j))
    assert ours == theirs and ours[1][0][0] is np.exceptions.ComplexWarning


def test_empty_orthogonal_draws_nothing():
    torch.manual_seed(5)
    wi.orthogonal_(torch.empty(0, 4))
    x = torch.randn(3)
    torch.manual_seed(5)
    assert torch.equal(torch.randn(3), x)


def flat(t):
    t = torch.as_tensor(t)
    return t.reshape(t.shape[0], -1).double()


def orthogonality_error(w, gain=1.0):
    m = flat(w)
    g = m.T @ m if m.shape[0] > m.shape[1] else m @ m.T
    return (g - gain ** 2 * torch.eye(g.shape[0], dtype=torch.float64)).abs().max().item()


def test_orthogonal_passes_torchs_own_test():
    """torch's test_orthogonal, over 25 seeds: products computed in float32,
    atol 1e-6 (torch's own orthogonal_ fails this for some seeds)."""
    rng = np.random.default_rng(0)
    for seed in range(25):
        torch.manual_seed(seed)
        for size in [[3, 4], [4, 3], [20, 2, 3, 4], [2, 3, 4, 5]]:
            for gain in [1.0, float(rng.uniform(0.1, 2))]:
                t = torch.zeros(size)
                wi.orthogonal_(t, gain=gain)
                rows, cols = size[0], math.prod(size[1:])
                f = t.view(rows, cols)
                prod = f.t() @ f if rows > cols else f @ f.t()
                torch.testing.assert_close(prod, torch.eye(min(rows, cols)) * gain ** 2, atol=1e-6, rtol=0)


@pytest.mark.parametrize("shape", [(3, 4), (7, 2, 3), (64, 64), (200, 150), (150, 200), (40, 3, 3, 3)])
def test_orthogonal_in_every_dtype_and_numpy(shape):
    bound = {torch.float16: 3e-3, torch.bfloat16: 2e-2, torch.float32: 2e-6, torch.float64: 1e-12}
    for dtype in FLOAT_TORCH:
        t = wi.orthogonal_(torch.empty(shape, dtype=dtype), gain=0.5)
        assert orthogonality_error(t, 0.5) < bound[dtype] * 0.5 ** 2, dtype
        if dtype != torch.bfloat16:
            arr = wi.orthogonal_(np.empty(shape, torch.empty((), dtype=dtype).numpy().dtype))
            assert orthogonality_error(arr) < bound[dtype], dtype


def haar_reference(a, rows, cols):
    """Q with positive diag(R) for the rows x cols Gaussian a, in float64."""
    a = np.asarray(a, np.float64)
    q, r = np.linalg.qr(a.T if rows < cols else a)
    q = q * np.sign(np.diag(r))
    return q.T if rows < cols else q


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 5), (8, 8)])
def test_orthogonal_is_the_sign_fixed_qr_of_the_normal_fill(shape):
    """The Gaussian matrix is normal_'s fill (float64 for small matrices)
    with the same key: from torch's default generator, a torch generator or
    a weightinit generator; R's diagonal comes out positive."""
    rows, cols = shape[0], math.prod(shape[1:])
    a = torch.empty(rows, cols, dtype=torch.float64)
    wi.normal_(a, generator=torch.Generator().manual_seed(3))
    expect = haar_reference(a.numpy(), rows, cols).reshape(shape)
    torch.manual_seed(3)
    t = wi.orthogonal_(torch.empty(shape))
    np.testing.assert_allclose(t.numpy(), expect, rtol=0, atol=1e-7)
    t2 = wi.orthogonal_(torch.empty(shape), generator=torch.Generator().manual_seed(3))
    assert torch.equal(t, t2)
    arr = wi.orthogonal_(np.empty(shape), generator=wi.Generator(9))
    wi.normal_(a, generator=wi.Generator(9))
    np.testing.assert_allclose(arr, haar_reference(a.numpy(), rows, cols).reshape(shape), atol=1e-13)
    m = flat(arr).numpy()
    r = m.T @ a.numpy() if rows >= cols else m @ a.numpy().T
    assert np.all(np.diag(r) > 0) and np.allclose(np.tril(r, -1), 0, atol=1e-12)


def _orthogonal_twin(shape, dtype, gain, key_source):
    """orthogonal_ of a torch tensor spelt out: the row-major Gaussian matrix
    normal_ fills, torch.linalg.qr of it (of its transpose when wide), the
    columns of Q times gain * sign(diag R), rounded to ``dtype``."""
    rows, cols = shape[0], math.prod(shape[1:])
    qr_dtype = torch.float64 if rows * cols * min(rows, cols) <= 1 << 21 or dtype == torch.float64 else torch.float32
    a = wi.normal_(torch.empty(rows, cols, dtype=qr_dtype), generator=key_source())
    q, r = torch.linalg.qr(a.T if rows < cols else a)
    d = r.diagonal()
    s = torch.ones_like(d)
    s[d < 0] = -1
    q *= s * gain
    return (q.T if rows < cols else q).reshape(shape).to(dtype)


@pytest.mark.parametrize("shape,dtype", [((200, 200), torch.float32), ((300, 170), torch.float32),
                                         ((170, 300), torch.float32), ((170, 300), torch.bfloat16),
                                         ((40, 5, 7), torch.float32), ((30, 200), torch.float64),
                                         ((160, 10, 3), torch.float16)])
def test_orthogonal_is_bit_for_bit_its_twin(shape, dtype):
    """The torch path's layout of the Gaussian matrix, its LAPACK calls and its
    fused scaling change no bit of torch.linalg.qr's result, on contiguous
    tensors, views, Parameters and Blocks."""
    for gain in (1.0, 1.7):
        expect = _orthogonal_twin(shape, dtype, gain, lambda: wi.Generator(8))
        assert same_bits(wi.orthogonal_(torch.empty(shape, dtype=dtype), gain, wi.Generator(8)), expect)
        torch.manual_seed(8)
        assert same_bits(wi.orthogonal_(torch.empty(shape, dtype=dtype), gain), _orthogonal_twin(
            shape, dtype, gain, lambda: torch.Generator().manual_seed(8)))
    view = torch.empty(shape[::-1], dtype=dtype).permute(*range(len(shape) - 1, -1, -1))
    p = torch.nn.Parameter(torch.empty(shape, dtype=dtype))
    for t in (view, p):
        wi.orthogonal_(t, 0.5, wi.Generator(8))
        assert same_bits(t.detach(), _orthogonal_twin(shape, dtype, 0.5, lambda: wi.Generator(8)))
    part = torch.empty((shape[0] // 2,) + shape[1:], dtype=dtype)
    wi.orthogonal_(wi.block(part, shape, (1,) + (0,) * (len(shape) - 1)), generator=wi.Generator(8))
    assert same_bits(part, _orthogonal_twin(shape, dtype, 1.0, lambda: wi.Generator(8))[1:1 + shape[0] // 2])


def test_orthogonal_has_no_sign_bias():
    """A column of an n x n Haar matrix is uniform on the sphere, so each
    entry x has (x + 1) / 2 ~ Beta((n - 1) / 2, (n - 1) / 2): uniform on
    [-1, 1] for n = 3.  LAPACK's unfixed Q has Q[0, 0] < 0 always; the sign
    fix removes that.  (3, 7) takes the transposed branch: its rows are the
    first 3 columns of a 7 x 7 Haar matrix."""
    for shape, n in [((3, 3), 3), ((3, 7), 7)]:
        draws = np.stack([wi.orthogonal_(np.empty(shape), generator=wi.Generator(s)) for s in range(300)])
        beta = scipy.stats.beta((n - 1) / 2, (n - 1) / 2, loc=-1, scale=2)
        for i, j in [(0, 0), (2, 1), (1, 2)]:
            assert scipy.stats.kstest(draws[:, i, j], beta.cdf).pvalue > 1e-3, (shape, i, j)
        diag = np.stack([np.diagonal(d) for d in draws])
        assert 0.43 < (diag > 0).mean() < 0.57
        assert abs(draws.mean()) < 0.02


def test_orthogonal_on_torch_tensors_has_no_sign_bias():
    torch.manual_seed(0)
    signs = [np.sign(wi.orthogonal_(torch.empty(3, 3))[0, 0].item()) for _ in range(200)]
    assert 80 < sum(s > 0 for s in signs) < 120


@pytest.mark.parametrize("shape", [(20, 30), (160, 160)])  # float64 and float32 QR
def test_orthogonal_half_precision_is_the_rounded_float32_result(shape):
    ref = wi.orthogonal_(torch.empty(shape), generator=wi.Generator(4))
    for half in [torch.bfloat16, torch.float16]:
        t = wi.orthogonal_(torch.empty(shape, dtype=half), generator=wi.Generator(4))
        assert same_bits(t, ref.to(half))
        assert outcome(tinit.orthogonal_, torch.empty(shape, dtype=half))[0][0] is NotImplementedError


def test_orthogonal_layouts_parameters_and_autograd():
    ref = wi.orthogonal_(torch.empty(12, 5, 2), generator=wi.Generator(1))
    views = [torch.empty(2, 5, 12).permute(2, 1, 0), torch.empty(24, 5, 4)[::2, :, 1:3],
             torch.nn.Parameter(torch.empty(12, 5, 2))]
    for t in views:
        v = t._version
        assert wi.orthogonal_(t, generator=wi.Generator(1)) is t
        assert torch.equal(t, ref)
        assert t._version == v + 1
        assert t.grad_fn is None
    p = views[-1]
    assert p.is_leaf and p.requires_grad
    x = torch.randn(12, 5, 2, requires_grad=True)
    y = (p * x).sum()
    wi.orthogonal_(p)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_orthogonal_torch_and_numpy_agree_and_numpy_seeds():
    t = wi.orthogonal_(torch.empty(10, 12, dtype=torch.float64), generator=wi.Generator(2))
    arr = wi.orthogonal_(np.empty((10, 12)), generator=wi.Generator(2))
    np.testing.assert_allclose(t.numpy(), arr, atol=1e-14)
    wi.manual_seed(8)
    a = wi.orthogonal_(np.empty((5, 5), np.float32))
    b = wi.orthogonal_(np.empty((5, 5), np.float32))
    wi.manual_seed(8)
    assert np.array_equal(wi.orthogonal_(np.empty((5, 5), np.float32)), a)
    assert not np.array_equal(a, b)
    arr16 = wi.orthogonal_(np.empty((5, 5), np.float16), generator=np.random.default_rng(1))
    assert orthogonality_error(arr16) < 3e-3


def test_orthogonal_block_is_that_block_of_the_full_matrix():
    full = wi.orthogonal_(torch.empty(9, 4, 2), generator=wi.Generator(6))
    part = torch.empty(3, 4, 1)
    wi.orthogonal_(wi.block(part, (9, 4, 2), (6, 0, 1)), generator=wi.Generator(6))
    assert torch.equal(part, full[6:9, :, 1:2])
    arr = np.empty((2, 4, 2))
    wi.orthogonal_(wi.block(arr, (9, 4, 2), (1, 0, 0)), generator=wi.Generator(6))
    np.testing.assert_allclose(arr, full[1:3].numpy(), atol=1e-7)


def test_orthogonal_refuses_read_only_arrays_before_drawing():
    a = np.zeros((3, 3))
    a.setflags(write=False)
    state = wi.default_generator.get_state()
    with pytest.raises(ValueError, match="read-only"):
        wi.orthogonal_(a)
    assert wi.default_generator.get_state() == state


# ---------------------------------------------------------------- sparse_

@pytest.mark.parametrize("rows,cols,sparsity", [(10, 7, 0.1), (10, 7, 0.35), (9, 4, 1.0), (5, 3, 1.7),
                                                (8, 6, 0.0), (8, 6, -0.3), (8, 6, -2.0), (1, 5, 0.5),
                                                (100, 50, 0.9)])
def test_sparse_zeros_per_column_as_torch(rows, cols, sparsity):
    theirs = tinit.sparse_(torch.empty(rows, cols), sparsity)
    for dtype in FLOAT_TORCH:
        ours = wi.sparse_(torch.empty(rows, cols, dtype=dtype), sparsity, std=1.0)
        counts = (ours == 0).sum(0)
        assert torch.equal(counts, (theirs == 0).sum(0)), dtype
        expect = min(rows, max(0, math.ceil(sparsity * rows) if sparsity >= 0 else
                               rows + math.ceil(sparsity * rows)))
        assert (counts == expect).all()
    arr = wi.sparse_(np.empty((rows, cols), np.float32), sparsity, std=1.0)
    assert ((arr == 0).sum(0) == expect).all()


def test_sparse_values_are_normal_values_of_the_first_key():
    torch.manual_seed(11)
    t = wi.sparse_(torch.empty(40, 30), 0.25, std=0.5)
    torch.manual_seed(11)
    dense = wi.normal_(torch.empty(40, 30), 0.0, 0.5)
    nonzero = t != 0
    assert nonzero.sum() == 30 * 30
    assert torch.equal(t[nonzero], dense[nonzero])
    arr = wi.sparse_(np.empty((40, 30)), 0.25, generator=wi.Generator(3))
    dense = wi.normal_(np.empty((40, 30)), 0.0, 0.01, generator=wi.Generator(3))
    assert np.array_equal(arr[arr != 0], dense[arr != 0])


def sparse_run(make, seed_how):
    t = make()
    if seed_how == "manual_seed":
        torch.manual_seed(21)
        return wi.sparse_(t, 0.4)
    gen = {"torch": lambda: torch.Generator().manual_seed(21), "weightinit": lambda: wi.Generator(21),
           "numpy": lambda: np.random.default_rng(21)}[seed_how]()
    return wi.sparse_(t, 0.4, generator=gen)


@pytest.mark.parametrize("seed_how", ["manual_seed", "torch", "weightinit", "numpy"])
def test_sparse_seed_fixes_values_and_pattern(seed_how):
    make = lambda: torch.empty(30, 20, dtype=torch.bfloat16)  # noqa: E731
    a = sparse_run(make, seed_how)
    torch.manual_seed(999)  # torch's own sparse_ would take its pattern from here
    b = sparse_run(make, seed_how)
    assert same_bits(a, b)
    assert torch.equal((a == 0).sum(0), torch.full((20,), 12))
    other = wi.sparse_(make(), 0.4, generator=wi.Generator(22))
    assert not torch.equal(a == 0, other == 0)


def test_sparse_with_a_torch_generator_equals_manual_seed_and_leaves_the_default_alone():
    torch.manual_seed(4)
    expected = torch.randn(3)
    torch.manual_seed(4)
    a = wi.sparse_(torch.empty(20, 10), 0.5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.randn(3), expected)
    torch.manual_seed(7)
    assert torch.equal(wi.sparse_(torch.empty(20, 10), 0.5), a)


def test_sparse_draws_two_keys():
    torch.manual_seed(2)
    wi.sparse_(torch.empty(6, 6), 0.5)
    after = torch.randn(3)
    torch.manual_seed(2)
    wi.normal_(torch.empty(1))
    wi.normal_(torch.empty(1))
    assert torch.equal(torch.randn(3), after)
    g = wi.Generator(1)
    wi.sparse_(np.empty((6, 6)), 0.5, generator=g)
    assert g.get_state() == (1, 2)


def test_sparse_torch_numpy_dtypes_and_layouts_agree():
    ref = wi.sparse_(torch.empty(25, 15), 0.3, generator=wi.Generator(5))
    arr = wi.sparse_(np.empty((25, 15), np.float32), 0.3, generator=wi.Generator(5))
    assert np.array_equal(ref.numpy(), arr)
    for t in [torch.empty(15, 25).t(), torch.empty(50, 45)[::2, ::3], torch.nn.Parameter(torch.empty(25, 15))]:
        v = t._version
        wi.sparse_(t, 0.3, generator=wi.Generator(5))
        assert torch.equal(t, ref) and t._version > v and t.grad_fn is None
    half = wi.sparse_(torch.empty(25, 15, dtype=torch.float16), 0.3, generator=wi.Generator(5))
    assert same_bits(half, ref.to(torch.float16))
    c = wi.sparse_(torch.empty(25, 15, dtype=torch.complex64), 0.3, generator=wi.Generator(5))
    assert ((c == 0).sum(0) == 8).all()


def test_sparse_pattern_is_uniform_over_rows():
    """Each row is zeroed in each column with probability k / rows."""
    t = wi.sparse_(np.empty((10, 20000), np.float32), 0.3, generator=wi.Generator(0))
    freq = (t == 0).mean(axis=1)
    assert np.abs(freq - 0.3).max() < 0.015
    # the zeroed pairs of rows are uniform too (no correlation between rows)
    z = (t == 0).astype(np.float64)
    both = (z @ z.T / z.shape[1])[~np.eye(10, dtype=bool)]
    assert np.abs(both - 0.3 * 2 / 9).max() < 0.015


def test_sparse_block_is_that_block_of_the_full_fill():
    full = wi.sparse_(torch.empty(30, 12), 0.3, generator=wi.Generator(8))
    for offset, shape in [((0, 0), (30, 12)), ((5, 3), (10, 4)), ((29, 11), (1, 1)), ((0, 7), (30, 5))]:
        part = torch.empty(shape)
        out = wi.sparse_(wi.block(part, (30, 12), offset), 0.3, generator=wi.Generator(8))
        assert out.tensor is part
        assert torch.equal(part, full[offset[0]:offset[0] + shape[0], offset[1]:offset[1] + shape[1]])


# ------------------------------------------------------- deprecated aliases

ALIAS_ARGS = {"constant": (0.5,), "sparse": (0.5,)}


@pytest.mark.parametrize("name", ALIASES)
def test_aliases_warn_like_torch_and_delegate(name):
    shape = (4, 3, 3) if name == "dirac" else (4, 6)
    args = ALIAS_ARGS.get(name, ())
    ours = outcome(getattr(wi, name), torch.empty(shape), *args)
    theirs = outcome(getattr(tinit, name), torch.empty(shape), *args)
    assert ours == theirs
    assert ours[1][0][0] is FutureWarning and len(ours[1]) == 1
    assert getattr(wi, name).__name__ == getattr(tinit, name).__name__ == name
    with pytest.warns(FutureWarning) as record:
        torch.manual_seed(3)
        a = getattr(wi, name)(torch.empty(shape), *args)
    assert record[0].filename == __file__  # attributed to the caller, as in torch
    torch.manual_seed(3)
    assert torch.equal(a, getattr(wi, name + "_")(torch.empty(shape), *args))
