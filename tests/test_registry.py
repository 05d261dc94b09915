"""tests/registry.py against the core: the same distributions and dtypes,
with the same codes, so that no distribution of the core escapes the tests
parametrised from the registry."""

import pytest

import weightinit as wi
from registry import DISTS, DTYPES
from weightinit import _core


def test_every_registered_distribution_is_a_core_constant():
    codes = {d.name: d.code for d in DISTS}  # an AttributeError names a constant the core lacks
    assert sorted(codes.values()) == list(range(len(DISTS))), codes


def test_the_core_has_no_distribution_beyond_the_registry():
    generated = getattr(_core, "DISTRIBUTIONS", None)  # the core's own list, where it exports one
    if generated is not None:
        by_code = sorted(DISTS, key=lambda d: d.code)
        assert [str(n).lower() for n in generated] == [d.name for d in by_code]
    for d in DISTS:  # every registered code is in the core's range (its first case is valid) ...
        p0, p1, p2, p3 = d.core_params(d.cases[0])
        _core.check(d.code, p0, p1, _core.F64, p2, p3)
    with pytest.raises(ValueError, match="out of range"):  # ... and the next one is not
        _core.check(len(DISTS), 0.0, 1.0, _core.F64)


def test_dtypes_match_the_core():
    assert sorted(d.code for d in DTYPES) == list(range(len(DTYPES)))
    with pytest.raises(ValueError, match="out of range"):
        _core.check(_core.UNIFORM, 0.0, 1.0, len(DTYPES))


def test_every_distribution_has_cases_and_public_fills():
    for d in DISTS:
        assert d.cases and all(len(c) == len(d.params) for c in d.cases), d.name
        assert d.public and all(callable(getattr(wi, f)) for f, _ in d.public), d.name
        assert callable(getattr(wi, d.fill)), d.name
