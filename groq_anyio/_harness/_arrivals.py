"""Request arrival times: all at once (``inf``), Poisson (burstiness 1) or gamma.

As in vLLM, the gaps between arrivals are drawn from a gamma distribution of shape
``burstiness`` and scale ``1 / (rate * burstiness)``: the mean gap is ``1 / rate`` whatever the
burstiness; burstiness 1 is the exponential distribution (a Poisson process), lower is
burstier, higher is more uniform.
"""

from __future__ import annotations

import math
import random

__all__ = ["arrival_offsets", "gaps"]


def gaps(n: int, rate: float, burstiness: float = 1.0, seed: int | None = 0) -> list[float]:
    """``n`` independent gaps (seconds) between arrivals."""
    if rate <= 0 or math.isnan(rate):
        raise ValueError(f"request rate must be positive, not {rate}")
    if burstiness <= 0 or math.isnan(burstiness):
        raise ValueError(f"burstiness must be positive, not {burstiness}")
    if math.isinf(rate):
        return [0.0] * n
    rng = random.Random(seed)
    theta = 1.0 / (rate * burstiness)
    return [rng.gammavariate(burstiness, theta) for _ in range(n)]


def arrival_offsets(
    n: int, rate: float, burstiness: float = 1.0, seed: int | None = 0
) -> list[float]:
    """Seconds from the start of the run at which each of ``n`` requests is due: the first at
    0, then each after a gap (as vLLM sends them)."""
    out: list[float] = []
    t = 0.0
    for g in gaps(max(0, n - 1), rate, burstiness, seed):
        out.append(t)
        t += g
    if n > 0:
        out.append(t)
    return out
