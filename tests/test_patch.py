"""weightinit.patch() / patched(): constructors fill through weightinit with
exactly their torch-defined distributions; every replaced function comes back
by identity (nesting, exceptions, modules imported while patched); fallbacks
never recurse; Tensor methods and the accelerator policy as options."""

import inspect
import math
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.init as tinit
from scipy import stats

import weightinit as wi
from weightinit import _patch, _target
from weightinit._frameworks import TORCH_PUBLIC_NAMES, torch_info
from conftest import same_bits

ORIGINALS = torch_info().nn_init


def bound_by_name():
    """(module, name, value) of every loaded module's global that is one of
    torch.nn.init's public functions (originals or replacements), weightinit's own modules aside."""
    originals = [getattr(ORIGINALS, n) for n in TORCH_PUBLIC_NAMES]
    ids = {id(o) for o in originals}  # and their replacements (not other providers': timm's, when loaded)
    ids |= {id(_patch._replacement_of[id(o)][1]) for o in originals if id(o) in _patch._replacement_of}
    out = []
    for name, mod in list(sys.modules.items()):
        if name.startswith("weightinit") or type(getattr(mod, "__dict__", None)) is not dict:
            continue
        out += [(name, k, v) for k, v in list(vars(mod).items()) if id(v) in ids]
    return out


def assert_all_original():
    assert not wi.is_patched()
    for mod, key, value in bound_by_name():
        assert value is getattr(ORIGINALS, value.__name__), (mod, key)
    for name in TORCH_PUBLIC_NAMES:
        assert getattr(tinit, name) is getattr(ORIGINALS, name)
    assert "uniform_" not in vars(torch.Tensor) and "normal_" not in vars(torch.Tensor)


@pytest.fixture(autouse=True)
def _never_left_patched():
    yield
    while _patch._manual:
        wi.unpatch()
    assert_all_original()


def test_public_names_are_torchs():
    assert set(TORCH_PUBLIC_NAMES) == set(tinit.__all__)
    assert set(_patch.REGISTRY) == set(tinit.__all__)
    for name, fn in _patch.REGISTRY.items():
        assert fn is getattr(wi, name)


def test_every_name_bound_anywhere_is_replaced_while_patched():
    before = bound_by_name()
    assert {(m, k) for m, k, _ in before} >= {
        ("torch.nn.modules.activation", "constant_"), ("torch.nn.modules.activation", "xavier_normal_"),
        ("torch.nn.modules.activation", "xavier_uniform_"), ("torch.nn.modules.transformer", "xavier_uniform_")}
    with wi.patched():
        for mod, key, value in bound_by_name():
            assert value is not getattr(ORIGINALS, value.__name__), (mod, key)
            assert value.__wrapped__ is getattr(wi, value.__name__)
        for name in TORCH_PUBLIC_NAMES:
            assert getattr(tinit, name).__wrapped__ is getattr(wi, name)
    assert_all_original()
    assert [(m, k) for m, k, _ in bound_by_name()] == [(m, k) for m, k, _ in before]


def test_replacements_keep_torchs_signatures():
    with wi.patched():
        for name in TORCH_PUBLIC_NAMES:
            if name.endswith("_") or name == "calculate_gain":  # the aliases take (*args, **kwargs)
                ours = inspect.signature(getattr(tinit, name))
                assert list(ours.parameters) == list(inspect.signature(getattr(ORIGINALS, name)).parameters)


