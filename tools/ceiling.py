"""Ceilings of this CPU for the kernels, measured in C (one core unless said):

  python tools/ceiling.py [--json FILE]

1. the issue rate of the vector operations Philox and the value functions
   are made of, alone and in pairs (x86-64 with AVX-512: ceiling/ops.c);
2. raw Philox words per second through each path's primitive, by groups in
   flight (ceiling/philox_rate.c, one build per path and count);
3. each path's in-cache fill rate through wi_fill, per distribution and
   dtype (ceiling/fill_rate.c, linked against the core);
4. the default path's out-of-cache rate (64 Mi float32 elements, 1 and 2
   threads) in 4 KiB and in 2 MiB pages, with the kernels' TLB prefetch and
   with a core built without it (ceiling/big_fill.c, Linux only): the two
   builds run back to back in each round, and the median of the rounds'
   ratios is reported, since a shared machine's memory bandwidth moves by
   tens of percent between runs.

1-3 say what a path can reach before memory is involved, 4 what the stores
lose to memory and what the prefetch wins back; the project's benchmark
(python -m weightinit.bench) says what a path reaches against torch and a
memset.  Needs a C compiler (cc, or $CC), the source tree, and
weightinit importable (it names the paths this CPU runs); the core is built
the way the native tests build it (tests/native_build.py).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import native_build  # noqa: E402

HERE = Path(__file__).resolve().parent / "ceiling"
CC = shlex.split(os.environ.get("CC", "cc"))
OPT = ["-O2", "-std=gnu11"]

# path -> (primitive header, flags, groups in flight to try); a path runs
# only where weightinit.available_isas() lists it
PHILOX = {
    "avx512": ("simd_avx512.h", ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-mf16c"],
               (1, 2, 4, 8)),
    "avx2": ("simd_avx2.h", ["-mavx2", "-mfma", "-mf16c"], (1, 2, 4)),
    "neon": ("simd_neon.h", [], (1, 2)),
    "scalar": ("simd_scalar.h", [], (1,)),
}


def available_paths():
    out = subprocess.run([sys.executable, "-c", "import weightinit; print(' '.join(weightinit.available_isas()))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def run(cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=True).stdout


def ops(tmp):
    exe = Path(tmp) / "ops"
    run([*CC, *OPT, *PHILOX["avx512"][1], HERE / "ops.c", "-o", exe])
    return [(name, float(rate)) for name, rate in (line.split("\t") for line in run([exe]).splitlines())]


def philox_rates(paths, tmp):
    rows = []
    for path in paths:
        if path not in PHILOX:
            continue
        header, flags, counts = PHILOX[path]
        for n in counts:
            exe = Path(tmp) / f"philox_{path}_{n}"
            run([*CC, *OPT, *native_build.CORE_FLAGS, *flags, f"-DWI_SIMD_HEADER=\"{header}\"",
                 f"-DWI_INFLIGHT={n}", HERE / "philox_rate.c", "-o", exe, "-lm"])
            rows.append((path, n, float(run([exe]).split()[0])))
            print(f"  philox {path:10s} {n} in flight: {rows[-1][2] / 1e9:.2f} G words/s", file=sys.stderr)
    return rows


def fill_rates(paths, tmp):
    exe = Path(tmp) / "fill_rate"
    native_build.build(CC, ["-O2"], [HERE / "fill_rate.c"], exe, tmp)
    out = run([exe, *paths])
    return [(p, d, t, float(r)) for p, d, t, r in (line.split("\t") for line in out.splitlines())]


def big_fill_rates(tmp, rounds=12):
    """[(threads, pages, dist, median with prefetch, median without, median
    of the rounds' ratios, its quartiles)], G elements/s per thread.  Each
    round runs the two builds back to back, in alternating order, so that
    the ratio of a round sees one state of a shared machine."""
    exes = {}
    for prefetch, flags in (("on", []), ("off", ["-DWI_TLB_AHEAD=0"])):
        d = Path(tmp) / f"big_{prefetch}"
        d.mkdir()
        exes[prefetch] = native_build.build(CC, ["-O2", *flags], [HERE / "big_fill.c"], d / "big_fill", d)
    # the 4 KiB case: the core must not advise huge pages on the range either
    env = {**os.environ, "WEIGHTINIT_HUGEPAGES": "0"}
    rows = []
    for threads in (1, 2):
        for pages in ("4k", "2m"):
            rates = {"on": {}, "off": {}}
            for r in range(rounds):
                for prefetch in ("on", "off") if r % 2 == 0 else ("off", "on"):
                    out = subprocess.run([exes[prefetch], str(threads), "1" if pages == "2m" else "0"],
                                         capture_output=True, text=True, check=True, env=env).stdout
                    for dist, rate in (line.split("\t") for line in out.splitlines()):
                        rates[prefetch].setdefault(dist, []).append(float(rate))
            for dist, on in rates["on"].items():
                off = rates["off"][dist]
                ratios = [a / b for a, b in zip(on, off)]
                q = statistics.quantiles(ratios, n=4)
                rows.append((threads, pages, dist, statistics.median(on), statistics.median(off),
                             statistics.median(ratios), (q[0], q[2])))
            print(f"  out of cache: {threads} thread(s), {pages} pages done", file=sys.stderr)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    paths = available_paths()
    result = {"paths": paths, "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        if "avx512" in paths:
            result["ops_per_ns"] = ops(tmp)
            print("issue rate, one core (ops/ns; a pair on one pipe shows one op's rate):")
            for name, rate in result["ops_per_ns"]:
                print(f"  {name:28s} {rate:6.2f}")
        print("raw Philox, one core:")
        result["philox_words_per_s"] = philox_rates(paths, tmp)
        for path, n, rate in result["philox_words_per_s"]:
            print(f"  {path:10s} {n} groups in flight  {rate / 1e9:6.2f} G words/s")
        print("in-cache fill, one thread (G elements/s):")
        result["fill_elements_per_s"] = [(p, d, t, r * 1e9) for p, d, t, r in fill_rates(paths, tmp)]
        for p, d, t, r in result["fill_elements_per_s"]:
            print(f"  {p:10s} {d:24s} {t:9s} {r / 1e9:6.2f}")
        if sys.platform.startswith("linux"):
            print("out of cache, 64 Mi float32 elements, default path, TLB prefetch on / off "
                  "(G elements/s per thread; medians of the rounds and of their ratios):")
            result["big_fill"] = big_fill_rates(tmp)
            for threads, pages, dist, on, off, ratio, (q1, q3) in result["big_fill"]:
                print(f"  {threads} thread{'s' if threads > 1 else ' '} {pages} pages {dist:9s} {on:6.2f} / {off:5.2f}"
                      f"  ratio {ratio:.3f} (quartiles {q1:.3f}-{q3:.3f})")
    result["load_average_after"] = os.getloadavg()
    print(f"load average before {result['load_average_before'][0]:.2f}, after {result['load_average_after'][0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
