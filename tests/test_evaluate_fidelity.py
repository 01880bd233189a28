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
    assert contingency_similarity(a, b) == pytest.approx(0.5)


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
