"""Confidence intervals: Wilson for shares, seeded bootstrap for everything else."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap(values: np.ndarray, stat: Callable[[np.ndarray], float], seed: int, rounds: int = 200) -> tuple[float, float]:
    """95% percentile interval of `stat` over resamples of `values` (rows), seeded."""
    if len(values) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    n = len(values)
    draws = [stat(values[rng.integers(0, n, n)]) for _ in range(rounds)]
    lo, hi = np.nanpercentile(draws, [2.5, 97.5])
    return (float(lo), float(hi))


def jackknife(n: int, stat: Callable[[np.ndarray], float], seed: int, groups: int = 20) -> tuple[float, float]:
    """95% interval from a delete-a-group jackknife: right for corpus-level statistics such as
    distinct-n or Vendi, which a with-replacement bootstrap biases (resamples repeat items)."""
    if n < 4:
        return (float("nan"), float("nan"))
    g = min(groups, n)
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, g)
    full = stat(order)
    thetas = np.array([stat(np.concatenate(parts[:i] + parts[i + 1:])) for i in range(g)])
    se = float(np.sqrt((g - 1) / g * np.sum((thetas - thetas.mean()) ** 2)))
    return (full - Z95 * se, full + Z95 * se)
