"""Each fill has the distribution torch.nn.init's has: Kolmogorov-Smirnov
p > 1e-4 with fixed seeds (so the tests are deterministic), bounds, moments.
float16/bfloat16 samples are compared with the exactly rounded distribution."""

import math

import numpy as np
import pytest
import scipy.stats as st
import torch
import torch.nn.init as tinit

import weightinit as wi

N_ROWS, N_COLS = 200, 250  # 50_000 draws per case
TORCH_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
NUMPY_DTYPES = [np.float32, np.float64]
P_MIN = 1e-4


def _next_up(values, dtype):
    """The next representable value above each value, as float64."""
    if dtype == torch.bfloat16:
        b = torch.tensor(values, dtype=torch.float32).to(torch.bfloat16).view(torch.int16).numpy()
        b = b.astype(np.int32)
        step = np.where(values >= 0, 1, -1)
        step = np.where(values == 0, 1, step)
        b = np.where((values == 0) & np.signbit(values), 1, b + step)  # -0 -> +min subnormal
        up = torch.from_numpy(b.astype(np.int16)).view(torch.bfloat16).float().numpy()
        return up.astype(np.float64)
    np_dt = np.float16
    return np.nextafter(values.astype(np_dt), np_dt(np.inf)).astype(np.float64)


def ks_pvalue(sample, dist, dtype):
    sample = np.asarray(sample, dtype=np.float64)
    if dtype in (torch.float16, torch.bfloat16, np.float16):
        # discrete sample: compare the empirical CDF with the CDF of the
        # rounded distribution at each observed atom (conservative p-value)
        atoms, counts = np.unique(sample, return_counts=True)
        ecdf = np.cumsum(counts) / sample.size
        upper_mid = (atoms + _next_up(atoms, dtype)) / 2
        model = dist.cdf(upper_mid)
        d = np.max(np.abs(ecdf - model))
        return st.kstwo.sf(d, sample.size)
    return st.kstest(sample, dist.cdf).pvalue


def make(target, dtype):
    if target == "torch":
        return torch.empty(N_ROWS, N_COLS, dtype=dtype)
    return np.empty((N_ROWS, N_COLS), dtype=dtype)


def values(t):
    return t.float().numpy().ravel() if isinstance(t, torch.Tensor) else t.ravel()


CASES = [(t, d) for t in ["torch"] for d in TORCH_DTYPES] + [("numpy", d) for d in NUMPY_DTYPES]


def is_half(dtype):
    return dtype in (torch.float16, torch.bfloat16)


def rounded(x, dtype):
    """x as the target dtype holds it (the bound a fill can actually reach)."""
    if isinstance(dtype, torch.dtype):
        return torch.tensor(x, dtype=torch.float64).to(dtype).double().item()
    return float(np.asarray(x, dtype=dtype))


def assert_within(v, a, b, dtype):
    lo, hi = rounded(a, dtype), rounded(b, dtype)
    assert v.min() >= lo and (v.max() <= hi if is_half(dtype) else v.max() < hi)


@pytest.mark.parametrize("target,dtype", CASES)
@pytest.mark.parametrize("a,b", [(0.0, 1.0), (-3.0, 0.5), (10.0, 10.25)])
def test_uniform(target, dtype, a, b):
    t = make(target, dtype)
    wi.uniform_(t, a, b)
    v = values(t)
    assert_within(v, a, b, dtype)
    assert ks_pvalue(v, st.uniform(a, b - a), dtype) > P_MIN


@pytest.mark.parametrize("target,dtype", CASES)
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (2.0, 0.01), (-1.0, 3.0)])
def test_normal(target, dtype, mean, std):
    t = make(target, dtype)
    wi.normal_(t, mean, std)
    v = values(t).astype(np.float64)
    assert ks_pvalue(v, st.norm(mean, std), dtype) > P_MIN
    if is_half(dtype):
        return  # rounding to a grid coarser than std biases the moments
    n = v.size
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(v.std() / std - 1) < 5 / math.sqrt(2 * n)


@pytest.mark.parametrize("target,dtype", CASES)
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(target, dtype, gain):
    std = gain * math.sqrt(2.0 / (N_ROWS + N_COLS))
    bound = math.sqrt(3.0) * std
    t = make(target, dtype)
    wi.xavier_uniform_(t, gain=gain)
    v = values(t)
    assert_within(v, -bound, bound, dtype)
    assert ks_pvalue(v, st.uniform(-bound, 2 * bound), dtype) > P_MIN
    wi.xavier_normal_(t, gain=gain)
    assert ks_pvalue(values(t), st.norm(0, std), dtype) > P_MIN


@pytest.mark.parametrize("target,dtype", CASES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("a,nonlinearity", [(0, "relu"), (0, "leaky_relu"), (0.3, "leaky_relu"),
                                            (0, "tanh")])
def test_kaiming(target, dtype, mode, a, nonlinearity):
    shape = (N_ROWS // 4, N_COLS // 5, 4, 5)  # conv weight: fans include the kernel
    t = torch.empty(shape, dtype=dtype) if target == "torch" else np.empty(shape, dtype)
    fan = tinit._calculate_correct_fan(torch.empty(shape), mode)
    std = tinit.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    wi.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    v = values(t)
    assert_within(v, -bound, bound, dtype)
    assert ks_pvalue(v, st.uniform(-bound, 2 * bound), dtype) > P_MIN
    wi.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert ks_pvalue(values(t), st.norm(0, std), dtype) > P_MIN


def test_ks_helper_rejects_a_wrong_distribution():
    """The statistical checks above can fail: a std off by 5% is rejected."""
    for dtype in [torch.float32, torch.bfloat16]:
        t = torch.empty(N_ROWS, N_COLS, dtype=dtype)
        wi.normal_(t, 0.0, 1.05)
        assert ks_pvalue(values(t), st.norm(0, 1.0), dtype) < P_MIN


def test_normal_tails_reach_six_sigma():
    t = torch.empty(4_000_000)
    wi.normal_(t)
    v = t.numpy().astype(np.float64)
    # P(|z| > 4.5) = 6.8e-6: ~27 expected; the Box-Muller radius reaches 6.76
    assert 10 < np.sum(np.abs(v) > 4.5) < 50
    assert np.abs(v).max() < 6.8
