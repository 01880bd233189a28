"""Points for precision, recall and coverage of generated rows against real ones
(data/vectors/knn_balls.py), the measures under which Alemohammad et al. (2024) saw self-consuming
loops lose quality or diversity. Tables give standardised numbers (by the real mean and
deviation) beside one-hot real categories; texts give sentence embeddings (models/embeddings.py:
MiniLM when installed, else TF-IDF fitted on the real texts). Both sides are capped at MAX_ROWS
rows, drawn with a fixed seed, since the balls need all pairwise distances."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthloom.data.vectors.knn_balls import precision_recall_coverage

K = 5
MAX_ROWS = 2000


def _capped(x: np.ndarray, seed: int) -> np.ndarray:
    if len(x) <= MAX_ROWS:
        return x
    return x[np.random.default_rng(seed).choice(len(x), MAX_ROWS, replace=False)]


def precision_recall(real: np.ndarray, generated: np.ndarray) -> dict[str, float] | None:
    return precision_recall_coverage(_capped(real, 0), _capped(generated, 1), K)


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
