"""One-dimensional distributions of numerical columns.

A fitted parametric family is used when it describes the column as well as the data's own
sampling noise allows (its KS distance is within the 95% band for this many rows) and keeps
the column's mean and standard deviation; otherwise
a smoothed empirical distribution (interpolated quantiles on a fixed grid, so no single
value is stored and sampled verbatim unless it repeats in the data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

GRID = 2049  # quantile grid of the empirical marginal
FAMILIES = ("norm", "lognorm", "gamma", "beta", "uniform")
FIT_SAMPLE = 20_000  # parametric MLE on an evenly spaced subset of sorted values (deterministic)


@dataclass
class Marginal:
    family: str  # "empirical" or a scipy.stats name
    params: tuple[float, ...] = ()
    probs: np.ndarray | None = None
    quantiles: np.ndarray | None = None
    low: float = -np.inf
    high: float = np.inf
    ks: float = 0.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.family == "empirical":
            return np.interp(u, self.probs, self.quantiles)
        x = getattr(stats, self.family).ppf(u, *self.params)
        return np.clip(x, self.low, self.high)

    def to_state(self) -> dict[str, Any]:
        return {
            "family": self.family, "params": list(self.params), "low": self.low, "high": self.high, "ks": self.ks,
            "probs": None if self.probs is None else self.probs.tolist(),
            "quantiles": None if self.quantiles is None else self.quantiles.tolist(),
        }

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "Marginal":
        return cls(
            s["family"], tuple(s["params"]),
            None if s["probs"] is None else np.asarray(s["probs"]),
            None if s["quantiles"] is None else np.asarray(s["quantiles"]),
            s["low"], s["high"], s["ks"],
        )


def empirical(values: np.ndarray) -> Marginal:
    x = np.sort(values)
    probs = np.linspace(0.0, 1.0, min(GRID, x.size)) if x.size > 1 else np.array([0.0, 1.0])
    quantiles = np.quantile(x, probs) if x.size > 1 else np.array([x[0], x[0]])
    return Marginal("empirical", probs=probs, quantiles=quantiles, low=float(x[0]), high=float(x[-1]))


def _fit_family(name: str, x: np.ndarray) -> tuple[float, ...] | None:
    lo, hi = x[0], x[-1]
    sub = x[np.linspace(0, x.size - 1, min(x.size, FIT_SAMPLE)).astype(int)]
    try:
        if name == "norm":
            return (float(x.mean()), float(x.std() or 1e-9))
        if name == "uniform":
            return (float(lo), float(hi - lo or 1e-9))
        if name in ("lognorm", "gamma"):
            if lo <= 0:
                return None
            return tuple(float(p) for p in getattr(stats, name).fit(sub, floc=0))
        if name == "beta":
            span = (hi - lo) or 1e-9
            return tuple(float(p) for p in stats.beta.fit(sub, floc=lo - 1e-9 * span, fscale=span * (1 + 2e-9)))
    except (ValueError, RuntimeError, FloatingPointError):
        return None
    return None


def fit_marginal(values: np.ndarray, *, families: tuple[str, ...] = FAMILIES, discrete: bool = False) -> Marginal:
    """values: the column's non-missing numbers."""
    x = np.sort(values.astype(float))
    emp = empirical(x)
    # Columns with few distinct values (counts, flags) keep their exact distribution.
    if discrete or np.unique(x[: min(x.size, 50_000)]).size <= 32 or x.size < 50:
        return emp
    band = 1.36 / np.sqrt(x.size)
    best: Marginal | None = None
    ecdf = (np.arange(1, x.size + 1) - 0.5) / x.size
    for name in families:
        params = _fit_family(name, x)
        if params is None:
            continue
        with np.errstate(all="ignore"):
            ks = float(np.max(np.abs(getattr(stats, name).cdf(x, *params) - ecdf)))
        if np.isfinite(ks) and (best is None or ks < best.ks):
            best = Marginal(name, params, low=float(x[0]), high=float(x[-1]), ks=ks)
    if best is not None and best.ks <= band and _moments_close(best, x):
        return best
    return emp


def _moments_close(m: Marginal, x: np.ndarray) -> bool:
    """The family, clipped to the data's range, must also keep the mean and spread."""
    u = (np.arange(4096) + 0.5) / 4096
    y = m.ppf(u)
    sd = x.std() or 1.0
    return abs(y.mean() - x.mean()) <= 0.02 * sd and abs(y.std() / sd - 1) <= 0.03
