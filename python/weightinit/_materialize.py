"""weightinit.materialize: allocate a model built on the meta device (plain, or
sharded into DTensors by FSDP2 or tensor parallelism) and initialise it with
its own init code, every fill keyed by the name of the tensor it writes.

The key of fill number k of the tensor named N is ``Generator(seed).fork(N)``,
stream k.  So the values depend on (seed, names, the init code) only: not on
the order in which submodules are initialised, on which submodules this
process holds (pipeline stages), on the sharding, device or thread count.

Model-level code on top of the public API and ``patched()``; its two seams in
the fill path are ``_target.name_key`` (a lookup from a filled tensor to its
name's generator) and an entry in ``_target.observers`` (which tensors
weightinit wrote).
"""

import bisect
import sys
import warnings
from typing import TYPE_CHECKING, Callable, Optional, TypeVar

from . import _target
from ._frameworks import torch_info
from ._patch import patched
from ._random import Generator, _check_seed, _torch_draw
from ._target import Block

if TYPE_CHECKING:
    import torch

_M = TypeVar("_M", bound="torch.nn.Module")

__all__ = ["materialize"]


def _dtensor_type():
    dt = sys.modules.get("torch.distributed.tensor")
    return getattr(dt, "DTensor", None) if dt is not None else None


def _local(t, dtensor):
    return t._local_tensor if dtensor is not None and isinstance(t, dtensor) else t


def _span(t):
    """(first byte, one past the last byte) of a strided tensor's elements."""
    lo = t.data_ptr()
    last = sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    return lo, lo + (last + 1) * t.element_size()


def _named_tensors(module):
    """(name, tensor) for every parameter, then every buffer; a tensor held
    under several names comes once, under its first name."""
    seen = set()
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if id(t) not in seen:
            seen.add(id(t))
            yield name, t


class _NameKeys:
    """Which of the model's tensors a fill target lies in, by memory range (so
    ``w``, ``w.data``, ``w[0]``, ``w.T`` and a DTensor's local shard all count
    as ``w``), and the generator of its name.  ``filled`` holds the names that
    weightinit filled (a write through ``w.data`` does not bump ``w``'s version
    counter): random fills as they take their key, constant ones as an observer
    of weightinit's fills (``_target.observers``) sees them."""

    def __init__(self, module, seed, dtensor):
        self._dtensor = dtensor
        self._root = Generator(seed)
        self._gens = {}
        self.filled = set()
        entries = []  # (first byte, order, end byte, device, name)
        for order, (name, t) in enumerate(_named_tensors(module)):
            local = _local(t, dtensor)
            if local.numel() == 0 or local.is_meta:
                continue
            lo, hi = _span(local)
            entries.append((lo, order, hi, local.device, name))
        entries.sort(key=lambda e: (e[0], e[1]))
        self._starts = [e[0] for e in entries]
        self._entries = entries
        self._longest = max((e[2] - e[0] for e in entries), default=0)
        self._empty = Generator(0)  # for empty targets: nothing is written, nothing drawn from torch

    def generator(self, name):
        g = self._gens.get(name)
        if g is None:
            g = self._gens[name] = self._root.fork(name)
        return g

    def __call__(self, target):
        """The generator of the tensor ``target`` lies in (an empty target
        writes nothing and gets a throwaway one), or None."""
        info = torch_info()
        if info is None or not isinstance(target, info.Tensor):
            return None
        if target.numel() == 0:
            return self._empty
        name = self._name(target)
        if name is None:
            return None
        self.filled.add(name)
        return self.generator(name)

    def observe(self, tensor, *params):
        target = tensor.tensor if type(tensor) is Block else _local(tensor, self._dtensor)
        if isinstance(target, torch_info().Tensor) and target.numel():
            name = self._name(target)
            if name is not None:
                self.filled.add(name)

    def _name(self, target):
        lo, hi = _span(target)
        best = None
        i = bisect.bisect_right(self._starts, lo) - 1
        # intervals may nest (a buffer that views a parameter): the first
        # name in order among those holding the target wins
        while i >= 0 and self._entries[i][0] >= hi - self._longest:
            start, order, end, device, name = self._entries[i]
            if hi <= end and (best is None or order < best[0]) and device == target.device:
                best = (order, name)
            i -= 1
        return None if best is None else best[1]


def _seed(seed, torch):
    if seed is None:
        return _torch_draw(torch, torch.default_generator)
    return _check_seed(seed)


