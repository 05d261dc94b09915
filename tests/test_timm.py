"""weightinit against timm (timm/layers/weight_init.py): the functions of timm's
names have timm's distributions, and timm's ViT (both init schemes), ResNet
and EdgeNeXt, built by timm and initialised again with weightinit's functions
in timm's scheme, have parameter by parameter timm's distributions,
reproducibly from a seed.  Under weightinit.patch(), timm's own four functions
are replaced wherever timm binds them, by identity, whatever the import order,
with timm's signatures, semantics, errors and warnings; timm's models then
build reproducibly with timm's distributions, also on the meta device.

timm needs torchvision, which does not load beside torch 2.13.0 here: .ci/run
runs this file in its second environment (torch 2.14.1, torchvision 0.29.1,
timm 1.0.29; the [test-timm] extra), with WEIGHTINIT_REQUIRE_TIMM=1 so that a
missing timm fails instead of skipping.  Elsewhere it is skipped."""

import contextlib
import copy
import hashlib
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.stats as st
import torch
import torch.nn as nn

import weightinit as wi
from weightinit import _patch, _target, _timm
from conftest import outcome, same_bits

if os.environ.get("WEIGHTINIT_REQUIRE_TIMM"):
    import timm
else:
    timm = pytest.importorskip("timm", reason="timm is tested in .ci/run's second environment (torch 2.14.1)")
from timm.layers import weight_init as tw  # noqa: E402

P_MIN = 1e-4


def ks(a, b, limit=200_000):
    """Two-sample KS p-value of two tensors' values (i.i.d.: the first `limit` suffice)."""
    a, b = (t.detach().double().reshape(-1)[:limit].numpy() for t in (a, b))
    return st.ks_2samp(a, b).pvalue


def draw(fn, shape, *args, seed=0, **kwargs):
    torch.manual_seed(seed)
    t = torch.empty(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(t, *args, **kwargs)
    return t


# ------------------------------------------------------------------ the functions

WINDOWS = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (1.0, 0.5, -1.0, 3.0), (0.5, -0.2, -1.0, 2.0),
           (0.0, 1.0, 2.5, 4.0)]


@pytest.mark.parametrize("mean,std,a,b", WINDOWS)
def test_trunc_normal_tf_is_timms(mean, std, a, b):
    theirs = draw(tw.trunc_normal_tf_, (200, 250), mean, std, a, b)
    ours = draw(wi.trunc_normal_tf_, (200, 250), mean, std, a, b, seed=1)
    assert ks(theirs, ours) > P_MIN
    lo, hi = sorted((mean + a * std, mean + b * std))
    for t in (theirs, ours):
        assert lo - 1e-6 <= t.min() and t.max() <= hi + 1e-6
    # the warning for a window far from the mean, and its absence otherwise, as timm gives them
    assert outcome(wi.trunc_normal_tf_, torch.empty(5), mean, std, a, b)[1] == \
        outcome(tw.trunc_normal_tf_, torch.empty(5), mean, std, a, b)[1]


def test_trunc_normal_tf_edges_are_timms():
    assert outcome(wi.trunc_normal_tf_, torch.empty(5), 0.0, 1.0, 2.0, -2.0) == \
        outcome(tw.trunc_normal_tf_, torch.empty(5), 0.0, 1.0, 2.0, -2.0)
    assert torch.equal(draw(wi.trunc_normal_tf_, (9,), 0.25, 0.0), draw(tw.trunc_normal_tf_, (9,), 0.25, 0.0))


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 0.02, -2.0, 2.0), (0.0, 1.0, -1.0, 0.5), (1.0, 2.0, 0.0, 5.0)])
def test_trunc_normal_is_timms(mean, std, a, b):
    """timm's own trunc_normal_ (absolute bounds) is torch's: weightinit's trunc_normal_."""
    assert ks(draw(tw.trunc_normal_, (200, 250), mean, std, a, b),
              draw(wi.trunc_normal_, (200, 250), mean, std, a, b, seed=1)) > P_MIN


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("shape", [(96, 48, 3, 3), (300, 160)])
def test_variance_scaling_is_timms(mode, distribution, shape):
    theirs = draw(tw.variance_scaling_, shape, 0.8, mode, distribution)
    ours = draw(wi.variance_scaling_, shape, 0.8, mode, distribution, seed=1)
    assert ks(theirs, ours) > P_MIN
    if distribution == "truncated_normal":
        assert ours.abs().max() <= theirs.abs().max() * 1.01


