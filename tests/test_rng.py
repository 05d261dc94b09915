"""Philox4x32-10 against Random123's published known-answer vectors, and
the fills against the exact slow twin (tests/twin.py), bit for bit."""

import math

import numpy as np
import pytest

import twin
import weightinit as wi
from registry import DISTS
from weightinit import _core

# Random123 kat_vectors, "philox4x32 10" lines: counter, key -> output
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_philox_known_answers(ctr, key, expected):
    assert _core.philox(ctr, key) == expected
    assert twin.philox(ctr, key) == expected


def test_philox_core_matches_twin_on_random_blocks():
    rng = np.random.default_rng(5)
    for _ in range(200):
        ctr = tuple(int(v) for v in rng.integers(0, 2**32, 4))
        key = tuple(int(v) for v in rng.integers(0, 2**32, 2))
        assert _core.philox(ctr, key) == twin.philox(ctr, key)


# the twin's exact arithmetic needs finite parameters
CASES = [(d, c) for d in DISTS for c in d.cases if all(map(math.isfinite, c))]


@pytest.mark.parametrize("dist,params", CASES, ids=[f"{d.name}{list(c)}" for d, c in CASES])
@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_fill_matches_twin(dist, params, dtype):
    key, stream = 0x0123456789ABCDEF, 2**40 + 7
    # a window across block 2^32 (4 float32 or 2 float64 values per block):
    # both counter words move, inside one batch of groups (simd_avx512.h)
    start, n = 2**32 * (4 if dtype == "f32" else 2) - 301, 600
    out = np.empty(n, np.float32 if dtype == "f32" else np.float64)
    # a 1-D block of a long logical vector starting at `start`
    p0, p1, p2, p3 = dist.core_params(params)
    _core.fill(out, dist.code, p0, p1, key, stream, (start + n,), (start,), p2, p3)
    ref = np.array([dist.twin(*params, key, stream, start + i, dtype) for i in range(n)], out.dtype)
    np.testing.assert_array_equal(out.view(np.uint8), ref.view(np.uint8))


def test_uniform_empty_range_is_constant():
    a = np.empty(100)
    wi.uniform_(a, 2.5, 2.5)
    assert (a == 2.5).all()
