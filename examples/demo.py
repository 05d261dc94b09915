"""weightinit in a model constructor: the torch.nn.init calls of a typical
ResNet-style init, reproducible bit for bit, plus NumPy, a sharded block, and
a whole model built under weightinit.patched()."""

import time

import numpy as np
import torch
import torch.nn as nn

import weightinit as init


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(128, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init.normal_(m.weight, 0, 0.01)
                init.zeros_(m.bias)

    def forward(self, x):
        return self.fc(self.features(x))


torch.manual_seed(0)
a = Net()
torch.manual_seed(0)
b = Net()
same = all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
print(f"two models built after torch.manual_seed(0) are bitwise equal: {same}")

# Re-initialise a replaced head, as in fine-tuning.
a.fc = nn.Linear(128, 5)
init.xavier_uniform_(a.fc.weight)
init.zeros_(a.fc.bias)
print("new head:", tuple(a.fc.weight.shape), f"std {a.fc.weight.std().item():.4f}")

# A large weight: weightinit against torch.nn.init on the same tensor.
w = torch.empty(4096, 4096)
for name, fn in [("torch.nn.init", nn.init.kaiming_uniform_), ("weightinit", init.kaiming_uniform_)]:
    t0 = time.perf_counter()
    fn(w, a=5 ** 0.5)
    print(f"{name:14s} kaiming_uniform_ 4096x4096 float32: {1e3 * (time.perf_counter() - t0):7.1f} ms")

# NumPy arrays, with weightinit's own generator.
x = np.empty((256, 128), np.float32)
init.kaiming_normal_(x, generator=init.Generator(42))
print(f"numpy kaiming_normal_: std {x.std():.4f} (expected {np.sqrt(2 / 128):.4f})")

# A shard: rows 1024..2047 of a 4096x1024 weight get exactly the full tensor's values.
full = torch.empty(4096, 1024)
init.normal_(full, generator=init.Generator(7))
shard = torch.empty(1024, 1024)
init.normal_(init.block(shard, full.shape, (1024, 0)), generator=init.Generator(7))
print("shard equals the same rows of the full fill:", torch.equal(shard, full[1024:2048]))
print("kernel path:", init.isa())

# A whole model: its constructors' torch.nn.init calls go through weightinit
# under patched(), with torch's distributions and weightinit's speed.
def build_transformer():
    return nn.Transformer(d_model=512, nhead=8, num_encoder_layers=3, num_decoder_layers=3,
                          dim_feedforward=2048, batch_first=True)


def build_seconds(patched):
    best = []
    for _ in range(3):
        torch.manual_seed(0)
        t0 = time.perf_counter()
        if patched:
            with init.patched():
                model = build_transformer()
        else:
            model = build_transformer()
        best.append(time.perf_counter() - t0)
    return sorted(best)[1], model


t_torch, _ = build_seconds(False)
t_wi, model = build_seconds(True)
n = sum(p.numel() for p in model.parameters())
print(f"nn.Transformer ({n / 1e6:.0f} M parameters): torch {t_torch:.2f} s, under weightinit.patched() "
      f"{t_wi:.2f} s ({t_torch / t_wi:.1f}x), median of 3")
_, again = build_seconds(True)
print("built twice under patched() after torch.manual_seed(0), bitwise equal:",
      all(torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters())))
record = init.init_model(model.decoder.layers[-1].linear2, "xavier_uniform", bias=0.0)
print(record)

# ---- Signal through depth: three inits on a 50-layer ReLU MLP -------------
# weightinit.inspect measures each layer's output std on one batch;
# plot_depth draws them (needs matplotlib: pip install ".[plot]").
import os

torch.set_num_threads(1)  # 64-wide layers: a second thread costs more than it gives
depth_net = nn.Sequential(*[nn.Sequential(nn.Linear(64, 64), nn.ReLU()) for _ in range(50)])
batch = torch.randn(256, 64, generator=torch.Generator().manual_seed(0))
reports = {}
for label in ["torch default", "kaiming_normal_", "lsuv_"]:
    torch.manual_seed(0)
    for m in depth_net.modules():
        if isinstance(m, nn.Linear):
            if label == "torch default":
                m.reset_parameters()
            elif label == "kaiming_normal_":
                init.kaiming_normal_(m.weight, nonlinearity="relu")
                init.zeros_(m.bias)
    if label == "lsuv_":
        init.lsuv_(depth_net, batch)
    reports[label] = init.inspect(depth_net, batch)
    r = reports[label].rows
    print(f"{label:16s} last/first layer output std: {r[-1].act_std / r[0].act_std:.3g}")
path = os.path.abspath("weightinit_depth.png")
try:
    init.plot_depth(reports, path, title="50-layer ReLU MLP: signal std through depth")
    print("wrote", path)
except ImportError as e:
    print(e)
