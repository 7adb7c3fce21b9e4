"""Small pure helpers of the benchmark reports: percentiles, ratios, number formats, tables."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``, linearly interpolated between the two
    nearest ranks (numpy's default method). ``values`` need not be sorted."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in 0..100, got {q}")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or ``None`` when either is missing or ``b`` is not positive."""
    if a is None or b is None or not b > 0:
        return None
    return a / b


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def fmt_num(value: float | None, digits: int = 0) -> str:
    """``1,234`` / ``0.52``; ``n/a`` for ``None``."""
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_ms(seconds: float) -> str:
    """A latency in milliseconds with about three significant digits."""
    ms = seconds * 1000
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    return f"{ms:.2f}"


def fmt_size(size: int) -> str:
    """``1 KiB``, ``64 KiB``, ``1 GiB``, ``300 B``."""
    for unit, n in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= n and size % n == 0:
            return f"{size // n} {unit}"
    return f"{size} B"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: str = "") -> str:
    """A Markdown table. ``right``: one character per column, ``r`` for right-aligned."""
    if any(len(r) != len(header) for r in rows):
        raise ValueError("every row needs one cell per column")
    align = ["---:" if right[i : i + 1] == "r" else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
