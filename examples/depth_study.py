"""Which init keeps a signal alive through 50 layers, and which trains?

Three plain networks without normalisation, each with 50 layers that have
weights: a tanh MLP, a ReLU MLP and a small ReLU conv net.  For each of
torch's default init, kaiming_normal_ (ReLU gain), xavier_normal_ (gain 1)
and LSUV, it measures with weightinit.inspect the std of the last layer's
output over the first layer's on a batch, and then trains 400 steps of SGD
(lr 0.003, momentum 0.9, batch 64, gradient norm clipped at 1) on a
synthetic 4-class task (labels from a random linear teacher, so the task is
learnable) and reports loss and held-out accuracy.  Everything is
seeded and runs on one torch thread, so the numbers repeat.

    python examples/depth_study.py [--plot docs/depth_study.png] [--steps 400] [--lr 0.003] [--peer]

``--peer`` also times weightinit.lsuv_ against PyPI lsuv 0.3.0 (``LSUVinit``)
on the same models (pip install lsuv==0.3.0).
"""

import argparse
import copy
import math
import statistics
import time

import torch
import torch.nn as nn

import weightinit as wi

INITS = ["torch", "kaiming_normal", "xavier_normal", "lsuv"]
DEPTH, WIDTH, DIM, CLASSES = 50, 128, 64, 4
CH, SIDE = 8, 8


def mlp(act):
    layers = [nn.Linear(DIM, WIDTH), act()]
    for _ in range(DEPTH - 2):
        layers += [nn.Linear(WIDTH, WIDTH), act()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, CLASSES))


def convnet():
    layers = [nn.Conv2d(3, CH, 3, padding=1), nn.ReLU()]
    for _ in range(DEPTH - 2):
        layers += [nn.Conv2d(CH, CH, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(CH * SIDE * SIDE, CLASSES))


def tanh_mlp():
    return mlp(nn.Tanh)


def relu_mlp():
    return mlp(nn.ReLU)


# Factories for the command line too: weightinit inspect examples/depth_study.py:relu_mlp --input 256x64
NETS = {"tanh MLP": (tanh_mlp, (DIM,)), "ReLU MLP": (relu_mlp, (DIM,)), "ReLU conv net": (convnet, (3, SIDE, SIDE))}


def task(shape, seed):
    """Inputs N(0, 1); the label is the argmax of a random linear teacher."""
    g = torch.Generator().manual_seed(seed)
    teacher = torch.randn(math.prod(shape), CLASSES, generator=g)
    x = torch.randn(3072, *shape, generator=g)
    y = (x.flatten(1) @ teacher).argmax(1)
    return x[:2048], y[:2048], x[2048:], y[2048:]


def build(net, init, batch, seed=0):
    torch.manual_seed(seed)
    model = NETS[net][0]()
    if init == "lsuv":
        wi.lsuv_(model, batch)
    elif init != "torch":
        fill = getattr(wi, init + "_")
        kw = {"nonlinearity": "relu"} if init.startswith("kaiming") else {}
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                fill(m.weight, **kw)
                wi.zeros_(m.bias)
    return model


def train(model, data, steps, lr=0.003, seed=0):
    xtr, ytr, xte, yte = data
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(xtr), (64,), generator=g)
        loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # one bad step must not end the run in NaN
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).double().mean().item()
    return losses, acc


def peer_speed(repeat=5):
    """Median seconds of weightinit.lsuv_ and lsuv.LSUVinit on copies of the same model."""
    from lsuv.lsuvinit import LSUVinit
    rows = []
    for net, (make, shape) in NETS.items():
        x = torch.randn(256, *shape, generator=torch.Generator().manual_seed(1))
        torch.manual_seed(0)
        base = make()
        times = {"weightinit.lsuv_": [], "lsuv.LSUVinit": []}
        for _ in range(repeat):  # alternated, so that both see the same machine load
            for name, fn in [("weightinit.lsuv_", lambda m: wi.lsuv_(m, x)),
                             ("lsuv.LSUVinit", lambda m: LSUVinit(m, x, verbose=False))]:
                m = copy.deepcopy(base)
                t0 = time.perf_counter()
                fn(m)
                times[name].append(time.perf_counter() - t0)
        a, b = (statistics.median(times[k]) for k in times)
        rows.append((net, a, b))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plot", default="depth_study.png", help="where to write the PNG")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--lr", type=float, default=0.003, help="SGD learning rate (default 0.003)")
    ap.add_argument("--peer", action="store_true", help="also time PyPI lsuv 0.3.0 against lsuv_")
    args = ap.parse_args()
    torch.set_num_threads(1)

    results = {}
    print("| network | init | last/first output std | first/last gradient std | train loss: start -> end "
          "| held-out accuracy |\n|---|---|---:|---:|---|---:|")
    for k, (net, (make, shape)) in enumerate(NETS.items()):
        data = task(shape, seed=10 + k)
        batch = data[0][:256]
        for init in INITS:
            model = build(net, init, batch)
            rep = wi.inspect(model, batch)
            first, last = rep.rows[0], rep.rows[-1]
            ratio = last.act_std / first.act_std
            gratio = first.grad_output_std / last.grad_output_std if last.grad_output_std else math.nan
            losses, acc = train(model, data, args.steps, lr=args.lr)
            end = statistics.fmean(losses[-20:])
            results[net, init] = (rep, losses, acc)
            print(f"| {net} | {init} | {ratio:.3g} | {gratio:.3g} | {losses[0]:.3f} -> {end:.3f} | {acc:.1%} |",
                  flush=True)
    plot(results, args.plot, args.steps)
    print(f"wrote {args.plot}")
    if args.peer:
        print("\n| network (50 layers, batch 256, 1 thread) | weightinit.lsuv_ | lsuv.LSUVinit 0.3.0 | ratio |"
              "\n|---|---:|---:|---:|")
        for net, a, b in peer_speed():
            print(f"| {net} | {1e3 * a:.0f} ms | {1e3 * b:.0f} ms | {b / a:.2f}x |")


def plot(results, path, steps):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 8.5), layout="constrained")
    axes = fig.subplots(2, len(NETS))
    colors = dict(zip(INITS, ["tab:gray", "tab:blue", "tab:orange", "tab:green"]))
    for j, net in enumerate(NETS):
        for init in INITS:
            rep, losses, acc = results[net, init]
            stds = [r.act_std if r.act_std and r.act_std > 0 else math.nan for r in rep.rows]
            axes[0, j].plot(range(len(stds)), stds, marker=".", color=colors[init], label=init)
            w = 10
            smooth = [statistics.fmean(losses[max(0, i - w + 1):i + 1]) for i in range(len(losses))]
            axes[1, j].plot(smooth, color=colors[init], label=f"{init} (held-out acc {acc:.0%})")
        axes[0, j].set_yscale("log")
        axes[0, j].set_title(f"{net}: activation std through depth")
        axes[0, j].set_xlabel("layer (forward order)")
        axes[0, j].set_ylabel("std of the layer's output")
        axes[1, j].set_yscale("log")
        axes[1, j].set_title(f"{net}: SGD training loss ({steps} steps)")
        axes[1, j].set_xlabel("step")
        axes[1, j].set_ylabel("cross-entropy (10-step mean)")
        axes[1, j].axhline(math.log(CLASSES), color="black", linestyle=":", lw=1, label="chance (log 4)")
        for ax in axes[:, j]:
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle(f"{DEPTH}-layer plain networks without normalisation: four inits", fontsize=14)
    fig.savefig(path, dpi=80)


if __name__ == "__main__":
    main()