def test_defaults_and_errors():
    """timm's variance_scaling_ defaults to the untruncated normal; weightinit's
    (Keras's default) to the truncated one -- the README says so.  An unknown
    distribution is a ValueError in both."""
    import inspect
    assert inspect.signature(tw.variance_scaling_).parameters["distribution"].default == "normal"
    assert inspect.signature(wi.variance_scaling_).parameters["distribution"].default == "truncated_normal"
    assert ks(draw(tw.variance_scaling_, (300, 160)), draw(wi.variance_scaling_, (300, 160), distribution="normal",
                                                           seed=1)) > P_MIN
    assert outcome(tw.variance_scaling_, torch.empty(3, 4), 1.0, "fan_in", "gauss")[0][0] is ValueError
    assert outcome(wi.variance_scaling_, torch.empty(3, 4), 1.0, "fan_in", "gauss")[0][0] is ValueError


@pytest.mark.parametrize("shape", [(384, 3, 16, 16), (512, 196)])
def test_lecun_normal_is_timms(shape):
    theirs, ours = draw(tw.lecun_normal_, shape), draw(wi.lecun_normal_, shape, seed=1)
    assert ks(theirs, ours) > P_MIN
    sigma = math.sqrt(1 / math.prod(shape[1:])) / 0.87962566103423978
    assert ours.abs().max() <= 2 * sigma and theirs.abs().max() <= 2 * sigma * (1 + 1e-6)


# ------------------------------------------------------------------ models

def _torch_default(m, done):
    """nn.Linear / nn.Conv2d reset_parameters with weightinit's functions."""
    wi.kaiming_uniform_(m.weight, a=math.sqrt(5))
    done.add(m.weight)
    if m.bias is not None:
        fan_in = m.weight[0].numel()
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        wi.uniform_(m.bias, -bound, bound)
        done.add(m.bias)


def _norms(m, done):
    if isinstance(m, (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm2d)) and m.weight is not None:
        wi.ones_(m.weight)
        wi.zeros_(m.bias)
        done.update((m.weight, m.bias))


def vit_init(model, mode):
    """VisionTransformer.init_weights(mode) of timm 1.0.29 (init_weights_vit_timm /
    init_weights_vit_jax), with weightinit's functions."""
    done = set()
    wi.trunc_normal_(model.pos_embed, std=.02)
    wi.normal_(model.cls_token, std=1e-6)
    done.update((model.pos_embed, model.cls_token))
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            if mode == "jax" and name.startswith("head"):
                wi.zeros_(m.weight)
                wi.constant_(m.bias, 0.0)
            elif mode == "jax":
                wi.glorot_uniform_(m.weight)  # timm: nn.init.xavier_uniform_, the same law
                wi.normal_(m.bias, std=1e-6) if "mlp" in name else wi.zeros_(m.bias)
            else:
                wi.trunc_normal_(m.weight, std=.02)
                wi.zeros_(m.bias)
            done.update((m.weight, m.bias))
        elif isinstance(m, nn.Conv2d):
            if mode == "jax":
                wi.lecun_normal_(m.weight)
                wi.zeros_(m.bias)
                done.update((m.weight, m.bias))
            else:
                _torch_default(m, done)
        _norms(m, done)
    return done


def resnet_init(model):
    """timm ResNet: kaiming_normal_(fan_out, relu) convs, BatchNorm ones/zeros with the
    last BN of each block zeroed (zero_init_last), torch's default Linear."""
    done = set()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            wi.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            done.add(m.weight)
        elif isinstance(m, nn.Linear):
            _torch_default(m, done)
        _norms(m, done)
    for m in model.modules():  # after the norms, as in timm
        if hasattr(m, "zero_init_last"):
            wi.zeros_((getattr(m, "bn3", None) or m.bn2).weight)
    return done


