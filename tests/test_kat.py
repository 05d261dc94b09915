"""Known answers that lock the streams (README, "Stability"): for each
distribution and dtype of tests/registry.py, a few seeds, streams and
parameters, the SHA-256 of the filled bytes and the first values' bits,
recorded once from weightinit 0.1.0.  Every ISA path this CPU runs and 1, 2
and 3 threads must give them.

A change that breaks one of these changes what a seed means: it needs a new
major version (and these numbers regenerated), never a silent update.
Fills go through DLPack so that weightinit's core fills every dtype
(constant_ on a torch tensor would use torch's own fill_)."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import weightinit as wi
from conftest import DL, bits
from registry import BY_NAME, DISTS, DTYPES, call, digest, kat_id, seeded

CASES = [(d, row) for d in DISTS for row in d.kat]


def fill(dist, params, dtype, seed, stream, n):
    t = torch.empty(n, dtype=getattr(torch, dtype))
    call(dist.fill, DL(t), seeded(seed, stream), *params)
    return t


def test_table_covers_every_distribution_and_dtype():
    seen = {(d.name, row[1]) for d, row in CASES}
    assert seen == {(d.name, t.name) for d in DISTS for t in DTYPES}
    assert any(row[4] >= (1 << 18) for _, row in CASES)  # fills large enough to use the thread pool


@pytest.mark.parametrize("dist,row", CASES, ids=[kat_id(*c) for c in CASES])
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_known_answer(dist, row, every_path):
    params, dtype, seed, stream, n, sha, first = row
    for isa, threads in every_path():
        assert digest(bits(fill(dist, params, dtype, seed, stream, n))) == (sha, first), (isa, threads)


@pytest.mark.parametrize("dist,row", [c for c in CASES if c[1][4] < 10_000][::3],
                         ids=[kat_id(*c) for c in CASES if c[1][4] < 10_000][::3])
def test_known_answers_follow_the_documented_algorithm(dist, row):
    """The recorded leading values are what tests/twin.py (the algorithm of
    csrc/core, one element at a time) computes: the table encodes the
    documented mapping, not an accident of this build."""
    params, dtype, seed, stream, _, _, first = row
    kind = BY_NAME[dtype].twin
    ref = [dist.twin(*params, seed, stream, i, kind) for i in range(4)]
    t = torch.tensor(np.array(ref, np.float64 if kind == "f64" else np.float32)).to(getattr(torch, dtype))
    assert digest(bits(t))[1] == first


def _hex(a, width):
    return [f"{int(x):0{width}x}" for x in a]


# Where the key comes from: torch's generator (one int64 draw, stream 0), a NumPy
# Generator (one random_raw() of its bit generator) and weightinit's default
# generator (seed, then stream 0, 1, ... per fill).
KEYED = {
    0: {"torch_f32_normal": ["3ea8d5dc", "be32721d", "bf88d602", "bdb92a24", "3ddeca88", "bfb28df1"],
        "torch_bf16_uniform": ["bf73", "3f20", "bfd5", "3f92", "3d5d", "bf69"],
        "numpy_f64_uniform": ["3fe1a2ff4c7e07d9", "3fe09f5b7834d24a", "3fdb16c9a8629308",
                              "3fec136acadc7bcf", "3fc0aa0ee5add9e0", "3fe77173585fbb13"],
        "default_f32_normal": (["bf5e6289", "becb9b13", "bdcbf358", "3fb1841e", "3e8fc3a5", "3fbf9284"],
                               ["3f891c35", "beb3c8bf", "3eee0562", "3e3c0a06", "3eb88547", "be3a3b4d"])},
    2024: {"torch_f32_normal": ["bf9d502f", "bf958252", "3fa99ca2", "bf5a1b9c", "3ea54120", "bbc6524f"],
           "torch_bf16_uniform": ["3fa5", "bfaf", "3fd3", "bf70", "3f62", "beaf"],
           "numpy_f64_uniform": ["3feb2ba739daf5a3", "3fe82a25042b0bed", "3fd896b44b0d820a",
                                 "3fc62c22c48ddf7c", "3fe16d787b2f5d4a", "3feacce4fb92295c"],
           "default_f32_normal": (["bf2371d6", "3fb3938b", "be55ce1f", "3f2ee3c6", "bf6b7380", "400cd93b"],
                                  ["3f326aef", "3ea9909a", "bf1bf705", "4048513a", "bf6f80fe", "3e322af4"])},
}


@pytest.mark.parametrize("seed", sorted(KEYED))
def test_known_answers_of_each_key_source(seed, every_path):
    expect = KEYED[seed]
    for isa, threads in every_path():
        torch.manual_seed(seed)
        t = torch.empty(6)
        wi.normal_(t)
        u = torch.empty(6, dtype=torch.bfloat16)
        wi.uniform_(u, -2, 2)
        assert _hex(t.view(torch.int32).numpy().view(np.uint32), 8) == expect["torch_f32_normal"]
        assert _hex(u.view(torch.int16).numpy().view(np.uint16), 4) == expect["torch_bf16_uniform"]
        a = np.empty(6, np.float64)
        wi.uniform_(a, generator=np.random.default_rng(seed))
        assert _hex(a.view(np.uint64), 16) == expect["numpy_f64_uniform"]
        wi.manual_seed(seed)
        b, c = np.empty(6, np.float32), np.empty(6, np.float32)
        wi.normal_(b)
        wi.normal_(c)
        assert (_hex(b.view(np.uint32), 8), _hex(c.view(np.uint32), 8)) == expect["default_f32_normal"], \
            (isa, threads)


# torch.manual_seed(seed) (or a torch.Generator of that seed) fixes the key: the
# first key drawn, the SHA-256 prefix of a float32 uniform_(-1/8, 1/8) on 64
# elements then a float64 normal_(0.5, 2) on (3, 5) from torch's default
# generator, torch's next randint(0, 2**62) after both, and the same uniform_
# with a torch.Generator and that generator's next randint: the key is one draw,
# and it advances the generator by exactly that draw.
TORCH_KEYS = {
    0: (900450186894289455, "8f0bef0e9e59c269", "0634ca48e3610a2d", 1895649597198586619,
        "35cfc404d7ed451c", 3969543146641149120),
    2024: (1623581238383398394, "9848b00d2d6d6bf2", "6c58ead54587a2c0", 3470791090525271588,
           "2c27e3c6e918b344", 3672908012959206016),
}


def _sha16(t):
    return hashlib.sha256(t.numpy().tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("seed", sorted(TORCH_KEYS))
def test_known_keys_and_fills_of_torch_seeds(seed):
    key, uniform, normal, after, gen_uniform, gen_after = TORCH_KEYS[seed]
    torch.manual_seed(seed)
    assert wi._random._torch_draw(torch, torch.default_generator) == key
    torch.manual_seed(seed)
    t, n = torch.empty(64), torch.empty(3, 5, dtype=torch.float64)
    wi.uniform_(t, -0.125, 0.125)
    wi.normal_(n, 0.5, 2.0)
    assert (_sha16(t), _sha16(n), torch.randint(0, 2**62, (1,)).item()) == (uniform, normal, after)
    g = torch.Generator().manual_seed(seed)
    u = wi.uniform_(torch.empty(64), generator=g)
    assert (_sha16(u), torch.randint(0, 2**62, (1,), generator=g).item()) == (gen_uniform, gen_after)


# Generator(seed).fork(name): the key materialize gives the tensor named
# `name` (SHA-256, README "Sharded and pipeline-parallel models").
FORK_KAT = [
    (0, "", 0x13b9da3c16324d3d),
    (0, "weight", 0xb9b4339111aebdef),
    (0, "layers.0.attention.wq.weight", 0x7b70f37d915899b8),
    (2**64 - 1, "model.embed_tokens.weight", 0xa65dc38716bd27e6),
    (-1, "bias", 0x4baa1df6266858bb),
    (42, "\u03b5.\u4e2d\u6587.weight", 0x25ca4a363bb46b8a),
]


@pytest.mark.parametrize("seed,name,key", FORK_KAT)
def test_known_answers_of_fork(seed, name, key):
    assert wi.Generator(seed).fork(name).initial_seed() == key


@pytest.mark.parametrize("seed,name,key", FORK_KAT)
def test_fork_is_the_documented_sha256(seed, name, key):
    data = b"weightinit.fork\x00" + (seed % 2**64).to_bytes(8, "little") + name.encode("utf-8")
    assert int.from_bytes(hashlib.sha256(data).digest()[:8], "little") == key


def test_known_answers_of_forked_fills(every_path):
    assert wi.Generator(7).fork("a").fork("b").initial_seed() == 0xbe5a300c943d01bd
    for isa, threads in every_path():
        g = wi.Generator(0).fork("layers.0.attention.wq.weight")
        first, second = np.empty(6, np.float32), np.empty(6, np.float32)
        wi.normal_(first, generator=g)
        wi.normal_(second, generator=g)
        assert _hex(first.view(np.uint32), 8) == [
            "3f857541", "3fb7a483", "3f876cb6", "bd951300", "40112a3d", "3e7ec9e7"], (isa, threads)
        assert _hex(second.view(np.uint32), 8) == [
            "bf03f397", "c01b8cc2", "bee81d32", "be666d58", "bec2f20c", "c028d2f9"], (isa, threads)
        u = torch.empty(4, dtype=torch.float64)
        wi.uniform_(u, generator=wi.Generator(2**64 - 1).fork("model.embed_tokens.weight"))
        assert _hex(u.view(torch.int64).numpy().view(np.uint64), 16) == [
            "3feba755e51262ba", "3fe7173af6a6221b", "3f9210445023c320", "3febcc56ffceedd9"]


def test_fork_does_not_depend_on_pythons_hash():
    code = ("import weightinit as wi; "
            "print(wi.Generator(0).fork('layers.0.attention.wq.weight').initial_seed())")
    keys = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": h},
                           capture_output=True, text=True, check=True).stdout.strip()
            for h in ("0", "1", "12345")}
    assert keys == {str(0x7b70f37d915899b8)}
