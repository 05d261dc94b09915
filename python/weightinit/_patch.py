"""weightinit.patch(), unpatch(), patched(), is_patched(): while patched,
torch.nn.init's functions -- and every copy of them that modules and model
libraries hold -- are replaced by weightinit's, so that constructors
(nn.Linear's reset_parameters) and model libraries (transformers'
_init_weights) fill through weightinit without being edited.

How:

* REGISTRY maps each public name of torch.nn.init (functions and deprecated
  aliases) to the weightinit function of that name.  PROVIDERS say where
  originals live and what replaces each: torch.nn.init (from REGISTRY, with
  the originals captured by ``_frameworks``) and transformers'
  ``TORCH_INIT_FUNCTIONS`` table (a container of torch's functions), and
  timm's ``trunc_normal_``, ``trunc_normal_tf_``, ``variance_scaling_``,
  ``lecun_normal_`` (``_timm``: timm's semantics).  A provider is the module
  whose import activates it, a function returning
  ``{name: (original, weightinit function, fallback)}`` (called once, when the
  module is first seen fully imported, so its originals are captured before
  anything is replaced; a newly active provider has every module scanned
  again), any dicts outside module namespaces that hold originals, and
  any handler tables keyed by them (legacy ShardedTensor's).
* Each original gets one replacement, made once: a thin wrapper of the
  weightinit function with its signature.  It is a distinct object, so a
  module that did ``from weightinit import normal_`` is never mistaken for
  one that bound torch's function while patched.  The wrapper applies the
  options of the active levels: tensors on accelerators go to torch's own
  function unless ``devices="reproducible"``; ``generator_for`` supplies a
  generator to weightinit's fills called without one.
* First level: every namespace in ``sys.modules`` except weightinit's own, and
  each provider's containers, has each value that *is* an original swapped for
  its replacement (found by identity, under any name); the places are
  remembered, and a module already scanned is scanned again only when its
  namespace changed size (``__main__`` always).  Last level gone: those places
  and any module imported meanwhile get exactly the original objects back.
* Modules imported while patched: a meta-path finder wraps the
  ``exec_module`` of the per-module loader (the standard path finder's) and
  scans each module right after it ran, so a library imported inside
  ``patched()`` that binds a provider's originals is covered at once;
  ``from torch.nn.init import x`` gets the replacement anyway.
* ``tensor_methods=True`` also replaces ``torch.Tensor.uniform_`` and
  ``normal_``: tensors weightinit fills (plain CPU float tensors outside
  autograd) go to weightinit, every other call to torch's method.

Patching is process-wide (module attributes are shared by every thread); the
levels and their installation are serialised by one lock.  A call made in
another thread while a level comes or goes runs wholly with torch's or wholly
with weightinit's function.

Seams for code built on this: ``with patched(): module.reset_parameters()``
is a plain building block (init_model uses it); REGISTRY is the one name ->
function table; PROVIDERS is the list to extend; ``generator_for`` gives every
fill a generator of the caller's choosing (per-parameter generators).
"""

import contextlib
import functools
import importlib.machinery
import inspect
import sys
import threading
from typing import Callable, NamedTuple

from . import _api, _frameworks, _structured, _target, _timm
from ._frameworks import TORCH_PUBLIC_NAMES, torch_info

__all__ = ["patch", "unpatch", "patched", "is_patched", "REGISTRY", "PROVIDERS", "Provider"]


def _weightinit_function(name):
    for module in (_api, _structured):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"weightinit has no function {name!r} to replace torch.nn.init.{name}")


# torch.nn.init name -> weightinit function
REGISTRY = {name: _weightinit_function(name) for name in TORCH_PUBLIC_NAMES}


class Provider(NamedTuple):
    """Where a library's init functions live and what replaces them."""
    module: str                # the module whose presence activates this provider
    pairs: Callable            # module -> {name: (original, weightinit function, fallback)}
    containers: Callable = lambda module: []   # module -> dicts holding originals as values
    handlers: Callable = lambda module: []     # module -> dicts keyed by original functions


def _torch_pairs(init):
    info = torch_info()
    pairs = {}
    for name, fn in REGISTRY.items():
        original = getattr(info.nn_init, name, None)
        if original is not None:  # fallback: torch's function as it runs unpatched
            pairs[name] = (original, fn, getattr(info.unpatched, name, original))
    return pairs


def _tables(*names):
    def find(module):
        return [t for t in (getattr(module, n, None) for n in names) if isinstance(t, dict)]
    return find


