"""Transparent huge pages for large fills (csrc/core/pages.c): a contiguous
fill of 4 MiB or more advises the whole 2 MiB pages inside its own bytes, so
fresh memory is faulted in 2 MiB at a time; WEIGHTINIT_HUGEPAGES=0 turns it
off.  Read back from /proc/self/smaps in fresh subprocesses (each test's
memory is its own); skipped where the kernel has no THP or has it off."""

import json
import os
import subprocess
import sys

import pytest

THP = "/sys/kernel/mm/transparent_hugepage/enabled"


def thp_mode():
    try:
        with open(THP) as f:
            return f.read().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        return None


pytestmark = pytest.mark.skipif(thp_mode() in (None, "never"), reason="no transparent huge pages on this kernel")

# Fills fresh torch memory (torch does not advise its allocations), then
# reports the huge-page KiB of the mappings that overlap the tensor, and a
# digest of what was written.
PROBE = r"""
import hashlib, json, sys, torch, weightinit as wi
shape, layout = json.loads(sys.argv[1]), sys.argv[2]
t = torch.empty(shape)
target = {"contiguous": t, "transposed": t.T, "small": t[:1]}[layout]
wi.normal_(target, generator=wi.Generator(7))
lo, hi = t.data_ptr(), t.data_ptr() + t.numel() * 4
inside = 0
start = end = None
with open("/proc/self/smaps") as f:
    for line in f:
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            start, end = (int(x, 16) for x in head.split("-"))
        elif head == "AnonHugePages:":
            kib = int(line.split()[1])
            if start < hi and end > lo:
                inside += kib
print(json.dumps({"inside_kib": inside, "digest": hashlib.sha256(t.numpy().tobytes()).hexdigest()}))
"""


def probe(shape, layout="contiguous", **env):
    r = subprocess.run([sys.executable, "-c", PROBE, json.dumps(shape), layout], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


SHAPE = [4096, 4096]  # 64 MiB of float32


@pytest.mark.skipif(thp_mode() != "madvise", reason="THP mode is not 'madvise': huge pages do not follow the advice")
def test_a_large_fill_gets_huge_pages_and_the_switch_turns_them_off():
    on = probe(SHAPE)
    off = probe(SHAPE, WEIGHTINIT_HUGEPAGES="0")
    assert on["inside_kib"] >= 2048, on  # at least one 2 MiB page (compaction may not find them all)
    assert off["inside_kib"] == 0, off
    assert on["digest"] == off["digest"]  # advice only: the same values


@pytest.mark.skipif(thp_mode() != "madvise", reason="THP mode is not 'madvise': huge pages do not follow the advice")
@pytest.mark.parametrize("shape, layout", [([4096, 4096], "transposed"),  # not one contiguous run
                                           ([4096, 4096], "small"),       # 16 KiB of a larger allocation
                                           ([1024, 1023], "contiguous")])  # 4 MiB less 4 KiB
def test_no_advice_for_strided_or_small_fills(shape, layout):
    assert probe(shape, layout)["inside_kib"] == 0


def test_the_values_do_not_depend_on_the_advice():
    a = probe(SHAPE, "transposed")
    b = probe(SHAPE, "transposed", WEIGHTINIT_HUGEPAGES="0")
    assert probe(SHAPE)["digest"] == probe(SHAPE, WEIGHTINIT_HUGEPAGES="0")["digest"]
    assert a["digest"] == b["digest"]
