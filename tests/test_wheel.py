"""What a built wheel is checked with (cibuildwheel's test-command, the sdist
check of .ci/run), with NumPy only: the known answers of tests/registry.py on
NumPy arrays, on every kernel path and thread count, and the public functions
on an array.  Never imports torch."""

import numpy as np
import pytest

import weightinit as wi
from registry import BY_NAME, DISTS, call, digest, kat_id, seeded

CASES = [(d, row) for d in DISTS for row in d.kat if BY_NAME[row[1]].numpy is not None]


@pytest.mark.parametrize("dist,row", CASES, ids=[kat_id(*c) for c in CASES])
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_known_answer_on_numpy(dist, row, every_path):
    params, dtype, seed, stream, n, sha, first = row
    for isa, threads in every_path():
        a = np.empty(n, BY_NAME[dtype].numpy)
        call(dist.fill, a, seeded(seed, stream), *params)
        assert digest(a.view(BY_NAME[dtype].uint)) == (sha, first), (isa, threads)


def test_public_functions_fill_an_array():
    w = np.zeros((64, 32), np.float32)
    for name in ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                 "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]:
        assert getattr(wi, name)(w) is w
        assert np.isfinite(w).all() and len(np.unique(w)) > 1000, name
    assert wi.sparse_(w, 0.5) is w and (w == 0).sum(axis=0).tolist() == [32] * 32
    assert (wi.ones_(w) == 1).all()
