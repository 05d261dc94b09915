"""The typed API: mypy (pinned in the [test] extra, configured in
pyproject.toml) on the package and on tests/typing/usage.py, which calls each
public function the way users do; mypy's stubtest on the _core.pyi stub
against the built extension; every public function fully annotated and
called in the usage file.  mypy and stubtest run as subprocesses, side by
side."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import weightinit as wi

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT / "tests" / "typing" / "usage.py"
pytest.importorskip("mypy", reason="mypy is in the [test] extra: pip install '.[test]'")


@pytest.fixture(scope="module")
def checks():
    """(returncode, output) of mypy and of stubtest, started together."""
    procs = {
        "mypy": subprocess.Popen([sys.executable, "-m", "mypy"], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True),
        "stubtest": subprocess.Popen([sys.executable, "-m", "mypy.stubtest", "weightinit._core",
                                      "--mypy-config-file", "pyproject.toml"], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
    }
    return {name: (p.wait(timeout=600), p.stdout.read()) for name, p in procs.items()}


def test_mypy_passes_on_the_package_and_the_usage_file(checks):
    code, out = checks["mypy"]
    assert code == 0, out


def test_core_stub_matches_the_extension(checks):
    code, out = checks["stubtest"]
    assert code == 0, out


def _public():
    for name in wi.__all__:
        obj = getattr(wi, name)
        if inspect.isclass(obj):
            yield from ((f"{name}.{m}", f) for m, f in vars(obj).items()
                        if inspect.isfunction(f) and (not m.startswith("_") or m == "__init__"))
            for m, p in vars(obj).items():
                if isinstance(p, property):
                    yield f"{name}.{m}", p.fget
        elif inspect.isfunction(obj):
            yield name, obj


def test_public_functions_are_annotated():
    missing = []
    for name, fn in _public():
        sig = inspect.signature(fn)
        missing += [f"{name}({p})" for p in sig.parameters.values()
                    if p.name != "self" and p.annotation is inspect.Parameter.empty]
        if sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{name} -> ?")
    assert not missing, f"type hints missing on public API: {missing}"


def test_usage_file_calls_every_public_name():
    used = {node.attr for node in ast.walk(ast.parse(USAGE.read_text()))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "init"}
    missing = sorted(set(wi.__all__) - used)
    assert not missing, f"add a typed call of each to {USAGE.relative_to(ROOT)}: {missing}"
