"""The holdout share (synthetic rows closer to training than to a holdout) compares the two sides
at equal size, so 0.5 means no memorisation whatever the split; every synthesizer's default keeps
it at most 0.6 on randhie and on the mixed table, with no copies of a training row."""

from __future__ import annotations

import pandas as pd
import pytest

from synthloom.evaluate.privacy import privacy
from synthloom.evaluate.tables import aligned_with_holdout
from synthloom.tabular import BayesianNetwork, GaussianCopula, MarginalTree
from synthloom.testing.tables import mixed_table


def _privacy(train, synthetic, holdout) -> dict:
    cols, hold = aligned_with_holdout(train, synthetic, holdout)
    return privacy(cols, hold)


@pytest.fixture(scope="module")
def randhie() -> pd.DataFrame:
    import statsmodels.api as sm

    return sm.datasets.randhie.load_pandas().data


def test_unseen_real_rows_score_one_half_when_training_is_four_times_the_holdout(randhie):
    shuffled = randhie.sample(frac=1.0, random_state=3)
    n = len(shuffled)
    train, holdout, unseen = shuffled.iloc[: n * 6 // 10], shuffled.iloc[n * 6 // 10: n * 75 // 100], shuffled.iloc[n * 8 // 10:]
    p = _privacy(train, unseen, holdout)
    assert 0.45 <= p["dcr_holdout_share"] <= 0.55, p["dcr_holdout_share"]
    # the unbalanced share favours the larger side by its size alone
    assert p["dcr_holdout_share_unbalanced"] > 0.6


@pytest.mark.slow
@pytest.mark.parametrize("cls", [GaussianCopula, BayesianNetwork, MarginalTree], ids=lambda c: c.name)
def test_default_synthesizers_keep_the_holdout_share_at_most_0_6(cls, randhie):
    holdout = randhie.sample(frac=0.2, random_state=0)  # as the demo does
    train = randhie.drop(holdout.index)
    p = _privacy(train, cls(seed=0).fit(train).sample(len(train)), holdout)
    assert p["exact_copies"] == 0 and p["dcr_holdout_share"] <= 0.6, p["dcr_holdout_share"]
    mixed = mixed_table(5_000, seed=8).to_pandas()
    m_hold = mixed.sample(frac=0.2, random_state=0)
    m_train = mixed.drop(m_hold.index)
    p = _privacy(m_train, cls(seed=0).fit(m_train).sample(len(m_train)), m_hold)
    assert p["exact_copies"] == 0 and p["dcr_holdout_share"] <= 0.6, p["dcr_holdout_share"]
