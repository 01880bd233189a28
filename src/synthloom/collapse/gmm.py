"""Shumailov et al. (2024), "AI models collapse when trained on recursively generated data":
a Gaussian mixture fitted by EM to its own samples, 1,000 a generation. What collapse looks like
there: the variance shrinks generation after generation and the tails go first, toward a point
estimate. `Gaussian` is the one-component case with few samples (100), where it shows soonest.

Measured of each generation's model, against the real data of generation 1:
- `variance_ratio`: the model's variance / the real variance;
- `tail_mass`: the model's probability beyond 2 real standard deviations from the real mean,
  / the real data's share there (1 = tails kept, 0 = gone)."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from synthloom.collapse.loop import Setup

TAIL_SD = 2.0


class Gaussian(Setup):
    name = "gaussian"

    def __init__(self, rows: int = 100, mean: float = 0.0, sd: float = 1.0):
        self.rows_per_generation, self.mean, self.sd = rows, mean, sd

    def world(self, rng: np.random.Generator) -> None:
        return None

    def real(self, world: None, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.sd, size=(self.rows_per_generation, 1))

    def fit(self, rows: np.ndarray) -> tuple[float, float]:
        return float(rows.mean()), float(rows.std())  # maximum likelihood, as the paper's theory takes it

    def sample(self, world: None, model: tuple[float, float], n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(model[0], model[1], size=(n, 1))

    def measure(self, world: None, model: tuple[float, float], real: np.ndarray,
                trained_on: np.ndarray) -> dict[str, float]:
        mu, sd = float(real.mean()), float(real.std())
        lo, hi = mu - TAIL_SD * sd, mu + TAIL_SD * sd
        real_tail = max(float(np.mean((real < lo) | (real > hi))), 1 / len(real))
        tail = norm.cdf(lo, model[0], model[1]) + norm.sf(hi, model[0], model[1])
        return {"variance_ratio": model[1] ** 2 / sd**2, "tail_mass": float(tail) / real_tail}


class Mixture(Setup):
    name = "gmm"

    def __init__(self, rows: int = 1000, means: tuple[float, ...] = (-2.0, 2.0), sd: float = 1.0,
                 check_samples: int = 20_000):
        self.rows_per_generation, self.means, self.sd, self.check_samples = rows, means, sd, check_samples

    def world(self, rng: np.random.Generator) -> int:
        return int(rng.integers(2**31))  # the seed EM starts from, fixed per loop

    def real(self, world: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.integers(len(self.means), size=self.rows_per_generation)
        return (np.asarray(self.means)[which] + self.sd * rng.standard_normal(self.rows_per_generation))[:, None]

    def fit(self, rows: np.ndarray):
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(len(self.means), random_state=0).fit(rows)

    def sample(self, world: int, model, n: int, rng: np.random.Generator) -> np.ndarray:
        model.random_state = int(rng.integers(2**31))
        return model.sample(n)[0]

    def measure(self, world: int, model, real: np.ndarray, trained_on: np.ndarray) -> dict[str, float]:
        mu, sd = float(real.mean()), float(real.std())
        variance = float(np.sum(model.weights_ * (model.covariances_.ravel() + model.means_.ravel() ** 2))
                         - np.sum(model.weights_ * model.means_.ravel()) ** 2)
        lo, hi = mu - TAIL_SD * sd, mu + TAIL_SD * sd
        real_tail = max(float(np.mean((real < lo) | (real > hi))), 1 / len(real))
        sds = np.sqrt(model.covariances_.ravel())
        tail = float(np.sum(model.weights_ * (norm.cdf(lo, model.means_.ravel(), sds)
                                              + norm.sf(hi, model.means_.ravel(), sds))))
        return {"variance_ratio": variance / sd**2, "tail_mass": tail / real_tail}
