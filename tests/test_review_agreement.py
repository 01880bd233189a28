"""Agreement between reviewers (review/agreement.py): Krippendorff's worked examples, the
`krippendorff` package and scikit-learn's kappa on random data, and the bootstrap intervals."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from synthloom.data.review.agreement import alpha_with_interval, cohen_kappa, kappa_with_interval, krippendorff_alpha

N = None
# "Computing Krippendorff's Alpha-Reliability" (2011), example C: 4 observers, 12 units, gaps.
EXAMPLE_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849),
                                                 ("ratio", 0.797)])
def test_the_papers_example_with_missing_ratings(level, expected):
    assert round(krippendorff_alpha(EXAMPLE_C, level), 3) == expected


def test_the_papers_binary_example():
    # example A: two observers, ten units, binary values: alpha = 0.095
    first = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    second = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha([first, second]), 3) == 0.095


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_the_krippendorff_package_on_random_data(level):
    rng = np.random.default_rng(7)
    for trial in range(20):
        reviewers, items = rng.integers(2, 6), rng.integers(5, 60)
        data = rng.integers(1, 6, size=(reviewers, items)).astype(float)
        data[rng.random(data.shape) < 0.3] = np.nan  # missing ratings
        ours = krippendorff_alpha([[None if np.isnan(v) else float(v) for v in row] for row in data], level)
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert ours == pytest.approx(theirs, abs=1e-9), (trial, level)


def test_kappa_matches_scikit_learn_on_random_data():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = rng.integers(10, 200)
        first = rng.choice(["accept", "reject", "edit"], size=n)
        second = np.where(rng.random(n) < 0.6, first, rng.choice(["accept", "reject", "edit"], size=n))
        assert cohen_kappa(list(first), list(second)) == pytest.approx(cohen_kappa_score(first, second), abs=1e-9)


def test_items_one_reviewer_skipped_are_left_out_of_kappa():
    assert cohen_kappa(["a", "b", None, "a"], ["a", "b", "b", None]) == 1.0


def test_no_variation_is_no_agreement_figure():
    assert krippendorff_alpha([[1, 1, 1], [1, 1, 1]]) is None
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None
    assert krippendorff_alpha([[1, None], [None, 2]]) is None  # nothing rated twice


def test_intervals_hold_the_value_and_repeat_with_the_seed():
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 2, 300)
    ratings = [[int(t) if rng.random() < 0.9 else int(1 - t) for t in truth] for _ in range(3)]
    first = alpha_with_interval(ratings, seed=1)
    assert first.low < first.value < first.high and first.items == 300
    assert alpha_with_interval(ratings, seed=1) == first
    kappa = kappa_with_interval(ratings[0], ratings[1], seed=1)
    assert kappa.low < kappa.value < kappa.high and kappa.high - kappa.low < 0.3
