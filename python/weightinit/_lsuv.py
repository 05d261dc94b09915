"""weightinit.lsuv_: layer-sequential unit-variance init (Mishkin & Matas,
"All you need is a good init", ICLR 2016).

Each Linear/Conv*/ConvTranspose* weight the forward pass reaches is first
made orthogonal with weightinit's ``orthogonal_`` (its bias zeroed), then,
from the first layer to the last, divided by the std of its output on the
batch until that std is within ``tol`` of ``target_std``.  Behaviour follows
PyPI ``lsuv`` 0.3.0 (std, not variance; eval mode during the run, training
mode restored; the std over every element of the output) except where the
README says otherwise.  A forward pass that has measured the layer being
scaled is cut short there, so each measurement costs only the layers up to
it.  Built on the public API only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ._structured import orthogonal_
from ._api import zeros_
from ._text import Progress, Rows, table

if TYPE_CHECKING:
    import torch

__all__ = ["lsuv_", "LSUVRecord", "LSUVLayer"]


@dataclass
class LSUVLayer:
    """What :func:`lsuv_` did to one layer: ``iterations`` rescales, the
    output std after the orthogonal pre-init (``initial_std``) and at the
    end (``final_std``), and whether ``|final_std - target_std| <= tol``."""

    index: int
    name: str
    type: str
    iterations: int
    initial_std: float
    final_std: float
    converged: bool


class LSUVRecord(Rows):
    """The per-layer record :func:`lsuv_` returns: ``.rows`` (a list of
    :class:`LSUVLayer`), ``.to_dict()``, ``str()`` a table; ``skipped`` names
    the selected layers that the forward pass never called (left untouched)."""

    def __init__(self, rows: list[LSUVLayer], target_std: float, tol: float, skipped: list[str]) -> None:
        self.rows = rows
        self.target_std = target_std
        self.tol = tol
        self.skipped = skipped

    @property
    def converged(self) -> bool:
        return all(r.converged for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"target_std": self.target_std, "tol": self.tol, "converged": self.converged,
                "layers": [asdict(r) for r in self.rows], "skipped": list(self.skipped)}

    def __str__(self) -> str:
        body = table(["#", "layer", "type", "iterations", "std after orthogonal", "final std", "converged"],
                     [[r.index, r.name, r.type, r.iterations, r.initial_std, r.final_std, r.converged]
                      for r in self.rows])
        n_bad = sum(not r.converged for r in self.rows)
        lines = [f"weightinit.lsuv_: {len(self.rows)} layers, target std {self.target_std:g} +- {self.tol:g}",
                 body, "every layer converged" if not n_bad else f"{n_bad} layer(s) did not converge"]
        if self.skipped:
            lines.append("not called by the forward pass (left as they were): " + ", ".join(self.skipped))
        return "\n".join(lines)


class _Measured(Exception):
    """Raised from the forward hook once the layer's output is measured."""


def _select(model, layers, torch):
    kinds = (torch.nn.Linear, torch.nn.modules.conv._ConvNd)
    names = {m: n for n, m in model.named_modules()}
    if layers is None:
        return [m for m in names if isinstance(m, kinds)], names
    by_name = dict(model.named_modules())
    chosen = []
    for i, x in enumerate(layers):
        m = by_name.get(x) if isinstance(x, str) else x
        if m is None or m not in names:
            raise ValueError(f"lsuv_: layers[{i}]={x!r} is not a submodule of the model")
        if not isinstance(getattr(m, "weight", None), torch.Tensor) or m.weight.dim() < 2:
            raise ValueError(f"lsuv_: layers[{i}]={x!r} ({type(m).__name__}) has no weight of 2 or more dimensions")
        chosen.append(m)
    return chosen, names


