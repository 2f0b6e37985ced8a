"""Statistics with the same definitions as vLLM's (numpy's defaults), without numpy.

- percentile: linear interpolation between closest ranks (numpy's default ``"linear"``).
- std: the population standard deviation (numpy's default ``ddof=0``).
- an empty sample gives 0.0 for every statistic (vLLM uses ``np.mean(values or 0)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["describe", "format_percentile", "mean", "median", "percentile", "std"]


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def std(values: Sequence[float]) -> float:
    """Population standard deviation (``ddof=0``)."""
    n = len(values)
    if n == 0:
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / n)


def percentile(values: Sequence[float], p: float, *, presorted: bool = False) -> float:
    """The ``p``-th percentile (0 <= p <= 100), linearly interpolated like ``np.percentile``."""
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile must be within [0, 100], not {p}")
    n = len(values)
    if n == 0:
        return 0.0
    ordered = values if presorted else sorted(values)
    rank = (n - 1) * p / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, n - 1)
    frac = rank - lo
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * frac)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


def format_percentile(p: float) -> str:
    """vLLM's key for a percentile: ``99`` -> ``"99"``, ``99.9`` -> ``"99.9"``."""
    return str(int(p)) if int(p) == p else str(p)


def describe(values: Sequence[float], percentiles: Sequence[float]) -> dict[str, float]:
    """``{"mean", "median", "std", "p<P>"...}`` of ``values`` (same unit as the values)."""
    ordered = sorted(values)
    out = {
        "mean": mean(ordered),
        "median": percentile(ordered, 50.0, presorted=True),
        "std": std(ordered),
    }
    for p in percentiles:
        out["p" + format_percentile(p)] = percentile(ordered, p, presorted=True)
    return out
