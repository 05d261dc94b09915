"""What can be filled and what is refused: refusals leave the target
byte-for-byte unchanged; autograd sees the in-place change as it does for
torch.nn.init; DLPack, Parameters, subclasses, meta tensors; the GIL is
released; importing weightinit does not import torch; the quick path of plain
CPU tensors (_target.quick_fill) does what the general path does."""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import weightinit as wi
from weightinit import _target
from conftest import DL, bits

RANDOM = [("uniform_", {}), ("normal_", {}), ("xavier_uniform_", {}), ("xavier_normal_", {}),
          ("kaiming_uniform_", {}), ("kaiming_normal_", {})]


def refused(name, kwargs, target, exc):
    snapshot = bits(target.detach() if isinstance(target, torch.Tensor) else target)
    with pytest.raises(exc):
        getattr(wi, name)(target, **kwargs)
    after = bits(target.detach() if isinstance(target, torch.Tensor) else target)
    assert np.array_equal(snapshot, after)


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_read_only_arrays_are_refused(name, kwargs):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    a.setflags(write=False)
    refused(name, kwargs, a, ValueError)
    b = np.broadcast_to(np.ones((1, 4), np.float64), (3, 4))
    refused(name, kwargs, b, ValueError)


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_overlapping_memory_is_refused(name, kwargs):
    base = torch.arange(3.0).reshape(3, 1)
    refused(name, kwargs, base.expand(3, 4), RuntimeError)
    refused(name, kwargs, torch.arange(20.0).as_strided((4, 4), (1, 1)), RuntimeError)
    arr = np.arange(20.0)
    refused(name, kwargs, np.lib.stride_tricks.as_strided(arr, (4, 4), (8, 8)), RuntimeError)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_arrays_are_refused_like_torch(dtype):
    a = np.arange(12).astype(dtype).reshape(3, 4)
    t = torch.from_numpy(a.copy())
    for name in ["uniform_", "normal_", "kaiming_uniform_"]:
        with pytest.raises(Exception) as theirs:
            getattr(tinit, name)(t.clone())
        refused(name, {}, a, type(theirs.value))
        assert type(theirs.value) is NotImplementedError


@pytest.mark.parametrize("target", [[1.0, 2.0], None, "abc", 3.0, np.float32(2.0)])
def test_objects_that_are_not_tensors_are_refused(target):
    with pytest.raises((TypeError, AttributeError)):
        wi.uniform_(target)


def test_other_numpy_dtypes_and_byte_order():
    refused("normal_", {}, np.array(["a", "b"]), TypeError)
    refused("normal_", {}, np.zeros(4, dtype=">f4"), TypeError)


def test_bad_arguments_leave_the_target_untouched():
    for dtype in [torch.float32, torch.bfloat16]:
        t = torch.randn(4, 5).to(dtype)
        refused("uniform_", {"a": 1.0, "b": 0.0}, t, RuntimeError)
        refused("normal_", {"std": -1.0}, t, RuntimeError)
        refused("uniform_", {"generator": "seed"}, t, TypeError)


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_version_counter_moves_like_torch(name, kwargs):
    ours, theirs = torch.empty(6, 7), torch.empty(6, 7)
    v0 = ours._version
    getattr(wi, name)(ours, **kwargs)
    getattr(tinit, name)(theirs, **kwargs)
    assert ours._version - v0 == theirs._version - v0 == 1


