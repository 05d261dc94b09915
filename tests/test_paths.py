"""Kernel paths and threads never change a value: every ISA path this CPU
runs gives the scalar path's bits (ragged tails, offsets, strides); 1, 2 and
N threads give the same bits; concurrent Python threads and fork() work."""

import multiprocessing as mp
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import weightinit as wi
from conftest import FLOAT_TORCH as TORCH_DTYPES
from conftest import bits
from registry import DISTS, DTYPES

ISAS = wi.available_isas()
TN = wi._core.TRUNC_NORMAL
# (code, p0, p1, p2, p3) of every parameter set of every distribution
CASES = [(d.code, *d.core_params(c)) for d in DISTS for c in d.cases]
FIRST_CASES = [(d.code, *d.core_params(d.cases[0])) for d in DISTS]
CODES = {getattr(torch, d.name): d.code for d in DTYPES}


@pytest.fixture
def isa_restore():
    before = wi.isa()
    yield
    wi.set_isa(before)


@pytest.fixture
def threads_restore():
    before = wi.get_num_threads()
    yield
    wi.set_num_threads(before)


def raw_fill(t, dist, p0, p1, p2=0.0, p3=0.0, key=0xC0FFEE, stream=3, full=None, off=None):
    wi._core.fill((t.data_ptr(), CODES[t.dtype], t.shape, t.stride()), dist, p0, p1, key, stream, full, off,
                  p2, p3)
    return t


