"""The initialisers torch lacks (_catalogue): variance_scaling_ and its named
forms, trunc_normal_tf_, delta_orthogonal_.

Each is checked against a slow NumPy/SciPy twin of its definition written
from Keras's, JAX's and timm's sources: fans on rank 0-5 shapes in both
layouts (torch's against torch's own fan function, JAX's against JAX's),
the exact fill parameters (bit for bit against weightinit's plain fills with
the twin's parameters), distributions (KS and moments per mode x
distribution x layout, against SciPy and against jax.nn.initializers'
own samples), truncation at exactly +-2 sigma in every dtype, errors against
torch's and JAX's, and delta_orthogonal_'s structure."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats as st
import torch
import torch.nn.init as tinit

import weightinit as wi
from conftest import DL, FLOAT_TORCH, bits, outcome, same_bits
from jax_reference import jax_reference
from test_distributions import _next_up, ks_pvalue

P_MIN = 1e-4
TRUNC_STD = 0.87962566103423978
NAMED = {  # name: (scale, mode, distribution), from Keras's classes and jax.nn.initializers
    "lecun_normal_": (1.0, "fan_in", "truncated_normal"), "lecun_uniform_": (1.0, "fan_in", "uniform"),
    "he_normal_": (2.0, "fan_in", "truncated_normal"), "he_uniform_": (2.0, "fan_in", "uniform"),
    "glorot_normal_": (1.0, "fan_avg", "truncated_normal"), "glorot_uniform_": (1.0, "fan_avg", "uniform"),
}


# ------------------------------------------------------------------ the twin

def twin_fans(shape, in_axis=None, out_axis=None, batch_axis=()):
    """(fan_in, fan_out) by definition: torch's layout (out, in, *kernel) when
    no axes are given, else JAX's rule (receptive field = product of the
    dimensions in no axis group, as a float quotient)."""
    shape = list(shape)
    if in_axis is None:
        if len(shape) < 2:
            return None
        rf = int(np.prod(shape[2:], dtype=np.int64))
        if batch_axis != ():
            rf = int(np.prod(shape, dtype=np.int64)) / shape[1] / shape[0] / _size(shape, batch_axis)
        return shape[1] * rf, shape[0] * rf
    if in_axis == -2 and len(shape) <= 1:
        return None
    i, o, b = (_size(shape, a) for a in (in_axis, out_axis, batch_axis))
    rf = float(np.prod(shape, dtype=np.float64)) / i / o / b
    return i * rf, o * rf


def _size(shape, axes):
    axes = (axes,) if isinstance(axes, int) else axes
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def twin_law(scale, mode, distribution, fans):
    """(kind, parameter, scipy distribution) of variance_scaling by definition."""
    fan_in, fan_out = fans
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    var = scale / n
    if distribution == "truncated_normal":
        sigma = math.sqrt(var) / TRUNC_STD
        return "trunc", sigma, st.truncnorm(-2, 2, scale=sigma)
    if distribution in ("normal", "untruncated_normal"):
        return "normal", math.sqrt(var), st.norm(scale=math.sqrt(var))
    bound = math.sqrt(3 * var)
    return "uniform", bound, st.uniform(-bound, 2 * bound)


def twin_fill(t, kind, p, seed):
    """The plain weightinit fill the definition reduces to, from Generator(seed)."""
    g = wi.Generator(seed)
    if kind == "trunc":
        return wi.trunc_normal_(t, 0.0, p, -2 * p, 2 * p, generator=g)
    if kind == "normal":
        return wi.normal_(t, 0.0, p, generator=g)
    return wi.uniform_(t, -p, p, generator=g)


# ------------------------------------------------------------------ fans

SHAPES = [(), (7,), (6, 5), (6, 5, 3), (6, 5, 3, 2), (4, 5, 3, 2, 2)]
JAX_AXES = [dict(in_axis=-2, out_axis=-1), dict(in_axis=0, out_axis=-1, batch_axis=()),
            dict(in_axis=(0,), out_axis=(-1,)), dict(in_axis=-2, out_axis=-1, batch_axis=0),
            dict(in_axis=(), out_axis=())]


@pytest.mark.parametrize("shape", SHAPES[2:])
def test_torch_layout_fans_are_torchs(shape):
    from weightinit._catalogue import compute_fans
    assert compute_fans(shape, None, None, (), "f") == tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert twin_fans(shape) == tinit._calculate_fan_in_and_fan_out(torch.empty(shape))


def _args(layout):
    return layout.get("in_axis"), layout.get("out_axis"), layout.get("batch_axis", ())


PARAM_LAYOUTS = [{}, dict(in_axis=-2, out_axis=-1), dict(batch_axis=(3,)), dict(in_axis=1, out_axis=0, batch_axis=-1)]
LAW_CASES = [("fan_in", "truncated_normal"), ("fan_avg", "uniform"), ("fan_geo_avg", "normal"),
             ("fan_out", "truncated_normal")]
LAW_LAYOUTS = [dict(in_axis=-2, out_axis=-1), dict(in_axis=-2, out_axis=-1, batch_axis=0)]
LAW_SHAPE = (4, 3, 3, 24, 40)
BAD_JAX = [dict(mode="fan"), dict(mode="fan_in", distribution="gauss")]
DELTA_SHAPE = (4, 3, 5, 7)
DELTA_ERRORS = [((4, 4), {}, ValueError), ((2, 2, 2, 2, 2, 2), {}, ValueError), ((3, 5, 3), {}, ValueError),
                ((3, 3, 5, 4), dict(in_axis=-2, out_axis=-1), ValueError), ((3, 3, 4), dict(in_axis=-2), TypeError),
                ((3, 3, 4), dict(in_axis=1, out_axis=-2), ValueError),
                ((3, 3, 4), dict(in_axis=3, out_axis=0), IndexError)]


def _jax_shape(shape, axes):
    return shape if axes else tuple(reversed(shape))


def _requests():
    """Everything the tests ask of JAX, by key."""
    reqs = {}
    for shape in SHAPES:
        for layout in JAX_AXES + [la for la in PARAM_LAYOUTS if "in_axis" in la]:
            reqs[("fans", shape, _args(layout))] = ("compute_fans", (shape, *_args(layout)), {})
    for mode, distribution in LAW_CASES:
        for i, layout in enumerate(LAW_LAYOUTS):
            reqs[("law", mode, distribution, i)] = ("init", ("variance_scaling", LAW_SHAPE),
                                                    dict(scale=1.3, mode=mode, distribution=distribution, **layout))
    for i, kw in enumerate(BAD_JAX):
        reqs[("bad", i)] = ("init", ("variance_scaling", (3, 4)), {"scale": 1.0, "distribution": "normal", **kw})
    for shape in [(), (5,)]:
        reqs[("rank", shape)] = ("init", ("he_uniform", shape), {})
    for shape, axes, _ in DELTA_ERRORS + [(DELTA_SHAPE, {"in_axis": -2}, None)]:
        reqs[("delta", _jax_shape(shape, axes))] = ("init", ("delta_orthogonal", _jax_shape(shape, axes)), {})
    return reqs


@pytest.fixture(scope="module")
def jax_ref():
    """JAX's answers (computed in one subprocess: see jax_reference)."""
    reqs = _requests()
    return dict(zip(reqs, jax_reference(reqs.values())))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("axes", JAX_AXES)