@pytest.mark.parametrize("init", [wi, tinit])
def test_reinitialising_a_tensor_saved_for_backward_breaks_backward(init):
    w = torch.nn.Parameter(torch.randn(3, 3))
    x = torch.randn(3, 3, requires_grad=True)
    y = (w * x).sum()  # mul saves w for backward
    init.kaiming_uniform_(w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_parameters_stay_leaves_that_require_grad():
    lin = torch.nn.Linear(20, 30)
    out = wi.kaiming_uniform_(lin.weight, a=5 ** 0.5)
    assert out is lin.weight
    assert lin.weight.requires_grad and lin.weight.is_leaf and lin.weight.grad_fn is None
    lin(torch.randn(2, 20)).sum().backward()
    assert lin.weight.grad is not None


def test_view_of_a_parameter_and_no_grad_context():
    p = torch.nn.Parameter(torch.zeros(8, 8))
    with torch.no_grad():
        wi.normal_(p[2:6, ::2])
    assert (p[2:6, ::2] != 0).all() and (p[:2] == 0).all()
    wi.uniform_(p[0])  # outside no_grad, as torch.nn.init allows
    assert (p[0] != 0).all()


def test_inference_mode():
    with torch.inference_mode():
        t = torch.empty(10)
        wi.normal_(t)
        assert t.abs().sum() > 0
    outside = outcome_type(lambda: wi.normal_(t)), outcome_type(lambda: tinit.normal_(t))
    assert outside[0] == outside[1] == RuntimeError


def outcome_type(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e)
    return None


def test_dlpack_objects_are_filled_and_capsules_consumed_once():
    t = torch.zeros(40, 30, dtype=torch.bfloat16)
    for _ in range(200):  # every capsule is released exactly once
        wi.normal_(DL(t))
    assert (t != 0).float().mean() > 0.99
    ref = torch.empty(40, 30, dtype=torch.bfloat16)
    wi.normal_(ref, generator=wi.Generator(9))
    wi.normal_(DL(t), generator=wi.Generator(9))
    assert torch.equal(t, ref)
    cap = torch.zeros(3).__dlpack__()
    wi._core.fill(cap, wi._core.UNIFORM, 0.0, 1.0, 1, 0)
    with pytest.raises(ValueError, match="consumed"):
        wi._core.fill(cap, wi._core.UNIFORM, 0.0, 1.0, 1, 0)


def test_dlpack_versioned_capsule_and_strides():
    t = torch.zeros(10, 12).t()[::2]  # non-contiguous
    cap = t.__dlpack__(max_version=(1, 0))
    wi._core.fill(cap, wi._core.NORMAL, 0.0, 1.0, 5, 0)
    ref = torch.empty(6, 10)
    wi._core.fill((ref.data_ptr(), wi._core.F32, ref.shape, ref.stride()), wi._core.NORMAL, 0.0, 1.0, 5, 0)
    assert torch.equal(t, ref)


class Tagged(torch.Tensor):
    seen = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.seen.append(getattr(func, "__name__", str(func)))
        return super().__torch_function__(func, types, args, kwargs or {})


def test_subclasses_with_torch_function_go_through_torch():
    t = torch.empty(4, 4).as_subclass(Tagged)
    Tagged.seen.clear()
    wi.uniform_(t)
    assert "uniform_" in Tagged.seen


def test_meta_tensors_behave_as_in_torch():
    for name, kwargs in RANDOM:
        m = torch.empty(5, 6, device="meta")
        assert getattr(wi, name)(m, **kwargs) is m
    for args in [(1.0, 0.0), ("x",)]:
        ours = outcome_type(lambda: wi.uniform_(torch.empty(3, device="meta"), *args))
        theirs = outcome_type(lambda: tinit.uniform_(torch.empty(3, device="meta"), *args))
        assert ours == theirs


def test_zero_element_tensors():
    for shape in [(0,), (0, 5), (5, 0, 3)]:
        assert wi.uniform_(torch.empty(shape)).numel() == 0
        assert wi.normal_(np.empty(shape)).size == 0
    for shape in [(0, 5), (5, 0, 3)]:
        for target in [torch.empty(shape), np.empty(shape)]:
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                wi.kaiming_normal_(target)


def test_the_gil_is_released_while_filling():
    big = np.empty(1 << 25, np.float32)
    done = threading.Event()
    started = threading.Event()
    ticks = [0]

    def spin():
        started.set()
        while not done.is_set():
            ticks[0] += 1

    th = threading.Thread(target=spin)
    th.start()
    started.wait()
    t0 = time.perf_counter()
    before = ticks[0]
    wi.normal_(big)
    during = ticks[0] - before
    elapsed = time.perf_counter() - t0
    done.set()
    th.join()
    # A fill that held the GIL would freeze the spinning thread for its whole duration.
    assert elapsed > 0.02
    assert during > 1000


def test_import_does_not_import_torch():
    code = "import sys, weightinit, numpy as np; weightinit.normal_(np.empty(3)); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_model_level_tools_load_on_first_use():
    code = ("import sys, weightinit, numpy as np; weightinit.normal_(np.empty(3)); "
            "tools = ('_patch', '_model', '_materialize', '_inspect', '_lsuv'); "
            "print(sorted(t for t in tools if 'weightinit.' + t in sys.modules)); "
            "weightinit.patched; weightinit.init_model; weightinit.lsuv_; "
            "print(sorted(t for t in tools if 'weightinit.' + t in sys.modules)); "
            "from weightinit import materialize, inspect; print(materialize.__module__, inspect.__module__); "
            "print('patched' in dir(weightinit))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:4] == ["[]", "['_lsuv', '_model', '_patch']", "weightinit._materialize weightinit._inspect", "True"]
    with pytest.raises(AttributeError, match="module 'weightinit' has no attribute 'patchd'"):
        wi.patchd


def test_isa_selection():
    assert wi.isa() in wi.available_isas()
    assert "scalar" in wi.available_isas()
    with pytest.raises(ValueError):
        wi.set_isa("no-such-isa")


def _quick_cases():
    """(name, kwargs, make tensor, make generator) for fills _target.quick_fill takes."""
    made = {"f32": lambda: torch.empty(7, 9), "bf16": lambda: torch.empty(4, 16, dtype=torch.bfloat16),
            "f16": lambda: torch.empty(3, 40, dtype=torch.float16),
            "f64 transposed": lambda: torch.empty(9, 7, dtype=torch.float64).t(),
            "f32 sliced": lambda: torch.empty(8, 20)[1::2, 3:],
            "parameter": lambda: torch.nn.Parameter(torch.empty(5, 6)),
            "zero elements": lambda: torch.empty(0, 4)}
    gens = {"default": lambda: None, "torch": lambda: torch.Generator().manual_seed(5),
            "weightinit": lambda: wi.Generator(5)}
    fills = [("uniform_", {"a": -0.5, "b": 2.0}), ("normal_", {"mean": 1.0, "std": 3.0}),
             ("trunc_normal_", {"std": 0.02}), ("xavier_uniform_", {}), ("kaiming_normal_", {})]
    return [pytest.param(name, kw, make, gen, id=f"{name}-{kind}-{g}")
            for name, kw in fills for kind, make in made.items() for g, gen in gens.items()
            if not (kind == "zero elements" and name.startswith(("xavier", "kaiming")))]


def _run(name, kw, make, gen, general):
    """Fill a fresh tensor, by quick_fill or (with an observer) by the general path:
    the bits, the version bumps, the generator's state after."""
    observer = lambda *args: None
    if general:
        _target.observers.append(observer)
    try:
        torch.manual_seed(11)
        t, g = make(), gen()
        before = t._version
        out = getattr(wi, name)(t, **kw, generator=g)
        state = (torch.random.get_rng_state() if g is None else
                 g.get_state() if isinstance(g, torch.Generator) else torch.tensor(g.get_state()))
        return out is t, bits(t.detach()), t._version - before, state
    finally:
        if general:
            _target.observers.remove(observer)


@pytest.mark.parametrize("name,kw,make,gen", _quick_cases())
def test_the_quick_path_is_the_general_path(name, kw, make, gen):
    quick, general = _run(name, kw, make, gen, False), _run(name, kw, make, gen, True)
    assert quick[0] and general[0]
    assert np.array_equal(quick[1], general[1])
    assert quick[2] == general[2] == 1
    assert torch.equal(quick[3], general[3])


def test_quick_fill_takes_the_common_case_only():
    torch_gen, wi_gen = torch.Generator(), wi.Generator(1)
    for t, gen in [(torch.empty(4), None), (torch.empty(4, dtype=torch.bfloat16), torch_gen),
                   (torch.nn.Parameter(torch.empty(2, 3)), wi_gen), (torch.empty(6, 2).t(), None)]:
        assert _target.quick_fill(t, wi._core.UNIFORM, 0.0, 1.0, gen) is t
    with torch.inference_mode():
        inference = torch.empty(4)
    declined = [
        (torch.empty(4, device="meta"), 0.0, 1.0, None),
        (torch.empty(4, dtype=torch.complex64), 0.0, 1.0, None),
        (torch.empty(4, dtype=torch.int32), 0.0, 1.0, None),
        (torch._neg_view(torch.empty(4)), 0.0, 1.0, None),
        (inference, 0.0, 1.0, None),
        (torch.empty(4).to_sparse(), 0.0, 1.0, None),
        (np.empty(4, np.float32), 0.0, 1.0, None),
        (torch.empty(4), 0, 1.0, None),  # an int parameter: torch's parser converts it
        (torch.empty(4), 0.0, 1.0, np.random.default_rng(0)),
        (torch.empty(4), 0.0, 1.0, "not a generator"),
    ]
    for t, p0, p1, gen in declined:
        assert _target.quick_fill(t, wi._core.UNIFORM, p0, p1, gen) is None
    _target.observers.append(print)
    try:
        assert _target.quick_fill(torch.empty(4), wi._core.UNIFORM, 0.0, 1.0, None) is None
    finally:
        _target.observers.remove(print)


@pytest.mark.parametrize("name,kw", [("uniform_", {"a": 2.0, "b": 1.0}), ("uniform_", {"a": -1e300, "b": 0.0}),
                                     ("normal_", {"std": -1.0})])
def test_the_quick_path_raises_before_drawing(name, kw):
    messages = []
    for general in (False, True):
        observer = lambda *args: None
        if general:
            _target.observers.append(observer)
        try:
            torch.manual_seed(3)
            t = torch.zeros(5)
            with pytest.raises(RuntimeError) as e:
                getattr(wi, name)(t, **kw)
            messages.append(str(e.value))
            assert torch.equal(t, torch.zeros(5))
            assert torch.equal(torch.random.get_rng_state(), torch.manual_seed(3).get_state())
        finally:
            if general:
                _target.observers.remove(observer)
    assert messages[0] == messages[1]