def _check_seed_on_meshes(module, seed, dtensor, torch):
    """Compare the seed across every device mesh the module's DTensors live
    on: the smallest and largest seed are all-gathered along each mesh
    dimension in turn, which spreads them over the whole mesh, so every rank
    of a mesh raises if any two of its ranks differ (rather than some ranks
    going on into a collective that the others never join)."""
    if dtensor is None:
        return
    import torch.distributed as dist

    meshes = {}
    for _, t in _named_tensors(module):
        if isinstance(t, dtensor):
            meshes.setdefault(id(t.device_mesh), t.device_mesh)
    signed = seed - (1 << 64) if seed >= 1 << 63 else seed
    spreads = []
    for mesh in meshes.values():  # every collective first, then any error
        low = high = signed
        for dim in range(mesh.ndim):
            group = mesh.get_group(dim)
            mine = torch.tensor([low, high], dtype=torch.int64, device=mesh.device_type)
            every = [torch.empty_like(mine) for _ in range(dist.get_world_size(group))]
            dist.all_gather(every, mine, group=group)
            low = min(int(e[0].item()) for e in every)
            high = max(int(e[1].item()) for e in every)
        spreads.append((low, high))
    for low, high in spreads:
        if low != high:
            raise RuntimeError(
                f"materialize(): the seed differs across the device mesh (rank {dist.get_rank()} has "
                f"{seed}; the mesh's seeds, as signed 64-bit ints, range from {low} to {high}); pass "
                "the same seed= on every rank (or call torch.manual_seed with the same seed on every "
                "rank when seed=None)")


def _allocate(module, device, dtensor, torch):
    """Allocate every meta tensor (on ``device``, else the DTensor's mesh
    device or torch's default device) and move the others to ``device`` if
    given, keeping tensors shared by several modules shared.  Returns the names
    of the allocated tensors."""
    owners = {}
    for m in module.modules():
        for kind in ("_parameters", "_buffers"):
            for key, t in getattr(m, kind).items():
                if t is not None:
                    owners.setdefault(id(t), []).append((m, kind, key))
    allocated = {name for name, t in _named_tensors(module) if t.is_meta}
    default = torch.get_default_device()

    def convert(t):
        if t.is_meta:
            if device is not None:
                where = device
            elif dtensor is not None and isinstance(t, dtensor):
                where = t.device_mesh.device_type
            elif default.type == "meta":
                raise RuntimeError("materialize(): device=None, and torch's default device is meta: "
                                   "pass device=")
            else:
                where = default
            return torch.empty_like(t, device=where)
        return t if device is None else t.to(device)

    module._apply(convert)  # FSDP2 modules re-pad their shards in their _apply
    for group in owners.values():  # _apply gives each owner its own new Parameter
        first_module, kind, key = group[0]
        first = getattr(first_module, kind)[key]
        for m, kind2, key2 in group[1:]:
            getattr(m, kind2)[key2] = first
    return allocated


def _versions(module, dtensor):
    """name -> (version of the tensor, of its local shard): an in-place write
    of a DTensor bumps the first, a write of its shard the second."""
    return {name: (t._version, _local(t, dtensor)._version) for name, t in _named_tensors(module)}


def _pretrained(module):
    tf = sys.modules.get("transformers")
    cls = getattr(tf, "PreTrainedModel", None) if tf is not None else None
    return cls is not None and isinstance(module, cls)


def _own_init(m):
    reset = getattr(m, "reset_parameters", None)
    if not callable(reset):
        reset = getattr(m, "_reset_parameters", None)  # MultiheadAttention, Transformer
    return reset if callable(reset) else None


def _apply_order(module):
    """Every submodule once, in nn.Module.apply's order (children before their
    parent, siblings in registration order), as transformers' initialize_weights
    goes: a parent's init (nn.Transformer's xavier_uniform_) overrides its children's."""
    seen, order = set(), []

    def visit(m):
        if id(m) not in seen:
            seen.add(id(m))
            for child in m.children():
                visit(child)
            order.append(m)

    visit(module)
    return order


def _run_inits(module, init, allocated, dtensor, filled):
    order = _apply_order(module)
    if init is not None:
        for m in order:
            init(m)
        return
    if not _pretrained(module):
        for m in order:
            reset = _own_init(m)
            if reset is not None:
                reset()
        return
    # transformers: its _init_weights rules, as from_config applies them after
    # the constructors' torch defaults.  Those defaults are skipped; a module
    # the rules leave wholly unwritten gets its torch default, as in from_config.
    for m in order:
        if getattr(m, "_is_hf_initialized", False):
            m._is_hf_initialized = False
    before = _versions(module, dtensor)
    module.initialize_weights()
    after = _versions(module, dtensor)
    prefix = {id(m): name for name, m in module.named_modules()}
    for m in order:
        reset = _own_init(m)
        if reset is None:
            continue
        p = prefix[id(m)]
        own = [f"{p}.{k}" if p else k for k, t in list(m._parameters.items()) + list(m._buffers.items())
               if t is not None]
        own = [n for n in own if n in allocated and n in before]
        if own and all(before[n] == after[n] and n not in filled for n in own):
            reset()


def _zero_padding_rows(module, dtensor, torch):
    """nn.Embedding's and nn.EmbeddingBag's reset_parameters (and transformers'
    rule) zero ``weight[padding_idx]``; on a DTensor sharded along the rows
    that index is a replicated copy, so the zero never reaches the shard
    (torch 2.13).  Zero the row in the local shard that holds it."""
    if dtensor is None:
        return
    for m in module.modules():
        if (isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag)) and m.padding_idx is not None
                and isinstance(m.weight, dtensor) and not getattr(m.weight, "_is_hf_initialized", False)):
            blk = _target.dtensor_block(m.weight)
            if blk is not None:
                row = m.padding_idx - blk.offset[0]
                if 0 <= row < blk.tensor.shape[0]:
                    blk.tensor[row].zero_()


