"""The C core on its own (no Python), built from csrc/core/sources.txt:

* tests/native/paths.c fills every distribution and dtype on every kernel
  path and compares the bits with the portable path, on ragged lengths,
  strided and transposed views and pool-sized fills: natively, and for
  arm64 under qemu-user, where it checks the NEON path; the portable paths of
  the two architectures must agree too (digests), and a NEON fma that is not
  fused must be caught; a kernel table with NULL entries must be refused at
  start-up.
* tests/native/narrow_exhaustive.c rounds every float32 bit pattern to
  bfloat16 by VCVTNE2PS2BF16 (with its denormal fallback) and by the integer
  rounding, and to float16 by F16C, against wimath.h's reference (CPUs with
  AVX512_BF16).
* tests/native/tsan_pool.c runs the thread pool under ThreadSanitizer while
  threads fill at once and switch thread counts and paths; a planted race
  must be caught.
* tools/ceiling.py and tools/compare_cores.py (the figures of README's Speed
  section) still build against the core and report every case.

Skipped, with the reason, where the tools are missing (Debian: apt-get
install gcc-aarch64-linux-gnu qemu-user; TSan comes with gcc), unless
WEIGHTINIT_NATIVE_REQUIRED is set (.ci/run sets it, so CI never skips)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from native_build import CORE, NATIVE, build, core_sources, host_arch

CC = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
CROSS = shutil.which("aarch64-linux-gnu-gcc")
QEMU = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
REQUIRED = bool(os.environ.get("WEIGHTINIT_NATIVE_REQUIRED"))
OPT = ["-O2", "-Wall", "-Wextra", "-Werror=switch"]


def skip(reason):
    if REQUIRED:
        pytest.fail(f"{reason} (WEIGHTINIT_NATIVE_REQUIRED is set)")
    pytest.skip(reason)


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def host_paths(tmp_path_factory):
    if CC is None:
        skip("no C compiler")
    d = tmp_path_factory.mktemp("native_host")
    return build([CC], OPT, [NATIVE / "paths.c"], d / "paths", d)


@pytest.fixture(scope="module")
def arm64(tmp_path_factory):
    """(qemu command prefix, build directory, executable) for paths.c on arm64."""
    if host_arch() == "aarch64":
        pytest.skip("this machine is arm64: test_every_path_equals_the_portable_one checks NEON natively")
    if CROSS is None or QEMU is None:
        skip("no arm64 cross compiler or qemu-user (Debian: apt-get install gcc-aarch64-linux-gnu qemu-user)")
    d = tmp_path_factory.mktemp("native_arm64")
    exe = build([CROSS], [*OPT, "-static"], [NATIVE / "paths.c"], d / "paths", d, arch="aarch64")
    return [QEMU], d, exe


def test_every_path_equals_the_portable_one(host_paths):
    r = run([host_paths])
    assert r.returncode == 0, r.stdout + r.stderr
    paths = r.stdout.splitlines()[0].split()[1:]
    assert paths[0] == "scalar"
    for p in paths[1:]:
        assert f"{p}: " in r.stdout and "fills equal to scalar" in r.stdout, r.stdout
    if host_arch() == "aarch64":
        assert "neon" in paths


def test_an_incomplete_kernel_table_is_refused_at_start_up(host_paths, tmp_path):
    """Negative control of the start-up check: a table row left empty (NULL
    entries) makes wi_isa_init fail rather than crash at the first fill."""
    src = (CORE / "kernels_driver.h").read_text()
    point = "{WI_DISTS(WI_ROW_, )}"
    assert point in src, "mutation point moved: update this test"
    (tmp_path / "kernels_driver.h").write_text(src.replace(point, "{WI_DISTS(WI_ROW_, )[WI_NORMAL] = {0}}"))
    shutil.copy(CORE / "kernels_scalar.c", tmp_path / "kernels_scalar.c")  # finds the mutated driver
    exe = build([CC], [*OPT, "-Wno-override-init"], [NATIVE / "paths.c"], tmp_path / "paths", tmp_path,
                replace={"kernels_scalar.c": tmp_path / "kernels_scalar.c"}, reuse=Path(host_paths).parent)
    r = run([exe])
    assert r.returncode == 2 and "wi_isa_init failed" in r.stderr, r.stdout + r.stderr


def test_neon_equals_the_portable_path_under_qemu(arm64):
    qemu, _, exe = arm64
    r = run([*qemu, exe])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0].split()[1:] == ["scalar", "neon"]
    assert "neon: " in r.stdout and "fills equal to scalar" in r.stdout, r.stdout


def test_arm64_and_x86_portable_paths_agree(arm64, host_paths):
    """The contract across architectures: the same bits for every case
    (except NaN made from inf * 0, whose sign is the architecture's)."""
    qemu, _, exe = arm64
    here, there = run([host_paths, "--digest"]), run([*qemu, exe, "--digest"])
    assert here.returncode == 0 and there.returncode == 0, here.stderr + there.stderr
    assert len(here.stdout.splitlines()) >= 40
    assert here.stdout == there.stdout


def test_an_unfused_neon_fma_is_caught(arm64, tmp_path):
    """Negative control: multiply-then-add in place of vfmaq changes bits."""
    qemu, built, _ = arm64
    src = (CORE / "simd_neon.h").read_text()
    point = "return vfmaq_f32(c, a, b);"
    assert point in src, "mutation point moved: update this test"
    (tmp_path / "simd_neon.h").write_text(src.replace(point, "return vaddq_f32(vmulq_f32(a, b), c);"))
    shutil.copy(CORE / "kernels_neon.c", tmp_path / "kernels_neon.c")  # so that it finds the mutated header
    exe = build([CROSS], [*OPT, "-static"], [NATIVE / "paths.c"], tmp_path / "paths", tmp_path, arch="aarch64",
                replace={"kernels_neon.c": tmp_path / "kernels_neon.c"}, reuse=built)
    r = run([*qemu, exe, "neon"])
    assert r.returncode == 1 and "neon differs from scalar" in r.stderr, r.stdout + r.stderr


def test_narrowing_stores_on_every_float32(tmp_path):
    if host_arch() != "x86_64":
        pytest.skip("x86-64 only: the AVX-512 narrowing stores")
    if CC is None:
        skip("no C compiler")
    flags = dict(core_sources())[CORE / "kernels_avx512bf16.c"]
    exe = tmp_path / "narrow"
    r = run([CC, *OPT, "-std=gnu11", "-ffp-contract=off", "-I", CORE, *flags, NATIVE / "narrow_exhaustive.c", "-o", exe])
    assert r.returncode == 0, r.stderr
    r = run([exe])
    if r.returncode == 2:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0 and r.stdout.count(" 0 mismatches") == 3, r.stdout + r.stderr


@pytest.fixture(scope="module")
def tsan(tmp_path_factory):
    """(build directory, executable) of tsan_pool.c under ThreadSanitizer."""
    if CC is None:
        skip("no C compiler")
    d = tmp_path_factory.mktemp("native_tsan")
    probe = d / "probe.c"
    probe.write_text("#include <pthread.h>\nstatic void *f(void *a) { return a; }\n"
                     "int main(void) { pthread_t t; pthread_create(&t, 0, f, 0); return pthread_join(t, 0); }\n")
    r = run([CC, "-fsanitize=thread", probe, "-o", d / "probe", "-lpthread"])
    if r.returncode != 0 or run([d / "probe"]).returncode != 0:
        skip(f"the C compiler cannot build or run a -fsanitize=thread program: {r.stderr.strip()[-200:]}")
    flags = ["-O1", "-g", "-fsanitize=thread"]
    return d, build([CC], flags, [NATIVE / "tsan_pool.c"], d / "tsan_pool", d)


TSAN_ENV = {**os.environ, "TSAN_OPTIONS": "halt_on_error=1 second_deadlock_stack=1"}


def test_thread_pool_under_thread_sanitizer(tsan):
    r = run([tsan[1]], env=TSAN_ENV)
    assert r.returncode == 0, r.stdout + r.stderr[-6000:]
    assert "WARNING: ThreadSanitizer" not in r.stderr
    assert "all equal" in r.stdout


def test_thread_sanitizer_catches_a_planted_race(tsan, tmp_path):
    """Negative control: a worker that leaves a job without the lock."""
    src = (CORE / "pool.c").read_text()
    point = "        pthread_mutex_lock(&lock);\n        if (--pending == 0)\n"
    assert point in src, "mutation point moved: update this test"
    bad = tmp_path / "pool.c"
    bad.write_text(src.replace(point, "        int last = --pending == 0;\n        pthread_mutex_lock(&lock);\n"
                                      "        if (last)\n"))
    exe = build([CC], ["-O1", "-g", "-fsanitize=thread"], [NATIVE / "tsan_pool.c"], tmp_path / "tsan_pool", tmp_path,
                replace={"pool.c": bad}, reuse=tsan[0])
    r = run([exe, "2"], env=TSAN_ENV)
    assert r.returncode != 0 and "WARNING: ThreadSanitizer: data race" in r.stderr, r.stderr[-3000:]


def _tool(name):
    """tools/<name>.py, imported from the source tree."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


def test_ceiling_tool_measures_raw_philox(tmp_path):
    """tools/ceiling.py (the compute ceilings quoted for issue 12) still
    builds against the primitive headers and measures a rate."""
    ceiling = _tool("ceiling")
    [(path, n, rate)] = ceiling.philox_rates(["scalar"], tmp_path)
    assert (path, n) == ("scalar", 1) and rate > 1e6


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the out-of-cache ceiling uses madvise")
def test_ceiling_tool_compares_the_tlb_prefetch(tmp_path):
    """tools/ceiling.py's out-of-cache section builds the core with and
    without the kernels' TLB prefetch and reports both, per thread count and
    page size (the figures quoted in README's Speed section)."""
    ceiling = _tool("ceiling")
    rows = ceiling.big_fill_rates(tmp_path, rounds=2)
    assert [(t, p, d) for t, p, d, *_ in rows] == [
        (t, p, d) for t in (1, 2) for p in ("4k", "2m") for d in ("uniform_", "normal_")]
    assert all(min(on, off, ratio, q1, q3) > 0.01 for _, _, _, on, off, ratio, (q1, q3) in rows)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="dlopen of two builds, tested on Linux")
def test_compare_cores_times_two_builds_in_one_process(tmp_path):
    """tools/compare_cores.py (the paired in-cache figures of README's Speed
    section) builds two cores as shared libraries and reports every case,
    here for the portable path and this tree's core twice."""
    rows = _tool("compare_cores").compare(CORE, CORE, ["scalar"], 2, tmp_path)
    assert [r[0] for r in rows] == ["scalar"] * 7
    assert len({r[1] for r in rows}) == 7
    assert all(min(ra, rb, ratio, q1, q3) > 0 for _, _, ra, rb, ratio, (q1, q3) in rows)
