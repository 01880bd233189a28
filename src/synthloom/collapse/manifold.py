"""Precision, recall and coverage of generated rows against real ones in a feature space, the
measures under which Alemohammad et al. (2024) saw self-consuming loops lose quality or diversity.

Each real row's ball reaches its K-th nearest real neighbour (Kynkäänniemi et al. 2019):
- precision: the share of generated rows inside some real row's ball (how much of what is made
  looks real);
- recall: the share of real rows inside some generated row's ball, generated balls being drawn
  the same way among generated rows (how much of the real variety is still made);
- coverage: the share of real rows whose own ball holds a generated row (Naeem et al. 2020;
  recall without the generated balls, which an outlier can inflate).

Features: tables give standardised numbers (by the real mean and deviation) beside one-hot real
categories; texts give sentence embeddings (models/embeddings.py: MiniLM when installed, else
TF-IDF fitted on the real texts). Both sides are capped at MAX_ROWS rows, drawn with a fixed seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

K = 5
MAX_ROWS = 2000


def _capped(x: np.ndarray, seed: int = 0) -> np.ndarray:
    if len(x) <= MAX_ROWS:
        return x
    return x[np.random.default_rng(seed).choice(len(x), MAX_ROWS, replace=False)]


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0))


def _radii(x: np.ndarray) -> np.ndarray:
    """Distance from each row to its K-th nearest other row."""
    d = _distances(x, x)
    k = min(K, len(x) - 1)
    return np.partition(d, k, axis=1)[:, k]  # column 0 is the row itself


def precision_recall(real: np.ndarray, generated: np.ndarray) -> dict[str, float] | None:
    real, generated = _capped(real.astype(np.float64)), _capped(generated.astype(np.float64), 1)
    if len(real) <= K or len(generated) <= K:
        return None
    real_radii, generated_radii = _radii(real), _radii(generated)
    across = _distances(generated, real)  # [generated, real]
    return {
        "precision": float((across <= real_radii[None, :]).any(axis=1).mean()),
        "recall": float((across <= generated_radii[:, None]).any(axis=0).mean()),
        "coverage": float((across <= real_radii[None, :]).any(axis=0).mean()),
    }


class TableFeatures:
    """Numbers standardised by the real data, and one-hot columns for the real categories."""

    def __init__(self, real: pd.DataFrame, numeric: list[str], categorical: dict[str, list[str]]):
        self.numeric, self.categorical = numeric, categorical
        values = real[numeric].apply(pd.to_numeric, errors="coerce") if numeric else pd.DataFrame()
        self.mean = values.mean().to_numpy() if numeric else np.zeros(0)
        sd = values.std().to_numpy() if numeric else np.zeros(0)
        self.sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        if self.numeric:
            values = frame.reindex(columns=self.numeric).apply(pd.to_numeric, errors="coerce").to_numpy(float)
            parts.append(np.nan_to_num((values - self.mean) / self.sd))
        for column, categories in self.categorical.items():
            seen = frame[column].astype(str).to_numpy() if column in frame else np.full(len(frame), "")
            parts.append((seen[:, None] == np.array(categories)[None, :]).astype(float))
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def text_features(real: list[str], embedding: Any = "auto") -> Any:
    """A function from texts to unit-length embeddings, fitted (for TF-IDF) on the real texts."""
    from synthloom.models.embeddings import embedder

    model = embedder(embedding, real)
    return model.encode
