"""Precision, recall and coverage of generated points against real ones, by k-nearest-neighbour
balls. Each real point's ball reaches its k-th nearest real neighbour (Kynkäänniemi et al. 2019):
- precision: the share of generated points inside some real point's ball (what is made looks
  real);
- recall: the share of real points inside some generated point's ball, generated balls drawn the
  same way among generated points (the real variety is still made);
- coverage: the share of real points whose own ball holds a generated point (Naeem et al. 2020;
  recall without the generated balls, which one outlier can inflate)."""

from __future__ import annotations

import numpy as np


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest other point (column 0 is the point itself)."""
    k = min(k, len(x) - 1)
    return np.partition(_distances(x, x), k, axis=1)[:, k]


def precision_recall_coverage(real: np.ndarray, generated: np.ndarray, k: int) -> dict[str, float] | None:
    """None when either side has k points or fewer (no ball can be drawn)."""
    real, generated = np.asarray(real, dtype=np.float64), np.asarray(generated, dtype=np.float64)
    if len(real) <= k or len(generated) <= k:
        return None
    real_radii, generated_radii = _radii(real, k), _radii(generated, k)
    across = _distances(generated, real)  # [generated, real]
    inside_real = across <= real_radii[None, :]
    return {
        "precision": float(inside_real.any(axis=1).mean()),
        "recall": float((across <= generated_radii[:, None]).any(axis=0).mean()),
        "coverage": float(inside_real.any(axis=0).mean()),
    }
