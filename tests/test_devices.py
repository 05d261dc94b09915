"""Tensors torch treats specially: other devices go through a CPU staging
buffer with the same values as a CPU fill; meta tensors and subclasses that
override torch's dispatch are left to torch.nn.init (tested in
test_targets.py); plain subclasses are filled like tensors."""

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import weightinit as wi
from weightinit import _target
from conftest import same_bits

FILLS = [("uniform_", {"a": -1.0, "b": 2.0}), ("normal_", {"std": 0.3}), ("kaiming_uniform_", {}),
         ("xavier_normal_", {}), ("trunc_normal_", {"std": 0.5, "a": -0.2, "b": 0.9})]


@pytest.fixture
def staging():
    _target._force_staging = True
    yield
    _target._force_staging = False


def direct_then_staged(make, name, kwargs):
    torch.manual_seed(5)
    ref = getattr(wi, name)(make(), **kwargs)
    _target._force_staging = True
    try:
        torch.manual_seed(5)
        t = make()
        v0 = t._version
        out = getattr(wi, name)(t, **kwargs)
    finally:
        _target._force_staging = False
    assert out is t
    return ref, t, t._version - v0


@pytest.mark.parametrize("name,kwargs", FILLS)
@pytest.mark.parametrize("make", [lambda: torch.empty(40, 30), lambda: torch.empty(30, 40, dtype=torch.bfloat16).t(),
                                  lambda: torch.nn.Parameter(torch.empty(40, 30, dtype=torch.float16)),
                                  lambda: torch.empty(50, 70, dtype=torch.float64)[5:45, ::2]])
def test_staging_gives_the_direct_values(make, name, kwargs):
    ref, t, bumps = direct_then_staged(make, name, kwargs)
    assert same_bits(t, ref)
    assert bumps == 1


def test_staging_complex_block_and_refusals(staging):
    c = torch.empty(64, dtype=torch.complex64)
    wi.normal_(c, generator=wi.Generator(1))
    _target._force_staging = False
    ref = wi.normal_(torch.empty(64, dtype=torch.complex64), generator=wi.Generator(1))
    assert torch.equal(c, ref)
    _target._force_staging = True
    part = torch.empty(10, 20)
    wi.uniform_(wi.block(part, (30, 20), (10, 0)), generator=wi.Generator(2))
    full = torch.empty(30, 20)
    _target._force_staging = False
    wi.uniform_(full, generator=wi.Generator(2))
    assert torch.equal(part, full[10:20])
    _target._force_staging = True
    x = torch.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="more than one element"):
        wi.normal_(x)
    with pytest.raises(RuntimeError, match="from=1 > to=0"):
        wi.uniform_(torch.zeros(3), 1.0, 0.0)


def test_staged_reinit_of_a_saved_tensor_breaks_backward(staging):
    w = torch.nn.Parameter(torch.randn(3, 3))
    y = (w * torch.randn(3, 3, requires_grad=True)).sum()
    wi.kaiming_uniform_(w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("name,kwargs", FILLS)
def test_cuda_equals_cpu(name, kwargs):
    torch.manual_seed(3)
    cpu = getattr(wi, name)(torch.empty(64, 48), **kwargs)
    torch.manual_seed(3)
    gpu = getattr(wi, name)(torch.empty(64, 48, device="cuda"), **kwargs)
    assert torch.equal(gpu.cpu(), cpu)


class Plain(torch.Tensor):
    """A subclass that changes nothing about dispatch."""


def test_plain_subclasses_and_buffers_are_filled_natively():
    t = torch.empty(20, 10).as_subclass(Plain)
    wi.normal_(t, generator=wi.Generator(4))
    assert torch.equal(t.as_subclass(torch.Tensor), wi.normal_(torch.empty(20, 10), generator=wi.Generator(4)))
    b = torch.nn.Buffer(torch.empty(20, 10))
    wi.normal_(b, generator=wi.Generator(4))
    assert torch.equal(b, t.as_subclass(torch.Tensor))


def test_uninitialized_parameters_raise_as_in_torch():
    for init in (wi, tinit):
        with pytest.raises(ValueError, match="uninitialized parameter"):
            init.uniform_(torch.nn.parameter.UninitializedParameter())


def test_sparse_tensors_go_to_torch():
    s = torch.zeros(4, 4).to_sparse()
    with pytest.raises(Exception) as ours:
        wi.normal_(s)
    with pytest.raises(Exception) as theirs:
        tinit.normal_(torch.zeros(4, 4).to_sparse())
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                                  "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "orthogonal_", "sparse_"])
def test_fallbacks_call_torchs_own_functions_whatever_torch_nn_init_holds(name, monkeypatch):
    """A meta tensor goes to torch's original function, not to what
    torch.nn.init holds now (weightinit.patch() puts weightinit's there)."""
    args = {"constant_": (0.5,), "sparse_": (0.5,)}.get(name, ())
    shape = (6, 4, 3) if name == "dirac_" else (6, 4)

    def trap(*a, **k):
        raise AssertionError(f"torch.nn.init.{name} as it is now was called")

    monkeypatch.setattr(tinit, name, trap)
    t = torch.empty(shape, device="meta")
    assert getattr(wi, name)(t, *args) is t