def materialize(module: _M, device: "str | torch.device | None" = None, *,
                seed: Optional[int] = None,
                init: "Callable[[torch.nn.Module], object] | None" = None) -> _M:
    """Allocate and initialise a module built on the meta device, with values
    that depend only on ``seed`` and the tensors' names.

    Every parameter and buffer on the meta device is allocated (on ``device``;
    with ``device=None`` on the DTensor's mesh device, else torch's default
    device), tensors elsewhere are moved to ``device`` when it is given, and
    tensors shared by several modules stay shared.  Then each submodule's own
    init runs, in ``nn.Module.apply``'s order (children before parents),
    under ``weightinit.patched()``:
    ``reset_parameters()`` (or ``_reset_parameters()``), or ``init(submodule)``
    for every submodule when ``init`` is given.  A transformers
    ``PreTrainedModel`` gets its ``_init_weights`` rules through
    ``initialize_weights()``, as ``from_config`` applies them (a module those
    rules leave unwritten gets its ``reset_parameters``).

    Every random fill of a tensor of ``module`` -- also through a view of its
    memory (``w.data``, ``w[0]``), a DTensor's local shard or a Block -- takes
    its key from the tensor's fully qualified name: fill number k of the tensor
    named N (counting the fills of N that drew a key during this call) uses
    ``weightinit.Generator(seed).fork(N)``, stream k, whatever ``generator``
    the init passed.  A tensor held under several names is keyed by its first
    name in ``named_parameters()`` (then ``named_buffers()``).  The result is
    thus the same whatever the order of initialisation, the sharding (every
    rank of an FSDP2 or tensor-parallel model writes exactly its part of the
    unsharded model), the device, the thread count, or which submodules exist
    (a pipeline stage that kept its layers' names gets exactly those layers).

    Args:
        module: the model; its tensors wholly or partly on the meta device,
            plain or DTensors (``fully_shard``, ``parallelize_module``,
            ``distribute_tensor``)
        device: where to allocate (default: see above)
        seed: an int in [-2**63, 2**64); None draws one from torch's default
            generator (so ``torch.manual_seed`` governs it).  Ranks holding
            DTensors of one mesh must use the same seed: it is checked across
            each mesh, and every rank raises on a mismatch.
        init: called as ``init(submodule)`` on every submodule instead of its
            own init (e.g. ``lambda m: m is model and m.init_weights()`` for a
            torchtitan-style model whose root initialises everything)

    Returns ``module``.

    Raises RuntimeError naming each allocated parameter or buffer that no init
    wrote (e.g. an ``nn.Parameter`` that a custom module fills only in its
    ``__init__``), leaving the module allocated; pass an ``init`` that covers
    them.  Warns when an init drew from torch's default generator (a fill
    weightinit leaves to torch, such as ``Tensor.normal_`` on a DTensor, or a
    direct ``torch.randn``): those values are not keyed by name.

    Example:
        >>> with torch.device("meta"):
        ...     model = nn.Sequential(nn.Linear(512, 512), nn.LayerNorm(512))
        >>> weightinit.materialize(model, "cpu", seed=0)
    """
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(module, torch.nn.Module):
        raise TypeError(f"materialize(): module must be a torch.nn.Module, not {type(module).__name__}")
    if device is not None:
        device = torch.device(device)
    dtensor = _dtensor_type()
    seed = _seed(seed, torch)
    _check_seed_on_meshes(module, seed, dtensor, torch)
    allocated = _allocate(module, device, dtensor, torch)
    before = _versions(module, dtensor)
    keys = _NameKeys(module, seed, dtensor)
    rng = torch.default_generator.get_state()
    outer, _target.name_key = _target.name_key, keys
    _target.observers.append(keys.observe)
    try:
        with torch.no_grad(), patched(tensor_methods=True, devices="reproducible"):
            _run_inits(module, init, allocated, dtensor, keys.filled)
            if init is None:
                _zero_padding_rows(module, dtensor, torch)
    finally:
        _target.name_key = outer
        _target.observers.remove(keys.observe)
    if not torch.equal(rng, torch.default_generator.get_state()):
        warnings.warn("materialize(): an init drew from torch's default generator (a fill weightinit "
                      "leaves to torch, or a direct torch random call): those values are not keyed by "
                      "name, so they depend on the order of initialisation and on the sharding",
                      stacklevel=2)
    after = _versions(module, dtensor)
    sizes = {name: t.numel() for name, t in _named_tensors(module)}
    missing = [n for n in before
               if n in allocated and sizes[n] and before[n] == after[n] and n not in keys.filled]
    if missing:
        raise RuntimeError(
            "materialize(): no init wrote " + ", ".join(missing) + " (allocated, so uninitialised "
            "memory); pass init= a function that initialises them")
    return module
