"""Differential privacy of the tabular synthesizers, attacked directly: the released noisy
counts have the Laplace mechanism's spread, and nothing outside the budget comes from the
data (domains are public metadata, so one extreme neighbouring row cannot show through)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthloom.config.errors import SynthloomError
from synthloom.tabular import BayesianNetwork, MarginalTree

PUBLIC = {"columns": {
    "colour": {"kind": "categorical", "categories": ["red", "green", "blue", "black", "white", "grey"]},
    "size": {"kind": "categorical", "categories": ["s", "m", "l"]},
    "visits": {"kind": "numerical", "integer": True, "min": 0, "max": 7},
    "weight": {"kind": "numerical", "min": 0.0, "max": 100.0},
}}


def small_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Values inside the public domains; blue, black and white never occur, nothing is missing."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "colour": rng.choice(["red", "green", "grey"], n, p=[0.5, 0.3, 0.2]),
        "size": rng.choice(["s", "m", "l"], n),
        "visits": rng.poisson(2.0, n).clip(0, 7),
        "weight": rng.uniform(40, 90, n).round(1),
    })


def test_released_counts_carry_laplace_noise_of_the_stated_variance():
    """Every released count minus the true count over 400 fits: the Laplace scale b's exact
    chi-square interval (2 sum|X| / b ~ chi2(2N)) must hold the mechanism's b, so the variance
    2 b^2 is as stated; cells of public categories the data never has are measured too."""
    data = small_table()
    noise: list[np.ndarray] = []
    scales = set()
    for seed in range(400):
        for cls in (MarginalTree, BayesianNetwork):
            synth = cls(seed=seed, epsilon=1.0).fit(data, PUBLIC)
            first = synth.fitted_.model.order[0]
            released = {k: v for k, v in synth.fitted_.model.measurements.items()
                        if k.startswith("one-way:") or k == f"table:{first}"}
            if cls is MarginalTree:
                assert {k.split(":")[1] for k in released if k.startswith("one-way:")} == set(PUBLIC["columns"])
            for key, (counts, scale) in released.items():
                column = key.split(":")[1]
                disc = synth.fitted_.model.disc[column]
                truth = np.bincount(disc.encode(data[column].to_numpy(dtype=object if column in ("colour", "size")
                                                                       else float)), minlength=disc.size)
                noise.append((np.ravel(counts) - truth) / scale)  # Laplace(1) if the scale is the stated one
                scales.add(round(scale, 9))
            assert synth.fitted_.model.disc["colour"].size == 7  # six public categories and missing, whatever the data holds
    x = np.concatenate(noise)
    n = x.size
    total = np.abs(x).sum()
    # 99.9% interval for the unit scale, exact for Laplace noise
    lo, hi = 2 * total / stats.chi2.ppf(0.9995, 2 * n), 2 * total / stats.chi2.ppf(0.0005, 2 * n)
    assert lo <= 1.0 <= hi, (lo, hi)
    # the sample variance against 2 b^2, with Laplace's excess kurtosis 3 in its standard error
    var = x.var(ddof=1)
    assert abs(var / 2.0 - 1) <= 4 * np.sqrt(5 / n), (var, n)
    assert abs(x.mean()) <= 4 * np.sqrt(2 / n)
    assert len(scales) >= 2  # both synthesizers' budget splits were checked


@pytest.mark.parametrize("cls", [BayesianNetwork, MarginalTree], ids=lambda c: c.name)
def test_an_extreme_neighbour_changes_neither_range_nor_categories(cls):
    data = small_table(2_000, seed=1)
    extreme = pd.DataFrame({"colour": ["ultraviolet"], "size": ["xxl"], "visits": [10**9], "weight": [1e9]})
    neighbour = pd.concat([data, extreme], ignore_index=True)
    outs = [cls(seed=0, epsilon=1.0).fit(table, PUBLIC).sample(5_000) for table in (data, neighbour)]
    for out in outs:
        assert out.weight.dropna().between(0, 100).all() and out.visits.dropna().between(0, 7).all()
        assert set(out.colour.dropna()) <= set(PUBLIC["columns"]["colour"]["categories"])
        assert set(out["size"].dropna()) <= {"s", "m", "l"}
    # the discretisation (what the model can ever emit) is the same for both tables
    a, b = (cls(seed=0, epsilon=1.0).fit(t, PUBLIC) for t in (data, neighbour))
    for column in PUBLIC["columns"]:
        da, db = a.fitted_.model.disc[column], b.fitted_.model.disc[column]
        assert da.values == db.values and (da.edges is None or np.array_equal(da.edges, db.edges))


def test_epsilon_refuses_a_domain_it_would_have_to_read_from_the_data():
    data = small_table()
    no_bounds = {"columns": {**PUBLIC["columns"], "weight": {"kind": "numerical"}}}
    with pytest.raises(SynthloomError, match="column 'weight' needs public bounds"):
        MarginalTree(epsilon=1.0).fit(data, no_bounds)
    no_categories = {"columns": {k: v for k, v in PUBLIC["columns"].items() if k != "size"}}
    with pytest.raises(SynthloomError, match="column 'size' needs its category list"):
        BayesianNetwork(epsilon=1.0).fit(data, no_categories)
    combos = {"type": "fixed_combinations", "columns": ["colour", "size"]}
    with pytest.raises(SynthloomError, match="needs its allowed combinations as public metadata"):
        BayesianNetwork(epsilon=1.0).fit(data, PUBLIC, constraints=[combos])
    allowed = [["red", "s"], ["green", "m"], ["grey", "l"], ["blue", "l"]]
    out = BayesianNetwork(seed=0, epsilon=1.0).fit(data, PUBLIC, constraints=[{**combos, "combinations": allowed}]) \
        .sample(2_000)
    pairs = {tuple(p) for p in out[["colour", "size"]].dropna().itertuples(index=False)}
    assert pairs <= {tuple(c) for c in allowed}
