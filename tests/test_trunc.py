"""trunc_normal_: torch's signature, checks, errors and warning; the exact
truncated normal in every dtype (KS against scipy's truncnorm, tail and
narrow windows, no tail outliers, no pile-up at the bounds, enough distinct
values); bit-exact against the slow twin in each of its modes."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats as st
import torch
import torch.nn.init as tinit

import twin
import weightinit as wi
from conftest import assert_signature_matches_torch, bits, outcome
from registry import BY_NAME
from test_distributions import ks_pvalue

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def test_signature_matches_torch():
    assert_signature_matches_torch("trunc_normal_")


T = torch.empty
CASES = [
    ((), {"a": 2, "b": -2}), ((), {"a": 0.5, "b": 0.4}), ((), {"std": 0}), ((), {"mean": 5, "std": 0}),
    ((), {"a": math.nan}), ((), {"b": math.nan}), ((), {"mean": 10}), ((), {"mean": -10}),
    ((), {"mean": "x"}), ((), {"std": "x"}), ((), {"a": 5, "b": 6}), ((), {"a": 0.5, "b": 0.5}),
    ((), {"std": -1}), ((), {"std": math.inf}), ((), {"mean": math.nan}), ((), {"std": math.nan}),
    ((), {"a": -math.inf, "b": math.inf}), ((0.0, 1.0, -2.0, 2.0), {}),
]


@pytest.mark.parametrize("args,kwargs", CASES)
@pytest.mark.parametrize("make", [lambda: T(3, 4), lambda: T(3, 4, dtype=torch.bfloat16),
                                  lambda: T(3, 4, dtype=torch.int64), lambda: T(3, 4, dtype=torch.complex64),
                                  lambda: T(4, 1).expand(4, 3), lambda: T(0, 3), lambda: T(3, device="meta")])
def test_errors_and_warnings_match_torch(make, args, kwargs):
    assert outcome(wi.trunc_normal_, make(), *args, **kwargs) == outcome(tinit.trunc_normal_, make(), *args, **kwargs)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.complex64, np.complex128])
def test_numpy_dtypes_refused_like_torch(dtype):
    arr = np.zeros((3, 4), dtype)
    t = torch.from_numpy(arr.copy())
    for kw in [{}, {"a": 5, "b": 6}]:
        theirs = outcome(tinit.trunc_normal_, t, **kw)[0]
        ours = outcome(wi.trunc_normal_, arr, **kw)[0]
        assert ours == theirs and ours is not None
        assert not arr.any()


def test_generator_type_error():
    with pytest.raises(TypeError, match="argument 'generator'"):
        wi.trunc_normal_(T(3), generator="g")


def rounded(x, dtype):
    return torch.tensor(x, dtype=torch.float64).to(dtype).item()


WINDOWS = [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 5.0, 6.0), (1.0, 0.5, -1.0, 0.0),
           (0.0, 1.0, -0.1, 0.1), (0.0, 1.0, -np.inf, -3.0), (3.0, 2.0, 3.5, np.inf), (0.0, 0.02, -2.0, 2.0),
           (0.0, 1.0, 7.0, 7.5), (0.0, 1.0, 14.0, 15.0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean,std,a,b", WINDOWS)
def test_distribution_and_bounds(dtype, mean, std, a, b):
    t = torch.empty(40_000, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wi.trunc_normal_(t, mean, std, a, b)
    v = t.double().numpy()
    lo = rounded(a, dtype) if np.isfinite(a) else -np.inf
    hi = rounded(b, dtype) if np.isfinite(b) else np.inf
    lo = lo if lo >= a else np.nextafter(lo, np.inf)  # the dtype's first value inside [a, b]
    assert np.isfinite(v).all()
    assert a <= v.min() and v.max() <= b, (v.min(), v.max())
    dist = st.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    if dtype in (torch.float16, torch.bfloat16):
        width = std * min(1.0, max(1e-300, dist.std() / std))
        if width / max(abs(mean), abs(a) if np.isfinite(a) else 0, abs(b) if np.isfinite(b) else 0, 1e-3) < 0.05:
            return  # the window is a handful of representable values: nothing to test statistically
    assert ks_pvalue(v, dist, dtype) > 1e-4


def test_tiny_std_has_no_outliers():
    """torch's float32 trunc_normal_ once produced values 2000 std out."""
    for dtype in [torch.float32, torch.bfloat16]:
        t = torch.empty(4_000_000, dtype=dtype)
        wi.trunc_normal_(t, std=0.001, a=-2.0, b=2.0)
        assert t.float().abs().max().item() < 7 * 0.001


