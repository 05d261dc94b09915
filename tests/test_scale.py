"""A tensor of more than 2^32 elements (float16, 8 GiB): counters do not
wrap and indices do not overflow anywhere between the Python layer and the
kernels.  Sampled positions -- around 2^31, 2^32, the thread pool's chunk
boundaries, the last element, and random ones -- are compared with small
``weightinit.block`` fills of the same positions (the block contract) and,
for a few, with tests/twin.py (exact, and independent of the C index
arithmetic).  A reversed view (negative stride, > 2^32 elements) is checked
the same way.

Skipped, with the reason, when the machine lacks the memory
(MemAvailable in /proc/meminfo) or WEIGHTINIT_SKIP_BIG is set (the
sanitizer run of .ci/run sets it).  About 20 s on 2 cores."""

import os

import numpy as np
import pytest

import twin
import weightinit as wi

ROWS, COLS = 65537, 65539  # 4_295_163_903 elements > 2^32
NUMEL = ROWS * COLS
NEED = NUMEL * 2 + (3 << 30)  # the array plus 3 GiB for everything else


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def skip_reason():
    if os.environ.get("WEIGHTINIT_SKIP_BIG"):
        return "WEIGHTINIT_SKIP_BIG is set"
    avail = mem_available()
    if avail < NEED:
        return f"needs {NEED / 2**30:.1f} GiB available, /proc/meminfo says {avail / 2**30:.1f} GiB"
    return None


pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def positions():
    """Flat indices to check: the edges that 32-bit arithmetic would break,
    the pool's 65536-element chunks around 2^32, and random ones."""
    special = [0, 1, 31, 32, 2**31 - 1, 2**31, 2**32 - 33, 2**32 - 1, 2**32, 2**32 + 1,
               2**32 + 65535, 2**32 + 65536, NUMEL - 2**20, NUMEL - 33, NUMEL - 1]
    rng = np.random.default_rng(2026)
    return sorted(set(special) | {int(p) for p in rng.integers(0, NUMEL, 120)})


def block_values(dist, seed, full_shape, start, n):
    """n values of the row-major full tensor starting at flat index start, as
    block fills of rows of full_shape."""
    rows, cols = full_shape
    out = []
    while n > 0:
        i, j = divmod(start, cols)
        w = min(n, cols - j)
        piece = np.empty((1, w), np.float16)
        getattr(wi, dist)(wi.block(piece, full_shape, (i, j)), generator=wi.Generator(seed))
        out.append(piece.ravel())
        start += w
        n -= w
    return np.concatenate(out)


@pytest.fixture(scope="module")
def big():
    a = np.empty((ROWS, COLS), np.float16)
    yield a
    del a


def test_fill_of_more_than_2_32_elements(big):
    wi.normal_(big, 0.0, 1.0, generator=wi.Generator(0xB16))
    flat = big.reshape(-1)
    for p in positions():
        n = min(48, NUMEL - p)
        np.testing.assert_array_equal(flat[p:p + n], block_values("normal_", 0xB16, (ROWS, COLS), p, n),
                                      err_msg=f"position {p}")
    # no wrap-around: 2^32 elements later the values are different ones
    for p in [0, 12345, 2**31]:
        assert not np.array_equal(flat[p:p + 64], flat[p + 2**32:p + 2**32 + 64])
    # independent of the C index arithmetic: the exact twin at a few positions
    for p in [2**32 - 1, 2**32, 2**32 + 65537, NUMEL - 1]:
        ref = np.float32(twin.normal(0.0, 1.0, 0xB16, 0, p, "f32")).astype(np.float16)
        assert flat[p].view(np.uint16) == ref.view(np.uint16), p
    assert np.isfinite(flat[:: 1 << 20]).all()


def test_reversed_view_of_more_than_2_32_elements(big):
    """A 1-D view with stride -2 bytes: logical index k is memory NUMEL - 1 - k."""
    rev = big.reshape(-1)[::-1]
    wi.uniform_(rev, -2.0, 2.0, generator=wi.Generator(0x5CA1E))
    for k in positions():
        n = min(48, NUMEL - k)
        got = rev[k:k + n]
        ref = np.empty(n, np.float16)
        wi.uniform_(wi.block(ref, (NUMEL,), (k,)), -2.0, 2.0, generator=wi.Generator(0x5CA1E))
        np.testing.assert_array_equal(got, ref, err_msg=f"logical index {k}")
    for k in [2**32, NUMEL - 1]:
        ref = np.float32(twin.uniform(-2.0, 2.0, 0x5CA1E, 0, k, "f32")).astype(np.float16)
        assert rev[k].view(np.uint16) == ref.view(np.uint16), k
    sample = rev[:: 1 << 16]
    assert sample.min() >= -2.0 and sample.max() <= 2.0
