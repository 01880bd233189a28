"""How far reviewers agree: Krippendorff's alpha (nominal, ordinal, interval, ratio; any number
of reviewers, missing ratings allowed) and Cohen's kappa (two reviewers), each with a bootstrap
interval over the rated items.

Alpha follows Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): values that
pair within an item fill a coincidence matrix o (each pair weighted 1 / (ratings of the item - 1);
items rated once are not pairable), and

    alpha = 1 - (n - 1) * sum(o[c, k] * d2[c, k]) / sum(n[c] * n[k] * d2[c, k])

with d2 the squared difference of the level: nominal 0/1, interval (c - k)^2, ratio
((c - k) / (c + k))^2, ordinal (the ranks' marginal sums between c and k less half of both)^2."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")
BOOTSTRAP_SAMPLES = 1000


@dataclass(frozen=True)
class Agreement:
    value: float | None  # None when there is nothing to compare (or no variation at all)
    low: float | None
    high: float | None
    items: int  # items rated by at least two reviewers

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "items": self.items}


def _counts(ratings: Sequence[Sequence[Any]]) -> tuple[np.ndarray, list[Any]]:
    """ratings[reviewer][item] (None = not rated) -> (items x values count matrix, the values in
    order), keeping only items rated at least twice."""
    values = sorted({v for row in ratings for v in row if v is not None}, key=_order_key)
    index = {v: i for i, v in enumerate(values)}
    n_items = max((len(row) for row in ratings), default=0)
    counts = np.zeros((n_items, len(values)))
    for row in ratings:
        for item, v in enumerate(row):
            if v is not None:
                counts[item, index[v]] += 1
    return counts[counts.sum(axis=1) >= 2], values


def _order_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, str(v))


def _squared_differences(level: str, values: list[Any], totals: np.ndarray) -> np.ndarray:
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(totals)])
        i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        between = cum[hi + 1] - cum[lo]  # marginal totals of ranks lo..hi
        return (between - (totals[i] + totals[j]) / 2) ** 2 * (i != j)
    x = np.asarray(values, dtype=float)
    diff = x[:, None] - x[None, :]
    if level == "interval":
        return diff**2
    if level == "ratio":
        total = x[:, None] + x[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total == 0, 0.0, (diff / np.where(total == 0, 1, total)) ** 2)
    raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")


def _alpha_from_counts(counts: np.ndarray, values: list[Any], level: str) -> float | None:
    if counts.shape[0] == 0:
        return None
    weights = 1.0 / (counts.sum(axis=1) - 1)
    coincidence = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    totals = coincidence.sum(axis=0)
    n = totals.sum()
    d2 = _squared_differences(level, values, totals)
    expected = (np.outer(totals, totals) * d2).sum()
    if n <= 1 or expected == 0:
        return None  # a single value everywhere: agreement is not defined
    return float(1.0 - (n - 1) * (coincidence * d2).sum() / expected)


def krippendorff_alpha(ratings: Sequence[Sequence[Any]], level: str = "nominal") -> float | None:
    """ratings[reviewer][item], None where a reviewer did not rate an item."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    counts, values = _counts(ratings)
    return _alpha_from_counts(counts, values, level)


def cohen_kappa(first: Sequence[Any], second: Sequence[Any]) -> float | None:
    """Two reviewers, nominal labels; items either did not rate (None) are left out."""
    pairs = [(a, b) for a, b in zip(first, second) if a is not None and b is not None]
    return _kappa(pairs)


def _kappa(pairs: Sequence[tuple[Any, Any]]) -> float | None:
    if not pairs:
        return None
    labels = sorted({v for pair in pairs for v in pair}, key=_order_key)
    index = {v: i for i, v in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    table /= len(pairs)
    observed = float(np.trace(table))
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    if expected >= 1.0:
        return None  # both always gave the same single label: kappa is not defined
    return (observed - expected) / (1.0 - expected)


def _interval(samples: list[float]) -> tuple[float | None, float | None]:
    finite = sorted(s for s in samples if s is not None and math.isfinite(s))
    if len(finite) < 20:
        return None, None
    return float(np.quantile(finite, 0.025)), float(np.quantile(finite, 0.975))


def alpha_with_interval(ratings: Sequence[Sequence[Any]], level: str = "nominal", *, seed: int = 0,
                        samples: int = BOOTSTRAP_SAMPLES) -> Agreement:
    """Alpha, and a 95% percentile interval from resampling the pairable items (seeded)."""
    counts, values = _counts(ratings)
    value = _alpha_from_counts(counts, values, level)
    rng = np.random.default_rng(seed)
    boot = [_alpha_from_counts(counts[rng.integers(0, len(counts), len(counts))], values, level)
            for _ in range(samples)] if len(counts) >= 2 else []
    low, high = _interval(boot)
    return Agreement(value, low, high, int(len(counts)))


def kappa_with_interval(first: Sequence[Any], second: Sequence[Any], *, seed: int = 0,
                        samples: int = BOOTSTRAP_SAMPLES) -> Agreement:
    pairs = [(a, b) for a, b in zip(first, second) if a is not None and b is not None]
    value = _kappa(pairs)
    rng = np.random.default_rng(seed)
    boot = [_kappa([pairs[i] for i in rng.integers(0, len(pairs), len(pairs))]) for _ in range(samples)] \
        if len(pairs) >= 2 else []
    low, high = _interval(boot)
    return Agreement(value, low, high, len(pairs))
