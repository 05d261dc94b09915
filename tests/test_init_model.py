"""weightinit.init_model(): the rule per layer type (replayed with the
weightinit calls it stands for, on the same seed), the bias policies, the
untouched and reported parameters, method "torch", method names resolved to
any weightinit fill function, and bad arguments refused before any write."""

import inspect
import math

import pytest
import torch
import torch.nn as nn

import weightinit as wi
from conftest import same_bits

KAIMING = {"mode": "fan_out", "nonlinearity": "relu"}


def replay(seed, calls):
    """Run (function, shape, kwargs) calls on fresh tensors after seeding."""
    torch.manual_seed(seed)
    return [fn(torch.empty(shape), **kw) for fn, shape, kw in calls]


@pytest.mark.parametrize("layer,calls", [
    (lambda: nn.Linear(30, 20), [(wi.kaiming_normal_, (20, 30), KAIMING)]),
    (lambda: nn.Conv2d(8, 16, 3), [(wi.kaiming_normal_, (16, 8, 3, 3), KAIMING)]),
    (lambda: nn.ConvTranspose2d(8, 6, 3, groups=2), [(wi.kaiming_normal_, (8, 3, 3, 3), KAIMING)]),
    (lambda: nn.Conv1d(4, 6, 5, bias=False), [(wi.kaiming_normal_, (6, 4, 5), KAIMING)]),
    (lambda: nn.Bilinear(5, 6, 7), [(wi.kaiming_normal_, (7, 5, 6), KAIMING)]),
    (lambda: nn.LSTM(6, 8, num_layers=2), [(wi.kaiming_normal_, s, KAIMING) for s in
                                             [(32, 6), (32, 8), (32, 8), (32, 8)]]),
    (lambda: nn.GRUCell(6, 8), [(wi.kaiming_normal_, s, KAIMING) for s in [(24, 6), (24, 8)]]),
    (lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True),
     [(wi.kaiming_normal_, s, KAIMING) for s in [(8, 8)] * 3 + [(1, 1, 8)] * 2 + [(8, 8)]]),
    (lambda: nn.MultiheadAttention(8, 2, kdim=4, vdim=6),
     [(wi.kaiming_normal_, s, KAIMING) for s in [(8, 8), (8, 4), (8, 6), (8, 8)]]),
])
def test_weights_get_the_method_in_module_order(layer, calls):
    m = layer()
    torch.manual_seed(4)
    rec = wi.init_model(m, "kaiming_normal", **KAIMING)
    ref = replay(4, calls)
    weights = [p for n, p in m.named_parameters() if "weight" in n or n in ("bias_k", "bias_v")]
    if isinstance(m, nn.MultiheadAttention) and m.in_proj_weight is not None:
        weights = list(m.in_proj_weight.detach().chunk(3)) + weights[1:]
    # MultiheadAttention fills its own tensors, then its out_proj Linear
    assert len(weights) == len(ref)
    for w, r in zip(weights, ref):
        assert same_bits(w, r)
    for e in rec:
        if "bias" in e.name and e.name not in ("bias_k", "bias_v"):
            assert e.rule == "bias zeros" and e.result == "= 0"
        else:
            assert e.rule.startswith("kaiming_normal_(mode='fan_out', nonlinearity='relu')")
    assert rec.untouched == []


def test_embedding_padding_row_norms_and_prelu():
    emb, bn, ln, gn, rms, prelu = (nn.Embedding(20, 6, padding_idx=2), nn.BatchNorm1d(6), nn.LayerNorm(6),
                                   nn.GroupNorm(2, 6), nn.RMSNorm(6), nn.PReLU(3, init=0.1))
    model = nn.Sequential(emb, bn, ln, gn, rms, prelu)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(5.0)
        bn.running_mean.fill_(3.0), bn.running_var.fill_(7.0), bn.num_batches_tracked.fill_(9)
    torch.manual_seed(1)
    rec = wi.init_model(model, "xavier_uniform", gain=2.0)
    (ref,) = replay(1, [(wi.xavier_uniform_, (20, 6), {"gain": 2.0})])
    ref[2] = 0
    assert same_bits(emb.weight, ref)
    assert rec["0.weight"].rule == "xavier_uniform_(gain=2.0), row 2 zero"
    assert rec["0.weight"].result == f"U(±{2 * math.sqrt(6 / 26):.4g})"
    for norm in (bn, ln, gn, rms):
        assert torch.equal(norm.weight, torch.ones(6))
        if getattr(norm, "bias", None) is not None:
            assert torch.equal(norm.bias, torch.zeros(6))
    assert not bn.running_mean.any() and torch.equal(bn.running_var, torch.ones(6)) and bn.num_batches_tracked == 0
    assert torch.equal(prelu.weight, torch.full((3,), 0.1))
    assert rec["5.weight"].rule == "PReLU init 0.1"
    plain = nn.BatchNorm2d(4, affine=False)  # no parameters, running stats all the same
    plain.running_mean.fill_(2.0)
    assert len(wi.init_model(plain, "normal")) == 0 and not plain.running_mean.any()


