"""The ``weightinit`` command line (also ``python -m weightinit``):

    weightinit inspect MODULE:FACTORY --input SHAPE [--init METHOD] [--plot PATH]
    weightinit compare MODULE:FACTORY --input SHAPE --init A,B,... --plot PATH
    weightinit bench [benchmark options]

A factory is a callable returning a torch.nn.Module, named as
``package.module:function`` (or ``path/to/file.py:function``); the batch
is ``torch.randn(SHAPE)`` from ``--seed``.  Errors are one line on stderr
and exit status 2; progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys
from typing import Any, Callable

from ._text import Progress, table

class CLIError(Exception):
    """A user error: printed as ``weightinit: error: ...``, exit status 2."""


def load_factory(spec: str) -> Callable[[], Any]:
    """``pkg.mod:attr.attr`` or ``file.py:attr`` -> the callable."""
    mod_name, sep, attr = spec.rpartition(":")
    if not sep or not mod_name or not attr:
        raise CLIError(f"bad factory {spec!r}: expected MODULE:FACTORY, e.g. mypkg.models:resnet50")
    if mod_name.endswith(".py") or os.sep in mod_name:
        if not os.path.isfile(mod_name):
            raise CLIError(f"bad factory {spec!r}: no file {mod_name!r}")
        spec_ = importlib.util.spec_from_file_location(os.path.basename(mod_name)[:-3] or "factory", mod_name)
        assert spec_ is not None and spec_.loader is not None  # a .py file that exists
        module = importlib.util.module_from_spec(spec_)
        try:
            spec_.loader.exec_module(module)
        except Exception as e:
            raise CLIError(f"bad factory {spec!r}: running {mod_name!r} raised {type(e).__name__}: {e}") from e
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` does: modules of the current directory
        try:
            module = importlib.import_module(mod_name)
        except ImportError as e:
            raise CLIError(f"bad factory {spec!r}: cannot import module {mod_name!r}: {e}") from e
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise CLIError(f"bad factory {spec!r}: module {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise CLIError(f"bad factory {spec!r}: {attr!r} is a {type(obj).__name__}, not a callable")
    return obj


def parse_shape(text: str) -> tuple[int, ...]:
    """``8x3x224x224`` (or ``8,3,224,224``) -> (8, 3, 224, 224)."""
    parts = text.lower().replace(",", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 for s in shape):
        raise CLIError(f"bad --input {text!r}: expected positive sizes joined by 'x', e.g. 8x3x224x224")
    return shape


def _check_method(method: str) -> str:
    """``torch`` (the model as its constructors made it), ``lsuv``, or a name
    weightinit.init_model takes."""
    from ._model import _fill_functions

    name = method.strip()
    if name in ("torch", "lsuv", "lsuv_"):
        return name.rstrip("_")
    names = _fill_functions()
    if (name[:-1] if name.endswith("_") else name) not in names:
        raise CLIError(f"bad --init {method!r}: expected torch, lsuv or one of {', '.join(names)}")
    return name


def build(factory: Callable[[], Any], shape: tuple[int, ...], method: str, seed: int,
          progress: bool) -> tuple[Any, Any]:
    """A model from the factory (after torch.manual_seed(seed)), the batch,
    and the init applied."""
    import torch

    import weightinit

    torch.manual_seed(seed)
    try:
        model = factory()
    except Exception as e:
        raise CLIError(f"the factory raised {type(e).__name__}: {e}") from e
    if not isinstance(model, torch.nn.Module):
        raise CLIError(f"the factory returned a {type(model).__name__}, not a torch.nn.Module")
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    if method == "lsuv":
        weightinit.lsuv_(model, x, progress=progress)
    elif method != "torch":
        weightinit.init_model(model, method)
    return model, x


def _run_inspect(model, x, method):
    import weightinit

    try:
        return weightinit.inspect(model, x)
    except (RuntimeError, ValueError, TypeError) as e:
        raise CLIError(f"the model failed on an input of shape {tuple(x.shape)} (init {method}): {e}") from e


def cmd_inspect(args: argparse.Namespace) -> int:
    shape = parse_shape(args.input)
    method = _check_method(args.init)
    factory = load_factory(args.factory)
    model, x = build(factory, shape, method, args.seed, sys.stderr.isatty() or args.progress)
    report = _run_inspect(model, x, method)
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
        print(f"wrote {args.json}")
    if args.plot:
        report.plot(args.plot, title=f"weightinit inspect {args.factory} --input {args.input} --init {method}")
        print(f"wrote {args.plot}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import weightinit

    shape = parse_shape(args.input)
    methods = [_check_method(m) for m in args.init.split(",") if m.strip()]
    if not methods:
        raise CLIError("bad --init '': expected a comma-separated list, e.g. torch,kaiming_normal,lsuv")
    factory = load_factory(args.factory)
    show = sys.stderr.isatty() or args.progress
    reports = {}
    with Progress(len(methods), "compare", enabled=show) as bar:
        for m in methods:
            model, x = build(factory, shape, m, args.seed, False)
            reports[m] = _run_inspect(model, x, m)
            bar.update(1, m)
    rows = []
    for m, rep in reports.items():
        if not rep.rows:
            raise CLIError("the model has no layer with parameters that the forward pass reaches")
        first, last = rep.rows[0], rep.rows[-1]
        ratio = last.act_std / first.act_std if first.act_std else math.nan
        g = (first.grad_output_std / last.grad_output_std
             if first.grad_output_std is not None and last.grad_output_std else None)
        rows.append([m, len(rep.rows), first.act_std, last.act_std, ratio, g, len(rep.flagged)])
    print(table(["init", "layers", "first out std", "last out std", "last/first", "grad first/last",
                 "flagged"], rows))
    weightinit.plot_depth(reports, args.plot, title=f"weightinit compare {args.factory} --input {args.input}")
    print(f"wrote {args.plot}")
    return 0


def cmd_bench(argv: list[str]) -> int:
    from . import bench

    force = "--progress" in argv
    argv = [a for a in argv if a != "--progress"]
    bars: dict = {}

    def progress(label, done, total):
        bar = bars.get(label)
        if bar is None:
            for old in bars.values():
                old.close()
            bar = bars[label] = Progress(total, f"bench {label}", enabled=True if force else None)
        bar.update(done - bar.done)

    try:
        bench.main(argv, prog="weightinit bench", progress=progress)
    finally:
        for bar in bars.values():
            if bar.done < bar.total:
                bar.close()
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="weightinit", description="Inspect and compare the init of a model, "
                                 "or run the fill benchmark.")
    sub = ap.add_subparsers(dest="command", metavar="{inspect,compare,bench}")
    from ._model import _fill_functions

    methods = (f"torch (as constructed), lsuv, or a method of weightinit.init_model: "
               f"{', '.join(_fill_functions())}")
    for name, helptext in [("inspect", "per-layer report of one init on a random batch"),
                           ("compare", "signal and gradient std through depth for several inits, one picture")]:
        p = sub.add_parser(name, help=helptext, description=helptext + ".")
        p.add_argument("factory", metavar="MODULE:FACTORY",
                       help="a callable returning the model: pkg.module:function or path/file.py:function")
        p.add_argument("--input", required=True, metavar="SHAPE", help="batch shape, e.g. 8x3x224x224")
        if name == "inspect":
            p.add_argument("--init", default="torch", metavar="METHOD", help=f"the init: {methods} (default torch)")
            p.add_argument("--plot", metavar="PATH", help="also write the report's PNG here (needs matplotlib)")
            p.add_argument("--json", metavar="PATH", help="also write the numbers as JSON here")
        else:
            p.add_argument("--init", required=True, metavar="A,B,...", help=f"comma-separated inits: {methods}")
            p.add_argument("--plot", required=True, metavar="PATH", help="the PNG to write (needs matplotlib)")
        p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before the model is built, "
                       "and the batch's seed (default 0)")
        p.add_argument("--progress", action="store_true", help="progress bar on stderr even when it is not a terminal")
    sub.add_parser("bench", add_help=False,
                   help="the fill benchmark (python -m weightinit.bench): its options, and --progress")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = parser()
    if argv[:1] == ["bench"]:
        return cmd_bench(argv[1:])
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help()
        return 2
    try:
        return {"inspect": cmd_inspect, "compare": cmd_compare}[args.command](args)
    except CLIError as e:
        print(f"weightinit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        if "matplotlib" in str(e):
            print(f"weightinit {args.command}: error: {e}", file=sys.stderr)
            return 2
        raise
