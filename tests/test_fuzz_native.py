"""libFuzzer on the C core's entry point, wi_fill, under AddressSanitizer and
UndefinedBehaviorSanitizer (tests/fuzz_native/fuzz_fill.c says what it
checks: guard bytes, nothing written on refusal, no aliasing view accepted,
strided fills equal to contiguous scalar-path fills, views beyond 2^62
refused).  The core is compiled straight from csrc/core with clang; skipped,
with the reason, where clang or its libFuzzer runtime is missing (Debian:
apt-get install clang libclang-rt-dev, which .ci/run does).

Deterministic: a fixed seed and run count (WEIGHTINIT_NATIVE_FUZZ_RUNS,
60000 by default, about 15 s), starting from tests/fuzz_native/corpus (seed
inputs, and inputs that once failed, each replayed on its own too)."""

import os
import shutil
import subprocess

import pytest

from native_build import CORE, HERE, build as build_core

NATIVE = HERE / "fuzz_native"
CLANG = shutil.which(os.environ.get("WEIGHTINIT_CLANG", "clang"))
RUNS = int(os.environ.get("WEIGHTINIT_NATIVE_FUZZ_RUNS", "60000"))
FLAGS = ["-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
         "-fno-omit-frame-pointer"]


def build(tmp, fill_source=None):
    """The harness linked with the core; fill_source replaces csrc/core/fill.c."""
    replace = {"fill.c": fill_source} if fill_source else None
    return build_core([CLANG], FLAGS, [NATIVE / "fuzz_fill.c"], tmp / "fuzz_fill", tmp, replace=replace)


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    if CLANG is None:
        pytest.skip("clang is not installed (Debian: apt-get install clang libclang-rt-dev)")
    d = tmp_path_factory.mktemp("fuzz_native")
    probe = d / "probe.c"
    probe.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                     "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
    r = subprocess.run([CLANG, *FLAGS, str(probe), "-o", str(d / "probe")], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"clang cannot build a libFuzzer binary (Debian: apt-get install libclang-rt-dev): "
                    f"{r.stderr.strip()[-200:]}")
    return build(d)


def run(exe, tmp_path, *args):
    # No RSS limit: a child started by vfork inherits the peak RSS of this
    # process (8 GiB after test_scale.py), which libFuzzer would take for its
    # own; single allocations stay limited.
    return subprocess.run([exe, f"-artifact_prefix={tmp_path}/", "-rss_limit_mb=0", "-malloc_limit_mb=2048",
                           *args], capture_output=True, text=True, timeout=900)


def test_native_fuzz_of_wi_fill(fuzzer, tmp_path):
    work = tmp_path / "corpus"
    work.mkdir()
    r = run(fuzzer, tmp_path, "-seed=1", f"-runs={RUNS}", "-max_len=256", str(work), str(NATIVE / "corpus"))
    assert r.returncode == 0, r.stderr[-6000:]
    assert f"Done {RUNS} runs" in r.stderr, r.stderr[-2000:]


def test_native_fuzz_corpus_replays(fuzzer, tmp_path):
    inputs = sorted((NATIVE / "corpus").iterdir())
    assert inputs
    r = run(fuzzer, tmp_path, *map(str, inputs))
    assert r.returncode == 0, r.stderr[-6000:]


def test_native_fuzz_catches_a_planted_bug(fuzzer, tmp_path):
    """The negative control: a core that writes one element past each
    contiguous run is caught (the guard bytes / ASan) on the seed corpus."""
    src = (CORE / "fill.c").read_text()
    point = "pl->gen(pl->p, start, (size_t)n, ptr);"
    assert point in src, "mutation point moved: update this test"
    bad = tmp_path / "fill_bad.c"
    bad.write_text(src.replace(point, "pl->gen(pl->p, start, (size_t)n + 1, ptr);"))
    build_dir = tmp_path / "bad"
    build_dir.mkdir()
    exe = build(build_dir, bad)
    r = run(exe, tmp_path, *map(str, sorted((NATIVE / "corpus").iterdir())))
    assert r.returncode != 0
    assert "heap-buffer-overflow" in r.stderr or "deadly signal" in r.stderr, r.stderr[-3000:]
