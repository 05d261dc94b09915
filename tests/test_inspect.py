"""weightinit.inspect: its numbers against a hand-written hook computation,
the model left unchanged, flags, output formats, the PNG, and matplotlib
being optional (in a subprocess that cannot import it)."""

import json
import math
import os
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn as nn

import weightinit as wi

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def small_mlp():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))


def small_conv():
    torch.manual_seed(2)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3), nn.Flatten(),
                         nn.Linear(6 * 4 * 4, 5))


def by_hand(model, x, loss=None):
    """Forward hooks that keep each layer's output (retain_grad), one backward."""
    outs = {}
    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            def keep(mod, args, out, name=name):
                out.retain_grad()
                outs[name] = out
            hooks.append(m.register_forward_hook(keep))
    y = model(x)
    value = loss(y) if loss else y.float().pow(2).mean()
    value.backward()
    for h in hooks:
        h.remove()
    res = {}
    for name, out in outs.items():
        m = model.get_submodule(name)
        w = m.weight.double()
        fan_in = m.weight[0].numel()
        fan_out = m.weight.shape[0] * m.weight[0, 0].numel()
        unit = 1 if isinstance(m, nn.Conv2d) else -1
        alive = (out.detach() > 0).movedim(unit, 0).reshape(out.shape[unit], -1).any(dim=1)
        res[name] = dict(
            fan_in=fan_in, fan_out=fan_out, weight_mean=w.mean().item(), weight_std=w.std().item(),
            act_mean=out.detach().double().mean().item(), act_std=out.detach().double().std().item(),
            grad_output_std=out.grad.double().std().item(), grad_weight_std=m.weight.grad.double().std().item(),
            dead_fraction=1 - alive.double().mean().item(),
            rule_std={"he": math.sqrt(2 / fan_in), "glorot": math.sqrt(2 / (fan_in + fan_out)),
                      "lecun": math.sqrt(1 / fan_in), "torch": math.sqrt(1 / (3 * fan_in))})
    return list(outs), res, value.item()


@pytest.mark.parametrize("make,shape", [(small_mlp, (32, 8)), (small_conv, (16, 2, 6, 6))])
@pytest.mark.parametrize("custom_loss", [False, True])
def test_numbers_equal_hand_written_hooks(make, shape, custom_loss):
    loss = (lambda y: (y - 1).abs().sum()) if custom_loss else None
    torch.manual_seed(3)
    x = torch.randn(shape) * 1.7
    model = make()
    report = wi.inspect(model, x, loss=loss)
    order, expect, value = by_hand(make(), x, loss)
    assert [r.name for r in report.rows] == order
    assert report.loss == pytest.approx(value, rel=1e-6)
    assert report.input_std == pytest.approx(x.double().std().item(), rel=1e-12)
    for r in report.rows:
        e = expect[r.name]
        assert (r.fan_in, r.fan_out) == (e["fan_in"], e["fan_out"])
        for k in ["weight_mean", "weight_std", "act_mean", "act_std", "grad_output_std", "grad_weight_std"]:
            assert getattr(r, k) == pytest.approx(e[k], rel=1e-9, abs=1e-12), k
        assert r.dead_fraction == pytest.approx(e["dead_fraction"])
        assert r.rule_std == pytest.approx(e["rule_std"], rel=1e-12)
        assert r.act_ratio == pytest.approx(e["act_std"] / x.double().std().item(), rel=1e-9)
        assert r.calls == 1 and r.nonfinite == 0


def test_model_unchanged():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.Dropout(0.3),
                          nn.Flatten(), nn.Linear(8 * 4 * 4, 4))
    model[5].eval()  # mixed training modes must survive as they are
    model(torch.randn(2, 3, 6, 6)).sum().backward()  # existing .grad values
    model[0].weight.grad = None  # and a missing one
    seen = []
    model[0].register_forward_hook(lambda *a: seen.append(1))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [(p.grad, None if p.grad is None else p.grad.clone()) for p in model.parameters()]
    modes = [m.training for m in model.modules()]
    hooks = [(len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks)) for m in model.modules()]
    x = torch.randn(16, 3, 6, 6)
    rng = torch.get_rng_state()

    report = wi.inspect(model, x)
    assert len(report.rows) == 3 and seen == [1]
    after = model.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)  # running stats restored too
    for p, (g, g0) in zip(model.parameters(), grads):
        assert p.grad is g and (g is None or torch.equal(g, g0))
    assert [m.training for m in model.modules()] == modes
    assert hooks == [(len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks))
                     for m in model.modules()]
    assert torch.equal(torch.get_rng_state(), rng)


def test_flags():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16))
    with torch.no_grad():
        model[0].weight.mul_(1e-3)       # output 1000x smaller than the input
        model[0].bias.zero_()
        model[2].weight.mul_(1e6)        # then 1000x larger
        model[4].weight.zero_()
        model[4].bias.fill_(-1.0)        # never positive: dead after a ReLU
    x = torch.randn(64, 16)
    r = wi.inspect(model, x)
    assert "vanishing" in r.rows[0].flags
    assert "exploding" in r.rows[1].flags
    assert "dead" in r.rows[2].flags and r.rows[2].dead_fraction == 1.0
    assert [row.name for row in r.flagged] == ["0", "2", "4"]
    with torch.no_grad():
        model[4].weight[0, 0] = math.inf
    r = wi.inspect(model, x)
    assert "nan/inf" in r.rows[2].flags and r.rows[2].nonfinite > 0
    text = str(r)
    assert all(f in text for f in ["vanishing", "exploding", "dead", "nan/inf"])