def edgenext_init(model):
    """timm EdgeNeXt _init_weights: trunc_normal_tf_(std=.02) on Conv2d and Linear
    weights, zero biases; the norms' defaults."""
    done = set()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            wi.trunc_normal_tf_(m.weight, std=.02)
            done.add(m.weight)
            if m.bias is not None:
                wi.zeros_(m.bias)
                done.add(m.bias)
        _norms(m, done)
    return done


MODELS = {"vit_small_patch16_224": (dict(), lambda m: vit_init(m, "")),
          "vit_small_patch16_224-jax": (dict(weight_init="jax"), lambda m: vit_init(m, "jax")),
          "resnet18": ({}, resnet_init),
          "edgenext_xx_small": ({}, edgenext_init)}


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_model_has_timms_distributions(model_name):
    kwargs, init = MODELS[model_name]
    torch.manual_seed(0)
    theirs = timm.create_model(model_name.split("-")[0], pretrained=False, **kwargs)
    ours = copy.deepcopy(theirs)
    torch.manual_seed(1)
    with torch.no_grad():
        done = init(ours)
    done_ids = {id(p) for p in done}
    checked = 0
    for (name, p), q in zip(theirs.named_parameters(), ours.parameters()):
        constant = bool((p == p.reshape(-1)[0]).all())
        if constant:
            assert torch.equal(p, q), name
        else:
            assert id(q) in done_ids, f"{name}: random in timm, not initialised by the mirror"
            assert ks(p, q) > P_MIN, name
            checked += 1
    assert checked >= 20
    y = ours(torch.randn(1, 3, 224, 224) if "vit" in model_name else torch.randn(1, 3, 64, 64))
    assert torch.isfinite(y).all()


def test_model_init_is_reproducible():
    """The same seed gives the same model bit for bit, whatever weightinit's thread count."""
    base = timm.create_model("vit_small_patch16_224", pretrained=False, weight_init="jax")
    states, threads_before = [], wi.get_num_threads()
    for threads in (1, 2):
        wi.set_num_threads(threads)
        m = copy.deepcopy(base)
        torch.manual_seed(5)
        with torch.no_grad():
            vit_init(m, "jax")
        states.append(m.state_dict())
    wi.set_num_threads(threads_before)
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k
    assert np.any([not torch.equal(states[0][k], base.state_dict()[k]) for k in states[0]])


# ------------------------------------------------------------------ timm under patch()

TIMM_NAMES = _timm.NAMES
ORIGINALS = {name: getattr(tw, name) for name in TIMM_NAMES}  # timm's, captured before any patch


def bindings(objects):
    """{(module, global name): value} of every loaded module's global that is
    one of ``objects`` (by identity), weightinit's own modules aside."""
    ids = {id(o) for o in objects}
    out = {}
    for name, mod in list(sys.modules.items()):
        d = getattr(mod, "__dict__", None)
        if name.startswith("weightinit") or type(d) is not dict:
            continue
        out.update({(name, k): v for k, v in list(d.items()) if id(v) in ids})
    return out


def replacement(name):
    return _patch._replacement_of[id(ORIGINALS[name])][1]


def test_patch_replaces_timms_functions_everywhere_and_unpatch_restores_them():
    before = bindings(ORIGINALS.values())
    modules = {m for m, _ in before}
    assert len(modules) >= 50 and len(before) >= 55, sorted(modules)  # timm 1.0.29: 60 names in 53 modules
    assert {("timm.layers", n) for n in TIMM_NAMES} | {("timm.models.vision_transformer", "lecun_normal_"),
                                                       ("timm.models.edgenext", "trunc_normal_tf_")} <= set(before)
    for _ in range(2):  # and again on a second level
        with wi.patched():
            assert not bindings(ORIGINALS.values())
            now = bindings([replacement(n) for n in TIMM_NAMES])
            assert set(now) == set(before)
            for place, value in now.items():
                assert value is replacement(before[place].__name__), place
                assert value.__wrapped__.__module__ == "weightinit._timm" and value.__name__ == value.__wrapped__.__name__
        after = bindings(ORIGINALS.values())
        assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert all(getattr(tw, n) is ORIGINALS[n] for n in TIMM_NAMES)