@pytest.mark.parametrize("layer,bound", [
    (lambda: nn.Linear(30, 20), 1 / math.sqrt(30)),
    (lambda: nn.Conv2d(8, 16, 3), 1 / math.sqrt(72)),
    (lambda: nn.ConvTranspose2d(8, 6, 3, groups=2), 1 / math.sqrt(27)),
    (lambda: nn.Bilinear(5, 6, 7), 1 / math.sqrt(5)),
    (lambda: nn.GRU(6, 16), 1 / math.sqrt(16)),
    (lambda: nn.MultiheadAttention(8, 2), 0.0),
])
def test_bias_policies(layer, bound):
    m = layer()
    for policy in ("zeros", "torch", 0.01, -2):
        rec = wi.init_model(m, "orthogonal", bias=policy, generator=wi.Generator(3))
        biases = [(n, p) for n, p in m.named_parameters() if "bias" in n]
        assert biases
        for n, b in biases:
            if policy == "torch" and bound > 0:
                assert b.abs().max() <= bound and b.abs().max() > 0.5 * bound
                assert rec[n].result == f"U(±{bound:.4g})"
            else:
                value = {"zeros": 0.0, "torch": 0.0}.get(policy, policy)
                assert torch.equal(b, torch.full_like(b, value)), (n, policy)


def test_parameters_without_a_rule_are_untouched_and_reported():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.gamma = nn.Parameter(torch.full((4,), 3.0))
            self.proj = nn.Linear(4, 4)

    m = nn.Sequential(Scale(), nn.LazyLinear(3))
    rec = wi.init_model(m, "normal", std=0.5)
    assert torch.equal(m[0].gamma, torch.full((4,), 3.0))
    assert rec.untouched == ["0.gamma", "1.weight", "1.bias"]
    assert rec["0.gamma"].rule == "untouched: Scale has no rule"
    assert rec["1.weight"].rule == "untouched: not initialised yet (lazy module)" and rec["1.weight"].shape is None
    text = str(rec)
    assert text.splitlines()[0].split() == ["parameter", "shape", "rule", "result"]
    assert "0.proj.weight  4x4" in text and "N(0, σ=0.5)" in text
    assert text.splitlines()[-1] == "3 parameter(s) untouched: 0.gamma, 1.weight, 1.bias"
    assert repr(rec) == "InitRecord(5 parameters, 3 untouched)"


def test_method_torch_redraws_as_construction_under_patch_does():
    def build():
        return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8, 4), nn.LSTM(4, 6),
                             nn.MultiheadAttention(6, 2), nn.Embedding(9, 6, padding_idx=1))

    torch.manual_seed(8)
    with wi.patched():
        constructed = build()
    m = build()
    torch.manual_seed(8)
    rec = wi.init_model(m)
    for (n, p), q in zip(m.named_parameters(), constructed.parameters()):
        assert same_bits(p, q), n
    # kaiming_uniform_(a=sqrt(5)) on fan_in 8: bound 1/sqrt(8)
    assert rec["2.weight"].rule == "Linear.reset_parameters" and rec["2.weight"].result == f"U(±{8 ** -0.5:.4g})"
    assert rec["4.out_proj.bias"].rule == "MultiheadAttention._reset_parameters"
    assert rec.untouched == []
    g1 = wi.init_model(build(), generator=wi.Generator(5))
    torch.manual_seed(123)
    a, b = build(), build()
    wi.init_model(a, generator=wi.Generator(5)), wi.init_model(b, generator=wi.Generator(5))
    assert all(same_bits(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert [e.rule for e in g1] == [e.rule for e in rec]


def test_method_torch_with_a_bias_policy_and_an_untouched_custom_module():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))

    m = nn.Sequential(nn.Linear(4, 4), Custom())
    rec = wi.init_model(m, bias=0.5)
    assert torch.equal(m[0].bias, torch.full((4,), 0.5))
    assert rec["0.bias"].rule == "Linear.reset_parameters; bias = 0.5"
    assert rec.untouched == ["1.w"] and rec["1.w"].rule == "untouched: Custom has no reset_parameters"