PROVIDERS = [
    Provider("torch.nn.init", _torch_pairs),
    # transformers >= 5 keeps torch's functions in a table of its own
    Provider("transformers.initialization", lambda module: {}, _tables("TORCH_INIT_FUNCTIONS")),
    # timm's own functions, bound by name in ~55 of its modules
    Provider(_timm.MODULE, _timm.pairs),
    # legacy ShardedTensor's handlers, registered by function: registered while
    # patched they are keyed by a replacement, and re-keyed by torch's function
    # (which weightinit's fallbacks dispatch with)
    Provider("torch.distributed._shard.sharded_tensor.api", lambda module: {}, handlers=_tables(
        "_SHARDED_OPS", "_CUSTOM_SHARDED_OPS")),
]

_DEVICES = ("torch", "reproducible")


class _Options(NamedTuple):
    tensor_methods: bool
    reproducible: bool
    generator_for: object


_UNPATCHED = _Options(False, False, None)

_lock = threading.RLock()
_levels: list = []     # active levels (_Options), in the order they began
_manual: list = []     # the levels patch() began, for unpatch()
_effective = _UNPATCHED  # what the replacements apply: read without the lock
_installed = False
_replacement_of: dict = {}  # id(original) -> (original, replacement)
_original_of: dict = {}     # id(replacement) -> (replacement, original)
_ids: set = set()      # the ids of both
_active: dict = {}     # provider module name -> the module object its pairs came from
_places: dict = {}     # id(dict) -> (dict, keys): where an original or a replacement was seen
_scanned: dict = {}    # module name -> (module, its namespace or None to skip, size at its last scan)
_tensor_methods: dict = {}  # name -> (torch's method, whether torch.Tensor's own dict held it)


def _staged(tensor):
    """True for a torch tensor weightinit would fill through a CPU staging
    buffer (another device; every CPU tensor when tests force staging)."""
    info = _frameworks._info
    if info is None or not isinstance(tensor, info.Tensor):
        return False
    if _target._force_staging:
        return True
    if info.is_plain(type(tensor)):
        return not (tensor.is_cpu or tensor.is_meta)
    with info.torch._C.DisableTorchFunctionSubclass():  # a subclass's __torch_function__ never sees this
        return not (tensor.is_cpu or tensor.is_meta)


def _generator_position(fn):
    params = list(inspect.signature(fn).parameters)
    return params.index("generator") if "generator" in params else None


def _make_replacement(original, fn, fallback):
    gen_pos = _generator_position(fn)

    @functools.wraps(fn)
    def replacement(*args, **kwargs):
        opts = _effective
        if opts is not _UNPATCHED:
            tensor = args[0] if args else kwargs.get("tensor")
            if not opts.reproducible and _staged(tensor):
                return fallback(*args, **kwargs)
            if (opts.generator_for is not None and gen_pos is not None and kwargs.get("generator") is None
                    and (len(args) <= gen_pos or args[gen_pos] is None)
                    and not _target.torch_fallback(tensor, sharded=True)):
                generator = opts.generator_for(tensor)
                if generator is not None:
                    if len(args) > gen_pos:
                        args = args[:gen_pos] + (generator,) + args[gen_pos + 1:]
                    else:
                        kwargs["generator"] = generator
        return fn(*args, **kwargs)

    return replacement


def _add_pair(original, fn, fallback):
    if id(original) not in _replacement_of:
        replacement = _make_replacement(original, fn, fallback)
        _replacement_of[id(original)] = (original, replacement)
        _original_of[id(replacement)] = (replacement, original)
        _ids.update((id(original), id(replacement)))


def _activate_providers(finished=None):
    """Capture the pairs of every provider whose module is loaded and fully
    imported (once per module object); ``finished`` is a module whose code has
    just run, which importlib still marks as initialising.  True if any
    provider became active."""
    new = False
    for provider in PROVIDERS:
        module = sys.modules.get(provider.module)
        if module is None or _active.get(provider.module) is module:
            continue
        if module is not finished and getattr(getattr(module, "__spec__", None), "_initializing", False):
            continue  # still being imported: its functions may not all exist yet
        for original, fn, fallback in provider.pairs(module).values():
            _add_pair(original, fn, fallback)
        _active[provider.module] = module
        new = True
    return new


def _swap_known(d, keys, table):
    for key in keys:
        pair = table.get(id(d.get(key)))
        if pair is not None:
            d[key] = pair[1]


def _scan(d):
    """Swap every original in the dict ``d`` for its replacement (when
    installed) or every replacement for its original (when not); remember
    where either was seen."""
    table = _replacement_of if _installed else _original_of
    if _ids.isdisjoint(map(id, list(d.values()))):
        return
    keys = [k for k, v in list(d.items()) if id(v) in _ids]
    _places.setdefault(id(d), (d, set()))[1].update(keys)
    _swap_known(d, keys, table)


