"""weightinit.init_model(): (re-)initialise a whole torch model through
weightinit's public functions, by one rule per layer type, and return a
record of what was done (parameter, shape, rule, resulting distribution).

``method="torch"`` runs every submodule's own ``reset_parameters`` (or
``_reset_parameters``), children first as construction does, under
``weightinit.patched()``.  Any other method is a weightinit fill function
named without its trailing underscore, looked up on the package at call
time (so every fill function weightinit has works, with exactly its
semantics), or a callable ``fn(tensor, **kwargs)``; RULES below says which
tensor of which layer it is applied to.  The resulting distribution in the
record is the one weightinit's own function computed, seen through
``_target.observers``.
"""

import inspect
import math
from typing import TYPE_CHECKING, Callable, Iterable, NamedTuple

from . import _target
from ._api import _calculate_fan_in_and_fan_out
from ._frameworks import torch_info
from ._patch import patched
from ._random import _check_generator

if TYPE_CHECKING:
    import torch

__all__ = ["init_model", "InitRecord", "InitEntry", "RULES"]

# (layer types, parameters, rule): the table in the README (tested)
RULES = (
    ("Linear, Bilinear, Conv1-3d, ConvTranspose1-3d", "weight", "the method, fans as torch computes them"),
    ("Embedding, EmbeddingBag", "weight", "the method, then the padding_idx row zero"),
    ("RNN, LSTM, GRU and their cells", "weight_ih_*, weight_hh_*, weight_hr_*", "the method on each matrix"),
    ("MultiheadAttention", "in_proj_weight", "the method on each of the q, k, v blocks (E x E)"),
    ("MultiheadAttention", "q/k/v_proj_weight, bias_k, bias_v; out_proj as a Linear", "the method"),
    ("all of the above", "bias, bias_ih_*, bias_hh_*, in_proj_bias", "the bias policy"),
    ("BatchNorm*, InstanceNorm*, LayerNorm, GroupNorm, RMSNorm", "weight, bias; running stats",
     "1, 0; reset_running_stats()"),
    ("PReLU", "weight", "its init value"),
    ("anything else", "its own parameters", "untouched, listed in record.untouched"),
)


class InitEntry(NamedTuple):
    """One parameter in an InitRecord."""
    name: str
    shape: tuple | None  # None for a lazy module's uninitialised parameter
    rule: str
    result: str  # the distribution or value written, "" where it is not one weightinit drew


class InitRecord:
    """What init_model did: ``entries`` (InitEntry per parameter, in
    ``named_parameters`` order) and ``untouched`` (names of the parameters
    no rule covered).  ``print(record)`` prints a table."""

    def __init__(self, entries: "Iterable[InitEntry]") -> None:
        self.entries = list(entries)
        self.untouched = [e.name for e in self.entries if e.rule.startswith("untouched")]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, name):
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def __str__(self):
        head = ("parameter", "shape", "rule", "result")
        rows = [(e.name, "?" if e.shape is None else "x".join(map(str, e.shape)) or "()", e.rule, e.result)
                for e in self.entries]
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head] + rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if self.untouched:
            lines.append(f"{len(self.untouched)} parameter(s) untouched: {', '.join(self.untouched)}")
        return "\n".join(lines)

    def __repr__(self):
        return f"InitRecord({len(self.entries)} parameters, {len(self.untouched)} untouched)"


def _describe(dist, p0, p1, p2, p3):
    if dist == "uniform":
        return f"U(±{p1:.4g})" if p0 == -p1 else f"U({p0:.4g}, {p1:.4g})"
    if dist == "normal":
        return f"N({p0:.4g}, σ={p1:.4g})"
    if dist == "trunc_normal":
        return f"TN({p0:.4g}, σ={p1:.4g}, [{p2:.4g}, {p3:.4g}])"
    if dist == "constant":
        return f"= {p0:g}"
    raise NotImplementedError(f"init_model's record has no description of the distribution {dist!r}: add one")


