"""Gerstgrasser et al. (2024), "Is model collapse inevitable?", linear regression: a fixed
design X (T rows, d features, standard normal), labels y = X w* + sigma * noise. Each generation
fits ordinary least squares; its samples are new labels X w_hat + sigma * noise on the same X.
The test error is the excess risk ||w_hat - w*||^2 (for isotropic inputs). Their theory: with
`replace`, generation n's expected error is n * sigma^2 * d / (T - d - 1); with `accumulate`,
sigma^2 * d / (T - d - 1) * sum_{k<=n} 1/k^2, under pi^2/6 times the first generation's."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthloom.collapse.loop import Setup


@dataclass
class LinearWorld:
    X: np.ndarray
    w: np.ndarray


class Linear(Setup):
    name = "linear"

    def __init__(self, d: int = 10, T: int = 100, sigma: float = 1.0):
        self.d, self.T, self.sigma = d, T, sigma
        self.rows_per_generation = T

    def first_error(self) -> float:
        """The expected error of a fit on real data: sigma^2 * d / (T - d - 1)."""
        return self.sigma**2 * self.d / (self.T - self.d - 1)

    def expected(self, mode: str, generation: int) -> float:
        if mode == "replace":
            return generation * self.first_error()
        if mode == "accumulate":
            return self.first_error() * sum(1 / k**2 for k in range(1, generation + 1))
        raise ValueError("the theory covers replace and accumulate")

    def accumulate_bound(self) -> float:
        return math.pi**2 / 6 * self.first_error()

    def world(self, rng: np.random.Generator) -> LinearWorld:
        return LinearWorld(rng.standard_normal((self.T, self.d)), rng.standard_normal(self.d) / math.sqrt(self.d))

    def _labelled(self, world: LinearWorld, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        y = world.X @ w + self.sigma * rng.standard_normal(self.T)
        return np.column_stack([world.X, y])

    def real(self, world: LinearWorld, rng: np.random.Generator) -> np.ndarray:
        return self._labelled(world, world.w, rng)

    def fit(self, rows: np.ndarray) -> np.ndarray:
        return np.linalg.lstsq(rows[:, : self.d], rows[:, self.d], rcond=None)[0]

    def sample(self, world: LinearWorld, model: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._labelled(world, model, rng)

    def measure(self, world: LinearWorld, model: np.ndarray, real: np.ndarray, trained_on: np.ndarray) -> dict[str, float]:
        return {"test_error": float(np.sum((model - world.w) ** 2))}
