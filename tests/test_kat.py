"""Known answers that lock the streams (README, "Stability"): for each
distribution and dtype, a few seeds, streams and parameters, the SHA-256 of
the filled bytes and the first values' bits, recorded once from weightinit
0.1.0.  Every ISA path this CPU runs and 1, 2 and 3 threads must give them.

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

import twin
import weightinit as wi
from conftest import DL

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
          "float64": torch.float64}
INTS = {2: torch.int16, 4: torch.int32, 8: torch.int64}
THREADS = [1, 2, 3]

# (dist, p0, p1, dtype, seed, stream, n, sha256 of the n values' bytes, first 4 values' bits)
KAT = [
    ('uniform', 0.0, 1.0, 'float16', 0, 0, 1000, 'b716c6c0ee1ef4dfc8a8783bcf52ab7f1df19234799663ed5fa57604d4a5e11e', ('3662', '3b0b', '3bc7', '35cb')),
    ('uniform', 0.0, 1.0, 'float16', 42, 1, 1000, '26570bde1cc2033819e6fee4ef6168b77cc5241c4046914f97fe5c2b199d6f85', ('2126', '300a', '3020', '3bef')),
    ('uniform', 0.0, 1.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, '8407d1f2f290e101604f9334c0252f7f9fb04a739c9c6a4ca662c3178ddada49', ('3bd0', '3b3b', '3b1a', '38cf')),
    ('uniform', 0.0, 1.0, 'bfloat16', 0, 0, 1000, 'fbcf18074688c7dc1f0c8d7c6066d49ce935eb2693130178ecd7a5805404b4d4', ('3ecc', '3f61', '3f79', '3eb9')),
    ('uniform', 0.0, 1.0, 'bfloat16', 42, 1, 1000, '21db13d4418019a03f1e0eec6419b4adf94b7dd68b0024751510473f0c2b112c', ('3c25', '3e01', '3e04', '3f7e')),
    ('uniform', 0.0, 1.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, 'd231bb0d76bee941492b95f36e403c424d713d5fcf38b00b69ebfa520558dafa', ('3f7a', '3f67', '3f63', '3f1a')),
    ('uniform', 0.0, 1.0, 'float32', 0, 0, 1000, 'b31ac038900a4faab841e5942671a59246360653de7cb44af8072c99908ea4e8', ('3ecc4fd0', '3f6169c5', '3f78e4cc', '3eb96400')),
    ('uniform', 0.0, 1.0, 'float32', 42, 1, 1000, '0ab5002a62508d756929e017540e8e8d2d7fa096763c2d7b3bdbfba663be250d', ('3c24cdc0', '3e0147a4', '3e03fe44', '3f7dd21d')),
    ('uniform', 0.0, 1.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, '53dd384e784fc1c79c14e9852384fa2c20dd63c79ef1813e30ec9a58756c8896', ('3f79fc0b', '3f67636d', '3f634d91', '3f19e91b')),
    ('uniform', 0.0, 1.0, 'float64', 0, 0, 1000, '69991c372821306d5616adf0904de510678d8df5c3de225e2186e01c42a0c082', ('3fec2d38b1acc4fd', '3fd72c8036fe3932', '3fd471cca9813ea8', '3fda911d29b2643a')),
    ('uniform', 0.0, 1.0, 'float64', 42, 1, 1000, '48561c2f0274b5f97bfd8905cd475d07a60679b35e6ea04aff64e05b4e82afa2', ('3fc028f489814998', '3fefba43b2841ff2', '3fbf70ab07367940', '3fe5c74b57e3d1b8')),
    ('uniform', 0.0, 1.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, 'e67ff931ffa4b747e06e26cd65f510ede4bb3eb03ef2e9712c96766ab5f3783c', ('3fecec6da09f3f81', '3fe33d237ebc69b2', '3feaa63bbf2cb945', '3fec4b7c81b442ab')),
    ('uniform', -0.125, 7.5, 'float16', 0, 0, 1000, 'c3351617ee2a88b85fe5d861c758b79bb6731c6691c9f1f428772aa807b1f03a', ('41d6', '4697', '474a', '4146')),
    ('uniform', -0.125, 7.5, 'float16', 42, 1, 1000, '0ffb2d588015a7d34fd1b71135f744d2505a44045d08357c9fbbe89aeede23e7', ('aa2f', '3ab4', '3add', '476f')),
    ('uniform', -0.125, 7.5, 'float16', 2**64 - 1, 2**40 + 3, 1000, '682fb4eea28797c068f29bccbdc38d5d5da4b465c9c0e492bcecc358bce95766', ('4752', '46c4', '46a5', '4476')),
    ('uniform', -0.125, 7.5, 'bfloat16', 0, 0, 1000, 'af0c0ee813d01f762fe139d7c70da7a541ae53dcbeb599a302954df8cb1d1c18', ('403b', '40d3', '40e9', '4029')),
    ('uniform', -0.125, 7.5, 'bfloat16', 42, 1, 1000, 'dfe30eeedf7b3a7a4ad8f55aa2d4295f61844b372c936952599e618c0c1c5836', ('bd46', '3f56', '3f5c', '40ee')),
    ('uniform', -0.125, 7.5, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '313081ba6a43a1d1a4d20748aa17e4c8eb69b9f496b613e92054baa006b8e541', ('40ea', '40d9', '40d5', '408f')),
    ('uniform', -0.125, 7.5, 'float32', 0, 0, 1000, '8829bc91704b5290442b1ae016cc376ddb0e51416df563aef7d98151ccced91c', ('403abc12', '40d2d8d0', '40e93a12', '4028b350')),
    ('uniform', -0.125, 7.5, 'float32', 42, 1, 1000, '96917901fa4edfe9e47be72ce343f3544f26649c4656d358c2f510f9eb62e387', ('bd45d7ca', '3f567091', '3f5b9cb2', '40edec44')),
    ('uniform', -0.125, 7.5, 'float32', 2**64 - 1, 2**40 + 3, 1000, 'a8dd41a6a5ecf7caba0e72d876898b0bad034142ec924f7941e3a8a72451e86b', ('40ea443a', '40d88ac4', '40d4a5ee', '408eb22e')),
    ('uniform', -0.125, 7.5, 'float64', 0, 0, 1000, 'baedfd9ece6631bbd9e0a35a80833d7db82c942f7912f42a71ba1e00f2829f6c', ('401a5b1a0958abc1', '4005166a346a4e84', '40027c77118f2fb8', '4008524fcbbe0787')),
    ('uniform', -0.125, 7.5, 'float64', 42, 1, 1000, '21538ccf3396d9c0e9e1fd57ac60799beb136f1a3abe1cd3996c8bbdb9d7c6dc', ('3feace12261e744a', '401dbd888625ee73', '3fe9f76302dfeb91', '401441f3cfc523e3')),
    ('uniform', -0.125, 7.5, 'float64', 2**64 - 1, 2**40 + 3, 1000, '17f41656b96a0d0a6cb0375ad8fc1a1ae6e15918946c5c759d31c4fbb603815f', ('401b11587d17c887', '4011d645d4cb94be', '4018e670f236a096', '401a77f2ab9fcf8b')),
    ('normal', 0.0, 1.0, 'float16', 0, 0, 1000, '71b4f1c1e4a8e41c02498c94c03821a70b94bc35ce86952ce83f9e3e9c82ddc8', ('baf3', 'b65d', 'ae60', '3d8c')),
    ('normal', 0.0, 1.0, 'float16', 42, 1, 1000, '4eaee6a2f3f07df0172a8657fc90f8e0964480b8651141759abd6e06570f1578', ('3f8f', 'bc37', '3e61', '2cf3')),
    ('normal', 0.0, 1.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, 'c592e745133436a6df02def1424216d0bc024a933cc8619bc7fd876cc13748c3', ('32f4', '3282', '34a7', '398d')),
    ('normal', 0.0, 1.0, 'bfloat16', 0, 0, 1000, '27199e337a722bede3d8e549e4c6c3aec7ec00cfec02ce540c6387740f356142', ('bf5e', 'becc', 'bdcc', '3fb2')),
    ('normal', 0.0, 1.0, 'bfloat16', 42, 1, 1000, 'a14ce61dbacfe4c34084a05bd78ffab5cb65e665682351a1894d75defab33c88', ('3ff2', 'bf87', '3fcc', '3d9e')),
    ('normal', 0.0, 1.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, 'c9608bbd1aa9e21970c3d1e1b76833bcdd2065b7ea76fcf5e650ed85a4ad4c66', ('3e5e', '3e50', '3e95', '3f32')),
    ('normal', 0.0, 1.0, 'float32', 0, 0, 1000, '4cd5d82759fe7fccdc16eb2d98037617a55a29fbee861493b7eb9ce87a895ed8', ('bf5e6289', 'becb9b13', 'bdcbf358', '3fb1841e')),
    ('normal', 0.0, 1.0, 'float32', 42, 1, 1000, '7751de9b762dace47ec6870379ebb8b8727c6710f898092982a852e71b31b1d6', ('3ff1e6ac', 'bf86d2de', '3fcc17b0', '3d9e57b6')),
    ('normal', 0.0, 1.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, '1eb07ee952611eff22e3540da149ccffd3e9e934219671e7a1bc7ac8bf270091', ('3e5e75ca', '3e504c2c', '3e94dfc6', '3f3190c5')),
    ('normal', 0.0, 1.0, 'float64', 0, 0, 1000, '9c38d157c5f0ef792b53cf98f3842f30e02e4b652a848f4c9c2228ad391ded0a', ('bfd973628c131c06', '3ff63083c830bea6', '3ff7f2507bd97b0c', '3fdb2002edf43aef')),
    ('normal', 0.0, 1.0, 'float64', 42, 1, 1000, '4eb9da9880ea4ca5fe6b8475dd5da8bb798c2d9a994baa8fd20aa8c78fcf8996', ('bff0da5ba87dd40b', '3fb3caf8a2409abc', '3ffbb81aa98145df', '3feb8714a1e98f67')),
    ('normal', 0.0, 1.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, '347e1884c96528a18eb772a4284a2e678d3924d1d3b04a56019385b88af84efa', ('3fca098591aa9cf0', '3fe632188c50911d', 'bfc2cb7a01e813d2', '3fdee3066ae8a159')),
    ('normal', 0.5, 0.02, 'float16', 0, 0, 1000, 'bf0d88a81fe2f98ffa401f277b0c4c7f1dbcb6b7b74e96ce2631b44a1634237b', ('37b9', '37df', '37f8', '3839')),
    ('normal', 0.5, 0.02, 'float16', 42, 1, 1000, '58d392b501d85e521f34ee274dafaba7ba592b88b89adfe89f19b2d87ead834f', ('384d', '37aa', '3841', '3803')),
    ('normal', 0.5, 0.02, 'float16', 2**64 - 1, 2**40 + 3, 1000, 'dedf00cb30d38055cdaf29493ef50dc52a852445c7d5342ea9407363be95dc57', ('3809', '3808', '380c', '381c')),
    ('normal', 0.5, 0.02, 'bfloat16', 0, 0, 1000, 'a33067f7af4e18de8a27651d58e0408409047082dda73cd0b47fa19404d55107', ('3ef7', '3efc', '3eff', '3f07')),
    ('normal', 0.5, 0.02, 'bfloat16', 42, 1, 1000, 'aa2c82d0d2480ec1d156cd7b946cb8b98b0ce8c8c0d8237c55683dd3618359bb', ('3f0a', '3ef5', '3f08', '3f00')),
    ('normal', 0.5, 0.02, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '50539f83b94f381a321a4eb02fbb27e02bc5d85419d997323ef108fc78d6e76c', ('3f01', '3f01', '3f01', '3f04')),
    ('normal', 0.5, 0.02, 'float32', 0, 0, 1000, '22e437b6642cd2053153271a6b28266f1e9c279762944157458e9b869fc37656', ('3ef71ac7', '3efbed8a', '3efefaf1', '3f0719c4')),
    ('normal', 0.5, 0.02, 'float32', 42, 1, 1000, 'd2ba0c8732b7c8788301c5db7dcbe541e11c37dd7b28e811a1d9e898b68fc029', ('3f09ad11', '3ef536d0', '3f0829e8', '3f006557')),
    ('normal', 0.5, 0.02, 'float32', 2**64 - 1, 2**40 + 3, 1000, '2e966d80f1f1ee9d24ea01dd656dfcf464ccdc1667b1033ecab8c9679d1541e8', ('3f011cc0', '3f010a9f', '3f017d1e', '3f038d23')),
    ('normal', 0.5, 0.02, 'float64', 0, 0, 1000, '13134288ed29f1195ff5eb33cff558567a955d2f146d3e70726c2e94d32748d7', ('3fdf7db13aa37533', '3fe0e33878a5ca30', '3fe0f5366b5a9e86', '3fe04570ab56ec1c')),
    ('normal', 0.5, 0.02, 'float64', 42, 1, 1000, 'fe24748c159f9d3d36104025761f890570e646ded7e700400b27835e45959a97', ('3fdea6d9f2854b32', '3fe00caadc90cd30', '3fe11bd81b429c65', '3fe08cf10d7a6e63')),
    ('normal', 0.5, 0.02, 'float64', 2**64 - 1, 2**40 + 3, 1000, '17097ce0682122f66ad24a54db3b04cdc0c09631f2f1c4094ade05a90bba6349', ('3fe02153de2b17d3', '3fe071a454b9ee6c', '3fdfcfe29eb37071', '3fe04f11fbf2f760')),
    ('constant', 0.1, 0.0, 'float16', 0, 0, 1000, '62687c6f90c13d880ddad24344eef63f7d81bef22f12fa8942edc4aa37c18406', ('2e66', '2e66', '2e66', '2e66')),
    ('constant', 0.1, 0.0, 'bfloat16', 0, 0, 1000, '4c5f33e2aedf201363dd34e8779e516b361f8fc0c6ca951a5f90c2513bc32042', ('3dcd', '3dcd', '3dcd', '3dcd')),
    ('constant', 0.1, 0.0, 'float32', 0, 0, 1000, '96fe2207bda0274fcc61489056a077bbfea7f04b41dfa8b5d964bfe0e299f80f', ('3dcccccd', '3dcccccd', '3dcccccd', '3dcccccd')),
    ('constant', 0.1, 0.0, 'float64', 0, 0, 1000, '36efd0acbb8e9383047d9dd5ebf662ce6eadd71dcffc3b6bb22dbd34a6bada5b', ('3fb999999999999a', '3fb999999999999a', '3fb999999999999a', '3fb999999999999a')),
    ('constant', -2.5e-05, 0.0, 'float16', 0, 0, 1000, 'fc851c3ccccbf3c2e47c9159ff161b06bdff2339989720938d6ac01ad22eb69c', ('81a3', '81a3', '81a3', '81a3')),
    ('constant', -2.5e-05, 0.0, 'bfloat16', 0, 0, 1000, '42f85de941c98301883dbdc6e4422aad323095303c01edd6f9a74fe559716475', ('b7d2', 'b7d2', 'b7d2', 'b7d2')),
    ('constant', -2.5e-05, 0.0, 'float32', 0, 0, 1000, '4c5e2b9179ae0eb6ffabd7bb8ced0c6a9469cd8d8f77e0e17c2a3cf053207ce8', ('b7d1b717', 'b7d1b717', 'b7d1b717', 'b7d1b717')),
    ('constant', -2.5e-05, 0.0, 'float64', 0, 0, 1000, '1a3019898bc13b61044aa3900be67148d397db83374dc7e7fd553797869e726a', ('befa36e2eb1c432d', 'befa36e2eb1c432d', 'befa36e2eb1c432d', 'befa36e2eb1c432d')),
    ('uniform', -1.0, 1.0, 'float16', 7, 0, 300007, '8d98560c253e15aa875fcd028aed5ebcbd4ebdc464ab6d7806f1236e47295ac5', ('3b46', '3801', 'b1f4', '38b9')),
    ('uniform', -1.0, 1.0, 'bfloat16', 7, 0, 300007, 'a569a99e1389600e06a13f6c31ab388327da5a0245b86f81f804850c731f23b5', ('3f69', '3f00', 'be3f', '3f17')),
    ('uniform', -1.0, 1.0, 'float32', 7, 0, 300007, '74b80a386ae29ff8741597f6724dce63c9dd8735de619398d7c9443676c0bb5c', ('3f68c0f4', '3f0013f2', 'be3e8b90', '3f172f78')),
    ('uniform', -1.0, 1.0, 'float64', 7, 0, 300007, '35287ee06e4ae1c048e2f4ce8f4a74a9ce8eddf8f414f3c0fa7d6a9a1ff874d0', ('3fe0027e773d181e', '3fe2e5ef04da0ba2', 'bfef758112ff9c78', 'bfdffbca484e0df8')),
    ('normal', 0.0, 1.0, 'float16', 7, 0, 300007, '80ab9d982ad3a3c4422253399e37eed0305a729a5fa7b98349dcb9bec567c0de', ('335a', '3935', '3638', 'b563')),
    ('normal', 0.0, 1.0, 'bfloat16', 7, 0, 300007, '56f2f4f83f2e6196fb62cf0597344b0f798803918cbc4a6b59817b4de8aca2e8', ('3e6b', '3f27', '3ec7', 'beac')),
    ('normal', 0.0, 1.0, 'float32', 7, 0, 300007, 'ee33466315fae368f8228fec02db8b1625ba0f04646ac3d927d4ba69227e7ff8', ('3e6b38a0', '3f26ac36', '3ec6fb16', 'beac5ddd')),
    ('normal', 0.0, 1.0, 'float64', 7, 0, 300007, 'a6d7cbf38212f50ee8cdbd998c1f577242ae21ab7083f025eb1e8869ccb299f9', ('3fe4d586bf318c30', 'bfd58bbba7ccd578', 'c0041deebc965116', '3fc2c11344363979')),
]


def fill(dist, p0, p1, dtype, seed, stream, n):
    t = torch.empty(n, dtype=DTYPES[dtype])
    g = wi.Generator(seed)
    g.set_state((seed, stream))
    if dist == "uniform":
        wi.uniform_(DL(t), p0, p1, generator=g)
    elif dist == "normal":
        wi.normal_(DL(t), p0, p1, generator=g)
    else:
        wi.constant_(DL(t), p0)
    return t


def digest(t):
    raw = t.view(INTS[t.element_size()]).numpy().tobytes()
    w = t.element_size()
    first = tuple(f"{int.from_bytes(raw[i * w:(i + 1) * w], 'little'):0{2 * w}x}" for i in range(4))
    return hashlib.sha256(raw).hexdigest(), first


@pytest.fixture
def every_path():
    """Runs the body on every (ISA, thread count), restoring both after."""
    isa, threads = wi.isa(), wi.get_num_threads()
    combos = [(i, n) for i in wi.available_isas() for n in THREADS]

    def each():
        for i, n in combos:
            wi.set_isa(i)
            wi.set_num_threads(n)
            yield i, n

    yield each
    wi.set_isa(isa)
    wi.set_num_threads(threads)


def test_table_covers_every_distribution_and_dtype():
    seen = {(c[0], c[3]) for c in KAT}
    assert seen == {(d, t) for d in ("uniform", "normal", "constant") for t in DTYPES}
    assert any(c[6] >= (1 << 18) for c in KAT)  # fills large enough to use the thread pool


@pytest.mark.parametrize("dist,p0,p1,dtype,seed,stream,n,sha,first", KAT,
                         ids=[f"{c[0]}-{c[3]}-{c[4]:x}-{c[5]:x}-{c[6]}-{i}" for i, c in enumerate(KAT)])
def test_known_answer(dist, p0, p1, dtype, seed, stream, n, sha, first, every_path):
    for isa, threads in every_path():
        got = digest(fill(dist, p0, p1, dtype, seed, stream, n))
        assert got == (sha, first), (isa, threads)


@pytest.mark.parametrize("case", [c for c in KAT if c[0] != "constant" and c[6] < 10_000][::3])
def test_known_answers_follow_the_documented_algorithm(case):
    """The recorded leading values are what tests/twin.py (the algorithm of
    csrc/core, one element at a time) computes: the table encodes the
    documented mapping, not an accident of this build."""
    dist, p0, p1, dtype, seed, stream, n, _, first = case
    kind = "f64" if dtype == "float64" else "f32"
    ref = [twin.value(dist, p0, p1, seed, stream, i, kind) for i in range(4)]
    t = torch.tensor(np.array(ref, np.float64 if kind == "f64" else np.float32)).to(DTYPES[dtype])
    assert digest(torch.cat([t, t]))[1] == first


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


# trunc_normal_ in each of its modes (normal sampler, float32 inverse CDF
# centre/tail, float64 inverse CDF for a float32 target, far tail).
# (mean, std, a, b, dtype, seed, stream, n, sha256, first 4 values' bits)
TRUNC_KAT = [
    (0.0, 0.02, -2.0, 2.0, 'float16', 0, 0, 1000, '807f394437b06f201b24cb6bae48dfb31cd9f37fe63e6cc5f323cbf6246eddcf', ('a473', 'a012', '9814', '271a')),
    (0.0, 0.02, -2.0, 2.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, 'cf07424bf3fe34343135620cc571170065c42234090ccfde879ca058608b59ae', ('1c73', '1c2a', '1df4', '231a')),
    (0.0, 0.02, -2.0, 2.0, 'bfloat16', 0, 0, 1000, '55e3252cade4efb26a015c80b8fe841b892a5471ec2a8ba78d32db5b0a9d6dcd', ('bc8e', 'bc02', 'bb03', '3ce3')),
    (0.0, 0.02, -2.0, 2.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '3ed5fb9507af9f730ad0ab6df4f12a2e2a9d9cd9fa8ca4953a3fdf0baf04bc4d', ('3b8e', '3b85', '3bbf', '3c63')),
    (0.0, 0.02, -2.0, 2.0, 'float32', 0, 0, 1000, '8e97d42c5575699161dfb3ca7189205d1721a9f7bcf4a41c3e06bbc981a2228b', ('bc8e538b', 'bc024ec4', 'bb028743', '3ce33877')),
    (0.0, 0.02, -2.0, 2.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, '51b904a5b0e7581951e780ed12f1bf80780dc64179efddab35bb0560f0880295', ('3b8e5fdd', '3b854f78', '3bbe8f12', '3c6348ab')),
    (0.0, 0.02, -2.0, 2.0, 'float64', 0, 0, 1000, '48161e3f55acf7212b985e4a5a914e78285ec56c9013489afef6f728edbfc538', ('bf8049d8ab91599e', '3f9c670f14b945f3', '3f9ea6cd6b53d0b4', '3f815c2ad5bb06ff')),
    (0.0, 0.02, -2.0, 2.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, '0877602ea11d3d2e5928f90d7b96e76d3bb3a67bff407be0e64efc7cd88b596e', ('3f70a9ef158be98f', '3f8c69152e7b9b06', 'bf680eb0a647c774', '3f83c47efcbdd7e7')),
    (0.0, 1.0, -2.0, 2.0, 'float16', 0, 0, 1000, 'eab9d2564d24cddac5ccc7d98faf34e5c1f3ecd01886fe4be7e1b8f95c811ea9', ('b3ce', '3c61', '3e9c', 'b561')),
    (0.0, 1.0, -2.0, 2.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, '0ab251fe33445766de2582f0e843f1e10140ca5a7f8ce79ab53d5548f98bb67e', ('3ec6', '3cd0', '3c83', '33d4')),
    (0.0, 1.0, -2.0, 2.0, 'float16', 7, 0, 300007, '865c8aa1d3716efff698f94587194edb7dfe8822647119c22fd30a5915c5f2f5', ('3e06', '391e', 'b32f', '3a3a')),
    (0.0, 1.0, -2.0, 2.0, 'bfloat16', 0, 0, 1000, '3ccfb6c4df808e62240086f05bbe9d1c0ab7aa816ade147356ad0ac3049faf7b', ('be7a', '3f8c', '3fd3', 'beac')),
    (0.0, 1.0, -2.0, 2.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '1cb85ee28c2755b0b1c9a282bd09d3b8e280e7b0fc8c5fdf069b162243e7ec61', ('3fd9', '3f9a', '3f90', '3e7a')),
    (0.0, 1.0, -2.0, 2.0, 'bfloat16', 7, 0, 300007, 'eb996b43106e61943080c4564e27ef67a89d376ce0f92229883e53f6a567a2b4', ('3fc1', '3f24', 'be66', '3f47')),
    (0.0, 1.0, -2.0, 2.0, 'float32', 0, 0, 1000, 'f1921e02717f9dc8977d0f307a65581051fa467e734aba083ba083ffe1fe08f4', ('be79ca93', '3f8c23b2', '3fd37b9d', 'beac2055')),
    (0.0, 1.0, -2.0, 2.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, 'c581d3bb5268e63f050f6b72836f6277e52b89416842114a8e2c62097319c5dc', ('3fd8c512', '3f99f760', '3f9054c1', '3e7a725f')),
    (0.0, 1.0, -2.0, 2.0, 'float32', 7, 0, 300007, '0fea4a068cfc6bbf4442e0abf58d09c11e11561a40fc2a8b749f71fea0d27299', ('3fc0b6ef', '3f23ba1e', 'be65dcdd', '3f474898')),
    (0.0, 1.0, -2.0, 2.0, 'float64', 0, 0, 1000, '8f9ef55a399d4cf80b6eb49a3909146eff2ae94bd77e46c13c2aa2b353b21b76', ('3ff18475fb0f497e', 'bfd5840a7ae77cb8', 'bfdc91818c798787', 'bfca2e096b31af0c')),
    (0.0, 1.0, -2.0, 2.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, '33aaf505651c05bb833095c5534faca1d079e5a16e4aee3d7b73675e664d945d', ('3ff33eebfc3c74ac', '3fcf4e4c02ad3e8e', '3fed019aa01b4682', '3ff1c6fa8584229d')),
    (0.0, 1.0, -2.0, 2.0, 'float64', 7, 0, 300007, '415e55fc98567c5b24fa6c562467bc071afde41b0f84a64a44c92ae966e46c83', ('3fe47743ce64f5b4', '3fe8e912f9ef652d', 'bffde6ffbd1f5f89', 'bfe470843996fc7c')),
    (0.0, 1.0, 2.0, 3.0, 'float16', 0, 0, 1000, '5576e91ddf371adee49e6b72dc65212e359ec37b49e6a3c88d0bffc416eeea7f', ('4062', '4152', '41c6', '4057')),
    (0.0, 1.0, 2.0, 3.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, '309a0121b28e45c5e795e378ee83f5d3026ebc2f84505e63cf660c448308fb4f', ('41ce', '4169', '4159', '40a9')),
    (0.0, 1.0, 2.0, 3.0, 'bfloat16', 0, 0, 1000, '299da4628354498cc80007d9d406fcdc2ce54a9c4cb2555c761db5a95f242368', ('400c', '402a', '4039', '400b')),
    (0.0, 1.0, 2.0, 3.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, 'ea61626acf559e4ec13908f391255c4c5d3b462207074f277da116795d824b5d', ('403a', '402d', '402b', '4015')),
    (0.0, 1.0, 2.0, 3.0, 'float32', 0, 0, 1000, '56dd09a9edc6f25079ad01cf57bb6c3eb5e9c81a3d9aa6323162bacd9958be19', ('400c4058', '402a3dc7', '4038c689', '400ae234')),
    (0.0, 1.0, 2.0, 3.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, 'aa4b74b5b87f6b966d9748eadfa6111386245e0d0b0a0d07d5774be9ac8d681c', ('4039bda6', '402d2b5d', '402b2113', '40152a8a')),
    (0.0, 1.0, 2.0, 3.0, 'float64', 0, 0, 1000, '7355578dec2ba2ed03c02aa3f27ddbcaac4519cf8329db417953d9679627c7d0', ('400547b8dfe6c63e', '40015c466224d20a', '40012c2ae25a9855', '40019bb8ab61c11a')),
    (0.0, 1.0, 2.0, 3.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, 'f5007ddd4a08d7cf56ce024f5e52fe485fa780280a46c6161be1f440906ff526', ('4005a56b6c83952e', '4002a5513dba3e4a', '4004a5891bfd2941', '400555cf3bb2b81b')),
    (0.25, 0.5, -0.3, 0.6, 'float16', 0, 0, 1000, '286ff02cd2f9c385793e7c779183468069763f64b7da4bb9929efb3206119f98', ('2e90', '37d3', '3895', '2c9e')),
    (0.25, 0.5, -0.3, 0.6, 'float16', 2**64 - 1, 2**40 + 3, 1000, 'cce905f7046e6ff48529ca9ab8fe8c0c45e0e25fdce71560c6c3f77c49a85d62', ('389e', '3814', '37ed', '3433')),
    (0.25, 0.5, -0.3, 0.6, 'bfloat16', 0, 0, 1000, 'e59f8ad22bce1fdb739e46e87557f4ffa3621acb5eb2a254cc800f0db6c7d1aa', ('3dd2', '3efa', '3f13', '3d94')),
    (0.25, 0.5, -0.3, 0.6, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '34b8d5f3604b05fc7261c85872a9d8afac4cb22289a42fbb96e8539ab81464ee', ('3f14', '3f02', '3efe', '3e86')),
    (0.25, 0.5, -0.3, 0.6, 'float32', 0, 0, 1000, 'ad44089317c02837854e196b97f26655eb1330e0254454f738d014a7921fd17a', ('3dd1fbdc', '3efa5e5a', '3f12a5fc', '3d93bb20')),
    (0.25, 0.5, -0.3, 0.6, 'float32', 2**64 - 1, 2**40 + 3, 1000, 'abf6d423752d4a0726ffb5933e458b0eea9452743e10fc87eb913420a8dddd57', ('3f13b301', '3f02765a', '3efdaf17', '3e86512a')),
    (0.25, 0.5, -0.3, 0.6, 'float64', 0, 0, 1000, 'f9493dcc488605a119cec856c7f7b8600740e98ab12753daddf182d3cc1cfb87', ('3fdf4bcb33f3abe8', '3fb27763958e64bc', '3fa28a52fde64d40', '3fbd95cb85a7dcd4')),
    (0.25, 0.5, -0.3, 0.6, 'float64', 2**64 - 1, 2**40 + 3, 1000, '2ddc89014f2243562e2cef87ea9bdf0af6ce2fc3c7047c8d142e28edb6d285b4', ('3fe04ecb4d7118cd', '3fd0ca2553d3e7e9', '3fdcac8ec74836f2', '3fdf80ce1188a04b')),
    (0.0, 1.0, 14.0, 15.0, 'float16', 0, 0, 1000, '873af1ae286dbd202f92739dc5b8272d07f4d88d9352e6d17b9a0af9bc2e92ad', ('4b13', '4b04', '4b03', '4b05')),
    (0.0, 1.0, 14.0, 15.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, '0aec7d6b3da424eb9b8f02cf4bf83a8a572c07453531d596b08c4e3fab4cbe30', ('4b15', '4b08', '4b10', '4b14')),
    (0.0, 1.0, 14.0, 15.0, 'bfloat16', 0, 0, 1000, '2ca2f1773e044a0b8cab30c5eae18c6c1025c4765f80b46f551ca65a1dd6b315', ('4162', '4161', '4160', '4161')),
    (0.0, 1.0, 14.0, 15.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, '2967b068ff77a765dcd1580ed0ffd281c94f9de3dba2e778c5a51f504e2197d7', ('4163', '4161', '4162', '4162')),
    (0.0, 1.0, 14.0, 15.0, 'float32', 0, 0, 1000, '3e758b66e131ace17c1805b1e269c4680061fd792238e276447fc768c16ae8cb', ('41626735', '416082b8', '41606fec', '41609bea')),
    (0.0, 1.0, 14.0, 15.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, '994c3326ce11c4931e99644ca0672042b48e90a1f7a9f8586da05803a245d217', ('4162a5c8', '41610b00', '41620652', '41627041')),
    (0.0, 1.0, 14.0, 15.0, 'float64', 0, 0, 1000, '216f1e2bf28c7962cd9122249e66d26e362559dcd7e1098546a947ac8ccea1e8', ('402c4ce6a0e82eb2', '402c105707fe2da5', '402c0dfd7bde6fa9', '402c137d496b7a08')),
    (0.0, 1.0, 14.0, 15.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, 'c523bbd30b1e43990c347acb294db845539342404195800b89714c2c96ae670e', ('402c54b8f1778bad', '402c21600e9c3aa0', '402c40ca384e59b9', '402c4e081d33b723')),
    (0.0, 1.0, 40.0, 41.0, 'float16', 0, 0, 1000, '5e8aa3cd511301a6eae98f0ba81a9fbe0e3e4b9c57c2ebf6d192608b90434a06', ('5102', '5100', '5100', '5100')),
    (0.0, 1.0, 40.0, 41.0, 'float16', 2**64 - 1, 2**40 + 3, 1000, '1a26d21a842d4a065fbcd5a1b604c4ee17bf1e6247354c6d63b38850b276eb66', ('5102', '5101', '5101', '5102')),
    (0.0, 1.0, 40.0, 41.0, 'bfloat16', 0, 0, 1000, 'eb7f71f636335f3d683b609fcb11f1da1bcfe885ad0da1596896c60dadebabf7', ('4220', '4220', '4220', '4220')),
    (0.0, 1.0, 40.0, 41.0, 'bfloat16', 2**64 - 1, 2**40 + 3, 1000, 'e2ded755232fb918836585ee7879c0a11c6cb176eeef0a6bb627db7ce88f5a95', ('4220', '4220', '4220', '4220')),
    (0.0, 1.0, 40.0, 41.0, 'float32', 0, 0, 1000, '8d4944528a359f5a4d68e79eed60fa54459bde0c11eb47e53d3fcde3268bf92a', ('42203664', '42200b82', '422009da', '42200dbb')),
    (0.0, 1.0, 40.0, 41.0, 'float32', 2**64 - 1, 2**40 + 3, 1000, 'c41df3dac4b7952df7c74fad0dfcf2c488df6343aa0c8e7a7304c451fb90964c', ('42203bf4', '42201789', '42202dc9', '42203732')),
    (0.0, 1.0, 40.0, 41.0, 'float64', 0, 0, 1000, 'f4a2c13f37b1b8868dd00b36b77def923296aad53960cdc0f9d7388748e9114c', ('404406cc7a945717', '4044017047871368', '4044013b446d16e5', '404401b75bce8d59')),
    (0.0, 1.0, 40.0, 41.0, 'float64', 2**64 - 1, 2**40 + 3, 1000, 'f418c1c0aa3b3c428e3495aeb7c29e804988c0889c82caa64cf6fbe4c9c55799', ('4044077e885e33f5', '404402f11d226a12', '404405b92758be6e', '404406e635927ff6')),
]


@pytest.mark.parametrize("mean,std,a,b,dtype,seed,stream,n,sha,first", TRUNC_KAT,
                         ids=[f"trunc-{c[2]}-{c[3]}-{c[4]}-{c[7]}-{i}" for i, c in enumerate(TRUNC_KAT)])
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_known_answer(mean, std, a, b, dtype, seed, stream, n, sha, first, every_path):
    for isa, threads in every_path():
        t = torch.empty(n, dtype=DTYPES[dtype])
        g = wi.Generator(seed)
        g.set_state((seed, stream))
        wi.trunc_normal_(DL(t), mean, std, a, b, generator=g)
        assert digest(t) == (sha, first), (isa, threads)


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