def test_weightinits_own_names_are_never_touched(tmp_path, monkeypatch):
    (tmp_path / "user_mod.py").write_text("from weightinit import normal_, xavier_uniform_\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_mod
    for _ in range(2):
        with wi.patched():
            pass
    assert user_mod.normal_ is wi._api.normal_ and user_mod.xavier_uniform_ is wi._api.xavier_uniform_
    assert wi.normal_ is wi._api.normal_ and wi.uniform is wi._structured.uniform
    del sys.modules["user_mod"]


def test_nesting_decorator_exceptions_and_is_patched():
    assert not wi.is_patched()
    with wi.patched():
        wi.patch()
        with wi.patched(tensor_methods=True):
            assert "normal_" in vars(torch.Tensor)
        assert "normal_" not in vars(torch.Tensor)
        wi.unpatch()
        assert wi.is_patched() and tinit.normal_ is not ORIGINALS.normal_
    assert_all_original()
    with pytest.raises(ZeroDivisionError):
        with wi.patched():
            1 / 0
    assert_all_original()

    @wi.patched()
    def build(depth):
        assert wi.is_patched()
        return build(depth - 1) if depth else nn.Linear(3, 4)

    build(3)
    assert_all_original()
    with pytest.raises(RuntimeError, match="no level begun by weightinit.patch"):
        wi.unpatch()


def test_bad_options_are_refused_without_patching():
    with pytest.raises(ValueError, match="devices must be one of .* not 'gpu'"):
        wi.patched(devices="gpu")
    with pytest.raises(TypeError, match="tensor_methods must be True or False, not 1"):
        wi.patch(tensor_methods=1)
    with pytest.raises(TypeError, match="generator_for must be a callable"):
        wi.patched(generator_for=3)
    assert not wi.is_patched()


def test_a_module_imported_while_patched_is_restored(tmp_path, monkeypatch):
    (tmp_path / "late_mod.py").write_text(
        "from torch.nn.init import xavier_uniform_ as xu, normal_\nimport torch.nn.init as I\nKEEP = I.uniform_\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with wi.patched():
        import late_mod
        assert late_mod.xu.__wrapped__ is wi.xavier_uniform_ and late_mod.KEEP.__wrapped__ is wi.uniform_
    assert late_mod.xu is ORIGINALS.xavier_uniform_ and late_mod.normal_ is ORIGINALS.normal_
    assert late_mod.KEEP is ORIGINALS.uniform_
    with wi.patched():  # and patched again on the next level
        assert late_mod.normal_.__wrapped__ is wi.normal_
    del sys.modules["late_mod"]


def test_a_provider_imported_while_patched_is_covered_by_the_import_hook(tmp_path, monkeypatch):
    """A library that defines its own init function and binds it by name in
    other modules (as timm does with trunc_normal_): one Provider entry."""
    pkg = tmp_path / "fakelib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .weight_init import fill_\nfrom . import model\n")
    (pkg / "weight_init.py").write_text("def fill_(tensor, std=1.0):\n    return tensor.normal_(0, std)\n")
    (pkg / "model.py").write_text("from fakelib import fill_ as f\n\ndef build(t):\n    return f(t, std=0.5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    provider = _patch.Provider("fakelib.weight_init", lambda m: {"fill_": (
        m.fill_, lambda tensor, std=1.0: wi.normal_(tensor, 0.0, std), m.fill_)})
    monkeypatch.setattr(_patch, "PROVIDERS", _patch.PROVIDERS + [provider])
    with wi.patched():
        import fakelib
        import fakelib.model
        torch.manual_seed(3)
        ours = fakelib.model.build(torch.empty(100))
        torch.manual_seed(3)
        assert torch.equal(ours, wi.normal_(torch.empty(100), 0.0, 0.5))
        inside = fakelib.model.f
        assert fakelib.fill_ is inside and sys.modules["fakelib.weight_init"].fill_ is inside
    original = sys.modules["fakelib.weight_init"].fill_
    assert original is not inside and original.__module__ == "fakelib.weight_init"
    assert fakelib.fill_ is original and fakelib.model.f is original
    with wi.patched():  # imported before this level: the sweep replaces them
        assert fakelib.model.f is not original
    for name in ("fakelib", "fakelib.weight_init", "fakelib.model"):
        del sys.modules[name]
    _patch._active.pop("fakelib.weight_init", None)


def fake_provider(tmp_path, monkeypatch, name, header=""):
    """A package ``name`` whose weight_init module (``header`` first) defines
    fill_, and a Provider for it in PROVIDERS."""
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("X = 1\n")
    (pkg / "weight_init.py").write_text(header + "def fill_(tensor, std=1.0):\n    return tensor.normal_(0, std)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    provider = _patch.Provider(f"{name}.weight_init", lambda m: {"fill_": (
        m.fill_, lambda tensor, std=1.0: wi.normal_(tensor, 0.0, std), m.fill_)})
    monkeypatch.setattr(_patch, "PROVIDERS", _patch.PROVIDERS + [provider])


def forget(*names):
    for name in names:
        sys.modules.pop(name, None)
        _patch._active.pop(name, None)