class _Watch:
    """Collects the fills made on given tensors (by identity) while active."""

    def __init__(self):
        self.seen = {}

    def __call__(self, tensor, *fill):
        self.seen[id(tensor)] = _describe(*fill)

    def __enter__(self):
        _target.observers.append(self)
        return self

    def __exit__(self, *exc):
        _target.observers.remove(self)


def _fill_functions():
    """The names init_model takes: weightinit's public fill functions (their
    first parameter is the tensor), without the trailing underscore."""
    import weightinit

    return sorted(n[:-1] for n in weightinit.__all__ if n.endswith("_") and _is_fill(getattr(weightinit, n)))


def _is_fill(fn):
    try:
        return next(iter(inspect.signature(fn).parameters)) == "tensor"
    except (TypeError, ValueError, StopIteration):
        return False


def _resolve(method):
    """(fill function, its name for the record) for a method name or callable."""
    if callable(method):
        return method, getattr(method, "__qualname__", repr(method))
    if not isinstance(method, str):
        raise TypeError(f"init_model(): method must be a string or a callable, not {type(method).__name__}")
    import weightinit

    name = method if method.endswith("_") else method + "_"
    fn = getattr(weightinit, name, None) if name in weightinit.__all__ else None
    if fn is None or not _is_fill(fn):
        raise ValueError(f"init_model(): unknown method {method!r}; use 'torch', a callable, or one of "
                         f"{', '.join(map(repr, _fill_functions()))}")
    return fn, name


def _takes_generator(fn):
    try:
        return "generator" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class _Plan:
    """The fills of one init_model call, collected before any is made: steps
    (parameter, tensor to fill, kind, rule text, value), kind one of
    "method" (value: Embedding's padding_idx or None), "bias" (value:
    (constant, U(±bound) bound or None)), "const" (value), "stats" (the
    tensor is the norm module whose running statistics are reset)."""

    def __init__(self):
        self.steps = []

    def add(self, param, kind, rule, tensor=None, value=None):
        self.steps.append((param, param if tensor is None else tensor, kind, rule, value))


def _bias_step(policy, bound):
    """(rule text, value, uniform bound or None) of the bias policy; ``bound``
    is torch's default U(±bound) for this layer (0 for MultiheadAttention)."""
    if policy == "torch" and bound > 0:
        return "bias torch's default U(±1/√fan_in)", 0.0, bound
    if policy == "torch":
        return "bias torch's default (0)", 0.0, None
    if policy == "zeros":
        return "bias zeros", 0.0, None
    return f"bias = {policy:g}", float(policy), None


