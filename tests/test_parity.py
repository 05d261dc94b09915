"""Differential tests against torch.nn.init: signatures, return values,
exception types and messages, warnings, and the parameters each function
derives (gains, fans, bounds)."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import weightinit as wi
from conftest import DL, assert_signature_matches_torch, outcome

FUNCS = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_",
         "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
         "_calculate_fan_in_and_fan_out", "_calculate_correct_fan"]


@pytest.mark.parametrize("name", FUNCS)
def test_signature_matches_torch(name):
    assert_signature_matches_torch(name)


@pytest.mark.parametrize("name", FUNCS)
def test_has_docstring(name):
    doc = getattr(wi, name).__doc__
    assert doc and len(doc) > 40


T = torch.empty
ERROR_CASES = [
    # (function, tensor factory, args, kwargs)
    ("uniform_", lambda: T(3), (1, 0), {}),
    ("uniform_", lambda: T(3), (0, math.inf), {}),
    ("uniform_", lambda: T(3), (-math.inf, 0), {}),
    ("uniform_", lambda: T(3), (math.nan, 0), {}),
    ("uniform_", lambda: T(3), (0, math.nan), {}),
    ("uniform_", lambda: T(3), (-3e38, 3e38), {}),
    ("uniform_", lambda: T(3, dtype=torch.float64), (-1e308, 1e308), {}),
    ("uniform_", lambda: T(3, dtype=torch.float16), (-60000, 60000), {}),
    ("uniform_", lambda: T(3, dtype=torch.float16), (0, 70000), {}),
    ("uniform_", lambda: T(3, dtype=torch.float16), (0, 65504.0), {}),
    ("uniform_", lambda: T(3, dtype=torch.bfloat16), (-3e38, 3e38), {}),
    ("uniform_", lambda: T(3), (3.4028235e38, 3.4028235e38), {}),
    ("uniform_", lambda: T(3), ("x",), {}),
    ("uniform_", lambda: T(3), (None,), {}),
    ("uniform_", lambda: T(3), (0, 1j), {}),
    ("uniform_", lambda: T(3), (np.array([0.5]),), {}),
    ("uniform_", lambda: T(3), (torch.tensor([0.5]),), {}),
    ("uniform_", lambda: T(3, dtype=torch.int64), (), {}),
    ("uniform_", lambda: T(3, dtype=torch.int32), (), {}),
    ("uniform_", lambda: T(3, dtype=torch.uint8), (), {}),
    ("uniform_", lambda: T(3, dtype=torch.bool), (), {}),
    ("uniform_", lambda: T(3, 1).expand(3, 4), (), {}),
    ("normal_", lambda: T(3), (0, -1), {}),
    ("normal_", lambda: T(3), (0, math.nan), {}),
    ("normal_", lambda: T(3), (0, "1"), {}),
    ("normal_", lambda: T(3), ("0",), {}),
    ("normal_", lambda: T(3, dtype=torch.int64), (), {}),
    ("normal_", lambda: T(3, dtype=torch.bool), (), {}),
    ("normal_", lambda: T(1, 3).expand(4, 3), (), {}),
    ("constant_", lambda: T(3), (1e300,), {}),
    ("constant_", lambda: T(3, dtype=torch.float16), (65519.0,), {}),
    ("constant_", lambda: T(3, dtype=torch.bfloat16), (3.4e38,), {}),
    ("constant_", lambda: T(3), ("a",), {}),
    ("constant_", lambda: T(3), (None,), {}),
    ("constant_", lambda: T(3), (torch.tensor([1.0, 2.0]),), {}),
    ("xavier_uniform_", lambda: T(3), (), {}),
    ("xavier_uniform_", lambda: T(()), (), {}),
    ("xavier_uniform_", lambda: T(0, 0), (), {}),
    ("xavier_uniform_", lambda: T(3, 3), (), {"gain": -1}),
    ("xavier_uniform_", lambda: T(3, 3), (), {"gain": math.nan}),
    ("xavier_uniform_", lambda: T(3, 3), (), {"gain": "x"}),
    ("xavier_normal_", lambda: T(0, 0), (), {}),
    ("xavier_normal_", lambda: T(3, 3), (), {"gain": -1}),
    ("xavier_normal_", lambda: T(5), (), {}),
    ("kaiming_uniform_", lambda: T(0, 3), (), {}),
    ("kaiming_uniform_", lambda: T(3, 0, 2), (), {}),
    ("kaiming_normal_", lambda: T(3, 0), (), {}),
    ("kaiming_uniform_", lambda: T(3), (), {}),
    ("kaiming_normal_", lambda: T(()), (), {}),
    ("kaiming_uniform_", lambda: T(3, 3), (), {"mode": "bad"}),
    ("kaiming_normal_", lambda: T(3, 3), (), {"mode": 3}),
    ("kaiming_uniform_", lambda: T(3, 3), (), {"nonlinearity": "foo"}),
    ("kaiming_normal_", lambda: T(3, 3), (), {"nonlinearity": None}),
    ("kaiming_uniform_", lambda: T(3, 3), ("x",), {}),
    ("kaiming_uniform_", lambda: T(3, 3), (True,), {}),
    ("kaiming_normal_", lambda: T(3, 3), (1e200,), {}),
    ("kaiming_uniform_", lambda: T(3, 3), (), {"generator": "g"}),
    ("normal_", lambda: T(3), (), {"generator": 5}),
]


@pytest.mark.parametrize("name,make,args,kwargs", ERROR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_errors_and_warnings_match_torch(name, make, args, kwargs):
    ours = outcome(getattr(wi, name), make(), *args, **kwargs)
    theirs = outcome(getattr(tinit, name), make(), *args, **kwargs)
    if "generator" in kwargs and ours[0] is not None:
        # weightinit accepts more generator types, and its message lists them
        assert ours[0][0] is theirs[0][0] is TypeError
        assert "argument 'generator' must be torch.Generator" in ours[0][1]
        return
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]


@pytest.mark.parametrize("name,make,args,kwargs", ERROR_CASES[:30])
def test_numpy_targets_raise_like_torch(name, make, args, kwargs):
    """The same bad arguments on a NumPy array raise what torch raises for a
    tensor (NumPy has no bfloat16; integer arrays raise NotImplementedError)."""
    t = make()
    if t.dtype == torch.bfloat16 or t.stride() != torch.empty(t.shape).stride():
        pytest.skip("no NumPy equivalent")
    theirs = outcome(getattr(tinit, name), t, *args, **kwargs)
    arr = np.zeros(tuple(t.shape), dtype=torch.empty((), dtype=t.dtype).numpy().dtype)
    before = arr.copy()
    ours = outcome(getattr(wi, name), arr, *args, **kwargs)
    if theirs[0] is None:
        assert ours[0] is None
    else:
        assert ours[0] is not None and ours[0][0] is theirs[0][0]
        if ours[0][0] is not TypeError:
            assert ours[0][1] == theirs[0][1]
        np.testing.assert_array_equal(arr, before)


@pytest.mark.parametrize("nonlinearity", ["linear", "conv1d", "conv2d", "conv3d",
                                          "conv_transpose1d", "conv_transpose2d",
                                          "conv_transpose3d", "sigmoid", "tanh", "relu",
                                          "leaky_relu", "selu"])
def test_calculate_gain_matches_torch(nonlinearity):
    g, t = wi.calculate_gain(nonlinearity), tinit.calculate_gain(nonlinearity)
    assert g == t and type(g) is type(t)


def test_leaky_relu_gain_bitwise():
    rng = np.random.default_rng(0)
    slopes = [None, 0, 1, 2, -3, 0.2, 1e-300, 1e150, math.inf, -math.inf] + \
        list(rng.standard_normal(200) * 10.0 ** rng.integers(-5, 5, 200))
    for s in slopes:
        s = float(s) if isinstance(s, np.floating) else s
        assert outcome(wi.calculate_gain, "leaky_relu", s)[0] is None
        g, t = wi.calculate_gain("leaky_relu", s), tinit.calculate_gain("leaky_relu", s)
        assert math.isclose(g, t, rel_tol=0, abs_tol=0) or (g == t), s


@pytest.mark.parametrize("args", [("leaky_relu", "x"), ("leaky_relu", True), ("foo",),
                                  ("relu", "ignored"), (None,), ("linear\0x",),
                                  ("leaky_relu", 1e200), ("leaky_relu", np.float32(0.1))])
def test_calculate_gain_errors_match_torch(args):
    assert outcome(wi.calculate_gain, *args) == outcome(tinit.calculate_gain, *args)


@pytest.mark.parametrize("shape", [(3, 4), (5, 3, 2), (8, 4, 3, 3), (2, 3, 4, 5, 6), (0, 3), (3, 0, 5)])
def test_fans_match_torch(shape):
    t = torch.empty(shape)
    assert wi._calculate_fan_in_and_fan_out(t) == tinit._calculate_fan_in_and_fan_out(t)
    assert wi._calculate_fan_in_and_fan_out(np.empty(shape)) == tinit._calculate_fan_in_and_fan_out(t)
    for mode in ["fan_in", "fan_out", "FAN_IN", "Fan_Out"]:
        assert wi._calculate_correct_fan(t, mode) == tinit._calculate_correct_fan(t, mode)


def test_fans_of_shapes_no_tensor_has():
    """The core's fans for a shape given as numbers (the Keras/JAX-style
    initializers take one): a negative size and a product beyond 64 bits are
    different errors."""
    with pytest.raises(ValueError, match=r"fans: shape \(3, -1\) has a negative size"):
        wi._core.fans((3, -1))
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        wi._core.fans((2, 2**40, 2**40))


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {}), ("uniform_", {"a": -2, "b": 3}), ("normal_", {"mean": 1, "std": 0.5}),
    ("constant_", {"val": 0.3}), ("ones_", {}), ("zeros_", {}),
    ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}), ("kaiming_uniform_", {"a": 0.1}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
])
@pytest.mark.parametrize("target", ["tensor", "parameter", "numpy"])
def test_returns_the_object_passed_in(name, kwargs, target):
    t = {"tensor": lambda: torch.empty(4, 6), "parameter": lambda: torch.nn.Parameter(torch.empty(4, 6)),
         "numpy": lambda: np.empty((4, 6), np.float32)}[target]()
    assert getattr(wi, name)(t, **kwargs) is t


@pytest.mark.parametrize("dtype", [torch.int64, torch.int8, torch.bool, torch.complex64, torch.float32])
def test_constant_on_any_torch_dtype_matches_torch(dtype):
    for val in [0, 1, 3, True, 2.5, -7]:
        a, b = torch.zeros(5, dtype=dtype), torch.zeros(5, dtype=dtype)
        assert outcome(wi.constant_, a, val) == outcome(tinit.constant_, b, val)
        assert torch.equal(a, b)
    a, b = torch.full((5,), 7, dtype=dtype), torch.full((5,), 7, dtype=dtype)
    wi.zeros_(a), tinit.zeros_(b)
    assert torch.equal(a, b)
    wi.ones_(a), tinit.ones_(b)
    assert torch.equal(a, b)


def test_constant_values_bitwise_like_torch():
    vals = [0.1, -0.0, 1e-8, 6e-8, 3e-5, 65504.0, 1e-40, 3.3895e38, math.inf, -math.inf, 1 / 3]
    for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
        for v in vals:
            a = torch.empty(3, dtype=dt)
            if outcome(tinit.constant_, a, v)[0] is not None:
                continue
            b = torch.empty(3, dtype=dt)
            tinit.constant_(b, v)
            # through the core on a DLPack capsule of the same dtype
            wi.constant_(DL(a), v)
            assert torch.equal(a.view(torch.uint8), b.view(torch.uint8)), (dt, v)


def test_complex_tensors_follow_torch_semantics():
    """torch fills complex tensors through view_as_real, with std / sqrt(2)
    per component for normal_; weightinit does the same."""
    c = torch.empty(20000, dtype=torch.complex64)
    wi.uniform_(c, -1, 1)
    r = torch.view_as_real(c)
    assert r.min() >= -1 and r.max() < 1
    wi.normal_(c, 1.0, 2.0)
    assert abs(r.mean().item() - 1.0) < 0.05
    assert abs(r.std().item() - 2.0 / math.sqrt(2)) < 0.03
    arr = np.empty(20000, np.complex128)
    wi.normal_(arr, 0.0, 1.0)
    assert abs(np.mean(np.abs(arr) ** 2) - 1.0) < 0.05