def test_a_provider_module_is_read_only_once_fully_imported(tmp_path, monkeypatch):
    """Its import of another module runs the import hook while it is half-executed."""
    fake_provider(tmp_path, monkeypatch, "fakelib2", "import fakelib2.helper\n\n")
    try:
        with wi.patched():
            import fakelib2.weight_init
            assert hasattr(fakelib2.weight_init.fill_, "__wrapped__")  # the replacement
        assert fakelib2.weight_init.fill_.__module__ == "fakelib2.weight_init"
    finally:
        forget("fakelib2", "fakelib2.helper", "fakelib2.weight_init")


def test_a_new_provider_has_every_module_scanned_again(tmp_path, monkeypatch):
    """A module scanned at an earlier level that got hold of a provider's
    function later, its namespace keeping its size, is found when the provider
    becomes active."""
    fake_provider(tmp_path, monkeypatch, "fakelib3")
    (tmp_path / "holder3.py").write_text("F = None\n")
    try:
        with wi.patched():
            import holder3
        import fakelib3.weight_init
        original = fakelib3.weight_init.fill_
        holder3.F = original
        with wi.patched():
            assert holder3.F is not original and holder3.F is fakelib3.weight_init.fill_
        assert holder3.F is original
    finally:
        forget("fakelib3", "fakelib3.helper", "fakelib3.weight_init", "holder3")


def linear_replay(out_f, in_f):
    w, b = torch.empty(out_f, in_f), torch.empty(out_f)
    wi.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(in_f)
    wi.uniform_(b, -bound, bound)
    return w, b


def test_linear_equals_the_same_weightinit_calls_on_the_same_seed():
    torch.manual_seed(11)
    with wi.patched():
        layer = nn.Linear(300, 200)
    torch.manual_seed(11)
    w, b = linear_replay(200, 300)
    assert same_bits(layer.weight, w) and same_bits(layer.bias, b)
    torch.manual_seed(11)
    theirs = nn.Linear(300, 200)
    assert not torch.equal(theirs.weight, layer.weight)


def test_conv_embedding_lstm_mha_equal_their_weightinit_replays():
    torch.manual_seed(5)
    with wi.patched():
        conv = nn.Conv2d(16, 32, 3)
        emb = nn.Embedding(50, 20, padding_idx=3)
        lstm = nn.LSTM(10, 20, num_layers=2)
        mha = nn.MultiheadAttention(32, 4, add_bias_kv=True)
    torch.manual_seed(5)
    w, b = torch.empty(32, 16, 3, 3), torch.empty(32)
    wi.kaiming_uniform_(w, a=math.sqrt(5))
    wi.uniform_(b, -1 / math.sqrt(16 * 9), 1 / math.sqrt(16 * 9))
    assert same_bits(conv.weight, w) and same_bits(conv.bias, b)
    e = wi.normal_(torch.empty(50, 20))
    e[3] = 0
    assert same_bits(emb.weight, e)
    for p in lstm.parameters():
        assert same_bits(p, wi.uniform_(torch.empty(p.shape), -1 / math.sqrt(20), 1 / math.sqrt(20)))
    # MultiheadAttention: out_proj is a Linear (built first), then _reset_parameters
    ow, ob = linear_replay(32, 32)
    inw = wi.xavier_uniform_(torch.empty(96, 32))
    bk, bv = wi.xavier_normal_(torch.empty(1, 1, 32)), wi.xavier_normal_(torch.empty(1, 1, 32))
    assert same_bits(mha.out_proj.weight, ow) and same_bits(mha.in_proj_weight, inw)
    assert same_bits(mha.bias_k, bk) and same_bits(mha.bias_v, bv)
    assert not mha.in_proj_bias.any() and not mha.out_proj.bias.any()


