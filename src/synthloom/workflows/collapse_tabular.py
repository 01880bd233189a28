"""The `tabular` setup of `synthloom collapse simulate`: our own synthesizers fitted, generation
after generation, on their own samples of a real table that ships inside a package (statsmodels'
datasets: `randhie`, the RAND Health Insurance Experiment, and `fair`, Fair's 1978 survey on
extramarital affairs; both public, distributed with statsmodels under its BSD licence).

Generation 1 fits on a random sample of the real table; later generations fit on what the loop's
mode gives (collapse/loop.py). Each generation's model is measured on a fresh sample of its own:
the early-warning signals against the real sample (collapse/signals.py: log-variance ratio, tail
mass beyond 2 standard deviations, real categories present), the number of real categories lost,
correlation drift (the mean absolute change of the numeric columns' Pearson correlations), and
quality (SDMetrics' definition, evaluate/fidelity.py) against the whole original table.

A workflow, because it joins two features: collapse's loop and tabular's synthesizers."""

from __future__ import annotations

from functools import cache
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from synthloom.collapse.loop import Setup
from synthloom.collapse.signals import generation_signals
from synthloom.collapse.simulation import DEFAULTS, SETUPS
from synthloom.config.errors import SynthloomError
from synthloom.config.tabular import SYNTHESIZERS
from synthloom.evaluate.fidelity import quality
from synthloom.evaluate.tables import aligned_columns
import synthloom.tabular  # noqa: F401  fills SYNTHESIZERS

# table -> (loader, columns read as categories: small integer codes that are not quantities)
TABLES = {"randhie": ("randhie", ()), "fair": ("fair", ("rate_marriage", "religious", "educ", "occupation",
                                                          "occupation_husb"))}


@cache
def real_table(name: str) -> pd.DataFrame:
    """A real table that ships inside statsmodels (no download)."""
    if name not in TABLES:
        raise SynthloomError(f"table is one of {', '.join(TABLES)}, not {name!r}")
    try:
        from statsmodels import datasets
    except ImportError:
        raise SynthloomError("the tabular collapse setup needs statsmodels (pip install 'synthloom[data]')") from None
    module, categorical = TABLES[name]
    data = getattr(datasets, module).load_pandas().data.copy()
    for column in categorical:
        data[column] = data[column].round().astype(int).astype(str)
    return data.reset_index(drop=True)


def correlation_drift(real: pd.DataFrame, generated: pd.DataFrame) -> float | None:
    """Mean |r_generated - r_real| over pairs of numeric columns (0: the correlations kept)."""
    numeric = [c for c in real.columns if pd.api.types.is_numeric_dtype(real[c]) and c in generated.columns]
    if len(numeric) < 2:
        return None
    r, g = real[numeric].corr().to_numpy(), generated[numeric].astype(float).corr().to_numpy()
    pairs = [(i, j) for i, j in combinations(range(len(numeric)), 2)
             if np.isfinite(r[i, j]) and np.isfinite(g[i, j])]
    return float(np.mean([abs(g[i, j] - r[i, j]) for i, j in pairs])) if pairs else None


class TabularLoop(Setup):
    name = "tabular"

    def __init__(self, table: str = "randhie", synthesizer: str = "gaussian_copula", rows: int = 1000):
        if synthesizer not in SYNTHESIZERS:
            raise SynthloomError(f"synthesizer is one of {', '.join(SYNTHESIZERS)}, not {synthesizer!r}")
        real_table(table)  # refuses an unknown table now, not in the middle of the loop
        self.table, self.synthesizer, self.rows_per_generation = table, synthesizer, rows
        self._fits = 0

    def world(self, rng: np.random.Generator) -> pd.DataFrame:
        return real_table(self.table)

    def real(self, world: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        index = rng.choice(len(world), size=min(self.rows_per_generation, len(world)), replace=False)
        return world.iloc[index].reset_index(drop=True)

    def fit(self, rows: pd.DataFrame) -> Any:
        # every fit draws from its own seed, so generations do not repeat one another's draws;
        # copies of training rows are allowed: the loop models a plain synthesizer, and in a
        # discrete table like randhie many real people share a row
        self._fits += 1
        return SYNTHESIZERS[self.synthesizer](seed=self._fits, allow_copies=True).fit(rows)

    def sample(self, world: pd.DataFrame, model: Any, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return model.sample(n)

    def measure(self, world: pd.DataFrame, model: Any, real: pd.DataFrame, trained_on: pd.DataFrame) -> dict[str, float]:
        drawn = model.sample(self.rows_per_generation)
        signals = generation_signals(real, drawn, intervals=False)  # the seeds give the intervals
        drift = correlation_drift(real, drawn)
        return {
            "log_variance_ratio": _or_nan(signals.log_variance_ratio),
            "tail_mass_ratio": _or_nan(signals.tail_mass_ratio),
            "support_coverage": _or_nan(signals.support_coverage),
            "categories_lost": float(sum(len(v) for v in signals.lost.values())),
            "correlation_drift": _or_nan(drift),
            "quality": quality(aligned_columns(world, drawn))["score"],
        }


def _or_nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


SETUPS["tabular"] = TabularLoop
DEFAULTS["tabular"] = (20, 5)
