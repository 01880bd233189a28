"""A mixed-type table with known structure, for tests and benchmarks: numerical, categorical,
boolean and datetime columns correlated through latent Gaussians, with missing values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.special import ndtr


def mixed_table(n: int = 50_000, seed: int = 0, missing: float = 0.03) -> pa.Table:
    rng = np.random.default_rng(seed)
    k = 4
    a = rng.normal(size=(k, k))
    cov = a @ a.T + np.eye(k)
    sd = np.sqrt(np.diag(cov))
    z = rng.multivariate_normal(np.zeros(k), cov / np.outer(sd, sd), size=n)
    noise = rng.normal(size=(n, 6))

    def cut(x: np.ndarray, labels: list[str], qs: list[float]) -> np.ndarray:
        return np.array(labels, dtype=object)[np.searchsorted(np.quantile(x, qs), x)]

    base = np.datetime64("2015-01-01", "D")
    cols = {
        "age": np.clip(np.round(45 + 15 * z[:, 0]), 18, 95).astype(np.int64),
        "income": np.round(np.exp(10.5 + 0.5 * z[:, 1] + 0.2 * z[:, 0]), 2),
        "bmi": np.round(26 + 4 * z[:, 2] + 0.5 * noise[:, 0], 1),
        "visits": rng.poisson(np.exp(0.5 + 0.4 * z[:, 2])).astype(np.int64),
        "score": np.round(50 + 10 * (0.6 * z[:, 3] + 0.8 * noise[:, 1]), 3),
        "systolic": np.round(120 + 12 * (0.5 * z[:, 0] + 0.5 * z[:, 2]) + 5 * noise[:, 2]),
        "region": cut(z[:, 1] + 0.5 * noise[:, 3], ["north", "south", "east", "west", "central"], [0.1, 0.35, 0.6, 0.85]),
        "plan": cut(z[:, 3], ["basic", "standard", "premium"], [0.5, 0.85]),
        "sex": np.where(rng.random(n) < 0.5, "F", "M").astype(object),
        "smoker": (z[:, 2] + noise[:, 4] > 1.2),
        "insured": (z[:, 1] > -1.0),
        "enrolled": base + np.clip(np.round(1500 + 400 * z[:, 3]), 0, 3000).astype("timedelta64[D]"),
        "risk": np.round(ndtr(0.8 * z[:, 0] + 0.6 * z[:, 2]), 4),
        "lab": np.round(np.abs(3 + 2 * z[:, 2] + noise[:, 5]), 2),
        "department": cut(noise[:, 3] + z[:, 0], ["cardio", "ortho", "neuro", "general"], [0.25, 0.5, 0.75]),
    }
    arrays = {}
    for name, values in cols.items():
        mask = rng.random(n) < missing if name not in ("sex", "age") else np.zeros(n, dtype=bool)
        if values.dtype == object:
            arrays[name] = pa.array([None if m else v for v, m in zip(values, mask)], type=pa.string())
        else:
            arrays[name] = pa.array(values, mask=mask)
    return pa.table(arrays)