MODULES = {
    "Linear": lambda: nn.Linear(400, 300),
    "Bilinear": lambda: nn.Bilinear(30, 40, 50),
    "Conv1d": lambda: nn.Conv1d(16, 64, 5),
    "Conv2d": lambda: nn.Conv2d(32, 64, 3),
    "Conv3d": lambda: nn.Conv3d(8, 16, 3),
    "Conv2d channels_last": lambda: nn.Conv2d(32, 64, 3).to(memory_format=torch.channels_last),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(32, 16, 4, groups=2),
    "Embedding": lambda: nn.Embedding(500, 64, padding_idx=0),
    "EmbeddingBag": lambda: nn.EmbeddingBag(500, 64),
    "RNN": lambda: nn.RNN(32, 64),
    "LSTM": lambda: nn.LSTM(32, 64, num_layers=2, bidirectional=True),
    "GRU": lambda: nn.GRU(32, 64),
    "LSTM proj": lambda: nn.LSTM(32, 64, proj_size=16),
    "LSTMCell": lambda: nn.LSTMCell(32, 64),
    "GRUCell": lambda: nn.GRUCell(32, 64),
    "MultiheadAttention": lambda: nn.MultiheadAttention(64, 4, add_bias_kv=True),
    "MultiheadAttention kdim": lambda: nn.MultiheadAttention(64, 4, kdim=32, vdim=48),
    "Transformer": lambda: nn.Transformer(64, 4, 1, 1, 128, batch_first=True),
    "LayerNorm": lambda: nn.LayerNorm(64),
    "GroupNorm": lambda: nn.GroupNorm(4, 64),
    "BatchNorm2d": lambda: nn.BatchNorm2d(64),
    "RMSNorm": lambda: nn.RMSNorm(64),
    "PReLU": lambda: nn.PReLU(8, init=0.3),
}


def params(build, seed, patched):
    torch.manual_seed(seed)
    if patched:
        with wi.patched():
            return dict(build().named_parameters())
    return dict(build().named_parameters())


@pytest.mark.parametrize("kind", MODULES)
def test_each_module_type_has_torchs_distribution_in_weightinits_values(kind):
    """KS against torch's own constructor, parameter by parameter; constants
    exact; the same bits again on the same seed; torch's values differ."""
    build = MODULES[kind]
    ours, again, theirs = params(build, 7, True), params(build, 7, True), params(build, 8, False)
    assert list(ours) == list(theirs)
    for name, p in ours.items():
        q, t = p.detach().flatten().numpy(), theirs[name].detach().flatten().numpy()
        assert same_bits(p, again[name]), name
        if np.all(t == t[0]) or (kind == "Transformer" and "bias" in name and not np.any(t)):
            assert np.array_equal(q, t), name
            continue
        assert stats.ks_2samp(q, t).pvalue > 1e-4, name
        assert np.abs(q).max() <= np.abs(t).max() * 1.5 + 1e-6, name
        torch.manual_seed(7)
        assert not np.array_equal(q, dict(build().named_parameters())[name].detach().flatten().numpy()), name


def test_construction_on_the_meta_device_under_patch():
    with wi.patched(), torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 8), nn.LSTM(8, 8), nn.TransformerEncoderLayer(8, 2, 16))
    assert all(p.is_meta for p in model.parameters())
    # torch's original functions (held elsewhere, e.g. in a partial bound at
    # import) re-enter the replacement with tensor= through the device mode
    with wi.patched(), torch.device("meta"):
        t = torch.empty(4, 4)
        assert ORIGINALS.normal_(t, std=2.0) is t
        assert ORIGINALS.kaiming_uniform_(t, a=1.0) is t


def test_tensor_keyword():
    with wi.patched():
        torch.manual_seed(2)
        a = tinit.normal_(tensor=torch.empty(30), std=2.0)
        b = tinit.kaiming_uniform_(tensor=torch.empty(30, 4), mode="fan_out")
    torch.manual_seed(2)
    assert same_bits(a, wi.normal_(torch.empty(30), std=2.0))
    assert same_bits(b, wi.kaiming_uniform_(torch.empty(30, 4), mode="fan_out"))


class Logged(torch.Tensor):
    """A subclass with a __torch_function__ of its own (goes to torch)."""
    calls = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append(func)
        return super().__torch_function__(func, types, args, kwargs or {})


FALLBACK_TARGETS = {
    "meta": lambda: torch.empty(6, 5, device="meta"),
    "subclass": lambda: torch.empty(6, 5).as_subclass(Logged),
    "sparse": lambda: torch.zeros(6, 5).to_sparse(),
    "int64": lambda: torch.zeros(6, 5, dtype=torch.int64),
    "inference": lambda: torch.inference_mode()(lambda: torch.empty(6, 5))(),
    "uninitialized": lambda: nn.parameter.UninitializedParameter(),
}


