"""Two versions of the C core timed against each other, in one process:

  python tools/compare_cores.py A B [--rounds 11] [--paths P,Q] [--json FILE]

A and B are directories holding a core (csrc/core of two checkouts, e.g.
`git worktree add /tmp/base main` and this tree's csrc/core); both need this
tree's file list (csrc/core/sources.txt).  Each is built as a shared library
the way the native tests build the core (tests/native_build.py), and
compare_cores/paired.c loads both and times in-cache fills (one thread,
16 Ki elements) through A and B back to back in every round, alternating
which goes first.  On a shared machine a single run's rate moves by tens of
percent with the neighbours' load, and two runs minutes apart are not
comparable; the ratio of one round is, and its median over the rounds is
what this prints (B/A above 1: B is faster), with quartiles, per path
(default: every path this CPU runs) and case.  Needs a C compiler (cc, or
$CC) and dlopen; the cores' speed out of cache is the benchmark's to say
(python -m weightinit.bench).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
import native_build  # noqa: E402
from ceiling import available_paths  # noqa: E402

HERE = Path(__file__).resolve().parent / "compare_cores"
CC = shlex.split(os.environ.get("CC", "cc"))


def build_core(core, out, tmp):
    """The core in directory `core` as a shared library `out`."""
    core = Path(core).resolve()
    units = {name: str(core / name) for name in (p.name for p, _ in native_build.core_sources())}
    missing = [n for n, p in units.items() if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"{core} lacks {', '.join(missing)} (sources.txt of {ROOT})")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    return native_build.build(CC, ["-O2", "-fPIC", "-shared", "-Wl,-Bsymbolic", "-I", str(core)], [], out, tmp,
                              replace=units)


def row_text(row):
    p, case, ra, rb, ratio, (q1, q3) = row
    return f"{p:10s} {case:34s} A {ra:6.3f}  B {rb:6.3f}  B/A {ratio:.3f} (quartiles {q1:.3f}-{q3:.3f})"


def compare(a, b, paths, rounds, tmp):
    """[(path, case, A's rate, B's rate, median B/A, (quartiles))], rates in
    G elements/s."""
    tmp = Path(tmp)
    libs = [build_core(core, tmp / f"core_{n}.so", tmp / f"obj_{n}") for n, core in (("a", a), ("b", b))]
    exe = tmp / "paired"
    subprocess.run([*CC, "-O2", "-std=gnu11", "-I", str(native_build.CORE), HERE / "paired.c", "-o", exe, "-ldl"],
                   check=True, capture_output=True, text=True)
    rows = []
    for path in paths:
        out = subprocess.run([exe, *libs, str(rounds), path], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            p, case, ra, rb, ratio, q1, q3 = line.split("\t")
            rows.append((p, case, float(ra), float(rb), float(ratio), (float(q1), float(q3))))
            print(f"  {row_text(rows[-1])}", file=sys.stderr)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="directory of core A (the base)")
    ap.add_argument("b", help="directory of core B (the change)")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--paths", help="comma-separated kernel paths (default: every one this CPU runs)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)
    paths = args.paths.split(",") if args.paths else available_paths()[::-1]
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        rows = compare(args.a, args.b, paths, args.rounds, tmp)
    print(f"A {args.a}, B {args.b}: in cache, one thread, G elements/s; medians of {args.rounds} paired rounds")
    for row in rows:
        print(row_text(row))
    print(f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"a": args.a, "b": args.b, "rounds": args.rounds, "rows": rows},
                                              indent=1))


if __name__ == "__main__":
    main()
