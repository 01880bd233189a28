"""Fidelity metrics: a copy scores maximal, independent noise scores low, definitions hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.fidelity import (
    Column, contingency_similarity, ks_complement, quality, tv_complement,
)
from synthloom.evaluate.tables import aligned_columns
from synthloom.testing.tables import mixed_table


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return mixed_table(4_000, seed=5).to_pandas()


def test_a_copy_scores_maximal_fidelity(real):
    q = quality(aligned_columns(real, real.copy()))
    assert q["score"] == pytest.approx(1.0) and q["column_shapes"] == pytest.approx(1.0)
    assert all(v["score"] == pytest.approx(1.0) for v in q["pairs"].values())


def test_independent_noise_scores_low(real):
    rng = np.random.default_rng(0)
    noise = pd.DataFrame({
        c: (rng.permutation(real[c].values) if real[c].dtype == object or real[c].dtype == bool
            else rng.uniform(real[c].min(), real[c].max(), len(real)) if real[c].dtype.kind in "fi"
            else rng.permutation(real[c].values))
        for c in real.columns
    })
    q = quality(aligned_columns(real, noise))
    assert q["column_shapes"] < 0.85 and q["column_pair_trends"] < 0.93 and q["score"] < 0.88
    shuffled = pd.DataFrame({c: rng.permutation(real[c].values) for c in real.columns})
    qs = quality(aligned_columns(real, shuffled))
    assert qs["column_shapes"] == pytest.approx(1.0)  # marginals kept
    assert qs["column_pair_trends"] < 0.95  # but the pairs are broken


def test_metric_definitions():
    assert ks_complement(np.array([1.0, 2, 3, np.nan]), np.array([1.0, 2, 3])) == 1.0
    assert ks_complement(np.array([0.0, 0, 0]), np.array([1.0, 1, 1])) == 0.0
    # codes: a=0, b=1, z=2, missing=3
    assert tv_complement(np.array([0, 0, 1, 3]), np.array([0, 1]), 3) == pytest.approx(1 - 0.5 * (1 / 6 + 1 / 6))
    # a value only the synthetic data has still costs its share
    assert tv_complement(np.array([0]), np.array([2]), 3) == pytest.approx(0.0, abs=1e-5)
    a = Column("a", "categorical", np.array([0, 1]), np.array([0, 0]), categories=["x", "y"])
    b = Column("b", "numerical", np.array([0.0, 10.0]), np.array([0.0, np.nan]))
    # real cells (x, low) and (y, high) vs synthetic (x, low) and (x, missing): half the mass moved
    assert contingency_similarity(a, b)[0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "synthetic, words",
    [
        (lambda r: r.drop(columns=["bmi"]), "lacks bmi"),
        (lambda r: r.assign(extra=1), "has extra extra"),
        (lambda r: r.iloc[:0], "the synthetic table is empty"),
        (lambda r: r.assign(bmi="high"), "'bmi' is declared numerical but holds values that are not numbers"),
    ],
)
def test_bad_inputs(real, synthetic, words):
    with pytest.raises(SynthloomError, match=words):
        aligned_columns(real, synthetic(real))


def test_text_file_instead_of_a_table(tmp_path, real):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(SynthloomError, match="unknown file type '.txt'"):
        aligned_columns(notes, real)
    fake = tmp_path / "fake.csv"
    fake.write_bytes(b"\x00\x01\x02 not,a\ncsv")
    with pytest.raises(SynthloomError):
        aligned_columns(fake, real)


def test_cramers_v_is_scipys_on_the_observed_cells():
    from scipy.stats.contingency import association

    from synthloom.evaluate.fidelity import cramers_v

    rng = np.random.default_rng(3)
    for _ in range(20):
        counts = rng.integers(0, 30, size=(rng.integers(3, 6), rng.integers(2, 7)))
        counts[1:, 0] += 1  # every column observed
        counts[0] = 0  # an empty row (a category the real data lacks) is left out, as SDMetrics never sees it
        expected = association(counts[1:], method="cramer")
        assert cramers_v(counts) == pytest.approx(expected)
    assert np.isnan(cramers_v(np.array([[5, 0], [0, 0]])))  # one observed row: no association to speak of


def _pairs_table(n: int, seed: int, keep_structure: bool) -> pd.DataFrame:
    """Two strong pairs (x ~ y numerical, status ~ age categorical-numerical) among noise
    columns; without structure the same marginals with every column drawn alone."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    age = rng.uniform(20, 80, n)
    y = 0.9 * x + 0.3 * rng.normal(size=n)
    status = np.where(age + rng.normal(0, 5, n) > 50, "post", "pre")
    if not keep_structure:
        y, status = rng.permutation(y), rng.permutation(status)
    noise = {f"n{i}": rng.normal(size=n) for i in range(4)}
    return pd.DataFrame({"x": x, "y": y, "age": age, "status": status, "colour": rng.choice(list("rgb"), n), **noise})