@pytest.mark.parametrize("tensor_methods", [False, True])
@pytest.mark.parametrize("target", FALLBACK_TARGETS)
@pytest.mark.parametrize("name", [n for n in TORCH_PUBLIC_NAMES if n.endswith("_")])
def test_fallbacks_under_patch_do_what_torch_does_without_recursion(name, target, tensor_methods):
    args = {"constant_": (0.5,), "sparse_": (0.5,)}.get(name, ())
    make = FALLBACK_TARGETS[target]
    if name == "dirac_" and target not in ("uninitialized",):
        make = {"meta": lambda: torch.empty(6, 5, 3, device="meta")}.get(target, make)

    def run():
        torch.manual_seed(9)
        t = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                getattr(tinit, name)(t, *args)
                return None, t
            except Exception as e:  # noqa: BLE001 - the outcome is what is compared
                return (type(e), str(e)), t

    Logged.calls.clear()
    theirs, t_theirs = run()
    calls_theirs = list(Logged.calls)
    Logged.calls.clear()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)  # a recursion would hit this at once
    try:
        with wi.patched(tensor_methods=tensor_methods):
            ours, t_ours = run()
    finally:
        sys.setrecursionlimit(limit)
    assert ours == theirs
    # the subclass sees torch's own function objects (with tensor_methods,
    # torch hands it torch.Tensor.normal_ as it is now: the replacement)
    assert [f.__name__ for f in Logged.calls] == [f.__name__ for f in calls_theirs]
    if not tensor_methods:
        assert Logged.calls == calls_theirs
    if theirs is None and target == "subclass":
        assert torch.equal(t_ours.as_subclass(torch.Tensor), t_theirs.as_subclass(torch.Tensor))


