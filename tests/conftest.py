"""Shared helpers: torch is imported here (tests need it); weightinit itself
does not import it (tested in a subprocess in test_targets.py)."""

import numpy as np
import pytest
import torch

import weightinit as wi

FLOAT_TORCH = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
FLOAT_NUMPY = [np.float16, np.float32, np.float64]


def bits(x):
    """The raw bits of a tensor or array, as a NumPy integer array."""
    if isinstance(x, torch.Tensor):
        x = x.detach().contiguous()
        view = {2: torch.int16, 4: torch.int32, 8: torch.int64}[x.element_size()]
        return x.view(view).numpy().view({2: np.uint16, 4: np.uint32, 8: np.uint64}[x.element_size()])
    x = np.ascontiguousarray(x)
    return x.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[x.itemsize]).copy()


def same_bits(a, b):
    return np.array_equal(bits(a), bits(b))


@pytest.fixture(autouse=True)
def _fresh_seeds():
    torch.manual_seed(1234)
    wi.manual_seed(1234)
    yield
