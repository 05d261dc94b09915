"""weightinit.lsuv_: every layer's output std within tol of the target on
deep tanh/ReLU MLPs and a conv net (measured by independent hooks), the
peer PyPI lsuv 0.3.0 reaching the same weights from the same start,
determinism, selection, and the edge cases."""

import math

import pytest
import torch
import torch.nn as nn

import weightinit as wi

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def mlp(depth, width, act, bias=True):
    layers = [nn.Linear(12, width, bias=bias), act()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width, bias=bias), act()]
    return nn.Sequential(*layers, nn.Linear(width, 3, bias=bias))


def convnet(depth=12, ch=6, bias=True):
    layers = [nn.Conv2d(3, ch, 3, padding=1, bias=bias), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Conv2d(ch, ch, 3, padding=1, bias=bias), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(ch * 8 * 8, 4, bias=bias))


def layer_stds(model, x):
    """The output std of every Linear/Conv layer, by hooks of our own, in eval mode."""
    stds = []
    hooks = [m.register_forward_hook(lambda m, a, out: stds.append(out.double().std().item()))
             for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return stds


CASES = [
    ("tanh-mlp-50", lambda: mlp(50, 32, nn.Tanh), (128, 12)),
    ("relu-mlp-50", lambda: mlp(50, 32, nn.ReLU), (128, 12)),
    ("conv-12", convnet, (32, 3, 8, 8)),
]


@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("target,tol", [(1.0, 0.1), (0.5, 0.01)])
def test_every_layer_within_tol(name, make, shape, target, tol):
    torch.manual_seed(0)
    model = make()
    x = torch.randn(shape)
    before = layer_stds(model, x)
    rec = wi.lsuv_(model, x, target_std=target, tol=tol)
    after = layer_stds(model, x)
    assert len(rec) == len(after) == len(before)
    assert rec.converged and all(r.converged for r in rec)
    assert all(abs(s - target) <= tol for s in after), after
    assert [r.final_std for r in rec] == pytest.approx(after, rel=1e-6)
    if name != "conv-12":  # torch's default init shrinks these signals: they were far off
        assert abs(before[-1] - target) > tol
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            assert torch.count_nonzero(m.bias) == 0


def test_orthogonal_pre_init_then_scale():
    torch.manual_seed(1)
    model = mlp(6, 16, nn.Tanh)
    rec = wi.lsuv_(model, torch.randn(64, 12))
    for m in model.modules():
        if isinstance(m, nn.Linear):
            w = m.weight.double()
            g = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
            scale = g.diagonal().mean()
            assert torch.allclose(g, scale * torch.eye(g.shape[0], dtype=g.dtype), atol=1e-5 * scale.item())
    assert [r.type for r in rec] == ["Linear"] * 6


def test_deterministic_for_a_seed():
    x = torch.randn(64, 12)
    results = []
    for seed_fn in [lambda: torch.manual_seed(5), lambda: torch.manual_seed(5),
                    lambda: None, lambda: None]:
        torch.manual_seed(9)
        model = mlp(8, 16, nn.ReLU)
        seed_fn()
        gen = torch.Generator().manual_seed(3) if len(results) >= 2 else None
        wi.lsuv_(model, x, generator=gen)
        results.append([p.detach().clone() for p in model.parameters()])
    for a, b in [(0, 1), (2, 3)]:
        assert all(torch.equal(p, q) for p, q in zip(results[a], results[b]))
    assert not torch.equal(results[0][0], results[2][0])


@pytest.mark.parametrize("make,shape", [(lambda: mlp(20, 24, nn.Tanh, bias=False), (128, 12)),
                                        (lambda: convnet(8, bias=False), (16, 3, 8, 8))])
def test_same_weights_as_pypi_lsuv(make, shape):
    """From the same starting weights (no pre-init: the two orthogonal_ draw
    differently), lsuv 0.3.0 and lsuv_ end on the same weights."""
    lsuv = pytest.importorskip("lsuv.lsuvinit")
    torch.manual_seed(2)
    a, b = make(), make()
    b.load_state_dict(a.state_dict())
    x = torch.randn(shape)
    rec = wi.lsuv_(a, x, orthogonal=False)
    lsuv.LSUVinit(b, x, do_orthonorm=False, verbose=False)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, rtol=1e-5, atol=0)
    assert all(r.iterations == 1 for r in rec[1:])


def test_modes_hooks_and_progress():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(12, 8), nn.Dropout(0.5), nn.Tanh(), nn.Linear(8, 2))
    model.train()
    model[3].eval()
    hooks = [len(m._forward_hooks) for m in model.modules()]
    calls = []
    wi.lsuv_(model, torch.randn(64, 12), progress=lambda *a: calls.append(a))
    assert [m.training for m in model.modules()] == [True, True, True, True, False]
    assert [len(m._forward_hooks) for m in model.modules()] == hooks
    assert calls == [(1, 2, "0"), (2, 2, "3")]


def test_layers_selection_and_errors():
    torch.manual_seed(4)
    model = mlp(4, 8, nn.Tanh)
    x = torch.randn(32, 12)
    untouched = model[2].weight.detach().clone()
    rec = wi.lsuv_(model, x, layers=["0", model[4]])
    assert [r.name for r in rec] == ["0", "4"]
    assert torch.equal(model[2].weight, untouched)
    with pytest.raises(ValueError, match=r"layers\[0\]='nope' is not a submodule"):
        wi.lsuv_(model, x, layers=["nope"])
    with pytest.raises(ValueError, match=r"layers\[0\]='1' \(Tanh\) has no weight"):
        wi.lsuv_(model, x, layers=["1"])
    with pytest.raises(ValueError, match="target_std"):
        wi.lsuv_(model, x, target_std=0)
    with pytest.raises(ValueError, match="max_iter"):
        wi.lsuv_(model, x, max_iter=-1)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        wi.lsuv_(None, x)


def test_max_iter_zero_dead_layer_and_not_called():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(12, 8)
            self.b = nn.Linear(8, 8)
            self.unused = nn.Linear(8, 8)

        def forward(self, x):
            return self.b(torch.tanh(self.a(x)))

    torch.manual_seed(5)
    net = Net()
    x = torch.randn(32, 12) * 10
    rec = wi.lsuv_(net, x, max_iter=0)
    assert rec.skipped == ["unused"]
    assert [r.iterations for r in rec] == [0, 0] and not rec[0].converged
    with torch.no_grad():
        net.a.weight.zero_()
    unused = net.unused.weight.detach().clone()
    with pytest.warns(UserWarning, match="never called unused"):
        rec = wi.lsuv_(net, x, orthogonal=False, layers=["a", "b", "unused"])
    assert rec.skipped == ["unused"] and torch.equal(net.unused.weight, unused)
    assert rec[0].final_std == 0 and not rec[0].converged and rec[0].iterations == 0
    assert not rec.converged and "did not converge" in str(rec)
    assert all(math.isfinite(v) for v in net.b.weight.flatten().tolist())


def test_transformer_layer():
    """The fused eval path of TransformerEncoderLayer is off during lsuv_ (its
    Linear layers are reached) and restored after; attention's out_proj,
    applied functionally, is recorded as skipped."""
    torch.manual_seed(6)
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
    before = torch.backends.mha.get_fastpath_enabled()
    rec = wi.lsuv_(layer, torch.randn(8, 5, 16))
    assert torch.backends.mha.get_fastpath_enabled() == before
    assert [r.name for r in rec] == ["linear1", "linear2"] and rec.converged
    assert rec.skipped == ["self_attn.out_proj"]
