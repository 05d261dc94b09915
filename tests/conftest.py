"""Shared helpers: torch is imported here (tests need it); weightinit itself
does not import it (tested in a subprocess in test_targets.py).  Without
torch, only the tests that never import it run (test_wheel.py and
test_rng.py: what a built wheel is checked with)."""

import warnings

import numpy as np
import pytest

import weightinit as wi
from registry import DTYPES

try:
    import torch
except ImportError:
    torch = None

FLOAT_TORCH = [getattr(torch, d.name) for d in DTYPES] if torch else []


def bits(x):
    """The raw bits of a tensor or array, as a NumPy integer array."""
    if torch is not None and isinstance(x, torch.Tensor):
        x = x.detach().contiguous()
        view = {2: torch.int16, 4: torch.int32, 8: torch.int64}[x.element_size()]
        return x.view(view).numpy().view({2: np.uint16, 4: np.uint32, 8: np.uint64}[x.element_size()])
    x = np.ascontiguousarray(x)
    return x.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[x.itemsize]).copy()


def same_bits(a, b):
    return np.array_equal(bits(a), bits(b))


class DL:
    """A foreign array that offers only __dlpack__ and shape, so weightinit
    fills it through a DLPack capsule."""

    def __init__(self, t):
        self.t = t
        self.shape = tuple(t.shape)

    def __dlpack__(self, **kwargs):
        return self.t.__dlpack__(**kwargs)


def assert_signature_matches_torch(name):
    """weightinit.<name> takes torch.nn.init.<name>'s parameters: names, kinds,
    and defaults of the same type and value."""
    import inspect

    import torch.nn.init as tinit

    ours = inspect.signature(getattr(wi, name)).parameters
    theirs = inspect.signature(getattr(tinit, name)).parameters
    assert list(ours) == list(theirs)
    for p, q in zip(ours.values(), theirs.values()):
        assert p.kind == q.kind
        assert type(p.default) is type(q.default) and repr(p.default) == repr(q.default)


def outcome(fn, *args, **kwargs):
    """(exception type and message or None, warnings as (category, text)) of
    one call: what differential tests compare between weightinit and torch."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn(*args, **kwargs)
            exc = None
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            exc = (type(e), str(e))
    return exc, [(w.category, str(w.message)) for w in caught]


@pytest.fixture
def every_path():
    """Yields a function that runs the body on every (ISA, thread count) --
    for isa, threads in every_path(): ... -- restoring both after."""
    isa, threads = wi.isa(), wi.get_num_threads()

    def each():
        for i in wi.available_isas():
            for n in (1, 2, 3):
                wi.set_isa(i)
                wi.set_num_threads(n)
                yield i, n

    yield each
    wi.set_isa(isa)
    wi.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _fresh_seeds():
    if torch is not None:
        torch.manual_seed(1234)
    wi.manual_seed(1234)
    yield


@pytest.fixture(scope="module")
def torch_one_thread():
    """Small models run on one torch thread: on a busy 2-core machine torch's
    second OpenMP thread makes a 128x32x32 matmul 40x slower."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
