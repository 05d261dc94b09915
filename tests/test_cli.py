"""The weightinit command line, run as real subprocesses (the console
script and ``python -m weightinit``) on a tiny factory: each subcommand,
its --help, the PNG and JSON it writes, progress bars, and the errors."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FACTORY = '''
import torch.nn as nn

def mlp():
    layers = []
    for _ in range(6):
        layers += [nn.Linear(8, 8), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(8, 2))

def not_a_model():
    return 3

def broken():
    raise RuntimeError("no weights today")
'''

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "tinynets.py").write_text(FACTORY)
    return d


def script():
    exe = Path(sys.executable).with_name("weightinit")
    return [str(exe)] if exe.exists() else [shutil.which("weightinit") or "weightinit"]


def run(workdir, *args, console=False):
    cmd = (script() if console else [sys.executable, "-m", "weightinit"]) + list(args)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=300)


def is_png(path):
    return path.read_bytes()[:8] == PNG


def test_inspect_writes_png_and_json(workdir):
    out = run(workdir, "inspect", "tinynets:mlp", "--input", "16x8", "--init", "kaiming_normal",
              "--plot", "a.png", "--json", "a.json")
    assert out.returncode == 0, out.stderr
    assert "weightinit.inspect: Sequential, 7 layers" in out.stdout and "wrote a.png" in out.stdout
    assert is_png(workdir / "a.png")
    rows = json.loads((workdir / "a.json").read_text())["layers"]
    assert [r["name"] for r in rows] == [str(2 * i) for i in range(7)]
    for r in rows:  # kaiming_normal_'s default gain is sqrt(2): He's std
        assert r["weight_std"] == pytest.approx(r["rule_std"]["he"], rel=0.3)


def test_inspect_default_init_is_the_model_as_constructed(workdir):
    out = run(workdir, "inspect", "tinynets.py:mlp", "--input", "16x8", "--json", "t.json", console=True)
    assert out.returncode == 0, out.stderr
    rows = json.loads((workdir / "t.json").read_text())["layers"]
    assert all(r["weight_std"] == pytest.approx(r["rule_std"]["torch"], rel=0.3) for r in rows)


def test_inspect_lsuv_progress_bar(workdir):
    out = run(workdir, "inspect", "tinynets:mlp", "--input", "64x8", "--init", "lsuv", "--progress",
              "--json", "l.json")
    assert out.returncode == 0, out.stderr
    assert "lsuv_ [" in out.stderr and "7/7" in out.stderr
    rows = json.loads((workdir / "l.json").read_text())["layers"]
    assert all(abs(r["act_std"] - 1) <= 0.1 for r in rows)


def test_compare_one_picture(workdir):
    out = run(workdir, "compare", "tinynets:mlp", "--input", "32x8", "--init",
              "torch,kaiming_normal,xavier_uniform_,lsuv", "--plot", "c.png", "--progress", console=True)
    assert out.returncode == 0, out.stderr
    assert "compare [" in out.stderr and "4/4" in out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["init", "layers"]
    assert [ln.split()[0] for ln in lines[2:6]] == ["torch", "kaiming_normal", "xavier_uniform_", "lsuv"]
    assert is_png(workdir / "c.png")


def test_bench_passes_its_options(workdir):
    out = run(workdir, "bench", "--elements", "4096", "--repeat", "1", "--json", "b.json", "--progress")
    assert out.returncode == 0, out.stderr
    assert "bench float32 [" in out.stderr and "bench bfloat16 [" in out.stderr
    res = json.loads((workdir / "b.json").read_text())
    assert res["info"]["elements"] == 4096 and res["info"]["repeat"] == 1
    assert any(r["case"] == "weightinit.normal_" for r in res["fills"])


@pytest.mark.parametrize("sub,needle", [("inspect", "--init METHOD"), ("compare", "--init A,B,..."),
                                        ("bench", "--elements")])
def test_help(workdir, sub, needle):
    out = run(workdir, sub, "--help", console=sub == "compare")
    assert out.returncode == 0, out.stderr
    assert f"usage: weightinit {sub}" in out.stdout and needle in out.stdout


def test_top_level_help(workdir):
    out = run(workdir, "--help")
    assert out.returncode == 0 and "{inspect,compare,bench}" in out.stdout
    out = run(workdir)
    assert out.returncode == 2 and "usage: weightinit" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["tinynets", "--input", "4x8"], "bad factory 'tinynets': expected MODULE:FACTORY"),
    (["nosuch:mlp", "--input", "4x8"], "cannot import module 'nosuch'"),
    (["tinynets:nope", "--input", "4x8"], "module 'tinynets' has no attribute 'nope'"),
    (["missing.py:mlp", "--input", "4x8"], "no file 'missing.py'"),
    (["tinynets:not_a_model", "--input", "4x8"], "returned a int, not a torch.nn.Module"),
    (["tinynets:broken", "--input", "4x8"], "the factory raised RuntimeError: no weights today"),
    (["tinynets:mlp", "--input", "4xa"], "bad --input '4xa': expected positive sizes"),
    (["tinynets:mlp", "--input", "0x8"], "bad --input '0x8'"),
    (["tinynets:mlp", "--input", "4x9"], "the model failed on an input of shape (4, 9)"),
    (["tinynets:mlp", "--input", "4x8", "--init", "he"], "bad --init 'he': expected torch, lsuv or one of"),
])
def test_errors(workdir, args, message):
    out = run(workdir, "inspect", *args)
    assert out.returncode == 2
    assert out.stderr.startswith("weightinit inspect: error: ") and message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_plot_without_matplotlib(workdir):
    """matplotlib blocked in a real subprocess: the table is printed, --plot
    is one clear error line, exit status 2."""
    block = ("import sys\n"
             "class B:\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name.split('.')[0] == 'matplotlib':\n"
             "            raise ImportError('blocked: ' + name)\n"
             "sys.meta_path.insert(0, B())\n"
             "from weightinit._cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    cmd = [sys.executable, "-c", block, "inspect", "tinynets:mlp", "--input", "16x8", "--plot", "n.png"]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert "weightinit.inspect: Sequential" in out.stdout
    assert out.stderr.startswith("weightinit inspect: error: Report.plot needs matplotlib")
    assert "pip install 'weightinit[plot]'" in out.stderr and not (workdir / "n.png").exists()
