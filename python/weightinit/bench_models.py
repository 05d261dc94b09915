"""Model-build benchmark: construction time of whole models with torch's
init and under ``weightinit.patched()``, in one process, alternating.

    python -m weightinit.bench_models [--repeat R] [--models NAME ...] [--json FILE]

Models: nn.Transformer (d_model 1024, 6+6 layers), a ResNet-50-shaped conv
net (torchvision's layout and init loop), a 4-layer nn.LSTM (hidden 2048),
-- when transformers is installed -- LlamaForCausalLM from a 0.84 B
parameter config (hidden 2048, intermediate 5632, 16 layers, 32 heads, 4 KV
heads, vocab 32000) in float32 and bfloat16, and -- when timm is installed --
timm's vit_small_patch16_224 and resnet50 (``timm.create_model``).

Each round builds every model three ways, in an order that alternates from
round to round: with torch's init, under ``weightinit.patched()``, and the
floor -- allocating tensors of the same shapes and writing each once with a
constant, i.e. the page faults and memory writes any build pays.  Models
whose init is their modules' own (all but the ResNet and timm's models,
whose init loops run after construction) are also built a fourth way: on the meta device, then
``weightinit.materialize(model, "cpu", seed=0)``, which runs each init once
(a transformers model gets its ``_init_weights`` rules without the torch
defaults they overwrite).  After one untimed round, R rounds are timed;
reported are medians, the speed-up (median torch time / median patched time),
materialize's speed-up over the patched build, and the share of the patched
build above the floor.  Needs torch.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from typing import Any

import weightinit as wi

LLAMA: dict[str, Any] = dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=16, num_attention_heads=32,
             num_key_value_heads=4, vocab_size=32000)


def resnet50(torch):
    """torchvision's ResNet-50 layout (bottlenecks [3, 4, 6, 3]) and its init loop."""
    nn = torch.nn

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
            self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
            self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    return model


def models(torch):
    """name -> a function building the model."""
    nn = torch.nn
    out = {
        "nn.Transformer(d_model=1024, 6+6 layers)": lambda: nn.Transformer(
            d_model=1024, nhead=16, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=4096),
        "ResNet-50-shaped conv net": lambda: resnet50(torch),
        "nn.LSTM(2048, 2048, num_layers=4)": lambda: nn.LSTM(2048, 2048, num_layers=4),
    }
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError:
        print("transformers is not installed: the Llama builds are skipped", file=sys.stderr)
    else:
        for dtype in (torch.float32, torch.bfloat16):
            out[f"Llama 0.84B from_config, {str(dtype)[6:]}"] = (
                lambda d: lambda: LlamaForCausalLM._from_config(LlamaConfig(**LLAMA), dtype=d))(dtype)
    try:
        import timm
    except ImportError:
        print("timm is not installed: the timm builds are skipped", file=sys.stderr)
    else:
        for name in TIMM_MODELS:
            out[f"timm {name}"] = (lambda n: lambda: timm.create_model(n, pretrained=False))(name)
    return out


TIMM_MODELS = ("vit_small_patch16_224", "resnet50")
# builders that run an init loop of their own after construction, which
# materialize (each module's reset_parameters) would not reproduce
LOOP_INIT = {"ResNet-50-shaped conv net"} | {f"timm {name}" for name in TIMM_MODELS}


def materialized(torch, build):
    """The same model built on the meta device and then materialised."""
    def run():
        with torch.device("meta"):
            model = build()
        return wi.materialize(model, "cpu", seed=0)
    return run


def floor(torch, shapes):
    """What a build at memory speed costs: the same tensors allocated and
    written once, by weightinit's own threads (its constant fill, through a
    NumPy view; bfloat16 viewed as float16), the writers of a patched build."""
    def run():
        kept = []
        for shape, dtype in shapes:
            t = torch.empty(shape, dtype=dtype)
            wi.constant_((t.view(torch.float16) if dtype == torch.bfloat16 else t).numpy(), 0.5)
            kept.append(t)
        return kept
    return run


def timed(fn, seed, torch):
    gc.collect()
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    del out
    gc.collect()
    return sec


def bench(torch, name, build, repeat):
    model = build()
    shapes = [(tuple(p.shape), p.dtype) for p in model.parameters()]
    nparams = sum(p.numel() for p in model.parameters())
    del model

    def patched():
        with wi.patched():
            return build()

    ways = {"torch": build, "weightinit.patched": patched, "floor": floor(torch, shapes)}
    if name not in LOOP_INIT:
        ways["weightinit.materialize"] = materialized(torch, build)
    times = {k: [] for k in ways}
    for r in range(repeat + 1):
        order = list(ways) if r % 2 == 0 else list(reversed(ways))
        for way in order:
            sec = timed(ways[way], r, torch)
            if r > 0:  # round 0 is a warm-up
                times[way].append(sec)
    med = {k: statistics.median(v) for k, v in times.items()}
    row = {"model": name, "parameters": nparams, "torch_s": med["torch"], "patched_s": med["weightinit.patched"],
           "floor_s": med["floor"], "speedup": med["torch"] / med["weightinit.patched"],
           "paired_speedup_median": statistics.median(
               t / p for t, p in zip(times["torch"], times["weightinit.patched"])),
           "times": times}
    if "weightinit.materialize" in med:
        row["materialize_s"] = med["weightinit.materialize"]
        row["materialize_vs_patched"] = med["weightinit.patched"] / med["weightinit.materialize"]
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--models", nargs="*", help="substrings of the model names to run (default: all)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    import torch

    info = {"weightinit": wi.__version__, "torch": torch.__version__, "isa": wi.isa(),
            "threads": wi.get_num_threads(), "torch_threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "repeat": args.repeat,
            "load_average": os.getloadavg()}
    for lib in ("transformers", "timm"):
        try:
            info[lib] = __import__(lib).__version__
        except ImportError:
            pass
    rows = []
    for name, build in models(torch).items():
        if args.models and not any(s.lower() in name.lower() for s in args.models):
            continue
        rows.append(bench(torch, name, build, args.repeat))
        r = rows[-1]
        mat = (f"  materialize {r['materialize_s']:6.2f} s ({r['materialize_vs_patched']:.2f}x patched)"
               if "materialize_s" in r else "")
        print(f"{name:42s} {r['parameters'] / 1e6:8.1f} M  torch {r['torch_s']:7.2f} s  patched "
              f"{r['patched_s']:6.2f} s  floor {r['floor_s']:6.2f} s  {r['speedup']:5.1f}x{mat}", flush=True)
    info["load_average_after"] = os.getloadavg()
    print(f"weightinit {info['weightinit']} ({info['isa']}, {info['threads']} threads), torch {info['torch']} "
          f"({info['torch_threads']} threads), median of {args.repeat}, load average {info['load_average'][0]:.1f}"
          f" before, {info['load_average_after'][0]:.1f} after")
    result = {"info": info, "models": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