def _plan(module, torch, bias):
    nn = torch.nn
    plan = _Plan()
    mha_out = {id(m.out_proj) for m in module.modules() if isinstance(m, nn.MultiheadAttention)}
    norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.RMSNorm)

    def add_bias(b, bound):
        if b is not None:
            rule, value, uniform = _bias_step(bias, bound)
            plan.add(b, "bias", rule, value=(value, uniform))

    for mod in module.modules():
        direct = dict(mod.named_parameters(recurse=False))
        if any(isinstance(p, nn.parameter.UninitializedParameter) for p in direct.values()):
            continue
        if isinstance(mod, (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd)):
            w = mod.weight
            plan.add(w, "method", "")
            if isinstance(mod, nn.Bilinear):
                bound = 1 / math.sqrt(w.size(1))
            else:
                fi = _calculate_fan_in_and_fan_out(w)[0]
                bound = 0.0 if id(mod) in mha_out else (1 / math.sqrt(fi) if fi > 0 else 0.0)
            add_bias(mod.bias, bound)
        elif isinstance(mod, (nn.Embedding, nn.EmbeddingBag)):
            pad = mod.padding_idx
            plan.add(mod.weight, "method", "" if pad is None else f", row {pad} zero", value=pad)
        elif isinstance(mod, (nn.RNNBase, nn.RNNCellBase)):
            bound = 1 / math.sqrt(mod.hidden_size) if mod.hidden_size > 0 else 0.0
            for name, p in direct.items():
                if name.startswith("weight"):
                    plan.add(p, "method", "")
                else:
                    add_bias(p, bound)
        elif isinstance(mod, nn.MultiheadAttention):
            if mod.in_proj_weight is not None:
                e = mod.embed_dim
                for i, part in enumerate("qkv"):
                    plan.add(mod.in_proj_weight, "method", " on each of the q, k, v blocks",
                             tensor=mod.in_proj_weight[i * e:(i + 1) * e])
            for p in (mod.q_proj_weight, mod.k_proj_weight, mod.v_proj_weight, mod.bias_k, mod.bias_v):
                if p is not None:
                    plan.add(p, "method", "")
            add_bias(mod.in_proj_bias, 0.0)
        elif isinstance(mod, norms):
            for name, p in direct.items():
                value = 1.0 if name == "weight" else 0.0
                plan.add(p, "const", f"norm {name} {value:g}", value=value)
            if getattr(mod, "track_running_stats", False):
                plan.add(None, "stats", "", tensor=mod)
        elif isinstance(mod, nn.PReLU):
            plan.add(mod.weight, "const", f"PReLU init {mod.init:g}", value=float(mod.init))
    return plan


def _execute(plan, torch, kinds, generator, fn=None, call=None, label=""):
    """Make the plan's steps of the given kinds; ({id(param): rule}, {id(param): result})."""
    import weightinit as wi

    rules, results = {}, {}
    with torch.no_grad(), _Watch() as watch:
        for param, tensor, kind, rule, value in plan.steps:
            if kind not in kinds:
                continue
            if kind == "stats":
                tensor.reset_running_stats()
                continue
            if kind == "method":
                fn(tensor, **call)
                if value is not None:  # Embedding's padding row
                    tensor[value].fill_(0)
                rule = label + rule
            elif kind == "bias" and value[1] is not None:
                wi.uniform_(tensor, -value[1], value[1], generator=generator)
            else:
                wi.constant_(tensor, value[0] if kind == "bias" else value)
            rules[id(param)] = rule
            results[id(param)] = watch.seen.get(id(tensor), results.get(id(param), ""))
    return rules, results


def _run_method(module, torch, fn, label, bias, generator, kwargs):
    plan = _plan(module, torch, bias)
    # a dry run of weightinit's functions on meta tensors of the same shapes:
    # bad arguments, and shapes the function refuses, raise before any write
    if getattr(fn, "__module__", "").startswith("weightinit."):
        for _, tensor, kind, _, _ in plan.steps:
            if kind == "method":
                fn(torch.empty(tensor.shape, dtype=tensor.dtype, device="meta"), **kwargs)
    call = dict(kwargs)
    if generator is not None and _takes_generator(fn):
        call["generator"] = generator
    label = f"{label}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    return _execute(plan, torch, ("method", "bias", "const", "stats"), generator, fn, call, label)


def _post_order(module):
    for child in module.children():
        yield from _post_order(child)
    yield module


def _run_torch(module, torch, generator):
    owner = {}
    for mod in module.modules():
        for p in mod.parameters(recurse=False):
            owner.setdefault(id(p), mod)
    rules, results = {}, {}
    options = {"generator_for": (lambda t: generator)} if generator is not None else {}
    with patched(tensor_methods=True, **options), _Watch() as watch:
        for mod in _post_order(module):
            reset = getattr(mod, "reset_parameters", None) or getattr(mod, "_reset_parameters", None)
            if not callable(reset):
                continue
            label = f"{type(mod).__name__}.{reset.__name__}"
            watch.seen.clear()
            reset()
            for p in mod.parameters():
                if id(p) in watch.seen:
                    rules[id(p)], results[id(p)] = label, watch.seen[id(p)]
                elif owner.get(id(p)) is mod:
                    rules.setdefault(id(p), label)
    return rules, results