def _scan_modules(every=False):
    """Scan the modules new or changed since their last scan (``every``: all)."""
    for name, module in list(sys.modules.items()):
        seen = _scanned.get(name)
        if seen is not None and seen[0] is module and (seen[1] is None or (not every and len(seen[1]) == seen[2])):
            continue  # weightinit's own, or not a module namespace, or unchanged since its last scan
        try:
            d = getattr(module, "__dict__", None)
        except Exception:  # noqa: BLE001 - a lazy object in sys.modules that refuses: nothing to patch
            d = None
        if type(d) is not dict or name == "weightinit" or name.startswith("weightinit."):
            _scanned[name] = (module, None, 0)
            continue
        _scan(d)
        _scanned[name] = (module, d, -1 if name == "__main__" else len(d))


def _sweep_tables():
    """Provider containers to the current state; handler tables keyed by torch's functions."""
    for provider in PROVIDERS:
        module = _active.get(provider.module)
        if module is None:
            continue
        for d in provider.containers(module):
            _scan(d)
        for d in provider.handlers(module):
            for key in [k for k in list(d) if id(k) in _original_of]:
                d.setdefault(_original_of[id(key)][1], d[key])
                del d[key]


def _sweep(every=False):
    """Bring every known place, changed module (``every``: every module) and
    container to the current state."""
    table = _replacement_of if _installed else _original_of
    for d, keys in list(_places.values()):
        _swap_known(d, keys, table)
    _scan_modules(every)
    _sweep_tables()


class _Finder:
    """A meta-path finder, first on sys.meta_path while patched: it finds a
    module's spec with the finders after it and makes the per-module loader
    scan the module right after executing it."""

    _busy = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        if getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.on = False
        loader = spec.loader
        # only the path finder's loaders are made per module: wrapping a shared
        # loader (a class, pytest's rewriting hook) would touch other imports
        if isinstance(loader, (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader,
                               importlib.machinery.ExtensionFileLoader)) and loader.name == fullname:
            loader.exec_module = _scanning(loader.exec_module)
        return spec


def _scanning(exec_module):
    def run(module):
        exec_module(module)
        with _lock:
            if _installed:
                if _activate_providers(finished=module):
                    _scan_modules(every=True)  # whatever got hold of the new originals meanwhile
                _scan(module.__dict__)
                _sweep_tables()
    return run


_finder = _Finder()


def _torch_method(name, fn, arg_names):
    """torch.Tensor.<name> for tensors weightinit fills, torch's otherwise."""
    torch = torch_info().torch

    def method(self, *args, **kwargs):
        original = _tensor_methods[name][0]
        opts = _effective
        values = _method_args(args, kwargs, arg_names, torch)
        if values is None or not _fills(self, opts, torch):
            return original(self, *args, **kwargs)
        p0, p1, generator = values
        if generator is None and opts.generator_for is not None:
            generator = opts.generator_for(self)
        return fn(self, p0, p1, generator)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(torch.Tensor, name).__doc__
    return method


def _method_args(args, kwargs, names, torch):
    """(p0, p1, generator) of a Tensor.uniform_/normal_ call whose arguments
    are plain numbers and a torch.Generator or None; None otherwise (torch's
    method then parses them, and raises what it raises)."""
    if len(args) > 2 or not set(kwargs) <= {names[0], names[1], "generator"}:
        return None
    values = [0.0, 1.0]
    for i, name in enumerate(names):
        if i < len(args):
            if name in kwargs:
                return None
            values[i] = args[i]
        elif name in kwargs:
            values[i] = kwargs[name]
    generator = kwargs.get("generator")
    if any(type(v) not in (int, float) for v in values) or not (
            generator is None or type(generator) is torch.Generator):
        return None
    return float(values[0]), float(values[1]), generator


def _fills(tensor, opts, torch):
    """True if a Tensor method call on ``tensor`` is weightinit's to fill."""
    if _target.torch_fallback(tensor) or (not opts.reproducible and _staged(tensor)):
        return False
    return not (tensor.requires_grad and torch.is_grad_enabled())


def _set_tensor_methods(on):
    torch = torch_info().torch
    if on and not _tensor_methods:
        for name, fn, arg_names in (("uniform_", _api.uniform_, ("from", "to")),
                                    ("normal_", _api.normal_, ("mean", "std"))):
            _tensor_methods[name] = (getattr(torch.Tensor, name), name in vars(torch.Tensor))
            setattr(torch.Tensor, name, _torch_method(name, fn, arg_names))
    elif not on and _tensor_methods:
        for name, (original, own) in _tensor_methods.items():
            if own:
                setattr(torch.Tensor, name, original)
            else:
                delattr(torch.Tensor, name)
        _tensor_methods.clear()