# the /proc/cpuinfo flags that make each path runnable (dispatch.c's WI_CAP_* tests)
PATH_FLAGS = {"avx2": {"avx2", "fma", "f16c"}, "avx512": {"avx512f", "avx512dq", "avx512bw", "avx512vl"},
              "avx512bf16": {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16"}, "neon": {"asimd"}}


def test_this_machine_has_simd_paths():
    """Every path whose CPU flags this machine has is offered (a table built but
    missing from dispatch.c's list, or a capability not detected, fails here)."""
    assert ISAS[0] == "scalar"
    flags = set()
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith(("flags", "Features")):
                flags |= set(line.split(":", 1)[1].split())
    for path, needs in PATH_FLAGS.items():
        if needs <= flags:
            assert path in ISAS, (path, ISAS)


@pytest.mark.parametrize("isa", ISAS[1:])
@pytest.mark.parametrize("dtype", TORCH_DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_simd_paths_match_scalar(isa, dtype, case, isa_restore):
    dist, p0, p1, *rest = case
    rng = np.random.default_rng(17)
    # ragged lengths and starts: 1..n elements at every offset within a group
    cases = [(int(rng.integers(0, 40)), int(n)) for n in list(range(1, 70)) + [255, 256, 257, 1000, 4099]]
    for start, n in cases:
        full = (start + n + int(rng.integers(0, 5)),)
        wi.set_isa("scalar")
        ref = raw_fill(torch.empty(n, dtype=dtype), dist, p0, p1, *rest, full=full, off=(start,))
        wi.set_isa(isa)
        out = raw_fill(torch.empty(n, dtype=dtype), dist, p0, p1, *rest, full=full, off=(start,))
        assert np.array_equal(bits(out), bits(ref)), (start, n)
    # strided and transposed targets
    for make in [lambda: torch.empty(61, 37, dtype=dtype).t(), lambda: torch.empty(50, 90, dtype=dtype)[::3, 1::2]]:
        wi.set_isa("scalar")
        ref = raw_fill(make(), dist, p0, p1, *rest)
        wi.set_isa(isa)
        assert np.array_equal(bits(raw_fill(make(), dist, p0, p1, *rest)), bits(ref))


@pytest.mark.parametrize("isa", ISAS[1:])
def test_simd_paths_match_scalar_on_large_multithreaded_fills(isa, isa_restore):
    for dtype in TORCH_DTYPES:
        for dist, p0, p1, *rest in FIRST_CASES:
            wi.set_isa("scalar")
            ref = raw_fill(torch.empty(700_001, dtype=dtype), dist, p0, p1, *rest)
            wi.set_isa(isa)
            assert np.array_equal(bits(raw_fill(torch.empty(700_001, dtype=dtype), dist, p0, p1, *rest)), bits(ref))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_thread_count_does_not_change_values(dtype, threads_restore):
    shapes = [lambda: torch.empty(1_300_003, dtype=dtype),
              lambda: torch.empty(1200, 1100, dtype=dtype).t(),
              lambda: torch.empty(2000, 1500, dtype=dtype)[::2, 3:]]
    for make in shapes:
        results = []
        for n in [1, 2, 3, 8]:
            wi.set_num_threads(n)
            results.append(bits(raw_fill(make(), wi._core.NORMAL, 0.0, 1.0)))
        assert all(np.array_equal(r, results[0]) for r in results[1:])


def test_block_fill_is_thread_independent(threads_restore):
    full = torch.empty(3000, 700)
    wi.set_num_threads(2)
    wi.normal_(full, generator=wi.Generator(4))
    wi.set_num_threads(1)
    part = torch.empty(1400, 500)
    wi.normal_(wi.block(part, (3000, 700), (1000, 150)), generator=wi.Generator(4))
    assert torch.equal(part, full[1000:2400, 150:650])


def test_set_num_threads_validation(threads_restore):
    with pytest.raises(ValueError):
        wi.set_num_threads(0)
    with pytest.raises(ValueError, match="got -100000000000000000000"):
        wi.set_num_threads(-10**20)
    wi.set_num_threads(5)
    assert wi.get_num_threads() == 5


@pytest.mark.parametrize("n,used", [(255, 255), (256, 256), (257, 256), (10**6, 256), (2**64, 256)])
def test_set_num_threads_above_the_limit_uses_the_limit(threads_restore, n, used):
    """README: any n >= 1, and above 256 (WI_MAX_THREADS) 256, however large
    the int (torch.set_num_threads accepts any positive int too).  Setting
    starts no thread: workers start with the next large fill."""
    wi.set_num_threads(n)
    assert wi.get_num_threads() == used


def test_weightinit_num_threads_above_the_limit_uses_the_limit():
    env = dict(os.environ, WEIGHTINIT_NUM_THREADS="100000")
    r = subprocess.run([sys.executable, "-c", "import weightinit as w; print(w.get_num_threads())"],
                       env=env, capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["256"]


def test_many_python_threads_at_once():
    def job(seed, out):
        for _ in range(5):
            t = torch.empty(400_000 + seed)
            wi.normal_(t, generator=wi.Generator(seed))
            out[seed] = t

    expected = {}
    for seed in range(8):
        t = torch.empty(400_000 + seed)
        wi.normal_(t, generator=wi.Generator(seed))
        expected[seed] = t
    got = {}
    threads = [threading.Thread(target=job, args=(s, got)) for s in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for seed in range(8):
        assert torch.equal(got[seed], expected[seed])


def _child_fill(conn):
    import faulthandler

    faulthandler.dump_traceback_later(50, exit=True)  # a hang prints where it is, and ends the child
    t = np.empty(2_000_000, np.float32)
    wi.normal_(t, generator=wi.Generator(77))
    conn.send(t.sum(dtype=np.float64))
    conn.close()


# Under the sanitizer pass of .ci/run the forked child once never answered
# (2026-12-01; no sanitizer report, not reproduced with this file alone):
# fork() of a process that ran the whole suite under ASan.  The likely
# cause is the sanitizer's, not the pool's: GCC 12's libasan predates the
# pthread_atfork handler compiler-rt added in LLVM 18 (llvm-project PR
# 75290, "prevents deadlocks in forked process if parent had more than one
# running threads"), so a child forked while another thread (torch's, the
# pool's) holds ASan's allocator lock blocks at its first malloc.  The
# normal and the timm passes run the test.
@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="fork() of the many-threaded ASan test process: hung once in CI, see the comment")
def test_fork_after_using_the_pool():
    t = np.empty(2_000_000, np.float32)
    wi.normal_(t, generator=wi.Generator(77))  # starts the pool's workers
    ctx = mp.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=_child_fill, args=(child_end,))
    proc.start()
    child_end.close()  # so that a child that dies shows as EOF, not as silence
    answered = parent_end.poll(60)
    assert answered, f"child did not answer (exit code {proc.exitcode}): the pool deadlocked after fork"
    child_sum = parent_end.recv()
    proc.join(30)
    assert proc.exitcode == 0
    assert child_sum == t.sum(dtype=np.float64)
    again = np.empty(2_000_000, np.float32)
    wi.normal_(again, generator=wi.Generator(77))  # the parent's pool still works
    assert np.array_equal(again, t)


def _run(env, code):
    return subprocess.run([sys.executable, "-W", "always", "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, check=True)


def test_environment_switches():
    out = _run({"WEIGHTINIT_ISA": "scalar", "WEIGHTINIT_NUM_THREADS": "3"},
               "import weightinit as w; print(w.isa(), w.get_num_threads())")
    assert out.stdout.split() == ["scalar", "3"]
    out = _run({"WEIGHTINIT_ISA": "no-such-isa"}, "import weightinit as w; print(w.isa())")
    assert "WEIGHTINIT_ISA=no-such-isa" in out.stderr
    assert out.stdout.strip() == ISAS[-1]


@pytest.mark.parametrize("isa", ISAS[1:])
def test_trunc_windows_at_piece_boundaries_match_scalar(isa, isa_restore):
    """SIMD paths evaluate only the quantile pieces a window can reach; windows
    whose edges sit at the pieces' boundaries (s = 0.0195, 0.075) and random
    ones must still give the scalar bits."""
    from scipy.stats import norm

    rng = np.random.default_rng(8)
    edges = [norm.ppf(q) + d for q in (0.0195, 0.075) for d in (-1e-6, 0.0, 1e-6)]
    windows = [(e, -e) for e in edges] + [(e, e + 0.5) for e in edges] + [(-e - 0.3, -e) for e in edges]
    windows += [tuple(sorted(rng.normal(0, 2, 2))) for _ in range(40)]
    for a, b in windows:
        for dtype in (torch.float32, torch.bfloat16):
            wi.set_isa("scalar")
            ref = raw_fill(torch.empty(5003, dtype=dtype), TN, 0.0, 1.0, a, b)
            wi.set_isa(isa)
            out = raw_fill(torch.empty(5003, dtype=dtype), TN, 0.0, 1.0, a, b)
            assert np.array_equal(bits(out), bits(ref)), (a, b)