def test_jax_rule_fans_are_jaxs(shape, axes, jax_ref):
    from weightinit._catalogue import compute_fans
    args = _args(axes)
    status, theirs = jax_ref[("fans", shape, args)]
    if status == "error":
        assert theirs[0] in (ValueError, IndexError)
        with pytest.raises(theirs[0]):
            compute_fans(shape, *args, "f")
        if theirs[0] is IndexError:
            with pytest.raises(IndexError):
                twin_fans(shape, *args)
        else:
            assert twin_fans(shape, *args) is None
        return
    assert compute_fans(shape, *args, "f") == pytest.approx(theirs, rel=1e-15)
    assert twin_fans(shape, *args) == pytest.approx(theirs, rel=1e-15)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", PARAM_LAYOUTS)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_parameters_are_the_definitions(shape, layout, mode, distribution, jax_ref):
    """Fans of rank 0-5 shapes in both layouts feed the fill exactly: the
    values are those of weightinit's plain fill with the twin's parameters;
    where there are no fans, the error is torch's (torch layout) or JAX's."""
    args = _args(layout)
    ours = np.empty(shape, np.float32)
    try:
        fans = twin_fans(shape, *args)
    except IndexError:
        with pytest.raises(IndexError):
            wi.variance_scaling_(ours, 1.5, mode, distribution, **layout)
        return
    if fans is None:
        if args[0] is None:
            theirs = outcome(tinit._calculate_fan_in_and_fan_out, torch.empty(shape))
        else:
            status, error = jax_ref[("fans", shape, args)]
            assert status == "error"
            theirs = (error, [])
        assert theirs[0] is not None
        assert outcome(wi.variance_scaling_, ours, 1.5, mode, distribution, **layout) == theirs
        return
    kind, p, _ = twin_law(1.5, mode, distribution, fans)
    wi.variance_scaling_(ours, 1.5, mode, distribution, wi.Generator(5), **layout)
    assert same_bits(ours, twin_fill(np.empty(shape, np.float32), kind, p, 5))


