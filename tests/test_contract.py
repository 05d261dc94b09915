"""The reproducibility contract: an element's value depends only on (key,
stream, its row-major index in the full logical tensor, distribution,
parameters, dtype) -- never on strides, contiguity, framework or block
decomposition; float16/bfloat16 are the float32 values rounded to nearest even.
Also: nothing outside the target is written."""

import itertools

import numpy as np
import pytest
import torch

import weightinit as wi
from conftest import FLOAT_TORCH as DTYPES
from conftest import bits, same_bits
from registry import DISTS, call

FILLS = [f for d in DISTS for f in d.public]  # (public function, its arguments)


def run(name, kwargs, t, seed):
    call(name, t, wi.Generator(seed), **kwargs)
    return t


def layouts(shape, dtype):
    """The same logical shape in several memory layouts."""
    rows, cols = shape
    yield "contiguous", torch.empty(shape, dtype=dtype)
    yield "transposed", torch.empty(cols, rows, dtype=dtype).t()
    yield "strided", torch.empty(3 * rows, 2 * cols + 1, dtype=dtype)[1::3, ::2][:, :cols]
    yield "column-major", torch.empty(shape, dtype=dtype).t().contiguous().t()
    yield "offset view", torch.empty(rows + 2, cols + 5, dtype=dtype)[2:, 5:]


