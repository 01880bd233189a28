"""NORTA calibration: pick the latent normal correlation of each pair of numerical columns so
that, after each column's marginal is applied, their Pearson correlation is the real one.

Rank correlations of columns with large point masses (zeros, flags, counts) understate the
latent dependence; solving E[g_i(Z_i) g_j(Z_j)] = target for rho removes that bias (Cario &
Nelson, 1997). The expectation uses a dense midpoint grid rather than Gauss-Hermite nodes,
because g is a step function for discrete columns and a few nodes miss the steps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

NODES = 240
_edges = np.linspace(-6.0, 6.0, NODES + 1)
_z = (_edges[:-1] + _edges[1:]) / 2
_w = np.diff(ndtr(_edges))
_w = _w / _w.sum()
_W = _w[:, None] * _w[None, :]
# g(z) is tabulated once per column on this grid and read back by interpolation
_TABLE_Z = np.linspace(-8.5, 8.5, 6801)


class _Tabulated:
    def __init__(self, ppf: Callable[[np.ndarray], np.ndarray]):
        self.table = ppf(np.clip(ndtr(_TABLE_Z), 1e-12, 1 - 1e-12))
        self.nodes = np.interp(_z, _TABLE_Z, self.table)
        self.mean = float(np.sum(_w * self.nodes))
        self.sd = float(np.sqrt(max(np.sum(_w * (self.nodes - self.mean) ** 2), 0.0)))

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.interp(z, _TABLE_Z, self.table)


def implied_correlation(gi: _Tabulated, gj: _Tabulated, rho: float) -> float:
    """Pearson correlation of (g_i(Z1), g_j(rho Z1 + sqrt(1-rho^2) Z2))."""
    z2 = rho * _z[:, None] + np.sqrt(max(1 - rho * rho, 0.0)) * _z[None, :]
    exy = float(np.sum(_W * gi.nodes[:, None] * gj(z2)))
    return (exy - gi.mean * gj.mean) / (gi.sd * gj.sd)


def calibrate(latent: np.ndarray, targets: np.ndarray, ppfs: list[Callable[[np.ndarray], np.ndarray]]) -> np.ndarray:
    """latent: starting (rank-based) correlation; targets: real Pearson correlations;
    ppfs[i]: the inverse CDF of column i's marginal."""
    out = latent.copy()
    g = [_Tabulated(p) for p in ppfs]
    d = len(g)
    for i in range(d):
        for j in range(i + 1, d):
            t = targets[i, j]
            if not np.isfinite(t) or g[i].sd < 1e-12 or g[j].sd < 1e-12:
                continue
            if abs(t) < 1e-3:
                out[i, j] = out[j, i] = 0.0
                continue
            lo, hi = -0.999, 0.999
            f_lo, f_hi = implied_correlation(g[i], g[j], lo), implied_correlation(g[i], g[j], hi)
            t = float(np.clip(t, f_lo + 1e-9, f_hi - 1e-9))  # the range a Gaussian copula can reach
            rho = brentq(lambda r, a=g[i], b=g[j], t=t: implied_correlation(a, b, r) - t, lo, hi, xtol=1e-5)
            out[i, j] = out[j, i] = rho
    return out