@pytest.mark.parametrize("name", sorted(NAMED))
@pytest.mark.parametrize("layout", [{}, dict(in_axis=-2, out_axis=-1)])
def test_named_forms_are_variance_scaling(name, layout):
    scale, mode, distribution = NAMED[name]
    t = torch.empty(48, 20, 3, 3)
    getattr(wi, name)(t, wi.Generator(9), **layout)
    ref = wi.variance_scaling_(torch.empty(48, 20, 3, 3), scale, mode, distribution, wi.Generator(9), **layout)
    assert same_bits(t, ref)
    # and the torch function of the same variance where the law is the same (uniform forms)
    if distribution == "uniform" and not layout:
        torch_name, kw = {"lecun_uniform_": ("kaiming_uniform_", dict(nonlinearity="linear")),
                          "he_uniform_": ("kaiming_uniform_", dict(nonlinearity="relu")),
                          "glorot_uniform_": ("xavier_uniform_", {})}[name]
        torch.manual_seed(3)
        a = getattr(wi, torch_name)(torch.empty(48, 20, 3, 3), **kw)
        torch.manual_seed(3)
        b = getattr(wi, name)(torch.empty(48, 20, 3, 3))
        assert torch.allclose(a, b, rtol=1e-6, atol=0)


# ------------------------------------------------------------------ distributions

LAYOUTS = {"torch": ((64, 36, 3, 3), {}), "jax": ((3, 3, 36, 64), dict(in_axis=-2, out_axis=-1))}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_moments_and_ks(layout, mode, distribution):
    shape, axes = LAYOUTS[layout]
    t = torch.empty(shape)
    wi.variance_scaling_(t, 0.7, mode, distribution, **axes)
    fans = (36 * 9, 64 * 9)
    _, _, law = twin_law(0.7, mode, distribution, fans)
    v = t.double().numpy().ravel()
    target_std = math.sqrt(0.7 / {"fan_in": fans[0], "fan_out": fans[1], "fan_avg": sum(fans) / 2,
                                  "fan_geo_avg": math.sqrt(fans[0] * fans[1])}[mode])
    assert law.std() == pytest.approx(target_std, rel=1e-9)  # the 0.8796 correction is exact
    se = target_std / math.sqrt(v.size)
    assert abs(v.mean()) < 5 * se
    assert v.std() == pytest.approx(target_std, rel=0.03)
    assert st.kstest(v, law.cdf).pvalue > P_MIN