def test_replacements_keep_timms_signatures_and_add_a_keyword_generator():
    with wi.patched():
        for name in TIMM_NAMES:
            ours = inspect.signature(getattr(tw, name)).parameters
            theirs = inspect.signature(ORIGINALS[name]).parameters
            assert [(p.name, p.kind, p.default) for p in theirs.values()] == \
                [(p.name, p.kind, p.default) for p in list(ours.values())[:-1]], name
            last = list(ours.values())[-1]
            assert (last.name, last.kind, last.default) == ("generator", inspect.Parameter.KEYWORD_ONLY, None)


def patched_call(name, *args, seed=0, **kwargs):
    """(tensor filled by timm's function as patch() installs it, what it returned)."""
    with wi.patched():
        fn = getattr(tw, name)
        assert fn is not ORIGINALS[name]
        torch.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.empty(args[0])
            return t, fn(t, *args[1:], **kwargs)


CALLS = [("trunc_normal_", (200, 250)), ("trunc_normal_", (200, 250), 0.0, 0.02),
         ("trunc_normal_", (200, 250), 1.0, 0.5, 0.0, 1.5), ("trunc_normal_", (200, 250), 0.0, 1.0, 0.5, 3.0),
         ("trunc_normal_tf_", (200, 250), 0.0, 0.02), ("trunc_normal_tf_", (200, 250), 0.5, -0.2, -1.0, 2.0),
         ("trunc_normal_tf_", (200, 250), 1.0, 0.1, 0.0, math.inf),
         ("variance_scaling_", (300, 160)), ("variance_scaling_", (96, 48, 3, 3), 2.0, "fan_out"),
         ("variance_scaling_", (96, 48, 3, 3), 0.5, "fan_avg", "truncated_normal"),
         ("variance_scaling_", (300, 160), 1.0, "fan_in", "uniform"),
         ("lecun_normal_", (384, 3, 16, 16)), ("lecun_normal_", (512, 196))]


@pytest.mark.parametrize("call", CALLS, ids=lambda c: "-".join(map(str, c)))
def test_replacements_have_timms_distributions_and_return_values(call):
    name, shape, *args = call
    torch.manual_seed(0)
    theirs = torch.empty(shape)
    returned = ORIGINALS[name](theirs, *args)
    ours, ours_returned = patched_call(name, shape, *args, seed=0)
    assert ks(theirs, ours) > P_MIN
    assert (ours_returned is ours) == (returned is theirs) and (ours_returned is None) == (returned is None)
    assert not torch.equal(ours, theirs)  # the same seed: weightinit's values, not timm's
    # weightinit's values: those of the weightinit function of timm's meaning
    ref = torch.empty(shape)
    torch.manual_seed(0)
    if name == "variance_scaling_":
        scale, mode, dist = (list(args) + [1.0, "fan_in", "normal"][len(args):])
        wi.variance_scaling_(ref, scale, mode, dist)  # timm's "normal" is weightinit's untruncated "normal"
    else:
        getattr(wi, name)(ref, *args)
    assert same_bits(ours, ref)


# arguments where timm's function raises, warns or is degenerate: the replacement does exactly the same
EDGES = [("trunc_normal_", (5,), 0.0, 0.0), ("trunc_normal_", (5,), 0.0, -1.0), ("trunc_normal_", (5,), 0.0, 1.0, 2.0, -2.0),
         ("trunc_normal_", (5,), 5.0, 1.0), ("trunc_normal_", (5,), math.nan), ("trunc_normal_", (5,), 0.0, math.nan),
         ("trunc_normal_", (5,), 0.0, math.inf), ("trunc_normal_", (5,), math.inf), ("trunc_normal_", (5,), 0.0, 1.0, math.nan),
         ("trunc_normal_", (5,), 0.0, 1.0, 1.0, 1.0), ("trunc_normal_", (5,), 0.0, 1.0, math.inf, math.inf),
         ("trunc_normal_tf_", (5,), 0.0, 1.0, 2.0, -2.0), ("trunc_normal_tf_", (5,), 0.25, 0.0),
         ("trunc_normal_tf_", (5,), 0.0, 1.0, 3.0, 4.0), ("trunc_normal_tf_", (5,), 0.0, math.inf),
         ("trunc_normal_tf_", (5,), math.nan), ("trunc_normal_tf_", (5,), 0.0, 1.0, -math.inf, -math.inf),
         ("variance_scaling_", (4,)), ("variance_scaling_", ()), ("variance_scaling_", (4, 0)),
         ("variance_scaling_", (0, 4)), ("variance_scaling_", (0, 4), 1.0, "fan_out"), ("variance_scaling_", (3, 4), 0.0),
         ("variance_scaling_", (3, 4), -1.0), ("variance_scaling_", (3, 4), math.nan), ("variance_scaling_", (3, 4), 1.0, "fan_x"),
         ("variance_scaling_", (3, 4), 1.0, "fan_geo_avg"), ("variance_scaling_", (3, 4), 1.0, "fan_in", "gauss"),
         ("variance_scaling_", (3, 4), 1.0, "fan_in", "Normal"), ("variance_scaling_", (3, 4), 1.0, "fan_in", "untruncated_normal"),
         ("variance_scaling_", (3, 4), 1.0, "fan_x", "gauss"), ("lecun_normal_", (3,)), ("lecun_normal_", (3, 0))]