def test_every_weightinit_fill_function_is_a_method_by_name():
    extra = {"constant": {"val": 0.3}, "sparse": {"sparsity": 0.5}}
    names = sorted(n[:-1] for n in wi.__all__
                   if n.endswith("_") and next(iter(inspect.signature(getattr(wi, n)).parameters)) == "tensor")
    assert {"kaiming_normal", "xavier_uniform", "orthogonal", "trunc_normal", "normal", "eye", "he_normal",
            "variance_scaling"} <= set(names)
    for name in names:
        if name in ("dirac", "delta_orthogonal"):  # 3-5-D weights only
            continue
        m = nn.Linear(6, 5)
        torch.manual_seed(2)
        wi.init_model(m, name, **extra.get(name, {}))
        torch.manual_seed(2)
        ref = getattr(wi, name + "_")(torch.empty(5, 6), **extra.get(name, {}))
        assert same_bits(m.weight, ref), name
    conv = nn.Conv2d(4, 4, 3)
    wi.init_model(conv, "dirac")
    assert same_bits(conv.weight, wi.dirac_(torch.empty(4, 4, 3, 3)))
    torch.manual_seed(2)
    wi.init_model(conv, "delta_orthogonal")
    torch.manual_seed(2)
    assert same_bits(conv.weight, wi.delta_orthogonal_(torch.empty(4, 4, 3, 3)))
    with pytest.raises(ValueError, match="unknown method 'lsuv'"):  # not a fill function
        wi.init_model(conv, "lsuv")
    # with its trailing underscore, and exactly that function's semantics
    m = nn.Linear(200, 300)
    torch.manual_seed(3)
    wi.init_model(m, "trunc_normal_", std=0.02, a=-0.03, b=0.03)
    assert m.weight.abs().max() <= 0.03
    torch.manual_seed(3)
    assert same_bits(m.weight, wi.trunc_normal_(torch.empty(300, 200), std=0.02, a=-0.03, b=0.03))


def test_a_callable_method():
    m = nn.Sequential(nn.Linear(3, 4), nn.Conv1d(2, 2, 2))
    seen = []
    rec = wi.init_model(m, lambda t, **kw: seen.append((tuple(t.shape), kw)) or wi.ones_(t), scale=2)
    assert seen == [((4, 3), {"scale": 2}), ((2, 2, 2), {"scale": 2})]
    assert torch.equal(m[0].weight, torch.ones(4, 3))
    assert rec["0.weight"].rule == "test_a_callable_method.<locals>.<lambda>(scale=2)"


def test_generator_makes_it_reproducible():
    a, b = nn.Linear(50, 40), nn.Linear(50, 40)
    wi.init_model(a, "kaiming_uniform", bias="torch", generator=wi.Generator(9))
    wi.init_model(b, "kaiming_uniform", bias="torch", generator=torch.Generator().manual_seed(9))
    g = wi.Generator(9)
    assert same_bits(a.weight, wi.kaiming_uniform_(torch.empty(40, 50), generator=g))
    assert same_bits(a.bias, wi.uniform_(torch.empty(40), -50 ** -0.5, 50 ** -0.5, generator=g))
    g = torch.Generator().manual_seed(9)
    assert same_bits(b.weight, wi.kaiming_uniform_(torch.empty(40, 50), generator=g))


@pytest.mark.parametrize("method,kwargs,exc,match", [
    ("kaiming_normal", {"mode": "fan_sideways"}, ValueError, "Mode fan_sideways not supported"),
    ("kaiming_normal", {"nonlinearity": "swish"}, ValueError, "Unsupported nonlinearity swish"),
    ("normal", {"sdt": 1.0}, TypeError, "sdt"),
    ("eye", {}, ValueError, "Only tensors with 2 dimensions are supported"),
    ("he_sideways", {}, ValueError, "unknown method 'he_sideways'; use 'torch', a callable, or one of "
                                    "'constant', 'delta_orthogonal', 'dirac', 'eye', "),
    ("calculate_gain", {}, ValueError, "unknown method"),
    (3, {}, TypeError, "method must be a string or a callable, not int"),
    ("torch", {"std": 1.0}, TypeError, r"method 'torch' takes no keyword arguments, got \['std'\]"),
])
def test_bad_arguments_raise_before_anything_is_written(method, kwargs, exc, match):
    m = nn.Sequential(nn.Linear(4, 4), nn.Conv2d(2, 2, 3))
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(7.0)
    with pytest.raises(exc, match=match):
        wi.init_model(m, method, **kwargs)
    assert all(torch.equal(p, torch.full_like(p, 7.0)) for p in m.parameters())


def test_bad_module_bias_and_generator():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, not Tensor"):
        wi.init_model(torch.empty(3))
    with pytest.raises(ValueError, match="bias must be 'zeros', 'torch' or a number, not 'ones'"):
        wi.init_model(nn.Linear(2, 2), "normal", bias="ones")
    with pytest.raises(ValueError, match="not True"):
        wi.init_model(nn.Linear(2, 2), "normal", bias=True)
    with pytest.raises(TypeError, match="argument 'generator'"):
        wi.init_model(nn.Linear(2, 2), "normal", generator=3)


def test_the_readme_table_is_the_rules():
    import pathlib

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    rows = {line.replace("\\", "").replace("`", "") for line in readme.splitlines() if line.startswith("| ")}
    for layer, params, rule in wi.RULES:
        assert f"| {layer} | {params} | {rule} |" in rows
