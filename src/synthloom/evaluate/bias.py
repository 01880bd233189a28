"""Representation of sensitive groups: each group's share in the real and the synthetic data,
their ratio (flagged under four-fifths), groups that vanished, and the total variation
distance; for each sensitive column and for their intersection."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.fidelity import Column

FOUR_FIFTHS = 0.8
NUMERIC_BINS = 5


def _labels(col: Column) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if col.kind == "categorical":
        names = [str(c) for c in (col.categories or [])] + ["(missing)"]
        return col.real, col.synthetic, names
    observed = col.real[~np.isnan(col.real)]
    edges = np.unique(np.quantile(observed, np.linspace(0, 1, NUMERIC_BINS + 1)))
    inner = edges[1:-1]
    names = [f"[{a:g}, {b:g})" for a, b in zip(edges[:-1], edges[1:])] + ["(missing)"]
    k = len(edges) - 1

    def code(x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), k, np.searchsorted(inner, x, side="right"))

    return code(col.real), code(col.synthetic), names


def _groups(real: np.ndarray, syn: np.ndarray, names: list[str]) -> dict[str, Any]:
    k = len(names)
    rc = np.bincount(real, minlength=k)
    sc = np.bincount(syn, minlength=k)
    rs, ss = rc / rc.sum(), sc / sc.sum()
    groups = {}
    for i, name in enumerate(names):
        if rc[i] == 0 and sc[i] == 0:
            continue
        ratio = float(ss[i] / rs[i]) if rs[i] > 0 else float("inf")
        groups[name] = {
            "real_share": float(rs[i]), "synthetic_share": float(ss[i]), "ratio": ratio,
            "real_count": int(rc[i]), "synthetic_count": int(sc[i]),
            "under_four_fifths": bool(rs[i] > 0 and ratio < FOUR_FIFTHS),
        }
    present = [g for g in groups.values() if g["real_count"] > 0]
    return {
        "groups": groups,
        "tv_distance": float(0.5 * np.abs(rs - ss).sum()),
        "min_ratio": min((g["ratio"] for g in present), default=float("nan")),
        "min_synthetic_count": min((g["synthetic_count"] for g in present), default=0),
        "vanished": [n for n, g in groups.items() if g["real_count"] > 0 and g["synthetic_count"] == 0],
    }


def representation(columns: list[Column], sensitive: list[str]) -> dict[str, Any]:
    by_name = {c.name: c for c in columns}
    unknown = [s for s in sensitive if s not in by_name]
    if unknown:
        raise SynthloomError(f"sensitive column(s) {', '.join(unknown)} are not in the table (or are ids / free text)")
    out: dict[str, Any] = {}
    coded = {s: _labels(by_name[s]) for s in sensitive}
    for s in sensitive:
        out[s] = _groups(*coded[s])
    if len(sensitive) > 1:  # the intersection, e.g. sex x region
        sizes = [len(coded[s][2]) for s in sensitive]
        real = np.zeros_like(coded[sensitive[0]][0])
        syn = np.zeros_like(coded[sensitive[0]][1])
        for s, k in zip(sensitive, sizes):
            real, syn = real * k + coded[s][0], syn * k + coded[s][1]
        names = [" & ".join(p) for p in np.array(np.meshgrid(*[coded[s][2] for s in sensitive], indexing="ij")).reshape(len(sensitive), -1).T]
        out[" x ".join(sensitive)] = _groups(real, syn, names)
    return out
