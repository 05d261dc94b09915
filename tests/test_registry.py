"""tests/registry.py against the core: the same distributions and dtypes,
with the same codes, so that no distribution of the core escapes the tests
parametrised from the registry.  Likewise weightinit.__all__, which the
typing, fuzz and init_model tests are parametrised from: it holds every
public name, and README names every public fill function."""

import inspect
from pathlib import Path

import pytest

import weightinit as wi
from registry import DISTS, DTYPES
from weightinit import _core


def test_every_registered_distribution_is_a_core_constant():
    codes = {d.name: d.code for d in DISTS}  # an AttributeError names a constant the core lacks
    assert sorted(codes.values()) == list(range(len(DISTS))), codes


def test_the_core_has_no_distribution_beyond_the_registry():
    by_code = sorted(DISTS, key=lambda d: d.code)
    assert list(_core.DISTRIBUTIONS) == [d.name for d in by_code]  # the core's own list (WI_DISTS)
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


def test_every_public_name_is_in_all():
    public = {n for n in dir(wi) if not n.startswith("_") and not inspect.ismodule(getattr(wi, n))}
    assert public - set(wi.__all__) == set(), "add these to weightinit.__all__"


def test_readme_names_every_public_fill_function():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [n for n in wi.__all__ if n.endswith("_") and f"`{n}" not in readme]
    assert not missing, f"README.md does not name {missing}"