@pytest.mark.parametrize("name,kwargs", FILLS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layout_does_not_change_values(name, kwargs, dtype):
    shape = (37, 23)
    ref = run(name, kwargs, torch.empty(shape, dtype=dtype), 7)
    for label, t in layouts(shape, dtype):
        run(name, kwargs, t, 7)
        assert same_bits(t, ref), label
    if dtype != torch.bfloat16:
        np_dtype = torch.empty((), dtype=dtype).numpy().dtype
        for label, arr in [("flipped", np.empty(shape, np_dtype)[::-1, ::-1]),
                           ("fortran", np.empty(shape, np_dtype, order="F")),
                           ("flipped strided", np.empty((2 * shape[0], shape[1]), np_dtype)[::-2])]:
            run(name, kwargs, arr, 7)
            assert np.array_equal(bits(arr), bits(ref)), label


@pytest.mark.parametrize("name,kwargs", FILLS)
def test_3d_permutations(name, kwargs):
    shape = (6, 5, 7)
    ref = run(name, kwargs, torch.empty(shape), 3)
    for perm in itertools.permutations(range(3)):
        inv = np.argsort(perm)
        base = torch.empty([shape[p] for p in perm]).permute(*inv.tolist())
        assert tuple(base.shape) == shape
        run(name, kwargs, base, 3)
        assert same_bits(base, ref), perm


@pytest.mark.parametrize("dist", DISTS, ids=[d.name for d in DISTS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_block_equals_that_block_of_the_full_fill(dist, dtype):
    rng = np.random.default_rng(11)
    for ndim in [1, 2, 3, 4]:
        full_shape = tuple(int(s) for s in rng.integers(1, 9, ndim))
        full = torch.empty(full_shape, dtype=dtype)
        call(dist.fill, full, wi.Generator(99), *dist.cases[0])
        for _ in range(6):
            lo = [int(rng.integers(0, s)) for s in full_shape]
            hi = [int(rng.integers(a + 1, s + 1)) for a, s in zip(lo, full_shape)]
            local = torch.empty([h - l for l, h in zip(lo, hi)], dtype=dtype)
            out = call(dist.fill, wi.block(local, full_shape, lo), wi.Generator(99), *dist.cases[0])
            assert isinstance(out, wi.Block) and out.tensor is local
            expect = full[tuple(slice(a, b) for a, b in zip(lo, hi))]
            assert same_bits(local, expect), (full_shape, lo, hi)


def test_block_of_a_transposed_shard_and_numpy():
    full = np.empty((64, 48), np.float32)
    wi.normal_(full, generator=wi.Generator(5))
    shard = np.empty((48, 16), np.float32).T  # a column-major (16, 48) shard
    wi.normal_(wi.block(shard, (64, 48), (32, 0)), generator=wi.Generator(5))
    np.testing.assert_array_equal(shard, full[32:48])
    col = np.empty((64, 1), np.float32)  # a single column: logical stride 48
    wi.normal_(wi.block(col, (64, 48), (0, 47)), generator=wi.Generator(5))
    np.testing.assert_array_equal(col, full[:, 47:])


def test_block_fans_come_from_the_full_shape():
    full = torch.empty(512, 256)
    wi.kaiming_uniform_(full, nonlinearity="relu", generator=wi.Generator(1))
    rows = [torch.empty(128, 256) for _ in range(4)]
    for r, t in enumerate(rows):
        wi.kaiming_uniform_(wi.block(t, (512, 256), (128 * r, 0)), nonlinearity="relu",
                            generator=wi.Generator(1))
    assert torch.equal(torch.cat(rows), full)


def test_block_rejects_what_does_not_fit():
    t = torch.zeros(4, 4)
    for full, off in [((8, 8), (5, 0)), ((8,), (0,)), ((8, 8), (-1, 0)), ((4, 3), (0, 0))]:
        with pytest.raises(ValueError):
            wi.uniform_(wi.block(t, full, off))
    assert (t == 0).all()


@pytest.mark.parametrize("name,kwargs", FILLS)
@pytest.mark.parametrize("half", [torch.bfloat16, torch.float16])
def test_half_precision_is_the_rounded_float32_fill(name, kwargs, half):
    ref = run(name, kwargs, torch.empty(301, 67), 21)
    t = run(name, kwargs, torch.empty(301, 67, dtype=half), 21)
    expected = ref.to(half)  # torch's .to() rounds to nearest even
    if name == "trunc_normal_":  # ... and trunc_normal_ keeps it inside [a, b]
        grid = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16).view(half).double()
        grid = grid[torch.isfinite(grid)]
        lo = grid[grid >= kwargs.get("a", -2.0)].min().to(half)
        hi = grid[grid <= kwargs.get("b", 2.0)].max().to(half)
        expected = torch.minimum(torch.maximum(expected, lo), hi)
    assert same_bits(t, expected)


def test_float16_rounding_matches_numpy_including_subnormals_and_overflow():
    for a, b in [(0.0, 1e-4), (-7e-5, 7e-5), (0.0, 65504.0), (-32000.0, 32000.0)]:
        f32 = np.empty(100_000, np.float32)
        f16 = np.empty(100_000, np.float16)
        wi.uniform_(f32, a, b, generator=wi.Generator(3))
        wi.uniform_(f16, a, b, generator=wi.Generator(3))
        np.testing.assert_array_equal(bits(f16), bits(f32.astype(np.float16)))
    # values beyond 65504 round to infinity (torch does the same for normal_)
    f32, f16 = np.empty(10_000, np.float32), np.empty(10_000, np.float16)
    wi.normal_(f32, 65500.0, 30.0, generator=wi.Generator(4))
    wi.normal_(f16, 65500.0, 30.0, generator=wi.Generator(4))
    assert np.isinf(f16).any()
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(bits(f16), bits(f32.astype(np.float16)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_memory_around_a_strided_view_is_untouched(dtype):
    guard = np.frombuffer(np.random.default_rng(0).bytes(64 * 1024), dtype=dtype).copy()
    before = guard.copy()
    grid = guard[128:128 + 40 * 30].reshape(40, 30)
    view = grid[3:33:3, 28:4:-2]  # negative inner stride, gaps everywhere
    wi.normal_(view)
    touched = np.zeros(guard.shape, bool)
    touched_grid = touched[128:128 + 40 * 30].reshape(40, 30)
    touched_grid[3:33:3, 28:4:-2] = True
    changed = bits(guard) != bits(before)
    assert not (changed & ~touched).any()
    assert changed[touched].mean() > 0.99


def test_memory_around_a_torch_view_is_untouched():
    base = torch.full((50, 50), 7.0, dtype=torch.bfloat16)
    view = base[5:45:4, 2:40:3]
    wi.uniform_(view, -1, 1)
    mask = torch.zeros(50, 50, dtype=torch.bool)
    mask[5:45:4, 2:40:3] = True
    assert (base[~mask] == 7.0).all()
    assert (base[mask] != 7.0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_channels_last_conv_weights(dtype):
    """Conv weights in channels_last memory (unit stride on the input-channel
    dimension) go through the transposing tiles and get the same values."""
    for shape in [(64, 32, 3, 3), (16, 700, 1, 1), (8, 3, 7, 7)]:
        ref = wi.kaiming_normal_(torch.empty(shape, dtype=dtype), generator=wi.Generator(6))
        cl = torch.empty(shape, dtype=dtype).to(memory_format=torch.channels_last)
        wi.kaiming_normal_(cl, generator=wi.Generator(6))
        assert same_bits(cl, ref), shape
