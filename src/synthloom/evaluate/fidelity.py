"""Fidelity scores with SDMetrics' definitions (so results can be compared with it), computed
on numpy columns without subsampling.

Column shapes: KS complement (numbers and datetimes, values rounded to 14 decimals as
SDMetrics does) or TV complement (categories, with SDMetrics' 1e-6 regularisation for values
only the synthetic data has). Column pair trends: correlation similarity 1 - |r - r'| / 2
(Pearson, pairwise-complete rows) for two numerical columns, else contingency similarity
1 - TVD of the 2-way table, numbers cut into 10 equal-width bins of the real range (open at
both ends) and missing values as their own cell."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy import stats

MAX_DECIMALS = 14
PAIR_BINS = 10


@dataclass
class Column:
    name: str
    kind: str  # "numerical" (numbers and datetimes as floats) or "categorical"
    real: np.ndarray
    synthetic: np.ndarray


def ks_complement(real: np.ndarray, syn: np.ndarray) -> float:
    r = np.round(real[~np.isnan(real)], MAX_DECIMALS)
    s = np.round(syn[~np.isnan(syn)], MAX_DECIMALS)
    if r.size == 0 or s.size == 0:
        return float("nan")
    return float(1 - stats.ks_2samp(r, s).statistic)


def _present(x: np.ndarray) -> list[Any]:
    return [v for v in x if v is not None and not (isinstance(v, float) and np.isnan(v))]


def tv_complement(real: np.ndarray, syn: np.ndarray) -> float:
    r, s = Counter(_present(real)), Counter(_present(syn))
    if not r or not s:
        return float("nan")
    for v in s:
        if v not in r:
            r[v] += 1e-6  # as SDMetrics: values only the synthetic data has still count
    nr, ns = sum(r.values()), sum(s.values())
    return float(1 - 0.5 * sum(abs(s[v] / ns - r[v] / nr) for v in r))


def correlation_similarity(rx: np.ndarray, ry: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> tuple[float, float, float]:
    """(score, real r, synthetic r) on rows where both values are present."""
    def pearson(a: np.ndarray, b: np.ndarray) -> float:
        ok = ~np.isnan(a) & ~np.isnan(b)
        a, b = a[ok], b[ok]
        if a.size < 2 or a.std() == 0 or b.std() == 0:
            return float("nan")
        return float(stats.pearsonr(a, b)[0])

    r, s = pearson(rx, ry), pearson(sx, sy)
    return float(1 - abs(r - s) / 2), r, s


def _codes(col: Column) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes for the real and synthetic values of one column, on a shared index."""
    if col.kind == "numerical":
        observed = col.real[~np.isnan(col.real)]
        edges = np.histogram_bin_edges(observed, bins=PAIR_BINS)
        edges[0], edges[-1] = -np.inf, np.inf
        # np.digitize puts NaN after the last edge: missing values become their own bin
        return np.digitize(col.real, edges), np.digitize(col.synthetic, edges), len(edges) + 1
    index: dict[Any, int] = {}
    out = []
    for x in (col.real, col.synthetic):
        out.append(np.array([index.setdefault(_cell(v), len(index)) for v in x], dtype=np.int64))
    return out[0], out[1], len(index)


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ("__missing__",)
    return v


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
            out[c.name] = {"metric": "TVComplement", "score": tv_complement(c.real, c.synthetic)}
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
