"""Plain-text output shared by the model-level tools (inspect, lsuv_, the
command line): a fixed-width table and a small progress bar on stderr, so
that none of them needs a dependency for either."""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Iterable, Sequence


def fmt(x: Any) -> str:
    """A number in a table cell: 4 significant digits, '-' for missing."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        return f"{x:.4g}"
    if isinstance(x, (tuple, list)):
        return "x".join(str(v) for v in x) if all(isinstance(v, int) for v in x) else ",".join(map(str, x))
    return str(x)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned text columns, right-aligned numbers, one header line."""
    raw = [list(r) for r in rows]
    cells = [[fmt(c) for c in r] for r in raw]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in raw) for i in range(len(headers))]

    def line(vals):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(vals, widths, numeric)).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


class Rows:
    """Base of the reports: a sequence of ``self.rows`` that prints as a table."""

    rows: list

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __repr__(self) -> str:
        return str(self)


class Progress:
    """``[#####.....] 12/50 label`` redrawn in place on stderr.

    Drawn only when stderr is a terminal or ``force`` is set; at most ten
    redraws a second, and always the last one.
    """

    def __init__(self, total: int, label: str = "", *, enabled: bool | None = None, width: int = 30):
        self.total = max(int(total), 1)
        self.label = label
        self.width = width
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self._last = 0.0

    def update(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last < 0.1:
            return
        self._last = now
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note}".rstrip()[:200] + "\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
