"""The first step of model collapse, seen in one synthetic dataset before anyone trains on it
(Shumailov et al. 2024: the tails go first, then variety): how much of the real spread, tails,
rare values and variety the synthetic data keeps.

Tables: per numerical column the variance ratio (synthetic / real) and the tail mass ratio (the
share beyond 2 real standard deviations of the real mean, synthetic over real); per categorical
column the real categories kept, and of them the rare ones (under RARE_SHARE of the real rows);
over all columns k-NN recall and coverage (data/vectors/knn_balls.py) on numbers standardised by
the real data beside one-hot categories. Texts: the real word types, rare types and word pairs
the synthetic texts still use (data/text/support.py), the spread of their lengths, and recall on
embeddings (from the fidelity section)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthloom.data.text.support import word_support
from synthloom.data.vectors.knn_balls import precision_recall_coverage
from synthloom.evaluate.fidelity import Column

TAIL_SD = 2.0
RARE_SHARE = 0.05
K = 5
MAX_ROWS = 2000


def _numeric(c: Column) -> dict[str, float] | None:
    r, s = c.real[np.isfinite(c.real)], c.synthetic[np.isfinite(c.synthetic)]
    if len(r) < 2 or len(s) < 2 or r.var() <= 0:
        return None
    mean, sd = r.mean(), r.std()
    outside = lambda x: (np.abs(x - mean) > TAIL_SD * sd).mean()  # noqa: E731
    return {"variance_ratio": float(s.var() / r.var()),
            "tail_mass_ratio": float(outside(s) / max(outside(r), 1 / len(r)))}


def _categorical(c: Column) -> dict[str, Any]:
    k = len(c.categories or [])
    real = np.bincount(c.real.astype(int), minlength=k + 1)[:k]  # code k is missing
    synthetic = np.bincount(c.synthetic.astype(int), minlength=k + 1)[:k]
    present = real > 0
    rare = present & (real < RARE_SHARE * real.sum())
    return {"kept": int((present & (synthetic > 0)).sum()), "real": int(present.sum()),
            "rare_kept": int((rare & (synthetic > 0)).sum()), "rare": int(rare.sum()),
            "rare_lost": [str(c.categories[i]) for i in np.flatnonzero(rare & (synthetic == 0))]}


def _points(columns: list[Column], side: str, rng: np.random.Generator) -> np.ndarray:
    parts = []
    for c in columns:
        values = getattr(c, side)
        if c.kind == "numerical":
            finite = c.real[np.isfinite(c.real)]
            sd = finite.std() if len(finite) > 1 and finite.std() > 0 else 1.0
            parts.append(np.nan_to_num((values - (finite.mean() if len(finite) else 0)) / sd)[:, None])
        else:
            k = len(c.categories or []) + 1
            parts.append(np.eye(k)[values.astype(int)])
    x = np.hstack(parts)
    return x[rng.choice(len(x), MAX_ROWS, replace=False)] if len(x) > MAX_ROWS else x


def table_collapse_risk(columns: list[Column], seed: int) -> dict[str, Any]:
    numeric = {c.name: found for c in columns if c.kind == "numerical" and (found := _numeric(c)) is not None}
    categorical = {c.name: _categorical(c) for c in columns if c.kind == "categorical" and c.categories}
    out: dict[str, Any] = {"numerical": numeric, "categorical": categorical, "rare_share": RARE_SHARE}
    if numeric:
        out["variance_ratio"] = float(np.median([v["variance_ratio"] for v in numeric.values()]))
        out["tail_mass_ratio"] = float(np.median([v["tail_mass_ratio"] for v in numeric.values()]))
    real = sum(v["real"] for v in categorical.values())
    rare = sum(v["rare"] for v in categorical.values())
    if real:
        out["categories_retained"] = sum(v["kept"] for v in categorical.values()) / real
    if rare:
        out["rare_categories_retained"] = sum(v["rare_kept"] for v in categorical.values()) / rare
    if columns:
        found = precision_recall_coverage(_points(columns, "real", np.random.default_rng([seed, 11])),
                                          _points(columns, "synthetic", np.random.default_rng([seed, 12])), K)
        if found:
            out["recall"], out["coverage"] = found["recall"], found["coverage"]
    return out


def text_collapse_risk(tokens: list[list[str]], reference_tokens: list[list[str]],
                       recall: float | None) -> dict[str, Any]:
    lengths = np.array([len(t) for t in tokens], dtype=float)
    real_lengths = np.array([len(t) for t in reference_tokens], dtype=float)
    out: dict[str, Any] = {**word_support(reference_tokens, tokens), "recall": recall}
    if len(lengths) > 1 and len(real_lengths) > 1 and real_lengths.var() > 0:
        out["length_variance_ratio"] = float(lengths.var() / real_lengths.var())
    return out
