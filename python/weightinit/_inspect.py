"""weightinit.inspect: what an init does to a network on one batch.

One forward and one backward pass with hooks on every module that owns
parameters; per layer, in the order the forward pass reaches it: the weight's
fans, mean and std next to the std that He, Glorot, LeCun and torch's default
rules give for those fans, the output's mean and std (forward hooks), and the
std of the gradient of the weight and of the output (tensor hooks on the
output, which unlike module backward hooks tolerate in-place activations).
The model is left as it was: buffers, ``.grad``, training mode, hooks and the
global RNG state are restored.  Built on the public API only; torch and
matplotlib are imported when needed.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from ._api import _calculate_fan_in_and_fan_out, calculate_gain
from ._text import Rows, table

if TYPE_CHECKING:
    import torch

__all__ = ["inspect", "Report", "LayerStats", "rule_stds", "plot_depth"]

RULES = ("he", "glorot", "lecun", "torch")
_HIST_SAMPLES = 20000  # weight values kept per layer for the histograms


def rule_stds(fan_in: int, fan_out: int) -> dict[str, float]:
    """The weight std each common rule gives for these fans.

    ``he``: kaiming_normal_ for ReLU, sqrt(2 / fan_in); ``glorot``:
    xavier_*, sqrt(2 / (fan_in + fan_out)); ``lecun``: sqrt(1 / fan_in);
    ``torch``: torch's Linear/Conv default, kaiming_uniform_(a=sqrt(5)),
    which is 1 / sqrt(3 fan_in).

    Example:
        >>> weightinit.rule_stds(256, 128)["he"]
        0.08838834764831845
    """
    if fan_in <= 0 or fan_out <= 0:
        return {r: math.nan for r in RULES}
    return {
        "he": calculate_gain("relu") / math.sqrt(fan_in),
        "glorot": math.sqrt(2.0 / (fan_in + fan_out)),
        "lecun": 1.0 / math.sqrt(fan_in),
        "torch": calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(fan_in),
    }


class _Moments:
    """Mean and unbiased std of all the values seen, over several tensors
    (Chan's parallel update, float64), and how many were NaN or inf."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.nonfinite = 0

    def add(self, t: Any) -> None:
        t = t.detach().double().reshape(-1)
        nb = t.numel()
        if nb == 0:
            return
        mb = t.mean().item()
        m2b = (t - mb).square().sum().item()
        self.nonfinite += nb - int(t.isfinite().sum().item())
        n = self.n + nb
        delta = mb - self.mean
        self.mean += delta * nb / n
        self.m2 += m2b + delta * delta * self.n * nb / n
        self.n = n

    @property
    def std(self) -> float | None:
        if self.n == 0:
            return None
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else math.nan


@dataclass
class LayerStats:
    """One row of a :class:`Report`: a module that owns parameters.

    ``weight_*`` and ``rule_std`` describe the parameter named ``weight``
    (else the first parameter of 2 or more dimensions); fans and rule stds
    are ``None`` for 1-D weights (norm layers).  ``act_*`` are over every
    element of the module's output on the batch (its first tensor when it
    returns a tuple), ``act_ratio`` is ``act_std`` over the reference std
    (the input's), ``grad_*`` the std of the loss's gradient with respect to
    the weight and to the output, ``dead_fraction`` the share of output
    units (channels for conv layers, the last dimension otherwise) that are
    never positive on the batch, i.e. dead if a ReLU follows.
    """

    index: int
    name: str
    type: str
    weight_shape: tuple | None
    fan_in: int | None
    fan_out: int | None
    weight_mean: float | None
    weight_std: float | None
    rule_std: dict | None
    nearest_rule: str | None
    act_mean: float | None
    act_std: float | None
    act_ratio: float | None
    grad_weight_std: float | None
    grad_output_std: float | None
    dead_fraction: float | None
    nonfinite: int
    calls: int
    flags: list = field(default_factory=list)


_HEADERS = ["#", "layer", "type", "weight", "fan_in", "fan_out", "w std", "he", "glorot", "lecun",
            "torch", "out mean", "out std", "out/in", "grad w", "grad out", "dead", "flags"]


class Report(Rows):
    """What :func:`inspect` measured.  ``str(report)`` is a table,
    ``report.rows`` the :class:`LayerStats`, ``report.to_dict()`` plain
    numbers, ``report.flagged`` the rows with a flag, ``report.plot(path)``
    a PNG (needs matplotlib: ``pip install 'weightinit[plot]'``)."""

    def __init__(self, rows: list[LayerStats], input_std: float | None, threshold: float,
                 dead_threshold: float, loss: float | None, model_type: str,
                 weights: dict[str, np.ndarray], not_called: list[str]) -> None:
        self.rows = rows
        self.input_std = input_std
        self.threshold = threshold
        self.dead_threshold = dead_threshold
        self.loss = loss
        self.model_type = model_type
        self.not_called = not_called
        self._weights = weights

    @property
    def flagged(self) -> list[LayerStats]:
        return [r for r in self.rows if r.flags]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model_type, "input_std": self.input_std, "loss": self.loss,
                "threshold": self.threshold, "dead_threshold": self.dead_threshold,
                "layers": [asdict(r) for r in self.rows], "not_called": list(self.not_called)}

    def __str__(self) -> str:
        body = table(_HEADERS, [
            [r.index, r.name, r.type, r.weight_shape, r.fan_in, r.fan_out, r.weight_std,
             *((r.rule_std or {}).get(k) for k in RULES), r.act_mean, r.act_std, r.act_ratio,
             r.grad_weight_std, r.grad_output_std, r.dead_fraction, ",".join(r.flags) or ""]
            for r in self.rows])
        ref = "input" if self.input_std is not None else "first layer's output"
        lines = [f"weightinit.inspect: {self.model_type}, {len(self.rows)} layers with parameters, "
                 f"reference std ({ref}) {_num(self._ref_std())}, loss {_num(self.loss)}", body]
        n = len(self.flagged)
        lines.append(f"{n} layer(s) flagged (out/in or grad beyond {self.threshold:g}x, "
                     f"dead > {self.dead_threshold:.0%}, nan/inf)" if n else "no layer flagged")
        if self.not_called:
            lines.append("not called by the forward pass: " + ", ".join(self.not_called))
        return "\n".join(lines)

    def _ref_std(self) -> float | None:
        if self.input_std is not None:
            return self.input_std
        return self.rows[0].act_std if self.rows else None

    def plot(self, path: str | os.PathLike, *, max_histograms: int = 12, title: str | None = None) -> str:
        """Write a PNG: activation and gradient std through depth (log axes)
        and a grid of weight histograms, each with the pdf of the rule whose
        std is nearest to the weight's (normal, or uniform when the weights'
        excess kurtosis says so).  With more than ``max_histograms`` layers
        an evenly spaced selection (first and last included) is drawn.
        Returns ``path``.

        Example:
            >>> weightinit.inspect(model, x).plot("init_report.png")
        """
        Figure = _figure_class("Report.plot")
        hist_rows = [r for r in self.rows if r.name in self._weights]
        if len(hist_rows) > max_histograms:
            pick = np.unique(np.linspace(0, len(hist_rows) - 1, max_histograms).round().astype(int))
            hist_rows = [hist_rows[i] for i in pick]
        ncol = 4
        nh = math.ceil(len(hist_rows) / ncol)
        fig = Figure(figsize=(14, 4.2 + 2.6 * nh), layout="constrained")
        grid = fig.add_gridspec(1 + nh, ncol, height_ratios=[1.6] + [1] * nh)
        ax_f = fig.add_subplot(grid[0, :2])
        ax_b = fig.add_subplot(grid[0, 2:])
        _depth_panels(ax_f, ax_b, {"": self})
        for i, r in enumerate(hist_rows):
            _histogram(fig.add_subplot(grid[1 + i // ncol, i % ncol]), r, self._weights[r.name])
        fig.suptitle(title or f"weightinit.inspect: {self.model_type}", fontsize=14)
        fig.savefig(path, dpi=90)
        return str(path)


def _num(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}"


def _figure_class(what: str) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"{what} needs matplotlib, which is not installed: "
                          "pip install 'weightinit[plot]' (or pip install matplotlib)") from e
    return Figure


def _positive(values):
    return [v if v is not None and math.isfinite(v) and v > 0 else math.nan for v in values]


def _depth_panels(ax_f: Any, ax_b: Any, reports: Mapping[str, Report]) -> None:
    """Activation std (left) and gradient std (right) per layer, log scale;
    one line per report (label ''= a single report: weight gradients too)."""
    single = list(reports) == [""]
    for label, rep in reports.items():
        x = [r.index for r in rep.rows]
        line = ax_f.plot(x, _positive(r.act_std for r in rep.rows), marker=".", label=label or "output std")[0]
        ax_b.plot(x, _positive(r.grad_output_std for r in rep.rows), marker=".", color=line.get_color(),
                  label=label or "d loss / d output")
        if single:
            ax_b.plot(x, _positive(r.grad_weight_std for r in rep.rows), marker="x", linestyle="--",
                      label="d loss / d weight")
            if rep._ref_std() is not None:
                ax_f.axhline(rep._ref_std(), color="grey", linestyle=":", label="input std")
            bad = [r for r in rep.rows if r.flags]
            if bad:
                ax_f.scatter([r.index for r in bad], _positive(r.act_std for r in bad), s=60,
                             facecolors="none", edgecolors="red", label="flagged (see table)", zorder=3)
    for ax, what in [(ax_f, "activation std (layer output)"), (ax_b, "gradient std (d loss / d layer output)")]:
        ax.set_yscale("log")
        ax.set_xlabel("layer with parameters (forward order)")
        ax.set_ylabel(what)
        ax.grid(True, which="both", alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    ax_f.set_title("forward: signal std through depth")
    ax_b.set_title("backward: gradient std through depth")


def _histogram(ax: Any, row: LayerStats, values: np.ndarray) -> None:
    ax.hist(values, bins=int(min(60, max(10, math.sqrt(values.size)))), density=True, color="tab:blue", alpha=0.6, label="weights")
    assert row.nearest_rule is not None and row.rule_std is not None  # rows with a weight
    rule, shape = row.nearest_rule.split()
    s = row.rule_std[rule]
    lo, hi = float(values.min()), float(values.max())
    span = max(hi, -lo, 3.2 * s)
    x = np.linspace(-span, span, 400)
    if shape == "uniform":
        b = s * math.sqrt(3)
        pdf = np.where(np.abs(x) <= b, 1 / (2 * b), 0.0)
    else:
        pdf = np.exp(-0.5 * (x / s) ** 2) / (s * math.sqrt(2 * math.pi))
    ax.plot(x, pdf, color="tab:red", lw=1.5, label=f"{rule} {shape} pdf")
    ax.set_title(f"{row.index}: {row.name} {row.type}\nstd {row.weight_std:.3g} = "
                 f"{row.weight_std / s:.2f} x {rule}", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="upper right")


def plot_depth(reports: Mapping[str, Report], path: str | os.PathLike, *, title: str | None = None) -> str:
    """Write one PNG comparing several reports (one per init, say):
    activation std and gradient std through depth, log axes, one line per
    label.  Returns ``path``.

    Example:
        >>> reps = {}
        >>> for name in ["kaiming_normal_", "xavier_normal_"]:
        ...     for m in model.modules():
        ...         if isinstance(m, torch.nn.Linear):
        ...             getattr(weightinit, name)(m.weight)
        ...     reps[name] = weightinit.inspect(model, x)
        >>> weightinit.plot_depth(reps, "depth.png")
    """
    Figure = _figure_class("plot_depth")
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    ax_f, ax_b = fig.subplots(1, 2)
    _depth_panels(ax_f, ax_b, dict(reports))
    first = next(iter(reports.values()), None)
    fig.suptitle(title or f"signal std through depth: {first.model_type if first else ''}", fontsize=13)
    fig.savefig(path, dpi=90)
    return str(path)


def _first_tensor(x, torch):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, Mapping):
        x = list(x.values())
    if isinstance(x, (tuple, list)):
        for v in x:
            t = _first_tensor(v, torch)
            if t is not None:
                return t
    return None


def _weight(module, torch):
    w = getattr(module, "weight", None)
    if isinstance(w, torch.Tensor):
        return w
    for p in module.parameters(recurse=False):
        if p.dim() >= 2:
            return p
    return None


def _unit_dim(module: Any, out: Any, torch: Any) -> int:
    return 1 if isinstance(module, torch.nn.modules.conv._ConvNd) and out.dim() >= 2 else -1


def _kurtosis_shape(w: Any) -> str:
    """'uniform' when the excess kurtosis is nearer uniform's -1.2 than the normal's 0."""
    c = w - w.mean()
    var = c.square().mean()
    if var.item() == 0:
        return "normal"
    k = (c.pow(4).mean() / var.square()).item() - 3.0
    return "uniform" if k < -0.6 else "normal"


def _weight_stats(w, torch):
    wd = w.detach().double()
    mean = wd.mean().item()
    std = wd.std().item() if wd.numel() > 1 else math.nan
    if w.dim() < 2:
        return mean, std, None, None, None, None, None
    fan_in, fan_out = _calculate_fan_in_and_fan_out(w)
    rules = rule_stds(fan_in, fan_out)
    nearest = None
    if std > 0 and math.isfinite(std) and all(math.isfinite(v) for v in rules.values()):
        rule = min(RULES, key=lambda k: abs(math.log(std / rules[k])))
        nearest = f"{rule} {_kurtosis_shape(wd)}"
    flat = wd.reshape(-1)
    step = max(1, flat.numel() // _HIST_SAMPLES)
    sample = flat[::step].float().numpy().copy()
    return mean, std, fan_in, fan_out, rules, nearest, sample


def inspect(model: torch.nn.Module, *inputs: Any, loss: Callable[[Any], torch.Tensor] | None = None,
            threshold: float = 10.0, dead_threshold: float = 0.1, **kwargs: Any) -> Report:
    """Run ``model(*inputs, **kwargs)`` once forward and once backward and
    report, per module with parameters in forward order, the weight's fans,
    mean and std beside the He/Glorot/LeCun/torch-default stds for those
    fans, the output's mean and std, and the gradient std of the weight and
    of the output.

    Args:
        model: a torch.nn.Module (run in its current training mode)
        inputs, kwargs: the batch, passed to ``model`` as is
        loss: a callable on the model's output returning a scalar; default
            ``output.float().pow(2).mean()`` (on the first tensor of a
            tuple/list/dict output).  No backward pass (and no gradient
            columns) when nothing in the output requires grad.
        threshold: flag ``vanishing``/``exploding`` where a layer's output
            std is below ``1/threshold`` or above ``threshold`` times the
            reference std (the first floating input's, else the first layer
            output's), and ``grad-vanishing``/``grad-exploding`` where the
            output gradient's std is that far from the last layer's
        dead_threshold: flag ``dead`` where more than this share of output
            units is never positive on the batch; ``nan/inf`` flags non-finite
            values in the weight, output or gradients

    The model is not changed: parameters, buffers (e.g. BatchNorm running
    stats, which a training-mode forward updates), ``.grad``, training mode
    and hooks are as before, and torch's global RNG state is restored.

    Example:
        >>> model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
        ...                             torch.nn.Linear(256, 10))
        >>> report = weightinit.inspect(model, torch.randn(64, 784))
        >>> print(report)                 # per-layer table, flagged layers
        >>> report.rows[0].act_std        # the numbers
        >>> report.plot("init_report.png")
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"inspect: model must be a torch.nn.Module, got {type(model).__name__}")
    if loss is not None and not callable(loss):
        raise TypeError(f"inspect: loss must be a callable on the model's output, got {type(loss).__name__}")
    if not threshold > 1:
        raise ValueError(f"inspect: threshold must be > 1, got {threshold}")

    names: dict = {}
    for n, m in model.named_modules():
        names.setdefault(m, n or "(root)")
    owners = [m for m in names if any(True for _ in m.parameters(recurse=False))]
    order: list = []
    act: dict = {}
    grad: dict = {}
    alive: dict = {}
    calls: dict = {}

    def forward_hook(module, args, output):
        out = _first_tensor(output, torch)
        if out is None:
            return
        if module not in act:
            order.append(module)
            act[module], grad[module] = _Moments(), _Moments()
            calls[module] = 0
        calls[module] += 1
        act[module].add(out)
        if out.is_floating_point() and out.dim() >= 1 and out.numel():
            d = _unit_dim(module, out, torch)
            dims = [i for i in range(out.dim()) if i != d % out.dim()]
            a = (out.detach() > 0).any(dim=dims) if dims else (out.detach() > 0)
            prev = alive.get(module)
            alive[module] = a if prev is None or prev.shape != a.shape else (prev | a)
        if out.requires_grad:
            out.register_hook(lambda g, m=module: grad[m].add(g))

    params = list(model.parameters())
    saved_grads = [p.grad for p in params]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    was_training = {m: m.training for m in model.modules()}
    handles = [m.register_forward_hook(forward_hook) for m in owners]
    loss_value = None
    weight_grads: dict = {}
    try:
        for p in params:
            p.grad = None
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            output = model(*inputs, **kwargs)
            out = _first_tensor(output, torch)
            if out is None:
                raise TypeError(f"inspect: the model returned {type(output).__name__} with no tensor in it")
            if loss is not None:
                value = loss(output)
            else:
                value = out.float().pow(2).mean()
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                raise ValueError("inspect: loss must return a tensor with one element, got "
                                 f"{type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}")
            loss_value = float(value.detach().item())
            if value.requires_grad:
                value.reshape(()).backward()
        for m in order:
            w = _weight(m, torch)
            if w is not None and w.grad is not None:
                weight_grads[m] = w.grad.detach().clone()
    finally:
        for h in handles:
            h.remove()
        for p, g in zip(params, saved_grads):
            p.grad = g
        with torch.no_grad():
            for b, saved in buffers:
                if not torch.equal(b, saved):
                    b.copy_(saved)
        for m, t in was_training.items():
            m.training = t

    ref_input = next((x for x in inputs if isinstance(x, torch.Tensor) and x.is_floating_point()), None)
    input_moments = _Moments()
    if ref_input is not None:
        input_moments.add(ref_input)
    input_std = input_moments.std
    first = act[order[0]].std if order else None
    ref = input_std if input_std is not None else first

    rows, weights = [], {}
    for i, m in enumerate(order):
        w = _weight(m, torch)
        if w is not None:
            wmean, wstd, fi, fo, rules, nearest, sample = _weight_stats(w, torch)
        else:
            wmean = wstd = fi = fo = rules = nearest = sample = None
        gw = None
        if m in weight_grads:
            gm = _Moments()
            gm.add(weight_grads[m])
            gw = gm.std
        a = alive.get(m)
        dead = None if a is None else 1.0 - a.double().mean().item()
        nonfinite = act[m].nonfinite + grad[m].nonfinite
        if w is not None:
            nonfinite += int((~w.detach().isfinite()).sum().item())
        if m in weight_grads:
            nonfinite += int((~weight_grads[m].isfinite()).sum().item())
        astd = act[m].std
        ratio = astd / ref if astd is not None and ref else None
        row = LayerStats(
            index=i, name=names[m], type=type(m).__name__,
            weight_shape=tuple(w.shape) if w is not None else None, fan_in=fi, fan_out=fo,
            weight_mean=wmean, weight_std=wstd, rule_std=rules, nearest_rule=nearest,
            act_mean=act[m].mean if act[m].n else None, act_std=astd, act_ratio=ratio,
            grad_weight_std=gw, grad_output_std=grad[m].std, dead_fraction=dead,
            nonfinite=nonfinite, calls=calls[m])
        rows.append(row)
        if sample is not None and nearest is not None:
            weights[row.name] = sample

    last_grad: float | None = next((r.grad_output_std for r in reversed(rows) if r.grad_output_std), None)
    for r in rows:
        if r.act_ratio is not None and math.isfinite(r.act_ratio):
            if r.act_ratio < 1 / threshold:
                r.flags.append("vanishing")
            elif r.act_ratio > threshold:
                r.flags.append("exploding")
        if last_grad and r.grad_output_std is not None and math.isfinite(r.grad_output_std):
            grad_ratio = r.grad_output_std / last_grad
            if grad_ratio < 1 / threshold:
                r.flags.append("grad-vanishing")
            elif grad_ratio > threshold:
                r.flags.append("grad-exploding")
        if r.dead_fraction is not None and r.dead_fraction > dead_threshold:
            r.flags.append("dead")
        if r.nonfinite:
            r.flags.append("nan/inf")
    not_called = [names[m] for m in owners if m not in act]
    return Report(rows, input_std, threshold, dead_threshold, loss_value, type(model).__name__,
                  weights, not_called)