def lsuv_(model: torch.nn.Module, batch: torch.Tensor | tuple | list, *, target_std: float = 1.0,
          tol: float = 0.1, max_iter: int = 10, orthogonal: bool = True,
          layers: Iterable[str | torch.nn.Module] | None = None, generator: Any = None,
          progress: bool | Callable[[int, int, str], None] = False) -> LSUVRecord:
    """Layer-sequential unit-variance init, in place.

    Pre-initialise each selected layer's weight with :func:`orthogonal_`
    (when ``orthogonal``), zero its bias, then in forward order multiply the
    weight by ``target_std / std`` of the layer's output on ``batch`` until
    ``|std - target_std| <= tol`` or ``max_iter`` rescales were made.

    Args:
        model: a torch.nn.Module; put in eval mode for the run, its training
            mode restored after
        batch: the model's input (a tensor, or a tuple/list of positional
            inputs)
        target_std, tol, max_iter: as above (std of every element of the
            output, unbiased, in float64)
        orthogonal: pre-initialise orthogonally (``False``: keep the weights)
        layers: names or modules to process (default: every Linear, Conv*
            and ConvTranspose* module); they are processed in the order the
            forward pass first calls them.  Selected layers the forward pass
            never calls are left as they are and listed in ``skipped`` (with
            a warning when ``layers`` was given)
        generator: for ``orthogonal_`` (torch's default generator when None),
            so ``torch.manual_seed`` fixes the result
        progress: ``True`` for a progress bar on stderr, or a callable
            ``progress(done, total, layer_name)``

    Returns an :class:`LSUVRecord` (per layer: iterations, std after the
    pre-init, final std, converged).  A layer whose output std is 0 or not
    finite cannot be rescaled; it is reported as not converged.

    Example:
        >>> model = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh())
        ...                               for _ in range(20)])
        >>> torch.manual_seed(0)
        >>> record = weightinit.lsuv_(model, torch.randn(256, 64))
        >>> print(record)
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"lsuv_: model must be a torch.nn.Module, got {type(model).__name__}")
    if not (isinstance(target_std, (int, float)) and target_std > 0 and math.isfinite(target_std)):
        raise ValueError(f"lsuv_: target_std must be a positive number, got {target_std!r}")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"lsuv_: tol must be a number >= 0, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 0:
        raise ValueError(f"lsuv_: max_iter must be an int >= 0, got {max_iter!r}")
    args = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)
    chosen, names = _select(model, layers, torch)

    was_training = {m: m.training for m in model.modules()}
    order: list = []
    target: list = [None]  # the module being measured
    measured: list = [None]

    def hook(module, inputs, output):
        if target[0] is None:
            if module not in order:
                order.append(module)
            return
        if module is target[0]:
            out = output[0] if isinstance(output, (tuple, list)) else output
            measured[0] = out.detach().double().std().item()
            raise _Measured

    def measure(module):
        target[0], measured[0] = module, None
        try:
            model(*args)
        except _Measured:
            pass
        return measured[0]

    handles = [m.register_forward_hook(hook) for m in chosen]
    bar = None
    rows = []
    # Transformer layers' fused eval/no-grad path skips their Linear submodules (and so the hooks).
    mha = getattr(torch.backends, "mha", None)
    fastpath = mha.get_fastpath_enabled() if mha else None
    try:
        if mha:
            mha.set_fastpath_enabled(False)
        model.eval()
        with torch.no_grad():
            model(*args)  # forward order of the selected layers
            skipped = [names[m] for m in chosen if m not in order]
            if skipped and layers is not None:  # by default (e.g. attention's out_proj) only recorded
                warnings.warn(f"lsuv_: the forward pass never called {', '.join(skipped)}; left as they were")
            for m in order:
                if orthogonal:
                    orthogonal_(m.weight, generator=generator)
                if getattr(m, "bias", None) is not None:
                    zeros_(m.bias)
            if progress is True:
                bar = Progress(len(order), "lsuv_", enabled=True)
            for i, m in enumerate(order):
                std = first = measure(m)
                it = 0
                while (std is not None and math.isfinite(std) and std > 0
                       and abs(std - target_std) > tol and it < max_iter):
                    m.weight.mul_(target_std / std)
                    it += 1
                    std = measure(m)
                ok = std is not None and math.isfinite(std) and abs(std - target_std) <= tol
                rows.append(LSUVLayer(i, names[m], type(m).__name__, it,
                                      math.nan if first is None else first,
                                      math.nan if std is None else std, ok))
                if bar is not None:
                    bar.update(1, names[m])
                elif callable(progress):
                    progress(i + 1, len(order), names[m])
    finally:
        if mha:
            mha.set_fastpath_enabled(fastpath)
        for h in handles:
            h.remove()
        for mod, t in was_training.items():
            mod.training = t
        if bar is not None:
            bar.close()
    return LSUVRecord(rows, float(target_std), float(tol), skipped)