TARGETS = [("torch", d) for d in FLOAT_TORCH] + [("numpy", d) for d in (np.float16, np.float32, np.float64)]


@pytest.mark.parametrize("target,dtype", TARGETS, ids=[f"{k}-{d}" for k, d in TARGETS])
@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_forms_in_every_dtype(target, dtype, name):
    """KS against the twin's law (rounded to the dtype for 16-bit ones) and,
    for the truncated forms, every value within +-2 sigma exactly."""
    scale, mode, distribution = NAMED[name]
    t = torch.empty(96, 160, dtype=dtype) if target == "torch" else np.empty((96, 160), dtype)
    getattr(wi, name)(t)
    kind, p, law = twin_law(scale, mode, distribution, (160, 96))
    v = t.double().numpy().ravel() if target == "torch" else t.astype(np.float64).ravel()
    assert ks_pvalue(v, law, dtype) > P_MIN
    if kind == "trunc":
        lo, hi = _rounded_window(-2 * p, 2 * p, dtype)
        assert lo <= v.min() and v.max() <= hi
        assert v.max() > 0.98 * 2 * p and v.min() < -0.98 * 2 * p  # the window is used to its ends


def _rounded_window(a, b, dtype):
    """[a, b] shrunk to the nearest values of dtype inside it: the bounds trunc_normal_ keeps."""
    return _inside(a, dtype, +1), _inside(b, dtype, -1)


def _inside(x, dtype, direction):
    if isinstance(dtype, torch.dtype) and dtype in (torch.float16, torch.bfloat16):
        r = torch.tensor(x, dtype=torch.float64).to(dtype).double().item()
        if (r - x) * direction < 0:
            arr = np.array([r * direction])
            r = direction * _next_up(arr, dtype)[0]
        return r
    npt = {torch.float32: np.float32, torch.float64: np.float64}.get(dtype, dtype)
    r = npt(x)
    if (float(r) - x) * direction < 0:
        r = np.nextafter(r, npt(direction * np.inf))
    return float(r)


@pytest.mark.parametrize("mode,distribution", LAW_CASES)
@pytest.mark.parametrize("layout", range(len(LAW_LAYOUTS)))
def test_same_law_as_jax(mode, distribution, layout, jax_ref):
    """Two-sample KS between jax.nn.initializers.variance_scaling's own
    samples and weightinit's, on a JAX-layout kernel."""
    ours = np.empty(LAW_SHAPE, np.float32)
    wi.variance_scaling_(ours, 1.3, mode, distribution, **LAW_LAYOUTS[layout])
    status, theirs = jax_ref[("law", mode, distribution, layout)]
    assert status == "ok" and theirs.shape == LAW_SHAPE
    assert st.ks_2samp(ours.ravel(), theirs.ravel()).pvalue > P_MIN


# ------------------------------------------------------------------ targets and the contract

def test_blocks_and_dlpack_get_their_part_of_the_full_fill():
    full = wi.he_normal_(np.empty((40, 30, 3), np.float32), wi.Generator(2))
    part = np.empty((10, 30, 2), np.float32)
    wi.he_normal_(wi.block(part, (40, 30, 3), (20, 0, 1)), wi.Generator(2))
    assert same_bits(part, full[20:30, :, 1:])
    t = torch.empty(40, 30, 3)
    wi.he_normal_(DL(t), wi.Generator(2))
    assert same_bits(t, full)


