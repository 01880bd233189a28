"""What a generation trains on, in each mode of a self-consuming loop:

- `replace`: only the previous generation's samples (Shumailov et al. 2024; collapses);
- `accumulate`: the real data and every generation's samples so far (Gerstgrasser et al. 2024;
  the error stays bounded);
- `fresh_real`: the previous generation's samples plus a share of new real data each round
  (Alemohammad et al. 2024's fresh-data loop);
- `kept_real`: the previous generation's samples plus a fixed share of the original real data
  (Shumailov's experiment that keeps 10%).

A setup gives three things: how to draw real data, how to fit a model to data, and how to sample
from a model; `training_set` decides what each generation fits on, the same way for all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MODES = ("replace", "accumulate", "fresh_real", "kept_real")


@dataclass(frozen=True)
class Mix:
    mode: str
    real_share: float = 0.1  # fresh_real: new real rows per generation; kept_real: original rows kept

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode is one of {', '.join(MODES)}, not {self.mode!r}")
        if not 0 < self.real_share < 1:
            raise ValueError("real_share is a fraction between 0 and 1")


def _join(parts: list[Any]) -> Any:
    """Rows of a generation are a numpy array, a DataFrame (tables) or a list (texts)."""
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    if isinstance(parts[0], list):
        return [row for part in parts for row in part]
    return np.concatenate(parts)


def _take(rows: Any, index: np.ndarray) -> Any:
    if isinstance(rows, pd.DataFrame):
        return rows.iloc[index].reset_index(drop=True)
    if isinstance(rows, list):
        return [rows[i] for i in index]
    return rows[index]


def training_set(mix: Mix, real: Any, history: list[Any], fresh: Any | None, rng: np.random.Generator) -> Any:
    """The rows generation len(history) fits on. `real`: the first generation's real data;
    `history`: every generation's samples so far (the newest last); `fresh`: new real rows drawn
    for this generation (fresh_real only)."""
    newest = history[-1]
    if mix.mode == "replace":
        return newest
    if mix.mode == "accumulate":
        return _join([real, *history])
    n_real = max(1, int(round(mix.real_share * len(newest))))
    synthetic = _take(newest, np.arange(len(newest) - n_real))
    if mix.mode == "fresh_real":
        assert fresh is not None
        return _join([synthetic, _take(fresh, np.arange(n_real))])
    return _join([synthetic, _take(real, rng.choice(len(real), size=n_real, replace=False))])


class Setup:
    """A world that stays fixed for a seed, the real data it gives, a model fitted to rows,
    rows sampled from a model, and what to measure of a model (against the world and the real
    rows). Subclasses fill these in; `run` is the same loop for all."""

    name = "setup"
    rows_per_generation = 100

    def world(self, rng: np.random.Generator) -> object:
        raise NotImplementedError

    def real(self, world: object, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def fit(self, rows: np.ndarray) -> object:
        raise NotImplementedError

    def sample(self, world: object, model: object, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def measure(self, world: object, model: object, real: np.ndarray, trained_on: np.ndarray) -> dict[str, float]:
        raise NotImplementedError


def run(setup: Setup, mix: Mix, generations: int, seed: int,
        observe: Callable[[int, Any], None] | None = None) -> list[dict[str, float]]:
    """One seed's loop: generation 1 fits on real data; generation g > 1 on `training_set`.
    Returns what `setup.measure` says of each generation's model, in order. `observe(g, rows)`
    sees the rows each generation's model made (g = 1 for the model fitted on real data), as a
    drift monitor would be given them."""
    rng = np.random.default_rng(seed)
    world = setup.world(rng)
    real = setup.real(world, rng)
    model = setup.fit(real)
    measured = [setup.measure(world, model, real, real)]
    history: list[np.ndarray] = []
    for _ in range(1, generations):
        history.append(setup.sample(world, model, setup.rows_per_generation, rng))
        if observe is not None:
            observe(len(history), history[-1])
        fresh = setup.real(world, rng) if mix.mode == "fresh_real" else None
        rows = training_set(mix, real, history, fresh, rng)
        model = setup.fit(rows)
        measured.append(setup.measure(world, model, real, rows))
    return measured


def simulate(setup: Setup, mix: Mix, generations: int, seeds: int, first_seed: int = 0) -> dict[str, np.ndarray]:
    """Every metric as an array [seed, generation]."""
    runs = [run(setup, mix, generations, first_seed + s) for s in range(seeds)]
    return {key: np.array([[g[key] for g in r] for r in runs]) for key in runs[0][0]}