def test_strong_pairs_are_the_real_tables_and_their_minimum_shows_a_broken_one():
    real = _pairs_table(4_000, 0, keep_structure=True)
    kept = quality(aligned_columns(real, _pairs_table(4_000, 1, keep_structure=True)))
    strong = [k for k, v in kept["pairs"].items() if v["strong"]]
    assert sorted(strong) == ["age ~ status", "x ~ y"]
    assert list(kept["pairs"])[:2] == strong  # pairs come sorted by real association
    assert kept["strong_pairs"]["count"] == 2 and kept["strong_pairs"]["min"] > 0.9 and not kept["strong_pairs"]["weak"]
    broken = quality(aligned_columns(real, _pairs_table(4_000, 1, keep_structure=False)))
    # the all-pairs mean barely moves: 2 of 28 pairs are broken, the rest are independent anyway
    assert broken["column_pair_trends"] > 0.9
    assert broken["strong_pairs"]["min"] < 0.75 and sorted(broken["strong_pairs"]["weak"]) == ["age ~ status", "x ~ y"]
    assert broken["score_sdmetrics"] < broken["score"] - 0.05
    # SDMetrics' thresholded score: the shapes and the strong pairs only
    assert broken["score_sdmetrics"] == pytest.approx((broken["column_shapes"] + broken["strong_pairs"]["mean"]) / 2)


def test_without_a_strong_pair_the_thresholded_score_is_the_shapes_and_no_gate_figure_appears():
    from synthloom.evaluate.report import evaluate_tables

    rng = np.random.default_rng(2)
    real = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600), "c": rng.choice(list("pq"), 600)})
    synthetic = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600), "c": rng.choice(list("pq"), 600)})
    report = evaluate_tables(real, synthetic, detect=False, n_attacks=50)
    fid = report["fidelity"]
    assert fid["strong_pairs"]["count"] == 0 and fid["score_sdmetrics"] == pytest.approx(fid["column_shapes"])
    assert "strong_pair_min" not in report["summary"] and "quality_sdmetrics" in report["summary"]


def test_the_report_leads_with_the_strong_pairs_and_gates_can_name_their_minimum(tmp_path):
    from synthloom.evaluate.gates import check_gates, parse_gates
    from synthloom.evaluate.html import render_html
    from synthloom.evaluate.report import evaluate_tables

    real = _pairs_table(1_500, 0, keep_structure=True)
    report = evaluate_tables(real, _pairs_table(1_500, 1, keep_structure=False), detect=False, n_attacks=50)
    summary = report["summary"]
    assert summary["strong_pair_min"] < 0.75 and summary["weak_strong_pairs"] == 2
    assert summary["strong_pair_min_noise_floor"] > 0.9  # two halves of the real table keep both pairs
    failed = check_gates(parse_gates(["strong_pair_min >= 0.9"]), summary)
    assert [g.metric for g, _ in failed] == ["strong_pair_min"]
    page = render_html(report)
    assert page.index("The relationships that carry the table") < page.index("<h2>Summary</h2>")
    assert page.count(">weak<") == 2