def test_torch_generator_and_seed():
    torch.manual_seed(4)
    a = wi.glorot_normal_(torch.empty(30, 20))
    b = wi.glorot_normal_(torch.empty(30, 20), torch.Generator().manual_seed(4))
    c = wi.glorot_normal_(torch.empty(30, 20))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_meta_and_parameters():
    m = torch.empty(8, 4, 3, 3, device="meta")
    for name in NAMED:
        assert getattr(wi, name)(m) is m
    assert wi.trunc_normal_tf_(m) is m and wi.delta_orthogonal_(m) is m
    p = torch.nn.Parameter(torch.empty(8, 4))
    v = p._version
    wi.he_normal_(p)
    assert p.grad_fn is None and p.requires_grad and p._version == v + 1


def test_empty_tensors_are_left_alone():
    for shape in [(0, 5), (5, 0, 3), (0, 4, 3, 3)]:
        t = torch.empty(shape)
        assert wi.variance_scaling_(t, mode="fan_geo_avg") is t
        assert wi.variance_scaling_(t, in_axis=-2, out_axis=-1) is t
    assert wi.delta_orthogonal_(torch.empty(0, 0, 3)).shape == (0, 0, 3)


# ------------------------------------------------------------------ errors

def _unchanged(fn, *args, **kwargs):
    t = torch.full((4, 3, 2), 7.0)
    exc, _ = outcome(fn, t, *args, **kwargs)
    assert torch.equal(t, torch.full((4, 3, 2), 7.0)), "a failed call wrote the tensor"
    return exc


@pytest.mark.parametrize("scale", [0, 0.0, -1, -0.5, math.nan, math.inf])
def test_scale_error_is_keras(scale):
    exc = _unchanged(wi.variance_scaling_, scale)
    assert exc == (ValueError, f"Argument `scale` must be positive float. Received: scale={scale}")


def test_errors():
    assert _unchanged(wi.variance_scaling_, "1")[0] is TypeError
    for mode in ["FAN_IN", "fan", None]:
        exc = _unchanged(wi.variance_scaling_, 1.0, mode)
        assert exc[0] is ValueError and repr(mode) in exc[1] and "fan_geo_avg" in exc[1]
    for distribution in ["gauss", None, "truncated"]:
        exc = _unchanged(wi.variance_scaling_, 1.0, "fan_in", distribution)
        assert exc[0] is ValueError and repr(distribution) in exc[1] and "untruncated_normal" in exc[1]
    t = torch.empty(6, 5)  # distribution names are lower-cased, as Keras does
    assert torch.equal(wi.variance_scaling_(t, 1.0, "fan_in", "Uniform", wi.Generator(1)),
                       wi.variance_scaling_(torch.empty(6, 5), 1.0, "fan_in", "uniform", wi.Generator(1)))
    assert _unchanged(wi.he_normal_, "g")[0] is TypeError
    exc = _unchanged(wi.he_normal_, in_axis=-2)
    assert exc[0] is TypeError and "both in_axis and out_axis" in exc[1]
    exc = _unchanged(wi.he_normal_, in_axis=3, out_axis=0)
    assert exc == (IndexError, "he_normal_(): in_axis 3 is out of range for a tensor of shape (4, 3, 2)")
    assert _unchanged(wi.he_normal_, in_axis="x", out_axis=0)[0] is TypeError


def test_mode_and_distribution_errors_have_jaxs_type(jax_ref):
    for i, kw in enumerate(BAD_JAX):
        status, (exc, _) = jax_ref[("bad", i)]
        assert status == "error" and exc is ValueError
        with pytest.raises(ValueError):
            wi.variance_scaling_(np.empty((3, 4)), 1.0, **{"distribution": "normal", **kw}, in_axis=-2, out_axis=-1)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_rank_errors(shape, jax_ref):
    t = torch.empty(shape)
    assert outcome(wi.he_uniform_, t) == outcome(tinit._calculate_fan_in_and_fan_out, t)
    status, theirs = jax_ref[("rank", shape)]
    assert status == "error" and theirs[0] is ValueError
    assert outcome(wi.he_uniform_, t, in_axis=-2, out_axis=-1)[0] == theirs


# ------------------------------------------------------------------ trunc_normal_tf_