def init_model(module: "torch.nn.Module", method: str | Callable = "torch", *, bias: str | float | None = None,
               generator: object = None, **kwargs: object) -> InitRecord:
    r"""(Re-)initialise every parameter of ``module`` through weightinit and
    return a record of what was done.

    Args:
        module: a torch ``nn.Module``
        method: ``"torch"``: each submodule's own ``reset_parameters`` (or
            ``_reset_parameters``), children first as at construction, under
            ``weightinit.patched()`` -- the way to re-draw a replaced head or a
            whole model.  Otherwise the name of a weightinit fill function
            without its underscore (``"kaiming_normal"``, ``"xavier_uniform"``,
            ``"orthogonal"``, ``"trunc_normal"``, ...), with exactly that
            function's semantics, applied to the weights of the layers in the
            rule table (``weightinit.RULES``), or a callable
            ``fn(tensor, **kwargs)``.
        bias: ``"zeros"`` (the default for named methods and callables),
            ``"torch"`` (torch's default for the layer: U(±1/√fan_in) for
            Linear and Conv*, 1/√in1_features for Bilinear, 1/√hidden_size for
            RNNs, 0 for MultiheadAttention) or a number.  With
            ``method="torch"`` the default keeps what ``reset_parameters``
            gives; a value given is applied afterwards.
        generator: passed to every fill (torch.Generator or
            weightinit.Generator; default: torch's default generator)
        **kwargs: passed to the fill function (``mode=``, ``nonlinearity=``,
            ``gain=``, ``std=``, ...)

    Parameters no rule covers are left untouched and listed in
    ``record.untouched``.  Bad arguments raise before anything is written.

    Example:
        >>> rec = weightinit.init_model(resnet, "kaiming_normal", mode="fan_out", nonlinearity="relu")
        >>> print(rec)                   # parameter, shape, rule, result
        >>> weightinit.init_model(model.classifier, "xavier_uniform", bias=0.0)
    """
    info = torch_info()
    if info is None or not isinstance(module, info.torch.nn.Module):
        raise TypeError(f"init_model(): module must be a torch.nn.Module, not {type(module).__name__}")
    torch = info.torch
    if bias is not None and bias not in ("zeros", "torch") and (
            isinstance(bias, bool) or not isinstance(bias, (int, float))):
        raise ValueError(f"init_model(): bias must be 'zeros', 'torch' or a number, not {bias!r}")
    _check_generator(generator, "init_model")
    if isinstance(method, str) and method == "torch":
        if kwargs:
            raise TypeError(f"init_model(): method 'torch' takes no keyword arguments, got {sorted(kwargs)}")
        rules, results = _run_torch(module, torch, generator)
        if bias is not None:  # then the bias policy over torch's biases
            r, res = _execute(_plan(module, torch, bias), torch, ("bias",), generator)
            for key, rule in r.items():
                rules[key] = f"{rules[key]}; {rule}" if key in rules else rule
            results.update(res)
    else:
        fn, label = _resolve(method)
        rules, results = _run_method(module, torch, fn, label, bias or "zeros", generator, kwargs)
    why = "has no reset_parameters" if isinstance(method, str) and method == "torch" else "has no rule"
    entries = []
    for name, p in module.named_parameters():
        rule = rules.get(id(p))
        if isinstance(p, torch.nn.parameter.UninitializedParameter):
            entries.append(InitEntry(name, None, "untouched: not initialised yet (lazy module)", ""))
        elif rule is None:
            owner = type(module.get_submodule(name.rpartition(".")[0])).__name__
            entries.append(InitEntry(name, tuple(p.shape), f"untouched: {owner} {why}", ""))
        else:
            entries.append(InitEntry(name, tuple(p.shape), rule, results.get(id(p), "")))
    return InitRecord(entries)
