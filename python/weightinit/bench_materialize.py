"""Benchmark: building a transformers Llama by ``weightinit.materialize`` from
the meta device against ``from_config`` under ``weightinit.patched()``.

    python -m weightinit.bench_materialize [--repeat R] [--dtype float32|bfloat16] [--torch] [--json FILE]

The model is a ~0.84 B-parameter LlamaForCausalLM (hidden 2048, 16 layers,
intermediate 5632, 32 heads, 4 key-value heads, vocab 32000).  In one
process, alternating, R rounds of:

* ``from_config`` under ``patched()``: torch's constructor init of every
  module, then HF's ``_init_weights`` over it, both through weightinit;
* ``materialize``: ``from_config`` under ``torch.device("meta")`` (no memory,
  no fills), then ``materialize(model, "cpu", seed=0)``: allocation and HF's
  rules once;
* a memset ``fill_(0.5)`` of every parameter of the materialised model (the
  floor for writing those bytes once);
* with ``--torch``, ``from_config`` with torch's own init (slow: several
  seconds a round).

Reported: the median seconds of each and the speed-up of materialize over
from_config under patched().  Needs torch and transformers.
"""

import argparse
import gc
import json
import statistics
import sys
import time

import weightinit as wi

LLAMA = dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=16, num_attention_heads=32,
             num_key_value_heads=4, vocab_size=32000)


def _timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(repeat, dtype_name, with_torch):
    import torch
    import transformers

    dtype = getattr(torch, dtype_name)
    cfg = transformers.LlamaConfig(**LLAMA)
    auto = transformers.AutoModelForCausalLM
    transformers.logging.set_verbosity_error()

    def from_config_patched():
        torch.manual_seed(0)
        with wi.patched():
            return auto.from_config(cfg, dtype=dtype)

    def from_config_torch():
        torch.manual_seed(0)
        return auto.from_config(cfg, dtype=dtype)

    def on_meta():
        with torch.device("meta"):
            return auto.from_config(cfg, dtype=dtype)

    times = {"from_config, patched()": [], "meta build": [], "materialize": [],
             "meta build + materialize": [], "memset of the parameters": []}
    if with_torch:
        times["from_config, torch"] = []
    params = None
    for _ in range(repeat):
        sec, model = _timed(from_config_patched)
        params = sum(p.numel() for p in model.parameters())
        times["from_config, patched()"].append(sec)
        del model
        build, model = _timed(on_meta)
        mat, _ = _timed(lambda: wi.materialize(model, "cpu", seed=0))
        times["meta build"].append(build)
        times["materialize"].append(mat)
        times["meta build + materialize"].append(build + mat)
        tensors = list(model.parameters())
        with torch.no_grad():
            sec, _ = _timed(lambda: [t.fill_(0.5) for t in tensors])
        times["memset of the parameters"].append(sec)
        del model, tensors
        if with_torch:
            sec, model = _timed(from_config_torch)
            times["from_config, torch"].append(sec)
            del model
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {"dtype": dtype_name, "parameters": params, "repeat": repeat, "config": LLAMA,
            "threads": wi.get_num_threads(), "isa": wi.isa(), "median_s": medians, "runs_s": times,
            "speedup_vs_patched_from_config":
                medians["from_config, patched()"] / medians["meta build + materialize"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--torch", action="store_true", help="also time from_config with torch's own init")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    try:
        import transformers  # noqa: F401
    except ImportError:
        print("transformers is not installed: nothing to measure", file=sys.stderr)
        return 1
    res = run(args.repeat, args.dtype, args.torch)
    print(f"LlamaForCausalLM, {res['parameters'] / 1e9:.2f} B parameters, {res['dtype']}, "
          f"median of {res['repeat']} (weightinit {res['isa']}, {res['threads']} threads)")
    for name, sec in res["median_s"].items():
        print(f"  {name:28s} {sec:7.3f} s")
    print(f"  materialize is {res['speedup_vs_patched_from_config']:.2f}x as fast as from_config under patched()")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