WINDOWS = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (1.0, 0.5, -1.0, 3.0), (-3.0, 2.0, 0.5, 1.0),
           (0.5, -0.2, -1.0, 2.0), (0.0, 1.0, 4.0, 6.0)]


@pytest.mark.parametrize("mean,std,a,b", WINDOWS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_trunc_normal_tf_is_mean_plus_std_times_truncated_z(mean, std, a, b, dtype):
    t = torch.empty(30_000, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a > 2 warns, as timm's does (trunc_normal_'s warning)
        wi.trunc_normal_tf_(t, mean, std, a, b)
    v = t.double().numpy()
    lo, hi = sorted((mean + a * std, mean + b * std))
    law = st.truncnorm(a, b, loc=mean, scale=std) if std > 0 else st.truncnorm(-b, -a, loc=mean, scale=-std)
    assert ks_pvalue(v, law, dtype) > P_MIN
    rlo, rhi = _rounded_window(lo, hi, dtype)
    assert rlo <= v.min() and v.max() <= rhi
    # the same values as trunc_normal_ with the absolute window
    g = torch.Generator().manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = wi.trunc_normal_tf_(torch.empty(100, dtype=dtype), mean, std, a, b, g)
        g.manual_seed(1)
        assert same_bits(ours, wi.trunc_normal_(torch.empty(100, dtype=dtype), mean, abs(std), lo, hi, g))


def test_trunc_normal_tf_edges():
    t = wi.trunc_normal_tf_(torch.empty(50), 0.3, 0.0)
    assert torch.equal(t, torch.full((50,), 0.3))
    exc = _unchanged(wi.trunc_normal_tf_, 0.0, 1.0, 2.0, -2.0)
    assert exc == (RuntimeError, "uniform_ expects to return a [from, to) range, but found from=0.9545 > to=-0.9545")
    assert _unchanged(wi.trunc_normal_tf_, "x")[0] is TypeError
    assert _unchanged(wi.trunc_normal_tf_, 0.0, 1.0, -2.0, 2.0, "g")[0] is TypeError
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wi.trunc_normal_tf_(np.empty(10), 100.0, 0.01)  # bounds follow the mean: no warning


# ------------------------------------------------------------------ delta_orthogonal_

DELTA = [((8, 5, 3), {}), ((6, 6, 3, 3), {}), ((7, 4, 2, 4), {}), ((5, 3, 3, 2, 3), {}),
         ((3, 5, 8), dict(in_axis=-2, out_axis=-1)), ((4, 3, 6, 9), dict(in_axis=-2, out_axis=-1)),
         ((3, 3, 3, 4, 4), dict(in_axis=-2, out_axis=-1)), ((3, 6, 4, 2), dict(in_axis=3, out_axis=1))]


@pytest.mark.parametrize("shape,axes", DELTA)
@pytest.mark.parametrize("target", ["torch", "numpy", "bfloat16"])
def test_delta_orthogonal_structure(shape, axes, target):
    t = {"torch": lambda: torch.empty(shape), "numpy": lambda: np.empty(shape, np.float64),
         "bfloat16": lambda: torch.empty(shape, dtype=torch.bfloat16)}[target]()
    wi.delta_orthogonal_(t, 1.5, **axes)
    w = t.double().numpy() if isinstance(t, torch.Tensor) else t
    ia, oa = (a % len(shape) for a in (axes.get("in_axis", 1), axes.get("out_axis", 0)))
    centre = tuple((k - 1) // 2 for k in shape)  # JAX's centre, also for even sizes
    idx = list(centre)
    idx[ia] = idx[oa] = slice(None)
    m = w[tuple(idx)]
    m = m.T if ia < oa else m  # (out, in)
    tol = {"torch": 1e-6, "numpy": 1e-12, "bfloat16": 1e-2}[target]
    assert np.allclose(m.T @ m, 2.25 * np.eye(shape[ia]), atol=tol * 3)
    rest = w.copy()
    rest[tuple(idx)] = 0
    assert not rest.any()


def test_delta_orthogonal_is_jaxs_layout_and_reproducible(jax_ref):
    """JAX's own kernel has the same zero pattern and an orthogonal centre; a
    seed fixes ours; a Block gets its part."""
    shape = DELTA_SHAPE
    status, theirs = jax_ref[("delta", shape)]
    assert status == "ok"
    ours = wi.delta_orthogonal_(np.empty(shape, np.float32), generator=wi.Generator(3), in_axis=-2, out_axis=-1)
    assert np.array_equal(theirs != 0, ours != 0)
    again = wi.delta_orthogonal_(np.empty(shape, np.float32), generator=wi.Generator(3), in_axis=-2, out_axis=-1)
    assert same_bits(ours, again)
    part = np.empty((2, 3, 5, 4), np.float32)
    wi.delta_orthogonal_(wi.block(part, shape, (1, 0, 0, 3)), generator=wi.Generator(3), in_axis=-2, out_axis=-1)
    assert same_bits(part, ours[1:3, :, :, 3:])
    off_centre = np.full((2, 3, 5, 7), 9.0, np.float32)
    wi.delta_orthogonal_(wi.block(off_centre, shape, (2, 0, 0, 0)), in_axis=-2, out_axis=-1)
    assert not off_centre.any()
    t = torch.empty(7, 5, 4, 3)
    v = t._version
    wi.delta_orthogonal_(t, generator=wi.Generator(3))
    assert t._version == v + 1
    assert np.allclose(t.permute(2, 3, 1, 0).numpy(), ours, atol=1e-6)  # same matrix in either layout


@pytest.mark.parametrize("shape,axes,exc", DELTA_ERRORS)
def test_delta_orthogonal_errors(shape, axes, exc, jax_ref):
    t = torch.full(shape, 7.0)
    with pytest.raises(exc):
        wi.delta_orthogonal_(t, **axes)
    assert (t == 7).all()
    if exc is ValueError and not axes.get("in_axis") == 1:  # the same shape in JAX's layout: JAX refuses it too
        status, theirs = jax_ref[("delta", _jax_shape(shape, axes))]
        assert status == "error" and theirs[0] is ValueError


@pytest.mark.parametrize("make", [lambda: np.ones((4, 3, 3), np.complex64), lambda: np.ones((4, 3, 3), np.int32),
                                  lambda: torch.ones(4, 3, 3, dtype=torch.complex64),
                                  lambda: torch.ones(4, 3, 3, dtype=torch.int32),
                                  lambda: np.broadcast_to(np.ones((4, 3, 1)), (4, 3, 3))])
def test_delta_orthogonal_refuses_unwritten(make):
    """orthogonal_'s errors for the dtype (torch's), NumPy's refusal of
    read-only memory: nothing written."""
    t = make()
    with pytest.raises((NotImplementedError, ValueError, TypeError, RuntimeError)):
        wi.delta_orthogonal_(t)
    assert (t == 1).all()


def test_exported_with_hints_and_examples():
    import inspect
    for name in list(NAMED) + ["variance_scaling_", "trunc_normal_tf_", "delta_orthogonal_"]:
        fn = getattr(wi, name)
        assert name in wi.__all__ and fn.__name__ == name
        assert "Example:" in fn.__doc__
        sig = inspect.signature(fn)
        assert sig.return_annotation != inspect.Signature.empty
        assert all(p.annotation != inspect.Parameter.empty for p in sig.parameters.values())
    assert list(inspect.signature(wi.variance_scaling_).parameters) == [
        "tensor", "scale", "mode", "distribution", "generator", "in_axis", "out_axis", "batch_axis"]
    assert list(inspect.signature(wi.trunc_normal_tf_).parameters) == ["tensor", "mean", "std", "a", "b", "generator"]
