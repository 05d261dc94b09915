"""Where a fill's (key, stream) comes from.

Every fill is keyed by a 64-bit Philox key and a 64-bit stream.  A torch
tensor takes its key from a torch.Generator (torch's default one when
``generator`` is None) so that ``torch.manual_seed`` governs it as it governs
torch.nn.init; other targets take it from weightinit's own Generator.  A
NumPy Generator is accepted as well.

``Generator.fork(name)`` derives a generator from (seed, name) with SHA-256:
the key of a named tensor in ``weightinit.materialize``.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, SupportsIndex

__all__ = ["Generator", "default_generator", "manual_seed", "initial_seed", "seed"]

_MASK = (1 << 64) - 1
_MIN_SEED = -(1 << 63)
# torch's default CPU seed: without manual_seed a fresh process is
# deterministic, as it is with torch.
_DEFAULT_SEED = 67280421310721
# fork(): a tag before the hashed bytes (domain separation from other uses of SHA-256)
_FORK_TAG = b"weightinit.fork\x00"


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        try:
            seed = int(seed.__index__())
        except AttributeError:
            raise TypeError(f"seed must be an int, not {type(seed).__name__}") from None
    if not _MIN_SEED <= seed <= _MASK:
        raise RuntimeError(f"seed must be in [-2**63, 2**64), got {seed}")
    return seed & _MASK


class Generator:
    """weightinit's generator: a seed and a count of the fills drawn from it.

    Fill number *n* from ``Generator(seed)`` uses Philox key ``seed`` and
    stream *n*, so a sequence of calls is reproducible from the seed alone and
    the same on every machine, thread count and kernel path.  Thread-safe.

    ``Generator()`` takes its seed from the OS.

    Example:
        >>> g = weightinit.Generator(42)
        >>> weightinit.normal_(torch.empty(3, 5), generator=g)   # key 42, stream 0
        >>> weightinit.normal_(torch.empty(3, 5), generator=g)   # key 42, stream 1
    """

    __slots__ = ("_seed", "_stream", "_lock")
    _seed: int
    _stream: int

    def __init__(self, seed: SupportsIndex | None = None) -> None:
        self._lock = threading.Lock()
        self.manual_seed(int.from_bytes(os.urandom(8), "little") if seed is None else seed)

    def manual_seed(self, seed: SupportsIndex) -> Generator:
        """Reset to ``seed`` (an int in [-2**63, 2**64)); returns self."""
        seed = _check_seed(seed)
        with self._lock:
            self._seed = seed
            self._stream = 0
        return self

    def initial_seed(self) -> int:
        """The seed (as an unsigned 64-bit int)."""
        return self._seed

    def seed(self) -> int:
        """Reseed from the OS and return the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def get_state(self) -> tuple[int, int]:
        """(seed, number of fills drawn so far)."""
        with self._lock:
            return (self._seed, self._stream)

    def set_state(self, state: tuple[int, int]) -> None:
        """Restore a state from get_state()."""
        seed, stream = state
        seed = _check_seed(seed)
        if not 0 <= stream <= _MASK:
            raise ValueError(f"stream must be in [0, 2**64), got {stream}")
        with self._lock:
            self._seed = seed
            self._stream = stream

    def fork(self, name: str) -> "Generator":
        """A new Generator whose seed is derived from this one's seed and ``name``.

        The derived seed is the first 8 bytes, read little-endian, of::

            SHA-256(b"weightinit.fork\\x00" + seed.to_bytes(8, "little") + name.encode("utf-8"))

        with ``seed`` this generator's ``initial_seed()`` (the number of fills
        drawn from it does not matter).  It is the same in every Python
        process, version and platform (no ``hash()``), and distinct names give
        unrelated keys.  ``weightinit.materialize(model, seed=s)`` keys the
        fills of the tensor named ``n`` by ``Generator(s).fork(n)``: fill *k*
        of that tensor uses stream *k*.

        Args:
            name: any string, e.g. a parameter's fully qualified name

        Example:
            >>> g = weightinit.Generator(0).fork("layers.3.attn.wq.weight")
            >>> weightinit.normal_(torch.empty(4, 4), std=0.02, generator=g)
        """
        if not isinstance(name, str):
            raise TypeError(f"fork(): name must be a str, not {type(name).__name__}")
        import hashlib  # here: the only user, and 3 ms of weightinit's import

        data = _FORK_TAG + self._seed.to_bytes(8, "little") + name.encode("utf-8")
        return Generator(int.from_bytes(hashlib.sha256(data).digest()[:8], "little"))

    def _draw(self):
        with self._lock:
            stream = self._stream
            self._stream = (stream + 1) & _MASK
        return self._seed, stream

    def __repr__(self) -> str:
        seed, stream = self.get_state()
        return f"weightinit.Generator(seed={seed}, stream={stream})"


default_generator = Generator(_DEFAULT_SEED)


def manual_seed(seed: SupportsIndex) -> Generator:
    """Seed weightinit's default generator (used for NumPy arrays and other
    non-torch targets when ``generator`` is None); returns it."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The seed of weightinit's default generator."""
    return default_generator.initial_seed()


def seed() -> int:
    """Reseed weightinit's default generator from the OS; returns the seed."""
    return default_generator.seed()


_tls = threading.local()


def _key_tensor():
    """This thread's int64 scalar that torch draws keys into, and a NumPy
    view of it (reading through NumPy is cheaper than ``.item()``)."""
    torch = sys.modules["torch"]
    with torch.inference_mode(False):
        t = torch.empty((), dtype=torch.int64)
    key = _tls.key = (t, t.numpy())
    return key


def cpu_key(gen=None):
    """One 63-bit draw from torch's default generator (``gen`` None) or from
    the CPU torch.Generator ``gen``: it advances the generator, so later torch
    and weightinit calls see fresh values."""
    try:
        t, value = _tls.key
    except AttributeError:
        t, value = _key_tensor()
    if gen is None:
        t.random_()  # the default generator's draw; the argument parser is faster without the keyword
    else:
        t.random_(generator=gen)
    return value.item()


def _torch_draw(torch, gen):
    """cpu_key's draw from any torch.Generator (one on another device draws there)."""
    if gen is torch.default_generator:
        return cpu_key()
    if gen.device.type != "cpu":  # e.g. CUDA: draw there
        return torch.empty((), dtype=torch.int64, device=gen.device).random_(generator=gen).item()
    return cpu_key(gen)


def _check_generator(generator, fname):
    """TypeError unless generator is None or a generator weightinit can draw from."""
    if generator is None or type(generator) is Generator:
        return
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(generator, torch.Generator):
        return
    np_random = sys.modules.get("numpy.random")
    if np_random is not None and isinstance(generator, np_random.Generator):
        return
    raise TypeError(
        f"{fname}(): argument 'generator' must be torch.Generator, numpy.random.Generator "
        f"or weightinit.Generator, not {type(generator).__name__}"
    )


def draw(generator, torch_default):
    """(key, stream) for one fill.  ``torch_default``: the torch module when
    the target is a torch tensor (so None means torch's default CPU generator,
    whatever the tensor's device: the same seed gives the same values on every
    device)."""
    if generator is None:
        if torch_default is not None:
            return _torch_draw(torch_default, torch_default.default_generator), 0
        return default_generator._draw()
    if type(generator) is Generator:
        return generator._draw()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(generator, torch.Generator):
        return _torch_draw(torch, generator), 0
    return generator.bit_generator.random_raw(), 0
