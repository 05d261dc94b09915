"""The binding's declared stance (csrc/binding/module.c, "Interpreters and
the GIL"): weightinit._core refuses to load in a subinterpreter, even one
that shares the main interpreter's GIL (which admits modules that merely
support several interpreters; Python >= 3.13 can create one).  Run in a
subprocess, with the extension loaded straight from its file so that
NumPy's own refusal does not answer first."""

import subprocess
import sys

import pytest

import weightinit._core

CODE = """
import sys
import _interpreters as interpreters
probe = '''
import importlib.util
spec = importlib.util.spec_from_file_location("weightinit._core", {path!r})
try:
    importlib.util.module_from_spec(spec)
    raise SystemExit("loaded")
except ImportError as e:
    assert "does not support loading in subinterpreters" in str(e), e
'''
interp = interpreters.create(interpreters.new_config("isolated", gil="shared"))
err = interpreters.run_string(interp, probe.format(path=sys.argv[1]))
assert err is None, err
print("refused")
"""


@pytest.mark.skipif(sys.version_info < (3, 13), reason="subinterpreters sharing the GIL: Python >= 3.13")
def test_core_refuses_subinterpreters():
    r = subprocess.run([sys.executable, "-c", CODE, weightinit._core.__file__], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "refused", r.stdout + r.stderr
