"""The single-dataset view of collapse (evaluate/collapse_risk.py): the ordinary evaluation report
shows how much of the real spread, tails, rare values and variety a synthetic dataset keeps, for
tables and for texts, in its summary (so gates can name it) and on the page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloom.evaluate.report import evaluate_tables, write_report
from synthloom.evaluate.text import text_report


def _tables(narrow: bool):
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.standard_t(4, 3000), "plan": ["basic"] * 2700 + ["plus"] * 240 + ["rare"] * 60})
    sd = 0.5 if narrow else 1.0
    plans = ["basic"] * 2800 + ["plus"] * 200 if narrow else list(real["plan"])
    synthetic = pd.DataFrame({"x": rng.standard_t(4, 3000) * sd, "plan": plans})
    return real, synthetic


def test_a_narrowed_table_shows_lost_tails_spread_and_rare_values(tmp_path):
    real, faithful = _tables(False)
    _, narrowed = _tables(True)
    good = evaluate_tables(real, faithful, detect=False)["summary"]
    bad_report = evaluate_tables(real, narrowed, detect=False)
    bad = bad_report["summary"]
    assert 0.8 < good["variance_ratio"] < 1.25 and bad["variance_ratio"] < 0.35
    assert good["tail_mass_ratio"] > 0.7 and bad["tail_mass_ratio"] < 0.2
    assert good["rare_categories_retained"] == 1.0 and bad["rare_categories_retained"] == 0.0
    assert bad["categories_retained"] == 2 / 3
    assert bad["knn_recall"] < good["knn_recall"]
    assert bad_report["collapse_risk"]["categorical"]["plan"]["rare_lost"] == ["rare"]
    write_report(bad_report, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "Collapse risk" in page and "<b>plan</b>: rare" in page


def test_texts_that_lost_rare_words_show_it():
    rng = np.random.default_rng(1)
    common = [f"w{i}" for i in range(30)]
    rare = [f"rare{i}" for i in range(300)]
    reference = [" ".join(rng.choice(common, 8).tolist() + [rare[i]]) for i in range(300)]
    kept = [" ".join(rng.choice(common, 8).tolist() + [rare[i]]) for i in range(300)]
    lost = [" ".join(rng.choice(common, 9).tolist()) for _ in range(300)]
    keeping = text_report(kept, reference, embedding="tfidf")["collapse_risk"]
    losing = text_report(lost, reference, embedding="tfidf")["collapse_risk"]
    assert keeping["rare_type_coverage"] == 1.0 and losing["rare_type_coverage"] == 0.0
    assert losing["type_coverage"] < keeping["type_coverage"]


def test_the_table_summary_names_the_rare_categories_kept():
    real, synthetic = _tables(True)
    from synthloom.evaluate.metrics import metric_for

    summary = evaluate_tables(real, synthetic, detect=False)["summary"]
    assert metric_for("rare_categories_retained").name in summary
