"""Self-consuming loops (collapse/): the published setups reproduce their papers' numbers."""

from __future__ import annotations

import numpy as np
import pytest

from synthloom.collapse.gmm import Gaussian
from synthloom.collapse.linear import Linear
from synthloom.collapse.loop import MODES, Mix, simulate, training_set


@pytest.mark.parametrize("mode", ["replace", "accumulate"])
def test_linear_regression_matches_gerstgrassers_theory_within_5_percent(mode):
    setup = Linear(d=10, T=100, sigma=1.0)
    errors = simulate(setup, Mix(mode), generations=10, seeds=1500)["test_error"].mean(axis=0)
    for generation in (1, 2, 5, 10):
        assert errors[generation - 1] == pytest.approx(setup.expected(mode, generation), rel=0.05)
    if mode == "replace":
        assert errors[9] > 8 * errors[0]  # grows about linearly
    else:
        assert errors.max() < setup.accumulate_bound()  # bounded by pi^2/6 of the first


def test_a_gaussian_fitted_on_itself_loses_its_variance_and_tails_unless_data_accumulates():
    replace = simulate(Gaussian(rows=100), Mix("replace"), generations=100, seeds=30)
    accumulate = simulate(Gaussian(rows=100), Mix("accumulate"), generations=100, seeds=30)
    assert np.median(replace["variance_ratio"][:, -1]) < 0.4 and np.median(replace["tail_mass"][:, -1]) < 0.3
    assert np.median(accumulate["variance_ratio"][:, -1]) > 0.9 and np.median(accumulate["tail_mass"][:, -1]) > 0.8


def test_each_mode_trains_on_what_it_says():
    rng = np.random.default_rng(0)
    real = np.zeros((10, 1))
    history = [np.full((10, 1), 1.0), np.full((10, 1), 2.0)]
    fresh = np.full((10, 1), 9.0)
    assert training_set(Mix("replace"), real, history, None, rng).ravel().tolist() == [2.0] * 10
    assert len(training_set(Mix("accumulate"), real, history, None, rng)) == 30
    mixed = training_set(Mix("fresh_real", 0.2), real, history, fresh, rng).ravel().tolist()
    assert sorted(mixed) == [2.0] * 8 + [9.0] * 2
    kept = training_set(Mix("kept_real", 0.1), real, history, None, rng).ravel().tolist()
    assert sorted(kept) == [0.0] + [2.0] * 9
    assert set(MODES) == {"replace", "accumulate", "fresh_real", "kept_real"}
    with pytest.raises(ValueError):
        Mix("shuffle")


def test_simulate_writes_every_mode_with_intervals_and_the_theory(tmp_path):
    import json

    from .conftest import run_cli

    done = run_cli("collapse", "simulate", "linear", "--generations", "5", "--seeds", "50", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "collapse.json").read_text())
    assert set(report["modes"]) == set(MODES) and report["generations"] == 5
    replace = report["modes"]["replace"]["test_error"]
    assert len(replace["mean"]) == 5 and all(lo <= m <= hi for lo, m, hi in
                                             zip(replace["low"], replace["mean"], replace["high"]))
    assert report["theory"]["replace"][4] == pytest.approx(5 * 10 / 89)
    bad = run_cli("collapse", "simulate", "nope", "-o", str(tmp_path))
    assert bad.returncode == 2 and "setup is one of linear, gaussian, gmm" in bad.stderr