def _update():
    """Install, re-configure or uninstall to match the active levels.  The
    options stay in force until the very end of an uninstall, so that a call
    in another thread meanwhile still applies them."""
    global _effective, _installed
    if _levels:
        _effective = _Options(
            any(lv.tensor_methods for lv in _levels), any(lv.reproducible for lv in _levels),
            next((lv.generator_for for lv in reversed(_levels) if lv.generator_for is not None), None))
        if not _installed:
            import torch  # noqa: F401 - patching torch needs torch
            torch_info()  # capture torch's originals before anything is replaced
            _installed = True
            _sweep(every=_activate_providers())
            sys.meta_path.insert(0, _finder)
        _set_tensor_methods(_effective.tensor_methods)
    elif _installed:
        _set_tensor_methods(False)
        while _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _installed = False
        _sweep()
        _effective = _UNPATCHED


def _options(tensor_methods, devices, generator_for):
    if not isinstance(tensor_methods, bool):
        raise TypeError(f"tensor_methods must be True or False, not {tensor_methods!r}")
    if devices not in _DEVICES:
        raise ValueError(f"devices must be one of {_DEVICES}, not {devices!r}")
    if generator_for is not None and not callable(generator_for):
        raise TypeError(f"generator_for must be a callable or None, not {type(generator_for).__name__}")
    return _Options(tensor_methods, devices == "reproducible", generator_for)


def _remove(levels, level):
    """Remove this very level object (levels with equal options are distinct)."""
    for i in range(len(levels) - 1, -1, -1):
        if levels[i] is level:
            del levels[i]
            return


def _begin(level):
    with _lock:
        _levels.append(level)
        try:
            _update()
        except BaseException:
            _remove(_levels, level)
            _update()
            raise


def _end(level):
    with _lock:
        _remove(_levels, level)
        _update()


def patch(*, tensor_methods: bool = False, devices: str = "torch", generator_for: Callable | None = None) -> None:
    """Begin a patch level: until the matching :func:`unpatch`, torch.nn.init's
    functions and deprecated aliases -- in torch.nn.init, in every module that
    bound one by name, and in transformers' ``TORCH_INIT_FUNCTIONS`` -- are
    weightinit's, and so are timm's ``trunc_normal_``, ``trunc_normal_tf_``,
    ``variance_scaling_`` and ``lecun_normal_`` (with timm's semantics) in
    every module that bound them.  Levels nest; the last one to end restores
    the very original function objects everywhere.  Imports torch.

    Args:
        tensor_methods: also redirect ``torch.Tensor.uniform_`` and
            ``normal_`` for the tensors weightinit fills (plain CPU float
            tensors, outside autograd); other calls go to torch's method
        devices: ``"torch"`` (default): tensors on accelerators (CUDA, MPS,
            XPU, ...) get torch's own init, at device memory speed;
            ``"reproducible"``: they are filled through a CPU staging buffer
            with the values a CPU tensor gets
        generator_for: a callable ``(tensor) -> generator or None`` consulted
            by every replaced fill called without a generator, for the
            tensors weightinit fills (those torch.nn.init keeps, such as meta
            tensors, never see it)

    Options of nested levels combine: tensor methods and reproducible devices
    while any active level asks for them; the innermost ``generator_for``.
    Patching is process-wide: every thread sees the replacements.

    Example:
        >>> weightinit.patch()
        >>> layer = torch.nn.Linear(300, 200)    # filled by weightinit
        >>> weightinit.unpatch()
    """
    level = _options(tensor_methods, devices, generator_for)
    _begin(level)
    with _lock:
        _manual.append(level)


def unpatch() -> None:
    """End the most recent level begun by :func:`patch`.

    Raises RuntimeError when no such level is active.

    Example:
        >>> weightinit.patch(); weightinit.unpatch()
    """
    with _lock:
        if not _manual:
            raise RuntimeError("weightinit.unpatch(): no level begun by weightinit.patch() is active")
        _end(_manual.pop())


def is_patched() -> bool:
    """True while any patch level is active.

    Example:
        >>> with weightinit.patched():
        ...     assert weightinit.is_patched()
    """
    return bool(_levels)


class patched(contextlib.ContextDecorator):
    """:func:`patch` for the duration of a ``with`` block or of each call of a
    decorated function, ended even when it raises; takes patch()'s options.

    Example:
        >>> torch.manual_seed(0)
        >>> with weightinit.patched():
        ...     model = torch.nn.Transformer(d_model=256)
        >>> @weightinit.patched(tensor_methods=True)
        ... def build():
        ...     return torch.nn.LSTM(64, 128)
    """

    def __init__(self, *, tensor_methods: bool = False, devices: str = "torch",
                 generator_for: Callable | None = None) -> None:
        self._level = _options(tensor_methods, devices, generator_for)
        self._entered: list = []

    def __enter__(self):
        level = _Options(*self._level)  # a fresh level object per entry (re-entrant use)
        _begin(level)
        self._entered.append(level)
        return self

    def __exit__(self, *exc):
        _end(self._entered.pop())
        return False