@pytest.mark.parametrize("call", EDGES, ids=lambda c: "-".join(map(str, c)))
def test_replacements_raise_and_warn_as_timm(call):
    name, shape, *args = call
    results = []
    for patched in (False, True):
        torch.manual_seed(2)
        t = torch.empty(shape)
        with wi.patched() if patched else contextlib.nullcontext():
            results.append(outcome(getattr(tw, name), t, *args) + (t,))
    (exc0, warn0, t0), (exc1, warn1, t1) = results
    assert (exc1, warn1) == (exc0, warn0)
    values = t0[torch.isfinite(t0)]
    if exc0 is None and (values.numel() == 0 or (values == values[0]).all()):
        assert same_bits(t0, t1)  # degenerate results (zeros, NaNs, a constant) are timm's too


@pytest.mark.parametrize("dtype", [torch.int32, torch.complex64, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", TIMM_NAMES)
def test_replacements_on_other_dtypes_do_what_timm_does(name, dtype):
    """Integer and complex tensors go to timm's code (its errors; its complex
    normal); the float dtypes are weightinit's, with timm's distribution."""
    results = []
    for patched in (False, True):
        torch.manual_seed(3)
        t = torch.zeros(200, 150, dtype=dtype)
        with wi.patched() if patched else contextlib.nullcontext():
            results.append(outcome(getattr(tw, name), t) + (t,))
    (exc0, warn0, t0), (exc1, warn1, t1) = results
    assert (exc1, warn1) == (exc0, warn0)
    if dtype.is_floating_point:
        assert exc0 is None and ks(t0, t1) > P_MIN and not torch.equal(t0, t1)
    else:
        assert same_bits(t0, t1)


def replacement_calls(fn, *args):
    """How often patch()'s replacement wrappers run during fn(*args)."""
    code = replacement("trunc_normal_").__code__  # every replacement runs this code
    calls = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code:
            calls.append(frame)

    sys.setprofile(profile)
    try:
        result = outcome(fn, *args)
    finally:
        sys.setprofile(None)
    return len(calls), result


@pytest.mark.parametrize("name", TIMM_NAMES)
@pytest.mark.parametrize("target", ["meta", "int32", "subclass", "staged"])
def test_fallbacks_run_timms_code_once_without_reentering(name, target):
    """lecun_normal_ -> variance_scaling_ -> trunc_normal_tf_ in timm's code:
    the fallback's copies call one another, never a patched name (a staged
    tensor stands for an accelerator's, as in test_patch)."""
    def make():
        if target == "meta":
            return torch.empty(8, 6, device="meta")
        if target == "int32":
            return torch.zeros(8, 6, dtype=torch.int32)
        return torch.empty(8, 6).as_subclass(Traced) if target == "subclass" else torch.empty(8, 6)
    expected = outcome(ORIGINALS[name], make())
    _target._force_staging = target == "staged"
    try:
        with wi.patched():
            calls, got = replacement_calls(getattr(tw, name), make())
    finally:
        _target._force_staging = False
    assert calls == 1 and got == expected


class Traced(torch.Tensor):
    """A tensor subclass with a __torch_function__ of its own: weightinit leaves it to timm."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return super().__torch_function__(func, types, args, kwargs or {})


@pytest.fixture
def staging():
    _target._force_staging = True  # CPU tensors stand for accelerator ones (as in test_patch)
    yield
    _target._force_staging = False


@pytest.mark.parametrize("name", TIMM_NAMES)
def test_accelerator_tensors_get_timms_own_function(name, staging):
    shape = (64, 48)
    torch.manual_seed(4)
    theirs = torch.empty(shape)
    ORIGINALS[name](theirs)
    with wi.patched():
        torch.manual_seed(4)
        ours = torch.empty(shape)
        getattr(tw, name)(ours)
        keyed = torch.empty(shape)
        getattr(tw, name)(keyed, generator=wi.Generator(9))  # timm's take no generator: weightinit's fill
    with wi.patched(devices="reproducible"):
        staged = torch.empty(shape)
        getattr(tw, name)(staged, generator=wi.Generator(9))
    _target._force_staging = False
    with wi.patched():
        plain = torch.empty(shape)
        getattr(tw, name)(plain, generator=wi.Generator(9))
    assert same_bits(ours, theirs)
    assert same_bits(keyed, plain) and same_bits(staged, plain) and not same_bits(plain, theirs)


@pytest.mark.parametrize("name", TIMM_NAMES)
def test_generators_reach_timms_names(name):
    """generator= and patched(generator_for=...) (init_model's per-parameter
    generators) fill timm's names reproducibly without torch's seed."""
    outs = []
    for i in range(2):
        torch.manual_seed(i)
        with wi.patched(generator_for=lambda t: wi.Generator(11)):
            a = torch.empty(40, 30)
            getattr(tw, name)(a)
        with wi.patched():
            b = torch.empty(40, 30)
            getattr(tw, name)(b, generator=wi.Generator(11))
        outs += [a, b]
    assert all(same_bits(outs[0], o) for o in outs[1:])


def patched_model(name, seed, **kwargs):
    """timm.create_model under patched() after torch.manual_seed(seed), and the
    data pointers of every tensor weightinit filled with random values meanwhile."""
    filled = set()

    def observer(tensor, dist, *params):
        t = getattr(tensor, "tensor", tensor)  # a Block's tensor
        if isinstance(t, torch.Tensor) and dist != "constant":
            filled.add(t.data_ptr())

    _target.observers.append(observer)
    try:
        torch.manual_seed(seed)
        with wi.patched():
            model = timm.create_model(name, pretrained=False, **kwargs)
    finally:
        _target.observers.remove(observer)
    return model, filled


PATCHED_MODELS = {"vit_small_patch16_224": {}, "vit_small_patch16_224-jax": dict(weight_init="jax"),
                  "resnet50": {}, "edgenext_xx_small": {}}


@pytest.mark.parametrize("model_name", sorted(PATCHED_MODELS))
def test_models_build_under_patch_reproducibly_with_timms_distributions(model_name):
    name, kwargs = model_name.split("-")[0], PATCHED_MODELS[model_name]
    ours, filled = patched_model(name, 0, **kwargs)
    again, _ = patched_model(name, 0, **kwargs)
    torch.manual_seed(0)
    torchs = timm.create_model(name, pretrained=False, **kwargs)
    torch.manual_seed(1)
    theirs = timm.create_model(name, pretrained=False, **kwargs)
    checked = 0
    for (pname, p), q, r, s in zip(ours.named_parameters(), again.parameters(), theirs.parameters(), torchs.parameters()):
        assert same_bits(p, q), pname
        if bool((r == r.reshape(-1)[0]).all()):
            assert torch.equal(p, r), pname
            continue
        assert p.data_ptr() in filled, f"{pname}: random in timm, not filled by weightinit"
        assert ks(p, r) > P_MIN, pname
        assert not torch.equal(p, s), pname
        checked += 1
    assert checked >= 20
    for (bname, b), c in zip(ours.named_buffers(), theirs.buffers()):
        assert torch.equal(b, c), bname


@pytest.mark.parametrize("model_name", sorted(PATCHED_MODELS))
def test_models_build_on_the_meta_device_under_patch(model_name):
    name, kwargs = model_name.split("-")[0], PATCHED_MODELS[model_name]
    with torch.device("meta"):
        model, filled = patched_model(name, 0, **kwargs)
    assert not filled and all(p.is_meta for p in model.parameters())
    with torch.device("meta"):
        theirs = timm.create_model(name, pretrained=False, **kwargs)
    assert [(n, p.shape) for n, p in model.named_parameters()] == [(n, p.shape) for n, p in theirs.named_parameters()]


IMPORT_ORDER = textwrap.dedent("""
    import hashlib, json, sys
    import torch
    import weightinit as wi
    from weightinit import _patch
    NAMES = {names!r}

    def bindings(ids):
        out = {{}}
        for name, mod in list(sys.modules.items()):
            d = getattr(mod, "__dict__", None)
            if not name.startswith("weightinit") and type(d) is dict:
                out.update({{(name, k): v for k, v in list(d.items()) if id(v) in ids}})
        return out

    def digest(model):
        h = hashlib.sha256()
        for k, v in model.state_dict().items():
            h.update(k.encode()); h.update(v.detach().contiguous().view(torch.uint8).numpy().tobytes())
        return h.hexdigest()

    if {patch_first!r}:
        wi.patch()
        import timm
        from timm.layers import weight_init as tw
        originals = {{n: _patch._original_of[id(getattr(tw, n))][1] for n in NAMES}}
    else:
        import timm
        from timm.layers import weight_init as tw
        originals = {{n: getattr(tw, n) for n in NAMES}}
        wi.patch()
    replacements = {{n: _patch._replacement_of[id(originals[n])][1] for n in NAMES}}
    while_patched = bindings({{id(v) for v in replacements.values()}})
    left = bindings({{id(v) for v in originals.values()}})
    torch.manual_seed(0)
    vit = digest(timm.create_model("vit_small_patch16_224", weight_init="jax"))
    torch.manual_seed(0)
    edgenext = digest(timm.create_model("edgenext_xx_small"))
    wi.unpatch()
    restored = bindings({{id(v) for v in originals.values()}})
    print(json.dumps(dict(
        patched=sorted(map(list, while_patched)), originals_while_patched=len(left),
        restored=sorted(map(list, restored)),
        restored_right=all(v is originals[v.__name__] for v in restored.values()),
        replacements_left=len(bindings({{id(v) for v in replacements.values()}})),
        # timm's own function objects: defined by its module, with its namespace as globals
        genuine=all(f.__globals__ is vars(tw) and f.__code__.co_filename == tw.__file__ for f in originals.values()),
        vit=vit, edgenext=edgenext)))
""")


def state_digest(model):
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def test_import_order_does_not_matter():
    """Fresh processes: patch() then import timm, and import timm then patch():
    the same places replaced and restored, the same bits in both (and here)."""
    results = {}
    for patch_first in (True, False):
        code = IMPORT_ORDER.format(names=TIMM_NAMES, patch_first=patch_first)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        results[patch_first] = r = json.loads(out.stdout.strip().splitlines()[-1])
        assert len(r["patched"]) >= 55 and r["restored"] == r["patched"], r
        assert r["originals_while_patched"] == 0 and r["replacements_left"] == 0
        assert r["restored_right"] and r["genuine"]
    assert results[True]["patched"] == results[False]["patched"]
    here = {}
    for key, name, kwargs in (("vit", "vit_small_patch16_224", dict(weight_init="jax")),
                              ("edgenext", "edgenext_xx_small", {})):
        here[key] = state_digest(patched_model(name, 0, **kwargs)[0])
        assert results[True][key] == results[False][key] == here[key], key


def test_a_window_far_in_a_tail_is_drawn_where_timms_sampling_degenerates():
    """timm's inverse CDF puts every float32 value on one point 6 sigma out; the
    replacement draws the truncated normal its arguments define."""
    theirs = torch.empty(100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ORIGINALS["trunc_normal_"](theirs, 0.0, 1.0, 6.0, 7.0)
    assert theirs.unique().numel() == 1
    ours, _ = patched_call("trunc_normal_", (100_000,), 0.0, 1.0, 6.0, 7.0)
    assert 6.0 <= ours.min() and ours.max() <= 7.0
    assert st.kstest(ours.double().numpy(), st.truncnorm(6.0, 7.0).cdf).pvalue > P_MIN
