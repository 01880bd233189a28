"""The collapse alarm (collapse/alarm.py) as calibrated: on the one-Gaussian loop with 100 rows
a generation, replace mode raises it by generation 50 in at least 80% of seeds, and accumulate
mode in at most 1% over 200 generations; a rare category lost in replace mode is named."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloom.collapse.alarm import first_alarm
from synthloom.collapse.gmm import Gaussian
from synthloom.collapse.loop import Mix, training_set
from synthloom.collapse.signals import GenerationSignals, generation_signals


def _series(mode: str, generations: int, seed: int, rows: int = 100) -> list[GenerationSignals]:
    """Each generation's samples against the real data, as the monitor sees them (numeric only)."""
    rng = np.random.default_rng(seed)
    setup = Gaussian(rows=rows)
    real = setup.real(None, rng)
    model, history, out = setup.fit(real), [], []
    reference = real.var(ddof=1)
    for _ in range(generations):
        sample = setup.sample(None, model, rows, rng)
        history.append(sample)
        out.append(GenerationSignals(float(np.log(sample.var(ddof=1) / reference)), None, None))
        model = setup.fit(training_set(Mix(mode), real, history, None, rng))
    return out


def test_replace_raises_the_alarm_by_generation_50_in_most_seeds():
    fired = [first_alarm(_series("replace", 50, 5000 + s)) for s in range(200)]
    assert sum(a is not None for a in fired) >= 0.8 * 200
    assert all("variance" in a.reason for a in fired if a is not None)


def test_accumulate_raises_at_most_1_percent_false_alarms_over_200_generations():
    fired = [first_alarm(_series("accumulate", 200, s)) for s in range(200)]
    assert sum(a is not None for a in fired) <= 0.01 * 200


def test_signals_of_a_table_and_a_lost_rare_category():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(0, 1, 2000), "plan": ["basic"] * 1900 + ["rare"] * 100})
    narrow = pd.DataFrame({"x": rng.normal(0, 0.5, 2000), "plan": ["basic"] * 2000})
    s = generation_signals(real, narrow)
    assert abs(s.log_variance_ratio - np.log(0.25)) < 0.1 and s.tail_mass_ratio < 0.1
    assert s.support_coverage == 0.5 and s.lost == {"plan": ["rare"]}
    same = generation_signals(real, real.sample(frac=1, random_state=1))
    assert abs(same.log_variance_ratio) < 1e-9 and same.lost == {}
    alarm = first_alarm([GenerationSignals(0.0, 1.0, 0.5, {"plan": ["rare"]})] * 3)
    assert alarm is not None and alarm.generation == 3 and "'rare'" in alarm.reason


def test_drift_names_the_generation_and_the_lost_category(tmp_path):
    from .conftest import run_cli

    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(0, 1, 500), "plan": ["basic"] * 490 + ["rare"] * 10})
    real.to_csv(tmp_path / "real.csv", index=False)
    paths = []
    for g in range(4):  # the rare plan is gone from generation 2 on, and the spread narrows
        gen = pd.DataFrame({"x": rng.normal(0, 1 - 0.2 * g, 500),
                            "plan": ["basic"] * 495 + ["rare"] * 5 if g == 0 else ["basic"] * 500})
        paths.append(tmp_path / f"gen{g + 1}.parquet")
        gen.to_parquet(paths[-1])
    done = run_cli("drift", str(tmp_path / "real.csv"), *map(str, paths), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "ALARM at generation 4" in done.stdout and "plan = 'rare'" in done.stdout
    import json

    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["alarm"]["generation"] == 4 and report["signals"][1]["lost"] == {"plan": ["rare"]}


def test_numeric_signals_carry_bootstrap_intervals_that_cover_the_truth():
    rng = np.random.default_rng(4)
    real = pd.DataFrame({"x": rng.normal(0, 1, 800)})
    narrower = pd.DataFrame({"x": rng.normal(0, 0.7, 800)})
    low, high = generation_signals(real, narrower).to_json()["intervals"]["log_variance_ratio"]
    assert low < np.log(0.49) < high and high - low < 0.5
    same = generation_signals(real, pd.DataFrame({"x": rng.normal(0, 1, 800)})).to_json()["intervals"]
    assert same["log_variance_ratio"][0] < 0 < same["log_variance_ratio"][1]
    assert same["tail_mass_ratio"][0] < 1 < same["tail_mass_ratio"][1]