def test_gradient_flags_and_threshold():
    torch.manual_seed(6)
    layers = []
    for _ in range(12):
        layers += [nn.Linear(32, 32), nn.Tanh()]
    model = nn.Sequential(*layers)  # torch's default init: the signal shrinks with depth
    r = wi.inspect(model, torch.randn(64, 32))
    assert "grad-vanishing" in r.rows[0].flags and "grad-vanishing" not in r.rows[-1].flags
    loose = wi.inspect(model, torch.randn(64, 32), threshold=1e9)
    assert not any(f in ("vanishing", "grad-vanishing") for row in loose.rows for f in row.flags)
    with pytest.raises(ValueError, match="threshold"):
        wi.inspect(model, torch.randn(4, 32), threshold=1)


def test_shared_layer_order_and_calls():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.late = nn.Linear(4, 2)    # registered first, called last
            self.shared = nn.Linear(4, 4)

        def forward(self, x):
            return self.late(self.shared(torch.relu(self.shared(x))))

    torch.manual_seed(7)
    net = Net()
    x = torch.randn(10, 4)
    r = wi.inspect(net, x)
    assert [row.name for row in r.rows] == ["shared", "late"]
    s = r.rows[0]
    assert s.calls == 2
    with torch.no_grad():
        h1 = net.shared(x)
        h2 = net.shared(torch.relu(h1))
    both = torch.cat([h1, h2]).double()
    assert s.act_std == pytest.approx(both.std().item(), rel=1e-9)
    assert s.act_mean == pytest.approx(both.mean().item(), rel=1e-9)


def test_outputs_no_grad_norm_layers_and_not_called():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 8)
            self.norm = nn.LayerNorm(8)
            self.unused = nn.Linear(8, 8)
            self.head = nn.Linear(8, 3)

        def forward(self, ids):
            h = self.norm(self.emb(ids))
            return {"logits": self.head(h), "hidden": h}

    torch.manual_seed(8)
    net = Net()
    ids = torch.randint(0, 10, (4, 5))
    r = wi.inspect(net, ids)
    assert [row.name for row in r.rows] == ["emb", "norm", "head"]
    assert r.input_std is None  # integer input: the first layer's output is the reference
    assert r.rows[0].act_ratio == pytest.approx(1.0)
    norm = r.rows[1]
    assert norm.fan_in is None and norm.rule_std is None and norm.weight_shape == (8,)
    assert r.not_called == ["unused"]
    json.dumps(r.to_dict())
    for p in net.parameters():
        p.requires_grad_(False)
    frozen = wi.inspect(net, ids)
    assert all(row.grad_output_std is None and row.grad_weight_std is None for row in frozen.rows)
    assert frozen.rows[2].act_std == pytest.approx(r.rows[2].act_std)


def test_argument_errors():
    model = small_mlp()
    with pytest.raises(TypeError, match="torch.nn.Module"):
        wi.inspect(lambda x: x, torch.randn(2, 8))
    with pytest.raises(TypeError, match="loss must be a callable"):
        wi.inspect(model, torch.randn(2, 8), loss=3)
    with pytest.raises(ValueError, match="one element"):
        wi.inspect(model, torch.randn(2, 8), loss=lambda y: y)


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    layers = [nn.Linear(16, 16), nn.ReLU()] * 1
    for _ in range(15):
        layers += [nn.Linear(16, 16), nn.ReLU()]
    torch.manual_seed(9)
    model = nn.Sequential(*layers)
    r = wi.inspect(model, torch.randn(32, 16))
    path = tmp_path / "report.png"
    assert r.plot(path, max_histograms=6) == str(path)
    assert is_png(path) and matplotlib.image.imread(path).shape[0] > 300
    reps = {"a": r, "b": wi.inspect(model, torch.randn(32, 16) * 2)}
    assert is_png(wi.plot_depth(reps, tmp_path / "depth.png"))


BLOCK_MATPLOTLIB = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"blocked: {name}")
sys.meta_path.insert(0, Block())
"""


def test_without_matplotlib(tmp_path):
    code = BLOCK_MATPLOTLIB + textwrap.dedent("""
        import torch, weightinit as wi
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
        x = torch.randn(8, 4)
        r = wi.inspect(model, x)
        assert "Linear" in str(r) and r.to_dict()["layers"]
        rec = wi.lsuv_(model, x)
        assert len(rec) == 2 and "lsuv_" in str(rec)
        for call in (lambda: r.plot("x.png"), lambda: wi.plot_depth({"a": r}, "x.png")):
            try:
                call()
            except ImportError as e:
                print("ERROR:", e)
            else:
                raise SystemExit("plot worked without matplotlib")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and all("pip install 'weightinit[plot]'" in ln for ln in lines), out.stdout
    assert not os.path.exists(tmp_path / "x.png")
