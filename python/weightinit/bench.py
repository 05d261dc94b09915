"""Benchmark: weightinit against torch.nn.init, NumPy's Generator and a
memset of the same buffer, measured in one run.

    python -m weightinit.bench [--elements N] [--repeat R] [--isa PATHS] [--orthogonal N] [--json FILE]

For float32 and bfloat16 tensors of N elements (default 64 Mi) every fill is
timed R times, each time right after a memset of the same bytes timed the
same way (``fill_(0.5)``, as float32 for both dtypes: torch's bfloat16
``fill_`` is slower than memory; 0.5 because some CPUs special-case zero),
and reported as medians: GB/s, speed-up over torch.nn.init, and share of
memset bandwidth (median memset time / median fill time; the JSON also has
the median of the per-round ratios).  That memset is the first row,
``memset fill_(0.5) before each case``; the row ``memset fill_(0.5)`` is the
memset timed as a case like the others, which on a shared machine can run
faster or slower than the reference (a third faster in one run here).  Each
timed call follows an untimed call of the same function, so it runs in its
own steady state, and the buffer is written many times before any timing.

``--isa`` names the kernel paths to time weightinit on (comma-separated, or
``all`` for every path this CPU runs; default: the one in use); torch, NumPy
and the memset are timed once, in the same rounds.  Also per path: the
per-call cost on a 64-element bias and orthogonal_ (2048x2048 unless
``--orthogonal`` says otherwise); and the import time.  Needs torch.

torch's OpenMP workers keep spinning for a while after its parallel ops (the
memset among them) and would compete with weightinit's threads, so the
benchmark sets OMP_WAIT_POLICY=PASSIVE before importing torch unless the
variable is already set (reported as ``omp_wait_policy``).  The load
average before and after the run is reported too: on a shared machine,
medians from a loaded run are not comparable with a quiet one.
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
MEMSET = "memset fill_(0.5)"
MEMSET_REFERENCE = "memset fill_(0.5) before each case"  # the shares' reference


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


def _on(isa, fn):
    """fn run on kernel path isa (None: no path, a torch or NumPy case); the
    bare fn is its .call, for timing loops that choose the path once."""
    if isa is None:
        return fn

    def on_path():
        wi.set_isa(isa)
        return fn()

    on_path.call = fn
    return on_path


def bench_dtype(torch, dtype, elements, repeat, isas, progress=None):
    """Per (case, path): median seconds, share of the memset, and median of
    the per-round shares.  ``progress(label, done, total)`` is called after
    each timed case."""
    side = int(math.isqrt(elements))
    side -= side % 2  # the float32 view of a bfloat16 tensor needs an even last dimension
    shape = (elements // side, side)
    t = torch.empty(shape, dtype=dtype)
    nbytes = t.numel() * t.element_size()
    same_bytes = t if dtype == torch.float32 else t.view(torch.float32)
    cases = {(MEMSET, None): lambda: same_bytes.fill_(0.5)}
    def call(f, kw):
        return lambda: f(t, **kw)

    for name, kw in FILLS:
        for isa in isas:
            if hasattr(wi, name):
                cases[(f"weightinit.{name}", isa)] = _on(isa, call(getattr(wi, name), kw))
        if hasattr(torch.nn.init, name):
            cases[(f"torch.nn.init.{name}", None)] = call(getattr(torch.nn.init, name), kw)
        elif (same_law := _torch_equivalent(torch, name, t)) is not None:
            cases[(f"torch trunc_normal_ as {name}", None)] = same_law
    if dtype == torch.float32:
        arr = t.numpy()
        rng = np.random.default_rng(0)
        cases[("numpy Generator.random", None)] = lambda: rng.random(out=arr, dtype=np.float32)
        cases[("numpy Generator.standard_normal", None)] = lambda: rng.standard_normal(out=arr, dtype=np.float32)
    for _ in range(30):  # warm up: page faults, thread start, first-touch effects
        same_bytes.fill_(0.5)
    memset = cases[(MEMSET, None)]
    times = {key: [] for key in cases}
    memsets = []
    shares = {key: [] for key in cases}
    done = 0
    for _ in range(repeat):
        for key, fn in cases.items():
            m = _steady(memset)
            sec = _steady(fn)
            memsets.append(m)
            times[key].append(sec)
            shares[key].append(m / sec)
            done += 1
            if progress:
                progress(str(dtype)[6:], done, repeat * len(cases))
    m = statistics.median(memsets)
    med = {(MEMSET_REFERENCE, None): (m, 1.0, 1.0)}
    med.update({key: (statistics.median(times[key]), m / statistics.median(times[key]),
                      statistics.median(shares[key])) for key in cases})
    return nbytes, med


def _round_robin(cases, rounds, measure):
    """measure(fn) for every case, case after case, `rounds` times over (so
    that a change in the machine's load hits every case alike)."""
    out = {key: [] for key in cases}
    for _ in range(rounds):
        for key, fn in cases.items():
            out[key].append(measure(fn))
    return out


def per_call(torch, repeat, isas):
    """Per (case, path): the best of `repeat` rounds of seconds per call."""
    bias = torch.nn.Parameter(torch.empty(64))
    bound = 1 / math.sqrt(64)
    cases = {("weightinit.uniform_", isa): _on(isa, lambda: wi.uniform_(bias, -bound, bound)) for isa in isas}
    cases[("torch.nn.init.uniform_", None)] = lambda: torch.nn.init.uniform_(bias, -bound, bound)

    def measure(fn, n=2000):
        fn()  # chooses the path: the timed calls are the bare function
        return timeit.timeit(getattr(fn, "call", fn), number=n) / n

    times = _round_robin(cases, max(repeat, 5), measure)
    return {key: min(ts) for key, ts in times.items()}


def orthogonal(torch, repeat, isas, n):
    """Per (case, path): median seconds of orthogonal_ on an n x n float32 tensor."""
    if not hasattr(wi, "orthogonal_"):
        return None
    w = torch.empty(n, n)
    cases = {("weightinit.orthogonal_", isa): _on(isa, lambda: wi.orthogonal_(w)) for isa in isas}
    cases[("torch.nn.init.orthogonal_", None)] = lambda: torch.nn.init.orthogonal_(w)
    times = _round_robin(cases, max(3, repeat // 2), _steady)
    return {key: statistics.median(ts) for key, ts in times.items()}


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
    for (name, isa), (sec, share, paired) in med.items():
        fill = name.split(".")[-1]
        torch_sec = med.get((f"torch.nn.init.{fill}", None), med.get((f"torch trunc_normal_ as {fill}", None), (None,)))[0]
        rows.append({
            "dtype": dtype_name, "case": name, "isa": isa, "seconds": sec, "GB/s": nbytes / sec / 1e9,
            "speedup_vs_torch": torch_sec / sec if name.startswith("weightinit.") and torch_sec else None,
            "share_of_memset": share, "share_of_memset_paired_median": paired,
        })
    return rows


def _isas(arg):
    if arg is None:
        return [wi.isa()]
    names = list(wi.available_isas()) if arg == "all" else arg.split(",")
    for name in names:
        if name not in wi.available_isas():
            raise SystemExit(f"--isa: {name!r} is not a path this CPU runs (available: {', '.join(wi.available_isas())})")
    return names


def main(argv=None, prog=None, progress=None):
    ap = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elements", type=int, default=64 << 20)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--isa", help="kernel paths to time weightinit on: comma-separated names or 'all' "
                                  "(default: the path in use)")
    ap.add_argument("--orthogonal", type=int, default=2048, metavar="N", help="orthogonal_ on N x N (default 2048)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    isas = _isas(args.isa)
    default_isa = wi.isa()

    if "torch" in sys.modules:  # too late to choose: its OpenMP runtime has read the environment
        policy = f"{os.environ.get('OMP_WAIT_POLICY', 'unset')} (torch was imported before the benchmark)"
    else:
        policy = os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    imp = import_time()
    load_before = os.getloadavg()
    import torch

    info = {"weightinit": wi.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "isas": isas, "threads": wi.get_num_threads(), "torch_threads": torch.get_num_threads(),
            "omp_wait_policy": policy,
            "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "elements": args.elements, "repeat": args.repeat, "orthogonal_size": args.orthogonal}
    try:
        rows = []
        for dtype_name, dtype in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]:
            nbytes, med = bench_dtype(torch, dtype, args.elements, args.repeat, isas, progress)
            rows += table(dtype_name, nbytes, med)
        calls = per_call(torch, args.repeat, isas)
        ortho = orthogonal(torch, args.repeat, isas, args.orthogonal)
    finally:
        wi.set_isa(default_isa)
    info["load_average"] = {"before": [round(x, 2) for x in load_before],
                            "after": [round(x, 2) for x in os.getloadavg()]}

    print(f"weightinit {info['weightinit']} ({info['threads']} threads; paths {', '.join(isas)}) vs torch "
          f"{info['torch']} ({info['torch_threads']} threads, OMP_WAIT_POLICY={info['omp_wait_policy']}), "
          f"{args.elements} elements, median of {args.repeat}; load average before {load_before[0]:.2f}, "
          f"after {info['load_average']['after'][0]:.2f}")
    print(f"{'dtype':9s} {'case':36s} {'path':11s} {'ms':>9s} {'GB/s':>7s} {'vs torch':>9s} {'of memset':>10s}")
    for r in rows:
        sp = f"{r['speedup_vs_torch']:.1f}x" if r["speedup_vs_torch"] else ""
        print(f"{r['dtype']:9s} {r['case']:36s} {r['isa'] or '':11s} {1e3 * r['seconds']:9.2f} {r['GB/s']:7.2f} "
              f"{sp:>9s} {100 * r['share_of_memset']:9.1f}%")
    t = calls[("torch.nn.init.uniform_", None)]
    for isa in isas:
        w = calls[("weightinit.uniform_", isa)]
        print(f"per call, 64-element bias uniform_ ({isa}): weightinit {1e6 * w:.2f} us, torch {1e6 * t:.2f} us "
              f"({w / t:.2f}x torch's time)")
    if ortho:
        ot = ortho[("torch.nn.init.orthogonal_", None)]
        for isa in isas:
            ow = ortho[("weightinit.orthogonal_", isa)]
            print(f"orthogonal_ {args.orthogonal}x{args.orthogonal} ({isa}): weightinit {1e3 * ow:.1f} ms, torch {1e3 * ot:.1f} ms "
                  f"({ot / ow:.2f}x)")
    print(f"import: numpy {imp['numpy_ms']:.1f} ms, then weightinit {imp['weightinit_after_numpy_ms']:.1f} ms; "
          f"imports torch: {imp['imports_torch']}")
    result = {"info": info, "fills": rows,
              "per_call_seconds": [{"case": k[0], "isa": k[1], "seconds": v} for k, v in calls.items()],
              "orthogonal_seconds": ortho and [{"case": k[0], "isa": k[1], "seconds": v} for k, v in ortho.items()],
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
