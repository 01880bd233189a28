"""What `synthloom drift` and `synthloom collapse simulate` leave for people and for gates: a
self-contained HTML page with one plot per signal against the generation (and the alarm marked),
and `--gates` on the drift summary (`collapse.alarm == false`), failing with exit 4."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .conftest import run_cli


def _generations(tmp_path, collapsing: bool) -> list[str]:
    rng = np.random.default_rng(3)
    name = "<img src=x onerror=alert(1)>"  # a hostile column name shows as text
    real = pd.DataFrame({"x": rng.normal(0, 1, 400), name: ["basic"] * 380 + ["rare"] * 20})
    real.to_csv(tmp_path / "real.csv", index=False)
    paths = []
    for g in range(6):
        spread = 1 - 0.15 * g if collapsing else 1.0
        rare = 0 if collapsing and g >= 1 else 20
        gen = pd.DataFrame({"x": rng.normal(0, spread, 400), name: ["basic"] * (400 - rare) + ["rare"] * rare})
        paths.append(str(tmp_path / f"gen{g + 1}.parquet"))
        gen.to_parquet(paths[-1])
    (tmp_path / "gates.yaml").write_text("gates:\n  - collapse.alarm == false\n  - collapse.support_coverage >= 0.9\n")
    return [str(tmp_path / "real.csv"), *paths]


def test_a_collapsing_series_fails_its_gates_and_the_page_marks_the_alarm(tmp_path):
    done = run_cli("drift", *_generations(tmp_path, True), "-o", str(tmp_path / "out"),
                   "--gates", str(tmp_path / "gates.yaml"))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "gate failed: collapse.alarm == false (got True)" in done.stderr and "collapse.support_coverage >= 0.9" in done.stderr
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    # the rare value is gone from generation 2 on: three generations running by generation 4
    assert report["summary"]["collapse.alarm"] is True and report["summary"]["collapse.alarm_generation"] == 4
    assert report["summary"]["collapse.categories_lost"] == 1
    page = (tmp_path / "out" / "drift.html").read_text()
    assert "Alarm at generation 4" in page and "FAILED" in page
    # variance, tails, categories, and precision / recall / coverage: the signals these columns give
    assert page.count("data:image/png;base64,") == 6
    assert 0 <= report["signals"][-1]["recall"] < report["signals"][0]["recall"]
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;: rare" in page


def test_a_steady_series_passes_them(tmp_path):
    done = run_cli("drift", *_generations(tmp_path, False), "-o", str(tmp_path / "out"),
                   "--gates", str(tmp_path / "gates.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no alarm" in done.stdout and "all 2 gates passed" in done.stdout
    assert "No alarm" in (tmp_path / "out" / "drift.html").read_text()


def test_a_gate_on_another_report_is_refused_before_reading(tmp_path):
    args = _generations(tmp_path, False)
    (tmp_path / "bad.yaml").write_text("- quality >= 0.8\n")
    done = run_cli("drift", *args, "-o", str(tmp_path / "out"), "--gates", str(tmp_path / "bad.yaml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "quality" in done.stderr
    assert not (tmp_path / "out" / "drift.json").exists()


def test_simulate_draws_every_metric_for_every_mode(tmp_path):
    done = run_cli("collapse", "simulate", "gaussian", "--generations", "5", "--seeds", "3", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "collapse.json").read_text())
    metrics = {m for mode in report["modes"].values() for m in mode}
    page = (tmp_path / "collapse.html").read_text()
    assert page.count("data:image/png;base64,") == len(metrics) >= 2
    assert all(mode in page for mode in ("replace", "accumulate", "fresh_real", "kept_real"))


def test_a_metric_no_generation_could_measure_is_not_drawn(tmp_path):
    """randhie has no categorical column: no category coverage to plot, no empty chart."""
    done = run_cli("collapse", "simulate", "tabular", "--table", "randhie", "--rows", "150", "--generations", "2",
                   "--seeds", "1", "--mode", "replace", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "collapse.json").read_text())
    assert report["modes"]["replace"]["support_coverage"]["mean"] == [None, None]
    page = (tmp_path / "collapse.html").read_text()
    assert "support_coverage" not in page and "tail_mass_ratio per generation" in page


def test_a_missing_generation_is_one_sentence_that_names_it(tmp_path):
    args = _generations(tmp_path, False)
    done = run_cli("drift", args[0], str(tmp_path / "gen9.parquet"), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "gen9.parquet does not exist" in done.stderr and "recipe's folder" not in done.stderr
