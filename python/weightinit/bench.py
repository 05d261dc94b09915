"""Benchmark: weightinit against torch.nn.init, NumPy's Generator and a
memset of the same buffer, measured in one run.

    python -m weightinit.bench [--elements N] [--repeat R] [--json FILE]

For float32 and bfloat16 tensors of N elements (default 64 Mi) every fill is
timed R times, each time right after a memset of the same buffer
(``fill_(0.5)``: a zero memset is special-cased by some CPUs) timed the same
way, and reported as medians: GB/s, speed-up over torch.nn.init, and share of
memset bandwidth (median memset time / median fill time; the JSON also has
the median of the per-round ratios).  Each timed call follows an untimed call
of the same function, so it runs in its own steady state, and the buffer is
written many times before any timing.  Also: the per-call cost on a 64-element bias,
orthogonal_ on 2048x2048 when available, and the import time.  Needs torch.
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

import numpy as np

import weightinit as wi

FILLS = [
    ("uniform_", {"a": -0.1, "b": 0.1}),
    ("xavier_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("normal_", {"std": 0.02}),
    ("xavier_normal_", {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("trunc_normal_", {"std": 0.02}),
    ("he_normal_", {}),
    ("trunc_normal_tf_", {"std": 0.02}),
]


def _torch_equivalent(torch, name, t):
    """torch's fill of the same law for functions torch.nn.init lacks (None otherwise):
    Keras's truncated normals are torch's trunc_normal_ with bounds at +-2 sigma."""
    if name == "he_normal_":
        sigma = math.sqrt(2.0 / t.shape[1]) / 0.87962566103423978
        return lambda: torch.nn.init.trunc_normal_(t, std=sigma, a=-2 * sigma, b=2 * sigma)
    if name == "trunc_normal_tf_":
        return lambda: torch.nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)
    return None


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _steady(fn):
    fn()
    return _timed(fn)


def bench_dtype(torch, dtype, elements, repeat, progress=None):
    """Per case: median seconds, and median share of the memset timed next to it.
    ``progress(label, done, total)`` is called after each timed case."""
    side = int(math.isqrt(elements))
    shape = (elements // side, side)
    t = torch.empty(shape, dtype=dtype)
    nbytes = t.numel() * t.element_size()
    cases = {"memset fill_(0.5)": lambda: t.fill_(0.5)}
    for name, kw in FILLS:
        if hasattr(wi, name):
            cases[f"weightinit.{name}"] = (lambda f, k: lambda: f(t, **k))(getattr(wi, name), kw)
        if hasattr(torch.nn.init, name):
            cases[f"torch.nn.init.{name}"] = (lambda f, k: lambda: f(t, **k))(getattr(torch.nn.init, name), kw)
        elif _torch_equivalent(torch, name, t) is not None:
            cases[f"torch trunc_normal_ as {name}"] = _torch_equivalent(torch, name, t)
    if dtype == torch.float32:
        arr = t.numpy()
        rng = np.random.default_rng(0)
        cases["numpy Generator.random"] = lambda: rng.random(out=arr, dtype=np.float32)
        cases["numpy Generator.standard_normal"] = lambda: rng.standard_normal(out=arr, dtype=np.float32)
    for _ in range(30):  # warm up: page faults, thread start, first-touch effects
        t.fill_(0.5)
    memset = cases["memset fill_(0.5)"]
    times = {name: [] for name in cases}
    memsets = []
    shares = {name: [] for name in cases}
    done = 0
    for _ in range(repeat):
        for name, fn in cases.items():
            m = _steady(memset)
            sec = _steady(fn)
            memsets.append(m)
            times[name].append(sec)
            shares[name].append(m / sec)
            done += 1
            if progress:
                progress(str(dtype)[6:], done, repeat * len(cases))
    m = statistics.median(memsets)
    return nbytes, {name: (statistics.median(times[name]), m / statistics.median(times[name]),
                           statistics.median(shares[name])) for name in cases}


def per_call(torch, repeat):
    bias = torch.nn.Parameter(torch.empty(64))
    bound = 1 / math.sqrt(64)
    out = {}
    for label, fn in [("weightinit.uniform_", lambda: wi.uniform_(bias, -bound, bound)),
                      ("torch.nn.init.uniform_", lambda: torch.nn.init.uniform_(bias, -bound, bound))]:
        n = 2000
        out[label] = min(timeit.repeat(fn, number=n, repeat=max(repeat, 5))) / n
    return out


def orthogonal(torch, repeat):
    if not hasattr(wi, "orthogonal_"):
        return None
    w = torch.empty(2048, 2048)
    res = {}
    for label, fn in [("weightinit.orthogonal_", lambda: wi.orthogonal_(w)),
                      ("torch.nn.init.orthogonal_", lambda: torch.nn.init.orthogonal_(w))]:
        fn()
        res[label] = statistics.median(_timed(fn) for _ in range(max(3, repeat // 2)))
    return res


def import_time():
    code = ("import time; t0 = time.perf_counter(); import numpy; t1 = time.perf_counter(); "
            "import weightinit, sys; t2 = time.perf_counter(); "
            "print(t1 - t0, t2 - t1, 'torch' in sys.modules)")
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        numpy_s, wi_s, torch_loaded = out.stdout.split()
        runs.append((float(numpy_s), float(wi_s), torch_loaded == "True"))
    return {"numpy_ms": 1e3 * statistics.median(r[0] for r in runs),
            "weightinit_after_numpy_ms": 1e3 * statistics.median(r[1] for r in runs),
            "imports_torch": any(r[2] for r in runs)}


def table(dtype_name, nbytes, med):
    rows = []
    for name, (sec, share, paired) in med.items():
        fill = name.split(".")[-1]
        torch_sec = med.get(f"torch.nn.init.{fill}", med.get(f"torch trunc_normal_ as {fill}", (None,)))[0]
        rows.append({
            "dtype": dtype_name, "case": name, "seconds": sec, "GB/s": nbytes / sec / 1e9,
            "speedup_vs_torch": torch_sec / sec if name.startswith("weightinit.") and torch_sec else None,
            "share_of_memset": share, "share_of_memset_paired_median": paired,
        })
    return rows


def main(argv=None, prog=None, progress=None):
    ap = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", type=int, default=64 << 20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    imp = import_time()
    import torch

    info = {"weightinit": wi.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "isa": wi.isa(), "threads": wi.get_num_threads(), "torch_threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "elements": args.elements, "repeat": args.repeat}
    rows = []
    for dtype_name, dtype in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]:
        nbytes, med = bench_dtype(torch, dtype, args.elements, args.repeat, progress)
        rows += table(dtype_name, nbytes, med)
    calls = per_call(torch, args.repeat)
    ortho = orthogonal(torch, args.repeat)

    print(f"weightinit {info['weightinit']} ({info['isa']}, {info['threads']} threads) vs torch "
          f"{info['torch']} ({info['torch_threads']} threads), {args.elements} elements, "
          f"median of {args.repeat}")
    print(f"{'dtype':9s} {'case':36s} {'ms':>9s} {'GB/s':>7s} {'vs torch':>9s} {'of memset':>10s}")
    for r in rows:
        sp = f"{r['speedup_vs_torch']:.1f}x" if r["speedup_vs_torch"] else ""
        print(f"{r['dtype']:9s} {r['case']:36s} {1e3 * r['seconds']:9.2f} {r['GB/s']:7.2f} {sp:>9s} "
              f"{100 * r['share_of_memset']:9.1f}%")
    w, t = calls["weightinit.uniform_"], calls["torch.nn.init.uniform_"]
    print(f"per call, 64-element bias uniform_: weightinit {1e6 * w:.2f} us, torch {1e6 * t:.2f} us "
          f"({w / t:.2f}x torch's time)")
    if ortho:
        ow, ot = ortho["weightinit.orthogonal_"], ortho["torch.nn.init.orthogonal_"]
        print(f"orthogonal_ 2048x2048: weightinit {1e3 * ow:.1f} ms, torch {1e3 * ot:.1f} ms ({ot / ow:.2f}x)")
    print(f"import: numpy {imp['numpy_ms']:.1f} ms, then weightinit {imp['weightinit_after_numpy_ms']:.1f} ms; "
          f"imports torch: {imp['imports_torch']}")
    result = {"info": info, "fills": rows, "per_call_seconds": calls, "orthogonal_seconds": ortho,
              "import": imp}
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return result


if __name__ == "__main__":
    main()