def test_no_pile_up_at_the_bounds():
    """A value equals a bound only as often as rounding puts it there."""
    n = 2_000_000
    for dtype in [torch.float32, torch.bfloat16, torch.float16]:
        t = torch.empty(n, dtype=dtype)
        wi.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0)
        v = t.double().numpy()
        step = 2.0 - np.nextafter(torch.tensor(2.0, dtype=dtype).item(), 0) if dtype != torch.float32 else 2.0**-22
        if dtype == torch.bfloat16:
            step = 2.0**-7
        elif dtype == torch.float16:
            step = 2.0**-9
        # P(X rounds to 2.0) = mass of [2 - step/2, 2] under the truncated normal
        expect = n * st.norm.pdf(2.0) * (step / 2) / (st.norm.cdf(2) - st.norm.cdf(-2))
        for bound in (-2.0, 2.0):
            count = int((v == bound).sum())
            assert count <= expect + 6 * math.sqrt(expect) + 3, (dtype, bound, count, expect)


@pytest.mark.parametrize("dtype,minimum", [(torch.float32, 5000), (torch.float64, 5000),
                                           (torch.float16, 3000), (torch.bfloat16, 1000)])
def test_distinct_values(dtype, minimum):
    t = torch.empty(10_000, dtype=dtype)
    wi.trunc_normal_(t)
    assert len(np.unique(t.double().numpy())) >= minimum


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 5.0, 6.0), (0.0, 0.02, -2.0, 2.0),
                                          (0.0, 1.0, 14.0, 15.0), (0.0, 1.0, 40.0, 41.0), (0.0, 1.0, -50.0, -49.0),
                                          (2.0, 3.0, 0.7, 0.7), (0.3, 1.0, 0.31, 0.3100001)])
def test_matches_twin(dtype, mean, std, a, b):
    key, stream, start, n = 0xFEEDFACE12345678, 9, 2**34 + 13, 150
    t = torch.empty(n, dtype=dtype)
    dt = BY_NAME[str(dtype).removeprefix("torch.")]
    wi._core.fill((t.data_ptr(), dt.code, t.shape, t.stride()), wi._core.TRUNC_NORMAL, mean, std, key, stream,
                  (start + n,), (start,), a, b)
    ref = np.array([twin.trunc_normal(mean, std, a, b, key, stream, start + i, dt.twin) for i in range(n)],
                   np.float64 if dt.twin == "f64" else np.float32)
    assert np.array_equal(bits(t), bits(torch.from_numpy(ref).to(dtype)))


def test_reproducible_and_block_consistent():
    torch.manual_seed(3)
    full = wi.trunc_normal_(torch.empty(300, 200), std=0.5, a=-0.4, b=1.0)
    torch.manual_seed(3)
    part = torch.empty(100, 50)
    wi.trunc_normal_(wi.block(part, (300, 200), (100, 120)), std=0.5, a=-0.4, b=1.0)
    assert torch.equal(part, full[100:200, 120:170])


def test_numpy_and_half_rounding():
    f32 = np.empty(50_000, np.float32)
    f16 = np.empty(50_000, np.float16)
    wi.trunc_normal_(f32, 0.0, 1.0, -1.5, 0.75, generator=wi.Generator(2))
    wi.trunc_normal_(f16, 0.0, 1.0, -1.5, 0.75, generator=wi.Generator(2))
    np.testing.assert_array_equal(bits(f16), bits(f32.astype(np.float16)))
