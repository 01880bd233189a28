"""Private by default: synthetic rows never equal (or nearly equal) a training row, the opt-out
says so, and min_group=5 keeps the holdout share (rows closer to the training rows than to a
20% holdout) under 0.6 on randhie."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.privacy import privacy
from synthloom.evaluate.tables import aligned_with_holdout
from synthloom.tabular import BayesianNetwork, GaussianCopula, MarginalTree, Synthesizer
from synthloom.testing.tables import mixed_table

ALL = [GaussianCopula, BayesianNetwork, MarginalTree]


@pytest.fixture(scope="module")
def randhie_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    import statsmodels.api as sm

    data = sm.datasets.randhie.load_pandas().data
    holdout = data.sample(frac=0.2, random_state=0)  # as the demo does
    return data.drop(holdout.index), holdout


def _privacy(train, synthetic, holdout=None) -> dict:
    cols, hold = aligned_with_holdout(train, synthetic, holdout)
    return privacy(cols, hold)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_default_sample_copies_no_training_row_and_counts_the_redrawn(cls, randhie_split):
    train = randhie_split[0].iloc[:4_000]
    synth = cls(seed=0).fit(train)
    out = synth.sample(4_000)
    assert _privacy(train, out)["exact_copies"] == 0
    copies = synth.report["last_sample"]["copies"]
    assert copies["guard"] == "on" and copies["redrawn_rows"] > 0
    # conditioned and rebalanced draws are guarded too
    part = synth.sample(500, rebalance={"idp": {0: 1, 1: 1}})
    assert _privacy(train, part)["exact_copies"] == 0


def test_opting_out_keeps_copies_and_says_so(tmp_path, randhie_split):
    train = randhie_split[0].iloc[:4_000]
    synth = GaussianCopula(seed=0, allow_copies=True).fit(train)
    out = synth.sample(4_000)
    assert synth.report["last_sample"]["copies"] == {"guard": "allow_copies=True"}
    assert _privacy(train, out)["exact_copies"] > 0  # randhie is discrete: without the guard, copies appear
    loaded = Synthesizer.load(synth.save(tmp_path / "m.slm"))
    assert loaded.allow_copies
    loaded.sample(10)
    assert loaded.report["last_sample"]["copies"] == {"guard": "allow_copies=True"}
    from .conftest import run_cli

    data = tmp_path / "train.csv"
    train.to_csv(data, index=False)
    cli = run_cli("tabular", "synth", str(data), "-n", "200", "-o", str(tmp_path / "s.csv"), "--allow-copies")
    assert cli.returncode == 0 and "copy guard: allow_copies=True" in cli.stdout, cli.stderr


def test_a_loaded_model_checks_copies_only_against_given_training_rows(tmp_path, randhie_split):
    train = randhie_split[0].iloc[:4_000]
    loaded = Synthesizer.load(BayesianNetwork(seed=0).fit(train).save(tmp_path / "m.slm"))
    loaded.sample(2_000)
    assert "a loaded model holds no training rows" in loaded.report["last_sample"]["copies"]["guard"]
    out = loaded.guard_against(train).sample(2_000)
    assert loaded.report["last_sample"]["copies"]["redrawn_rows"] > 0
    assert _privacy(train, out.to_pandas())["exact_copies"] == 0
    from .conftest import run_cli

    data = tmp_path / "train.csv"
    train.to_csv(data, index=False)
    cli = run_cli("tabular", "sample", str(tmp_path / "m.slm"), "-n", "300", "-o", str(tmp_path / "s.csv"),
                  "--data", str(data))
    assert cli.returncode == 0 and "rows that copied or nearly copied a training row" in cli.stdout, cli.stderr


def test_mixed_table_default_has_no_copies():
    real = mixed_table(1_500, seed=6).to_pandas()
    for cls in ALL:
        synth = cls(seed=0).fit(real)
        out = synth.sample(1_500)
        assert _privacy(real, out)["exact_copies"] == 0
        assert synth.report["last_sample"]["copies"]["guard"] == "on"
    with pytest.raises(SynthloomError, match="min_group=5 cannot hold"):
        GaussianCopula(min_group=5).fit(real)


@pytest.mark.slow
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_min_group_keeps_holdout_share_at_most_60_percent_on_randhie(cls, randhie_split):
    train, holdout = randhie_split
    synth = cls(seed=0, min_group=5).fit(train)
    out = synth.sample(len(train))
    share = _privacy(train, out, holdout)["dcr_holdout_share"]
    assert share <= 0.60, share
    assert "at least 5 people" in synth.report["last_sample"]["copies"]["rule"]


@pytest.mark.parametrize("radius", [0.0, 0.01, 0.08, 0.3])
def test_the_guards_radius_search_answers_as_the_full_nearest_search(radius):
    """`closer_than` searches only the signature groups a row that close could be in; it must
    say exactly what the two-nearest search says, KD-tree groups (large, same signature), small
    groups, other signatures, missing values and copies included."""
    import numpy as np

    from synthloom.data.table_analysis.nearest_rows import Encoded, PreparedReference, two_nearest

    rng = np.random.default_rng(7)
    n_ref, n_q = 6_000, 1_500
    numbers = rng.normal(size=(n_ref, 3)).round(1)
    numbers[rng.random(n_ref) < 0.05, 1] = np.nan
    codes = np.column_stack([rng.choice(2, n_ref, p=[0.9, 0.1]), rng.choice(4, n_ref, p=[0.8, 0.1, 0.05, 0.05])])
    # one signature of ~4,000 rows (searched with a KD-tree) and small ones
    reference = Encoded(numbers, codes)
    q_numbers = np.vstack([numbers[:300], rng.normal(scale=1.3, size=(n_q - 300, 3)).round(1)])  # copies too
    q_numbers[rng.random(n_q) < 0.05, 2] = np.nan
    q_codes = np.vstack([codes[:300], np.column_stack([rng.choice(3, n_q - 300), rng.choice(5, n_q - 300)])])
    queries = Encoded(q_numbers, q_codes)
    best, _ = two_nearest(queries, reference)
    expected = (best[:, 0] < radius) | (best[:, 0] <= 0)
    got = PreparedReference.of(reference).closer_than(queries, radius)
    assert expected.any() and (radius == 0 or not expected.all())
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("table", ["mixed", "randhie"])
def test_the_guards_threshold_is_the_full_searchs_quantile(table, randhie_split):
    """The near-copy threshold, taken from same-signature neighbours when they decide it, equals
    the quantile of the exact two-nearest search over all rows."""
    import numpy as np

    from synthloom.data.table_analysis.metadata import infer_metadata, to_numpy
    from synthloom.data.table_analysis.nearest_rows import Encoded, two_nearest
    from synthloom.tabular.no_copies import CALIBRATION_ROWS, NEAR_QUANTILE, CopyGuard

    data = mixed_table(8_000, seed=3) if table == "mixed" else pa.Table.from_pandas(randhie_split[0])
    columns = to_numpy(data, infer_metadata(data)).columns
    guard = CopyGuard(columns, seed=4)
    rows = guard._encode(columns)
    pick = np.random.default_rng([4, 99]).choice(len(rows.codes), min(CALIBRATION_ROWS, len(rows.codes)), replace=False)
    best, _ = two_nearest(Encoded(rows.numbers[pick], rows.codes[pick]), guard.distinct, ranges=guard.ranges)
    assert guard.threshold == float(np.quantile(best[:, 1], NEAR_QUANTILE)) > 0
