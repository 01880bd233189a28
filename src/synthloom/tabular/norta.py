"""NORTA calibration: pick the latent normal correlation of each pair of numerical columns so
that, after each column's marginal is applied, their Pearson correlation is the real one.

Rank correlations of columns with large point masses (zeros, flags, counts) understate the
latent dependence; solving corr(g_i(Z_i), g_j(Z_j)) = target for rho removes that bias (Cario
& Nelson, 1997). With g's Hermite expansion g = sum_k a_k He_k / sqrt(k!), the correlation is
the power series sum_k a_k b_k rho^k / (s_i s_j) (Mehler's formula): coefficients cost one
1-D quadrature per column, and every pair is then a polynomial to invert."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

TERMS = 60
_edges = np.linspace(-7.5, 7.5, 12_001)
_z = (_edges[:-1] + _edges[1:]) / 2  # midpoints: g is a step function for discrete columns
_w = np.diff(ndtr(_edges))
_w = _w / _w.sum()
_RHO = np.linspace(-0.999, 0.999, 3997)
_POWERS = _RHO[None, :] ** np.arange(1, TERMS + 1)[:, None]


def _hermite_basis() -> np.ndarray:
    h = np.empty((TERMS + 1, _z.size))
    h[0], h[1] = 1.0, _z
    for k in range(1, TERMS):
        h[k + 1] = _z * h[k] - k * h[k - 1]
    norms = np.array([math.sqrt(math.factorial(k)) for k in range(TERMS + 1)])
    return h / norms[:, None]


_BASIS = _hermite_basis()


def _coefficients(ppf: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, float]:
    g = ppf(np.clip(ndtr(_z), 1e-12, 1 - 1e-12))
    mean = float(np.sum(_w * g))
    sd = float(np.sqrt(max(np.sum(_w * (g - mean) ** 2), 0.0)))
    return _BASIS[1:] @ (_w * g), sd


def implied_curve(a: np.ndarray, sa: float, b: np.ndarray, sb: float) -> np.ndarray:
    """The output correlation for every latent rho on the _RHO grid."""
    return (a * b) @ _POWERS / (sa * sb)


def calibrate(latent: np.ndarray, targets: np.ndarray, ppfs: list[Callable[[np.ndarray], np.ndarray]]) -> np.ndarray:
    """latent: starting (rank-based) correlation; targets: real Pearson correlations;
    ppfs[i]: the inverse CDF of column i's marginal."""
    out = latent.copy()
    coef = [_coefficients(p) for p in ppfs]
    d = len(coef)
    for i in range(d):
        for j in range(i + 1, d):
            (a, sa), (b, sb) = coef[i], coef[j]
            t = targets[i, j]
            if not np.isfinite(t) or sa < 1e-12 or sb < 1e-12:
                continue
            curve = np.maximum.accumulate(implied_curve(a, sa, b, sb))  # monotone in rho
            t = float(np.clip(t, curve[0], curve[-1]))  # the range a Gaussian copula can reach
            out[i, j] = out[j, i] = float(np.interp(t, curve, _RHO))
    return out
