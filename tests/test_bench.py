"""The benchmark runs (a real subprocess, tiny sizes) and reports what it
measured: every fill on every path, the memset reference, the per-call and
orthogonal_ costs per path, the OpenMP wait policy.  No timing is asserted:
speed is for the benchmark itself to show."""

import json
import os
import subprocess
import sys

import weightinit as wi
from weightinit.bench import FILLS


def test_benchmark_reports_every_path(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    r = subprocess.run([sys.executable, "-m", "weightinit.bench", "--elements", "4096", "--repeat", "1",
                        "--isa", "all", "--orthogonal", "64", "--json", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    paths = list(wi.available_isas())
    assert res["info"]["isas"] == paths and res["info"]["omp_wait_policy"] == "PASSIVE"
    for dtype in ("float32", "bfloat16"):
        rows = [f for f in res["fills"] if f["dtype"] == dtype]
        assert {(f["case"], f["isa"]) for f in rows if f["case"].startswith("weightinit.")} == {
            (f"weightinit.{name}", p) for name, _ in FILLS for p in paths}
        assert any(f["case"] == "memset fill_(0.5)" for f in rows)
        [ref] = [f for f in rows if f["case"] == "memset fill_(0.5) before each case"]
        assert ref["share_of_memset"] == 1.0 and ref["GB/s"] > 0
        assert all(f["speedup_vs_torch"] > 0 for f in rows if f["case"].startswith("weightinit."))
    assert {(c["case"], c["isa"]) for c in res["per_call_seconds"]} == \
        {("weightinit.uniform_", p) for p in paths} | {("torch.nn.init.uniform_", None)}
    assert {c["isa"] for c in res["orthogonal_seconds"]} == set(paths) | {None}
    for p in paths:
        assert f"per call, 64-element bias uniform_ ({p})" in r.stdout


def test_benchmark_refuses_an_unknown_path():
    r = subprocess.run([sys.executable, "-m", "weightinit.bench", "--isa", "no-such-path"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0 and "'no-such-path' is not a path this CPU runs" in r.stderr
