"""Build the C core outside CMake, for the tests that link it into C
programs of their own (libFuzzer, the path comparison on x86 and on arm64
under qemu, ThreadSanitizer): the sources and per-file flags come from
csrc/core/sources.txt, the list CMakeLists.txt reads too."""

import functools
import os
import platform
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORE = HERE.parent / "csrc" / "core"
NATIVE = HERE / "native"
# the numerics flags of CMakeLists.txt: no fma the code does not ask for
CORE_FLAGS = ["-ffp-contract=off", "-fno-math-errno", "-I", str(CORE)]


def host_arch():
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


@functools.lru_cache(maxsize=None)
def is_gcc(cc):
    """Whether the compiler (a tuple, as cc is passed to build) is GCC."""
    r = subprocess.run([*cc, "-dM", "-E", "-x", "c", os.devnull], capture_output=True, text=True)
    return "__GNUC__" in r.stdout and "__clang__" not in r.stdout


def core_sources(arch=None, replace=None, gcc=True):
    """[(path, extra flags)] of the core for arch (default: this machine's);
    replace maps a file name to a source used instead; flags written gnu:-fx
    are kept (as -fx) for GCC only."""
    arch = arch or host_arch()
    out = []
    for line in (CORE / "sources.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, where, *flags = line.split()
        flags = [f[4:] if f.startswith("gnu:") else f for f in flags if gcc or not f.startswith("gnu:")]
        if where in ("any", arch):
            out.append((Path((replace or {}).get(name, CORE / name)), flags))
    return out


def _run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}\n{r.stderr[-4000:]}")


def build(cc, flags, programs, out, tmp, arch=None, replace=None, link=(), reuse=None):
    """Compile the core and `programs` (C sources) with cc and flags into the
    executable `out`; objects go to tmp.  With reuse (the tmp of an earlier
    build with the same compiler and flags), only replaced files compile."""
    units = [(s, ["-std=c11", *f]) for s, f in core_sources(arch, replace, is_gcc(tuple(cc)))] + \
        [(Path(p), ["-std=gnu11"]) for p in programs]
    replaced = {str(Path(p)) for p in (replace or {}).values()}
    jobs, objs = [], []
    for src, extra in units:
        if reuse is not None and str(src) not in replaced:
            objs.append(Path(reuse) / (src.stem + ".o"))
        else:
            objs.append(Path(tmp) / (src.stem + ".o"))
            jobs.append([*cc, *flags, *CORE_FLAGS, *extra, "-c", src, "-o", objs[-1]])
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(_run, jobs))
    _run([*cc, *flags, *objs, "-o", out, *link, "-lm", "-lpthread"])
    return str(out)
