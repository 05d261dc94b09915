"""weightinit against timm (timm/layers/weight_init.py): the functions of timm's
names have timm's distributions, and timm's ViT (both init schemes), ResNet
and EdgeNeXt, built by timm and initialised again with weightinit's functions
in timm's scheme, have parameter by parameter timm's distributions,
reproducibly from a seed.

timm needs torchvision, which does not load beside torch 2.13.0 here: .ci/run
runs this file in its second environment (torch 2.14.1, torchvision 0.29.1,
timm 1.0.29; the [test-timm] extra), with WEIGHTINIT_REQUIRE_TIMM=1 so that a
missing timm fails instead of skipping.  Elsewhere it is skipped."""

import copy
import math
import os
import warnings

import numpy as np
import pytest
import scipy.stats as st
import torch
import torch.nn as nn

import weightinit as wi
from conftest import outcome

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
