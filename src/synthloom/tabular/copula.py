"""Gaussian copula: each column is mapped to a standard normal through its own marginal
(fitted family or smoothed empirical; categories as intervals of [0, 1] by frequency), the
normal scores' correlation matrix ties them together, and sampling runs the other way.
Missing values become indicator columns inside the copula, so missingness keeps its
relation to the other columns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field
from scipy.special import ndtr, ndtri

from synthloom.config.tabular import TableMeta
from synthloom.tabular.base import AllowCopies, Columns, MinGroup, Seed, Synthesizer
from synthloom.tabular.marginals import FAMILIES, Marginal, fit_marginal
from synthloom.tabular.norta import calibrate
from synthloom.tabular.public_domain import Domain

EPS = 1e-6
NULL = "__null__"


def _nearest_correlation(c: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues so the matrix is a valid (positive definite) correlation."""
    c = np.nan_to_num((c + c.T) / 2, nan=0.0)
    np.fill_diagonal(c, 1.0)
    w, v = np.linalg.eigh(c)
    w = np.clip(w, 1e-6, None)
    c = (v * w) @ v.T
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


class _Categories:
    """Categories as consecutive intervals of [0, 1], most frequent first."""

    def __init__(self, values: list[Any], probs: np.ndarray):
        self.values = values
        self.cum = np.concatenate([[0.0], np.cumsum(probs)])
        self.cum[-1] = 1.0

    @classmethod
    def fit(cls, x: np.ndarray, axis: np.ndarray | None = None) -> "_Categories":
        """Categories ordered along `axis` (the main direction of the numerical columns' normal
        scores) when there is one, so the interval a category gets sits where its rows lie
        in the latent space and its relation to the other columns survives; else by frequency."""
        keys = [_key(v) for v in x]
        counts: Counter[Any] = Counter(keys)
        first = {}
        for k, v in zip(keys, x):
            first.setdefault(k, v)
        if axis is not None:
            sums: dict[Any, float] = {}
            for k, a in zip(keys, axis):
                sums[k] = sums.get(k, 0.0) + a
            ranked = sorted(counts, key=lambda k: (sums[k] / counts[k], str(k)))
        else:
            ranked = sorted(counts, key=lambda k: (-counts[k], str(k)))  # most frequent first, ties by value
        freq = np.array([counts[k] for k in ranked], dtype=float)
        return cls([first[k] for k in ranked], freq / freq.sum())

    def to_uniform(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        index = {_key(v): i for i, v in enumerate(self.values)}
        idx = np.array([index[_key(v)] for v in x])
        lo, hi = self.cum[idx], self.cum[idx + 1]
        return lo + rng.random(len(x)) * (hi - lo)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        idx = np.clip(np.searchsorted(self.cum, u, side="right") - 1, 0, len(self.values) - 1)
        return np.array(self.values, dtype=object)[idx]


def _key(v: Any) -> Any:
    return ("__none__",) if v is None else (type(v).__name__, v)


@dataclass
class CopulaModel:
    """A fitted Gaussian copula: the columns in order, the latent dimensions (each nullable
    numerical column adds a missing flag before it), their correlation, and each column's
    marginal (numbers) or category intervals (everything else and the flags)."""

    order: list[str]
    dims: list[str]
    nullable: list[str]
    correlation: np.ndarray
    marginals: dict[str, Marginal]
    categories: dict[str, _Categories]

    def sample(self, n: int, rng: np.random.Generator) -> Columns:
        chol = np.linalg.cholesky(self.correlation)
        z = rng.standard_normal((n, len(self.dims))) @ chol.T
        u = np.clip(ndtr(z), EPS, 1 - EPS)
        by_dim = {d: u[:, i] for i, d in enumerate(self.dims)}
        out: Columns = {}
        for name in self.order:
            if name in self.categories:
                out[name] = self.categories[name].from_uniform(by_dim[name])
            else:
                x = self.marginals[name].ppf(by_dim[name])
                if name in self.nullable:
                    missing = self.categories[NULL + name].from_uniform(by_dim[NULL + name]).astype(bool)
                    x = np.where(missing, np.nan, x)
                out[name] = x
        return out

    def known_values(self, column: str) -> set[Any] | None:
        if column in self.categories:
            return set(self.categories[column].values)
        m = self.marginals.get(column)
        if m is not None and m.family == "empirical":
            values = np.unique(m.quantiles)
            if values.size <= 64 and np.all(values == np.round(values)):  # a discrete column's exact values
                return {int(v) for v in values}
        return None

    def to_state(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "dims": self.dims,
            "nullable": self.nullable,
            "correlation": self.correlation.tolist(),
            "marginals": {k: m.to_state() for k, m in self.marginals.items()},
            "categories": {k: {"values": c.values, "cum": c.cum.tolist()} for k, c in self.categories.items()},
        }

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "CopulaModel":
        return cls(s["order"], s["dims"], s["nullable"], np.asarray(s["correlation"]),
                   {k: Marginal.from_state(v) for k, v in s["marginals"].items()},
                   {k: _Categories(v["values"], np.diff(np.asarray(v["cum"]))) for k, v in s["categories"].items()})


Families = Annotated[tuple[Literal[FAMILIES], ...], Field(  # type: ignore[valid-type]
    min_length=1, description="parametric families a numerical column may take, else its smoothed empirical "
                              "distribution")]
Calibrate = Annotated[bool, Field(description="match the real Pearson correlations of numerical pairs (NORTA)")]


class GaussianCopula(Synthesizer):
    name = "gaussian_copula"
    model_class = CopulaModel

    def __init__(self, seed: Seed = 0, families: Families = FAMILIES, calibrate: Calibrate = True,
                 allow_copies: AllowCopies = False, min_group: MinGroup = 1):
        super().__init__(seed, allow_copies, min_group)
        self.families = tuple(families)
        self.calibrate = calibrate

    def _fit(self, cols: Columns, n: int, meta: TableMeta, domains: dict[str, Domain] | None) -> CopulaModel:
        rng = np.random.default_rng([self.seed, 0])
        marginals: dict[str, Marginal] = {}
        categories: dict[str, _Categories] = {}
        nullable: list[str] = []
        numeric_u: dict[str, np.ndarray] = {}
        flags_u: dict[str, np.ndarray] = {}
        for name, x in cols.items():
            if x.dtype == object:
                continue
            missing = np.isnan(x)
            observed = x[~missing]
            cm = meta.columns.get(name)
            discrete = bool(cm and (cm.integer or cm.kind == "datetime"))
            marginals[name] = fit_marginal(
                observed, families=self.families, discrete=discrete and np.unique(observed).size <= 32
            )
            u = np.empty(n)
            u[~missing] = _ranks_to_uniform(observed, rng)
            u[missing] = rng.random(int(missing.sum()))  # no information: independent filler
            numeric_u[name] = u
            if missing.any():
                nullable.append(name)
                flag = _Categories([False, True], np.array([1 - missing.mean(), missing.mean()]))
                categories[NULL + name] = flag
                flags_u[name] = flag.to_uniform(np.array(missing.tolist(), dtype=object), rng)
        axis = _principal_axis(numeric_u)
        scores = []
        dims: list[str] = []
        for name, x in cols.items():
            if x.dtype == object:
                cats = _Categories.fit(x, axis)
                categories[name] = cats
                u = cats.to_uniform(x, rng)
            else:
                u = numeric_u[name]
                if name in flags_u:
                    scores.append(ndtri(np.clip(flags_u[name], EPS, 1 - EPS)))
                    dims.append(NULL + name)
            scores.append(ndtri(np.clip(u, EPS, 1 - EPS)))
            dims.append(name)
        z = np.column_stack(scores)
        latent = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
        if self.calibrate and z.shape[1] > 1:
            latent = _calibrated(latent, cols, dims, marginals)
        self.report["fit"] = {"marginals": {k: m.family for k, m in marginals.items()}, "columns_with_missing": nullable}
        return CopulaModel(list(cols), dims, nullable, _nearest_correlation(latent), marginals, categories)


def _calibrated(latent: np.ndarray, cols: Columns, dims: list[str], marginals: dict[str, Marginal]) -> np.ndarray:
    """Match the real Pearson correlations of numerical pairs (see norta.py)."""
    numeric = [d for d in dims if d in marginals]
    if len(numeric) < 2:
        return latent
    data = np.column_stack([cols[d] for d in numeric])
    targets = _pairwise_pearson(data)
    index = [dims.index(d) for d in numeric]
    sub = latent[np.ix_(index, index)]
    ppfs = [marginals[d].ppf for d in numeric]
    fixed = calibrate(sub, targets, ppfs)
    out = latent.copy()
    out[np.ix_(index, index)] = fixed
    return out


def _principal_axis(numeric_u: dict[str, np.ndarray]) -> np.ndarray | None:
    """Each row's position on the first principal component of the numerical normal scores."""
    if not numeric_u:
        return None
    z = ndtri(np.clip(np.column_stack(list(numeric_u.values())), EPS, 1 - EPS))
    z = z - z.mean(0)
    if z.shape[1] == 1:
        return z[:, 0]
    _, _, vt = np.linalg.svd(z[:: max(1, z.shape[0] // 20_000)], full_matrices=False)
    return z @ vt[0]


def _ranks_to_uniform(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Probability integral transform by ranks, ties broken at random: exactly uniform."""
    order = np.lexsort((rng.random(x.size), x))
    ranks = np.empty(x.size)
    ranks[order] = np.arange(x.size)
    return (ranks + 0.5) / x.size


def _pairwise_pearson(x: np.ndarray) -> np.ndarray:
    """Pearson correlations on pairwise-complete rows (missing values differ by column)."""
    d = x.shape[1]
    out = np.eye(d)
    ok = ~np.isnan(x)
    for i in range(d):
        for j in range(i + 1, d):
            both = ok[:, i] & ok[:, j]
            a, b = x[both, i], x[both, j]
            if a.size > 2 and a.std() > 0 and b.std() > 0:
                out[i, j] = out[j, i] = float(np.corrcoef(a, b)[0, 1])
            else:
                out[i, j] = out[j, i] = np.nan
    return out
