"""Fidelity scores with SDMetrics' definitions (so results can be compared with it), computed
on numpy columns without subsampling.

Column shapes: KS complement (numbers and datetimes, values rounded to 14 decimals as
SDMetrics does) or TV complement (categories, with SDMetrics' 1e-6 regularisation for values
only the synthetic data has). Column pair trends: correlation similarity 1 - |r - r'| / 2
(Pearson, pairwise-complete rows) for two numerical columns, else contingency similarity
1 - TVD of the 2-way table, numbers cut into 10 equal-width bins of the real range (open at
both ends) and missing values as their own cell.

Strong pairs: SDMetrics' QualityReport (0.29 and later) scores only the pairs whose real
association is strong, |Pearson r| above 0.5 for two numerical columns and Cramer's V of the
real 2-way table above 0.3 for the others; most pairs of a wide table are near independence and
easy to match, so the all-pairs mean hides the pairs that carry a table's structure. Both are
reported: `quality` / `column_pair_trends` over every pair (SDMetrics with thresholds 0) and
`quality_sdmetrics` / `column_pair_trends_strong` over the strong pairs, with their minimum."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

MAX_DECIMALS = 14
PAIR_BINS = 10
STRONG_CORRELATION = 0.5  # SDMetrics' real_correlation_threshold default
STRONG_ASSOCIATION = 0.3  # SDMetrics' real_association_threshold default
WEAK_STRONG_PAIR = 0.9  # a strong pair scoring below this is flagged in the report


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


def contingency_similarity(a: Column, b: Column) -> tuple[float, float]:
    """(score, Cramer's V of the real 2-way table)."""
    ra, sa, na = _codes(a)
    rb, sb, nb = _codes(b)
    real_counts = np.bincount(ra * nb + rb, minlength=na * nb)
    real = real_counts / ra.size
    syn = np.bincount(sa * nb + sb, minlength=na * nb) / sa.size
    return float(1 - 0.5 * np.abs(real - syn).sum()), cramers_v(real_counts.reshape(na, nb))


def cramers_v(counts: np.ndarray) -> float:
    """Cramer's V of a 2-way table of counts (no continuity correction, as SDMetrics); empty
    rows and columns are left out; NaN when fewer than two remain on a side."""
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0].astype(float)
    if min(counts.shape) < 2:
        return float("nan")
    n = counts.sum()
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(counts.shape) - 1))))


def column_shapes(columns: list[Column]) -> dict[str, dict[str, Any]]:
    out = {}
    for c in columns:
        if c.kind == "numerical":
            out[c.name] = {"metric": "KSComplement", "score": ks_complement(c.real, c.synthetic)}
        else:
            out[c.name] = {"metric": "TVComplement", "score": tv_complement(c.real, c.synthetic, len(c.categories or []))}
    return out


def column_pair_trends(columns: list[Column]) -> dict[str, dict[str, Any]]:
    """Every pair's score, its real association (|r| or Cramer's V) and whether SDMetrics'
    thresholds count it as strong."""
    out = {}
    for a, b in combinations(columns, 2):
        key = f"{a.name} ~ {b.name}"
        if a.kind == b.kind == "numerical":
            score, r, s = correlation_similarity(a.real, b.real, a.synthetic, b.synthetic)
            out[key] = {"metric": "CorrelationSimilarity", "score": score, "real": r, "synthetic": s,
                        "association": abs(r), "strong": bool(abs(r) > STRONG_CORRELATION)}
        else:
            score, v = contingency_similarity(a, b)
            out[key] = {"metric": "ContingencySimilarity", "score": score, "association": v,
                        "strong": bool(v > STRONG_ASSOCIATION)}
    return out


def strong_pairs(pairs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The strong pairs' scores: count, minimum, mean, and every strong pair below
    WEAK_STRONG_PAIR, weakest first."""
    strong = {k: v["score"] for k, v in pairs.items() if v["strong"] and np.isfinite(v["score"])}
    weak = sorted((k for k, v in strong.items() if v < WEAK_STRONG_PAIR), key=lambda k: strong[k])
    return {"count": len(strong), "min": min(strong.values()) if strong else float("nan"),
            "mean": float(np.mean(list(strong.values()))) if strong else float("nan"), "weak": weak}


def quality(columns: list[Column]) -> dict[str, Any]:
    """SDMetrics' QualityReport score, the mean of the column-shape and pair-trend averages,
    over every pair (`score`) and with SDMetrics' default thresholds (`score_sdmetrics`: the
    strong pairs only, the shapes alone when no pair is strong)."""
    shapes = column_shapes(columns)
    pairs = column_pair_trends(columns)
    shape_score = float(np.nanmean([v["score"] for v in shapes.values()])) if shapes else float("nan")
    pair_score = float(np.nanmean([v["score"] for v in pairs.values()])) if pairs else float("nan")
    strong = strong_pairs(pairs)
    return {
        "score": _mean_of_finite(shape_score, pair_score),
        "score_sdmetrics": _mean_of_finite(shape_score, strong["mean"]),
        "column_shapes": shape_score,
        "column_pair_trends": pair_score,
        "column_pair_trends_strong": strong["mean"],
        "strong_pairs": strong,
        "shapes": shapes,
        "pairs": dict(sorted(pairs.items(), key=lambda kv: -_finite_or(kv[1]["association"], -1.0))),
    }


def _mean_of_finite(*values: float) -> float:
    finite = [x for x in values if np.isfinite(x)]
    return float(np.mean(finite)) if finite else float("nan")


def _finite_or(x: float, default: float) -> float:
    return float(x) if np.isfinite(x) else default
