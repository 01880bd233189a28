"""The tabular setup of the collapse loop (workflows/collapse_tabular.py): our Gaussian copula
fitted, generation after generation, on its own samples of real tables that ship inside
statsmodels. Replace mode loses rare categories and tails that accumulate mode keeps, and the
drift monitor, given each generation's rows as files, says which category went."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("statsmodels")

from synthloom.collapse.drift import drift_report  # noqa: E402
from synthloom.collapse.loop import Mix, run  # noqa: E402
from synthloom.workflows.collapse_tabular import TabularLoop, real_table  # noqa: E402

from .conftest import run_cli  # noqa: E402


def _loop(mode: str, table: str, rows: int, generations: int, tmp_path):
    setup = TabularLoop(table, "gaussian_copula", rows)
    paths = []

    def keep(g, frame):
        paths.append(tmp_path / f"{mode}-gen{g:02d}.parquet")
        frame.to_parquet(paths[-1])

    measured = run(setup, Mix(mode), generations, seed=0, observe=keep)
    real = setup.real(setup.world(np.random.default_rng(0)), np.random.default_rng(0))  # run's first draw
    real.to_parquet(tmp_path / f"{mode}-real.parquet")
    return measured, drift_report(tmp_path / f"{mode}-real.parquet", paths)


def test_replace_loses_a_rare_category_that_accumulate_keeps_and_the_monitor_says_so(tmp_path):
    replaced, replace_drift = _loop("replace", "fair", 300, 30, tmp_path)
    kept, accumulate_drift = _loop("accumulate", "fair", 300, 30, tmp_path)

    def lost(report, generation):
        return {(c, v) for c, values in report["signals"][generation]["lost"].items() for v in values}

    # gone from replace's last three generations, present in every one of accumulate's
    gone = lost(replace_drift, -1) & lost(replace_drift, -2) & lost(replace_drift, -3)
    still_there = gone - lost(accumulate_drift, -1) - lost(accumulate_drift, -2) - lost(accumulate_drift, -3)
    assert still_there, (gone, accumulate_drift["signals"][-1]["lost"])
    alarm = replace_drift["alarm"]
    assert alarm is not None and "absent for 3 generations" in alarm["reason"], alarm
    assert accumulate_drift["alarm"] is None, accumulate_drift["alarm"]
    assert replaced[-1]["categories_lost"] > kept[-1]["categories_lost"]
    assert replaced[-1]["quality"] < kept[-1]["quality"] - 0.05


def test_replace_thins_randhie_tails_and_drifts_its_correlations(tmp_path):
    replaced, _ = _loop("replace", "randhie", 1000, 20, tmp_path)
    kept, _ = _loop("accumulate", "randhie", 1000, 20, tmp_path)
    assert replaced[-1]["tail_mass_ratio"] < 0.5 * kept[-1]["tail_mass_ratio"]
    assert replaced[-1]["log_variance_ratio"] < kept[-1]["log_variance_ratio"] - 0.1
    assert replaced[-1]["correlation_drift"] > kept[-1]["correlation_drift"]


def test_simulate_tabular_from_the_command_line(tmp_path):
    done = run_cli("collapse", "simulate", "tabular", "--table", "fair", "--rows", "200", "--generations", "3",
                   "--seeds", "2", "--mode", "replace", "--mode", "accumulate", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "collapse.json").read_text())
    assert report["options"] == {"table": "fair", "rows": 200} and set(report["modes"]) == {"replace", "accumulate"}
    quality = report["modes"]["replace"]["quality"]
    assert len(quality["mean"]) == 3 and quality["low"][0] <= quality["mean"][0] <= quality["high"][0]
    wrong = run_cli("collapse", "simulate", "linear", "--table", "fair", "-o", str(tmp_path))
    assert wrong.returncode == 2 and "takes no --table" in wrong.stderr


def test_the_real_tables_ship_with_statsmodels():
    fair = real_table("fair")
    assert len(fair) == 6366 and not pd.api.types.is_numeric_dtype(fair["occupation"])  # codes read as categories
    assert len(real_table("randhie")) == 20190
