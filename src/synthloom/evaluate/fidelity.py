"""Fidelity scores with SDMetrics' definitions (so results can be compared with it), computed
on numpy columns without subsampling.

Column shapes: KS complement (numbers and datetimes, values rounded to 14 decimals as
SDMetrics does) or TV complement (categories, with SDMetrics' 1e-6 regularisation for values
only the synthetic data has). Column pair trends: correlation similarity 1 - |r - r'| / 2
(Pearson, pairwise-complete rows) for two numerical columns, else contingency similarity
1 - TVD of the 2-way table, numbers cut into 10 equal-width bins of the real range (open at
both ends) and missing values as their own cell."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

MAX_DECIMALS = 14
PAIR_BINS = 10


@dataclass
class Column:
    """Numerical columns (numbers, datetimes as epoch ns) hold floats with NaN for missing;
    categorical columns hold integer codes into `categories`, missing = len(categories)."""

    name: str
    kind: str  # "numerical" or "categorical"
    real: np.ndarray
    synthetic: np.ndarray
    categories: list[Any] | None = None
    codes: tuple[np.ndarray, np.ndarray, int] | None = None  # pair-trend cells, filled on first use


def ks_statistic(r: np.ndarray, s: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D (as scipy's ks_2samp), without the p-value."""
    r, s = np.sort(r), np.sort(s)
    both = np.concatenate([r, s])
    return float(np.max(np.abs(np.searchsorted(r, both, side="right") / r.size
                               - np.searchsorted(s, both, side="right") / s.size)))


def ks_complement(real: np.ndarray, syn: np.ndarray) -> float:
    r = np.round(real[~np.isnan(real)], MAX_DECIMALS)
    s = np.round(syn[~np.isnan(syn)], MAX_DECIMALS)
    if r.size == 0 or s.size == 0:
        return float("nan")
    return 1.0 - ks_statistic(r, s)


def tv_complement(real: np.ndarray, syn: np.ndarray, k: int) -> float:
    """real, syn: category codes in [0, k], k meaning missing (left out, as SDMetrics does)."""
    r = np.bincount(real[real < k], minlength=k).astype(float)
    s = np.bincount(syn[syn < k], minlength=k).astype(float)
    if r.sum() == 0 or s.sum() == 0:
        return float("nan")
    r[(r == 0) & (s > 0)] = 1e-6  # as SDMetrics: values only the synthetic data has still count
    keep = r > 0
    return float(1 - 0.5 * np.abs(s[keep] / s.sum() - r[keep] / r.sum()).sum())


def correlation_similarity(rx: np.ndarray, ry: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> tuple[float, float, float]:
    """(score, real r, synthetic r) on rows where both values are present."""
    def pearson(a: np.ndarray, b: np.ndarray) -> float:
        ok = ~np.isnan(a) & ~np.isnan(b)
        a, b = a[ok], b[ok]
        if a.size < 2:
            return float("nan")
        a, b = a - a.mean(), b - b.mean()
        denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
        return float(np.clip(np.dot(a, b) / denom, -1.0, 1.0)) if denom > 0 else float("nan")

    r, s = pearson(rx, ry), pearson(sx, sy)
    return float(1 - abs(r - s) / 2), r, s


def _codes(col: Column) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes for the real and synthetic values of one column, on a shared index
    (computed once per column: every pair reuses them)."""
    if col.codes is None:
        col.codes = _make_codes(col)
    return col.codes


def _make_codes(col: Column) -> tuple[np.ndarray, np.ndarray, int]:
    if col.kind == "numerical":
        observed = col.real[~np.isnan(col.real)]
        edges = np.histogram_bin_edges(observed, bins=PAIR_BINS)
        edges[0], edges[-1] = -np.inf, np.inf
        # np.digitize puts NaN after the last edge: missing values become their own bin
        return np.digitize(col.real, edges), np.digitize(col.synthetic, edges), len(edges) + 1
    return col.real, col.synthetic, len(col.categories or []) + 1


def contingency_similarity(a: Column, b: Column) -> float:
    ra, sa, na = _codes(a)
    rb, sb, nb = _codes(b)
    real = np.bincount(ra * nb + rb, minlength=na * nb) / ra.size
    syn = np.bincount(sa * nb + sb, minlength=na * nb) / sa.size
    return float(1 - 0.5 * np.abs(real - syn).sum())


def column_shapes(columns: list[Column]) -> dict[str, dict[str, Any]]:
    out = {}
    for c in columns:
        if c.kind == "numerical":
            out[c.name] = {"metric": "KSComplement", "score": ks_complement(c.real, c.synthetic)}
        else:
            out[c.name] = {"metric": "TVComplement", "score": tv_complement(c.real, c.synthetic, len(c.categories or []))}
    return out


def column_pair_trends(columns: list[Column]) -> dict[str, dict[str, Any]]:
    out = {}
    for a, b in combinations(columns, 2):
        key = f"{a.name} ~ {b.name}"
        if a.kind == b.kind == "numerical":
            score, r, s = correlation_similarity(a.real, b.real, a.synthetic, b.synthetic)
            out[key] = {"metric": "CorrelationSimilarity", "score": score, "real": r, "synthetic": s}
        else:
            out[key] = {"metric": "ContingencySimilarity", "score": contingency_similarity(a, b)}
    return out


def quality(columns: list[Column]) -> dict[str, Any]:
    """SDMetrics' QualityReport score: the mean of the column-shape and pair-trend averages."""
    shapes = column_shapes(columns)
    pairs = column_pair_trends(columns)
    shape_score = float(np.nanmean([v["score"] for v in shapes.values()])) if shapes else float("nan")
    pair_score = float(np.nanmean([v["score"] for v in pairs.values()])) if pairs else float("nan")
    parts = [x for x in (shape_score, pair_score) if np.isfinite(x)]
    return {
        "score": float(np.mean(parts)) if parts else float("nan"),
        "column_shapes": shape_score,
        "column_pair_trends": pair_score,
        "shapes": shapes,
        "pairs": pairs,
    }