@pytest.mark.parametrize("imported", ["before", "while patched"])
def test_sharded_tensor_reaches_torchs_handlers(tmp_path, imported):
    """Legacy ShardedTensor registers its handlers by function object (by a
    replacement, when imported while patched); under patch and after it they
    are found, and the shards they fill go to weightinit under patch (a real
    gloo process group, in a subprocess)."""
    code = textwrap.dedent(f"""
        import warnings; warnings.simplefilter("ignore")
        import contextlib, torch, torch.distributed as dist
        import weightinit as wi
        if {imported == "before"}:
            from torch.distributed._shard import sharded_tensor
        with wi.patched():
            from torch.distributed._shard import sharded_tensor
            from torch.distributed._shard.sharding_spec import ChunkShardingSpec
        dist.init_process_group("gloo", init_method="file://{tmp_path}/store", rank=0, world_size=1)
        st = sharded_tensor.empty(ChunkShardingSpec(dim=0, placements=["rank:0/cpu"]), 8, 4)
        shard = st.local_shards()[0].tensor
        for name, kw in [("uniform_", dict(a=-1.0, b=1.0)), ("normal_", dict(mean=0.0, std=2.0)),
                         ("kaiming_uniform_", dict(a=0.5)), ("constant_", dict(val=0.25))]:
            for patched, init in [(True, wi), (False, torch.nn.init)]:
                torch.manual_seed(1)
                with wi.patched() if patched else contextlib.nullcontext():
                    assert getattr(torch.nn.init, name)(st, **kw) is st
                torch.manual_seed(1)
                ref = getattr(init, name)(torch.empty(8, 4), **kw)
                print(name, torch.equal(shard, ref), flush=True)
        dist.destroy_process_group()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [w for n in ("uniform_", "normal_", "kaiming_uniform_", "constant_")
                                  for w in (n, "True", n, "True")]


def test_tensor_methods_for_the_tensors_weightinit_fills():
    g = torch.Generator().manual_seed(4)
    with wi.patched(tensor_methods=True):
        torch.manual_seed(1)
        w = nn.Parameter(torch.empty(40, 30))
        w.data.normal_(0, 0.02)
        u = torch.empty(50).uniform_(**{"from": -1, "to": 2})
        v = torch.empty(50, dtype=torch.bfloat16).uniform_(generator=g)
        with torch.no_grad():
            p = nn.Parameter(torch.empty(20)).normal_(std=3.0)
    torch.manual_seed(1)
    assert same_bits(w, wi.normal_(torch.empty(40, 30), 0, 0.02))
    assert same_bits(u, wi.uniform_(torch.empty(50), -1, 2))
    assert same_bits(p, wi.normal_(torch.empty(20), std=3.0))
    assert same_bits(v, wi.uniform_(torch.empty(50, dtype=torch.bfloat16), generator=torch.Generator().manual_seed(4)))


def test_tensor_methods_leave_everything_else_to_torch():
    def outcomes():
        torch.manual_seed(6)
        x = torch.ones(5, requires_grad=True)
        y = x * 2
        y.normal_()  # autograd records it
        out = [y.detach().clone(), type(y.grad_fn).__name__]
        out.append(torch.empty(5).normal_(torch.tensor(0.5), 1.0))  # a 0-d tensor argument
        for bad in (lambda: nn.Parameter(torch.empty(3)).normal_(),  # leaf that requires grad
                    lambda: torch.empty(3).uniform_(1.0, 0.0), lambda: torch.empty(3).normal_(0, -1.0),
                    lambda: torch.empty(3).uniform_(0, 1, 2), lambda: torch.empty(3).normal_(gen=None)):
            try:
                bad()
                out.append(None)
            except Exception as e:  # noqa: BLE001 - the outcome is what is compared
                out.append((type(e), str(e)))
        out.append(torch.empty(3, device="meta").normal_().is_meta)
        return out

    theirs = outcomes()
    with wi.patched(tensor_methods=True):
        ours = outcomes()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


@pytest.fixture
def staging():
    _target._force_staging = True
    yield
    _target._force_staging = False


def test_accelerator_tensors_get_torchs_init_by_default(staging):
    """Staging forced on CPU stands for an accelerator here (as in test_devices)."""
    torch.manual_seed(3)
    theirs = nn.Linear(64, 32)
    torch.manual_seed(3)
    with wi.patched(tensor_methods=True):
        ours = nn.Linear(64, 32)
        t = torch.empty(100).normal_()
    torch.manual_seed(3)
    nn.Linear(64, 32)
    assert torch.equal(t, torch.empty(100).normal_())
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)


def test_devices_reproducible_stages_them_with_the_cpu_values(staging):
    torch.manual_seed(3)
    with wi.patched(devices="reproducible", tensor_methods=True):
        ours = nn.Linear(64, 32)
        t = torch.empty(100).normal_()
        with wi.patched():  # an inner default level keeps the outer request
            inner = tinit.uniform_(torch.empty(10))
    _target._force_staging = False
    torch.manual_seed(3)
    w, b = linear_replay(32, 64)
    assert same_bits(ours.weight, w) and same_bits(ours.bias, b)
    assert same_bits(t, wi.normal_(torch.empty(100)))
    assert same_bits(inner, wi.uniform_(torch.empty(10)))


def test_generator_for_supplies_generators_to_fills_called_without_one():
    seen = []

    def generator_for(tensor):
        seen.append(tuple(tensor.shape))
        return wi.Generator(len(seen))

    with wi.patched(generator_for=generator_for, tensor_methods=True):
        layer = nn.Linear(8, 4)
        explicit = tinit.normal_(torch.empty(6), 0.0, 1.0, torch.Generator().manual_seed(0))
        by_method = torch.empty(5).normal_()
        with torch.device("meta"):  # tensors torch keeps never see it (torch refuses weightinit.Generator)
            nn.Linear(8, 4)
    assert seen == [(4, 8), (4,), (5,)]
    assert same_bits(layer.weight, wi.kaiming_uniform_(torch.empty(4, 8), a=math.sqrt(5), generator=wi.Generator(1)))
    assert same_bits(layer.bias, wi.uniform_(torch.empty(4), -8 ** -0.5, 8 ** -0.5, generator=wi.Generator(2)))
    assert same_bits(explicit, wi.normal_(torch.empty(6), generator=torch.Generator().manual_seed(0)))
    assert same_bits(by_method, wi.normal_(torch.empty(5), generator=wi.Generator(3)))


def test_patching_is_process_wide_and_levels_from_threads_are_serialised():
    seen = []
    with wi.patched():
        t = threading.Thread(target=lambda: seen.append(tinit.normal_ is not ORIGINALS.normal_))
        t.start()
        t.join()
    assert seen == [True]
    errors = []

    def churn():
        try:
            for _ in range(40):
                with wi.patched(tensor_methods=True):
                    nn.Linear(4, 4)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_odd_entries_in_sys_modules_are_skipped(monkeypatch):
    class Refuses:
        def __getattribute__(self, name):
            raise ImportError(f"lazy attribute {name}")

    monkeypatch.setitem(sys.modules, "odd_lazy_entry", Refuses())
    monkeypatch.setitem(sys.modules, "odd_none_entry", None)
    with wi.patched():
        assert tinit.normal_.__wrapped__ is wi.normal_
