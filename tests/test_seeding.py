"""Where keys come from: torch's generators for torch tensors, weightinit's
Generator (or a NumPy Generator) for arrays; reproducible, fresh per call."""

import numpy as np
import pytest
import torch

import weightinit as wi
from conftest import same_bits


def sequence(generator=None):
    out = []
    for name, kw in [("uniform_", {}), ("normal_", {"std": 0.1}), ("kaiming_uniform_", {}),
                     ("xavier_normal_", {}), ("kaiming_normal_", {"mode": "fan_out"})]:
        t = torch.empty(16, 24, dtype=torch.bfloat16)
        getattr(wi, name)(t, generator=generator, **kw)
        out.append(t)
    return out


def test_torch_manual_seed_reproduces_a_sequence_of_calls():
    torch.manual_seed(42)
    first = sequence()
    after = torch.randn(3)
    torch.manual_seed(42)
    second = sequence()
    assert all(same_bits(a, b) for a, b in zip(first, second))
    assert torch.equal(torch.randn(3), after)  # torch's stream after our calls is reproducible too


def test_successive_calls_give_fresh_values():
    t = torch.empty(1000)
    wi.uniform_(t)
    first = t.clone()
    wi.uniform_(t)
    assert not torch.equal(t, first)
    arr = np.empty(1000)
    wi.normal_(arr)
    first = arr.copy()
    wi.normal_(arr)
    assert not np.array_equal(arr, first)


def test_calls_advance_torchs_default_generator():
    torch.manual_seed(0)
    plain = torch.randn(3)
    torch.manual_seed(0)
    wi.normal_(torch.empty(10))
    assert not torch.equal(torch.randn(3), plain)


def test_a_torch_generator_equals_the_default_generator_with_the_same_seed():
    g = torch.Generator()
    g.manual_seed(42)
    with_g = sequence(g)
    torch.manual_seed(42)
    default = sequence()
    assert all(same_bits(a, b) for a, b in zip(with_g, default))


def test_a_torch_generator_leaves_the_default_generator_alone():
    torch.manual_seed(3)
    expected = torch.randn(4)
    torch.manual_seed(3)
    wi.uniform_(torch.empty(100), generator=torch.Generator().manual_seed(1))
    assert torch.equal(torch.randn(4), expected)


def test_weightinit_manual_seed_for_numpy():
    wi.manual_seed(7)
    a = wi.normal_(np.empty(500))
    b = wi.uniform_(np.empty(500, np.float32))
    wi.manual_seed(7)
    assert np.array_equal(wi.normal_(np.empty(500)), a)
    assert np.array_equal(wi.uniform_(np.empty(500, np.float32)), b)
    assert wi.initial_seed() == 7


def test_weightinit_generator_state():
    g = wi.Generator(123)
    wi.normal_(np.empty(10), generator=g)
    state = g.get_state()
    assert state == (123, 1)
    x = wi.normal_(np.empty(10), generator=g)
    g.set_state(state)
    assert np.array_equal(wi.normal_(np.empty(10), generator=g), x)
    assert g.initial_seed() == 123
    assert wi.Generator(-1).initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError):
        wi.Generator(2**64)
    with pytest.raises(TypeError):
        wi.Generator("7")


def test_weightinit_generator_gives_the_same_values_to_torch_and_numpy():
    t = torch.empty(30, 40)
    wi.kaiming_normal_(t, generator=wi.Generator(8))
    arr = np.empty((30, 40), np.float32)
    wi.kaiming_normal_(arr, generator=wi.Generator(8))
    np.testing.assert_array_equal(t.numpy(), arr)


def test_numpy_generator_is_accepted_and_advanced():
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    a = wi.uniform_(np.empty(100), generator=g1)
    b = wi.uniform_(np.empty(100), generator=g2)
    assert np.array_equal(a, b)
    assert g1.random() == g2.random()
    c = wi.uniform_(np.empty(100), generator=g1)
    assert not np.array_equal(a, c)
    t = torch.empty(100, dtype=torch.float64)
    wi.uniform_(t, generator=np.random.default_rng(5))
    assert np.array_equal(t.numpy(), a)


def test_numpy_default_does_not_touch_torchs_generator():
    torch.manual_seed(0)
    expected = torch.randn(3)
    torch.manual_seed(0)
    wi.normal_(np.empty(10))
    assert torch.equal(torch.randn(3), expected)


def test_constant_fills_draw_nothing():
    state = wi.default_generator.get_state()
    wi.constant_(np.empty(5), 2.0)
    wi.zeros_(np.empty(5))
    assert wi.default_generator.get_state() == state


GENERATOR_FUNCTIONS = [("uniform_", {}), ("normal_", {}), ("trunc_normal_", {"std": 0.3}),
                       ("xavier_uniform_", {}), ("xavier_normal_", {}), ("kaiming_uniform_", {}),
                       ("kaiming_normal_", {}), ("orthogonal_", {}), ("sparse_", {"sparsity": 0.3})]


@pytest.mark.parametrize("name,kw", GENERATOR_FUNCTIONS, ids=[n for n, _ in GENERATOR_FUNCTIONS])
def test_a_forked_generator_is_a_generator_of_its_derived_seed(name, kw):
    """fork(name) is usable as generator= by every function that takes one,
    and is exactly Generator(its derived seed): the parent's state plays no part."""
    parent = wi.Generator(99)
    wi.normal_(np.empty(3), generator=parent)  # advancing the parent changes nothing
    forked = parent.fork("layers.1.mlp.weight")
    plain = wi.Generator(forked.initial_seed())
    assert forked.get_state() == (wi.Generator(99).fork("layers.1.mlp.weight").initial_seed(), 0)
    for make in (lambda: torch.empty(12, 9), lambda: np.empty((12, 9), np.float32)):
        a, b = make(), make()
        getattr(wi, name)(a, generator=forked, **kw)
        getattr(wi, name)(b, generator=plain, **kw)
        assert same_bits(a, b)
    assert forked.get_state() == plain.get_state()


def test_fork_gives_distinct_keys_and_checks_the_name():
    g = wi.Generator(0)
    keys = {g.fork(n).initial_seed() for n in ("w", "w ", "W", "layers.1.w", "layers.10.w", "")}
    assert len(keys) == 6
    assert wi.Generator(1).fork("w").initial_seed() != g.fork("w").initial_seed()
    with pytest.raises(TypeError, match="name must be a str, not bytes"):
        g.fork(b"w")
