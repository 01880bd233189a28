"""Tabular synthesizers on real shipped data: marginals, moments, correlations, constraints,
conditional sampling, DP accounting, persistence and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from scipy import stats

from synthloom.config.errors import SynthloomError
from synthloom.tabular import BayesianNetwork, GaussianCopula, MarginalTree, Synthesizer
from synthloom.testing.tables import mixed_table


@pytest.fixture(scope="module")
def randhie() -> pd.DataFrame:
    import statsmodels.api as sm

    return sm.datasets.randhie.load_pandas().data


@pytest.fixture(scope="module")
def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame


def public_bounds(df: pd.DataFrame) -> dict:
    """Metadata for DP fits: the tests treat each column's observed range as if it were public."""
    return {"columns": {c: {"kind": "numerical", "integer": bool((df[c] == df[c].round()).all()),
                            "min": float(df[c].min()), "max": float(df[c].max())} for c in df.columns}}


def fidelity(real: pd.DataFrame, syn: pd.DataFrame) -> dict[str, float]:
    sd = real.std().replace(0, 1)
    return {
        "ks": max(stats.ks_2samp(real[c], syn[c]).statistic for c in real.columns),
        "mean": float(((real.mean() - syn.mean()).abs() / sd).max()),
        "sd": float((syn.std() / sd - 1).abs().max()),
        "corr": float(np.abs(real.corr().values - syn.corr().values).max()),
    }


# (synthesizer, data, tolerances): loose enough for sampling noise, tight enough that an
# independent-columns synthesizer (the shuffled control below) fails the correlation check.
CASES = [
    (GaussianCopula, "randhie", {"ks": 0.03, "mean": 0.03, "sd": 0.05, "corr": 0.10}),
    (GaussianCopula, "breast_cancer", {"ks": 0.06, "mean": 0.05, "sd": 0.12, "corr": 0.10}),
    (GaussianCopula, "diabetes", {"ks": 0.06, "mean": 0.05, "sd": 0.06, "corr": 0.06}),
    (BayesianNetwork, "randhie", {"ks": 0.05, "mean": 0.05, "sd": 0.10, "corr": 0.16}),
    (BayesianNetwork, "diabetes", {"ks": 0.08, "mean": 0.06, "sd": 0.06, "corr": 0.30}),
    (MarginalTree, "randhie", {"ks": 0.05, "mean": 0.05, "sd": 0.10, "corr": 0.25}),
]


@pytest.mark.parametrize("cls, dataset, tol", CASES, ids=[f"{c.name}-{d}" for c, d, _ in CASES])
def test_samples_keep_marginals_moments_and_correlations(cls, dataset, tol, request):
    real = request.getfixturevalue(dataset)
    # what the model learnt; the copy guard's cost is measured in test_tabular_no_copies.py
    syn = cls(seed=0, allow_copies=True).fit(real).sample(20_000)
    assert isinstance(syn, pd.DataFrame) and list(syn.columns) == list(real.columns)
    got = fidelity(real, syn)
    for key, limit in tol.items():
        assert got[key] <= limit, (key, got)
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame({c: rng.permutation(real[c].values) for c in real.columns})
    assert fidelity(real, shuffled)["corr"] > 2 * tol["corr"]  # the check can fail


def test_mixed_types_missing_values_and_datetimes():
    real = mixed_table(8_000, seed=1)
    for cls in (GaussianCopula, BayesianNetwork):
        syn = cls(seed=0).fit(real).sample(8_000)
        assert isinstance(syn, pa.Table) and syn.schema.names == real.schema.names
        assert syn.schema.field("enrolled").type == pa.date32() and syn.schema.field("smoker").type == pa.bool_()
        r, s = real.to_pandas(), syn.to_pandas()
        assert (r.isna().mean() - s.isna().mean()).abs().max() < 0.01
        assert s.enrolled.min() >= r.enrolled.min() and s.enrolled.max() <= r.enrolled.max()
        tv = 0.5 * (r.region.value_counts(normalize=True) - s.region.value_counts(normalize=True)).abs().sum()
        assert tv < 0.03
        assert set(s.age.dropna()) <= set(range(18, 96)) and s.age.dtype == np.int64


def test_ids_are_regenerated_never_copied():
    real = pd.DataFrame({"patient_id": [f"P{i:05d}" for i in range(500)], "x": np.arange(500.0) % 7})
    synth = GaussianCopula(seed=0, allow_copies=True).fit(real)  # x takes 7 values: every row is someone's
    assert synth.fitted_.meta.primary_key == "patient_id"
    out = synth.sample(500)
    assert out.patient_id.is_unique and not set(out.patient_id) & set(real.patient_id)


def test_same_seed_same_rows_and_save_load(tmp_path, diabetes):
    a = GaussianCopula(seed=3, allow_copies=True).fit(diabetes)
    path = a.save(tmp_path / "m.slm")
    b = Synthesizer.load(path)
    # a loaded model returns Arrow (it has no input frame to mirror); the rows are the same
    pd.testing.assert_frame_equal(b.sample(300).to_pandas(),
                                  GaussianCopula(seed=3, allow_copies=True).fit(diabetes).sample(300), check_dtype=False)
    bn = BayesianNetwork(seed=3, epsilon=2.0).fit(diabetes, public_bounds(diabetes))
    again = Synthesizer.load(bn.save(tmp_path / "bn.slm"))
    assert again.report["fit"]["privacy"]["spent"] == pytest.approx(2.0, abs=1e-12)
    assert again.sample(50).shape == (50, diabetes.shape[1])


def test_constraints_hold_on_every_row(randhie):
    real = mixed_table(5_000, seed=2).to_pandas()
    real["discharged"] = real["enrolled"] + pd.to_timedelta(np.random.default_rng(0).integers(1, 30, len(real)), unit="D")
    real["plan_region"] = real["plan"]  # a dependent pair: only seen combinations are allowed
    constraints = [
        {"type": "inequality", "low": "enrolled", "high": "discharged", "strict": True},
        {"type": "range", "column": "bmi", "low": 10, "high": 60},
        {"type": "fixed_combinations", "columns": ["plan", "region"]},
        {"type": "predicate", "expr": "visits is none or visits < 12", "name": "fewer than 12 visits"},
    ]
    real = real[(real.visits.isna() | (real.visits < 12)) & (real.bmi.isna() | real.bmi.between(10, 60))]
    for cls in (GaussianCopula, BayesianNetwork):
        synth = cls(seed=0).fit(real, constraints=constraints)
        out = synth.sample(5_000)
        both = out.dropna(subset=["enrolled", "discharged"])
        assert (both.discharged > both.enrolled).all()
        assert out.bmi.dropna().between(10, 60).all()
        seen = set(zip(real.plan, real.region))
        assert set(zip(out.plan, out.region)) <= seen
        assert (out.visits.isna() | (out.visits < 12)).all()
        report = synth.report["last_sample"]
        assert report["rows"] == 5_000 and 0 <= report["rejection_rate"] < 1
        assert "fewer than 12 visits" in report["rejected_by_constraint"]


def test_conditional_sampling_and_rebalancing(randhie):
    real = mixed_table(6_000, seed=3).to_pandas()
    for cls in (GaussianCopula, BayesianNetwork):
        synth = cls(seed=0).fit(real)
        rare = synth.sample(200, conditions={"region": "north", "smoker": True})
        assert len(rare) == 200 and (rare.region == "north").all() and (rare.smoker == True).all()  # noqa: E712
        balanced = synth.sample(1_000, rebalance={"plan": {"basic": 1, "standard": 1, "premium": 2}})
        assert balanced.plan.value_counts().to_dict() == {"premium": 500, "basic": 250, "standard": 250}
    hie = GaussianCopula(seed=0).fit(randhie).sample(300, conditions={"hlthp": 1})
    assert (hie.hlthp == 1).all()


def test_dp_mode_consumes_exactly_the_budget(randhie):
    for eps in (0.5, 1.0, 3.0):
        public = public_bounds(randhie)
        synth = BayesianNetwork(seed=0, epsilon=eps).fit(randhie, public)
        privacy = synth.report["fit"]["privacy"]
        assert privacy["spent"] == pytest.approx(eps, rel=0, abs=1e-12)
        assert privacy["spent_structure"] + privacy["spent_tables"] == pytest.approx(eps, abs=1e-12)
        tree = MarginalTree(seed=0, epsilon=eps).fit(randhie, public).report["fit"]["privacy"]
        assert tree["spent"] == pytest.approx(eps, rel=0, abs=1e-12)
        assert tree["spent_tree"] == pytest.approx(0.2 * eps) and tree["spent_one-way"] == pytest.approx(0.4 * eps)
    # more budget, closer to the data
    coarse = fidelity(randhie, BayesianNetwork(seed=0, epsilon=0.1).fit(randhie, public).sample(20_000))
    fine = fidelity(randhie, BayesianNetwork(seed=0, epsilon=10.0).fit(randhie, public).sample(20_000))
    assert fine["mean"] < coarse["mean"]


@pytest.mark.parametrize(
    "table, words",
    [
        (pd.DataFrame({"a": pd.Series([], dtype=float)}), "the table is empty"),
        (pd.DataFrame({"a": [1.0]}), "single row"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [None, None]}), "column 'b' has no values"),
        (pd.DataFrame({"a": [1, "x", 2.5]}), "column 'a' mixes value types"),
    ],
)
def test_bad_tables_are_one_sentence(table, words):
    with pytest.raises(SynthloomError, match=words):
        GaussianCopula().fit(table)


def test_bad_conditions_and_impossible_constraints(randhie):
    real = mixed_table(2_000, seed=4).to_pandas()
    synth = GaussianCopula(seed=0).fit(real)
    with pytest.raises(SynthloomError, match="no such column"):
        synth.sample(10, conditions={"nope": 1})
    with pytest.raises(SynthloomError, match="does not occur in the training data"):
        synth.sample(10, conditions={"region": "atlantis"})
    with pytest.raises(SynthloomError, match="impossible: low is above high"):
        GaussianCopula().fit(real, constraints=[{"type": "range", "column": "bmi", "low": 50, "high": 10}])
    with pytest.raises(SynthloomError, match="does not hold on .* rows of the data"):
        GaussianCopula().fit(real, constraints=[{"type": "inequality", "low": "bmi", "high": "age"}])
    with pytest.raises(SynthloomError, match="compares a column with itself"):
        GaussianCopula().fit(real, constraints=[{"type": "inequality", "low": "bmi", "high": "bmi", "strict": True}])
    with pytest.raises(SynthloomError, match="not fitted"):
        GaussianCopula().sample(5)


def test_tabular_cli_fit_sample_synth(tmp_path, randhie):
    import pyarrow.parquet as pq

    from .conftest import run_cli

    data = tmp_path / "randhie.csv"
    randhie.to_csv(data, index=False)
    model = tmp_path / "m.slm"
    public = tmp_path / "public.yaml"
    public.write_text(yaml.safe_dump(public_bounds(randhie)))
    fitted = run_cli("tabular", "fit", str(data), "-o", str(model), "--synthesizer", "bayesian_network", "--epsilon", "1",
                     "--spec", str(public))
    assert fitted.returncode == 0, fitted.stderr
    assert "epsilon 1.0 spent" in fitted.stdout
    out = tmp_path / "s.parquet"
    sampled = run_cli("tabular", "sample", str(model), "-n", "400", "-o", str(out), "-c", "hlthg=1")
    assert sampled.returncode == 0, sampled.stderr
    table = pq.read_table(out).to_pandas()
    assert len(table) == 400 and (table.hlthg == 1).all()
    spec = tmp_path / "spec.yaml"
    spec.write_text("constraints:\n  - {type: range, column: disea, low: 0, high: 60}\n")
    synth = run_cli("tabular", "synth", str(data), "-n", "300", "-o", str(tmp_path / "t.csv"), "--spec", str(spec),
                    "--rebalance", "idp=0:0.5,1:0.5")
    assert synth.returncode == 0, synth.stderr
    assert "rows that copied or nearly copied a training row" in synth.stdout  # the default guard ran
    t = pd.read_csv(tmp_path / "t.csv")
    assert len(t) == 300 and t.idp.value_counts().to_dict() == {0: 150, 1: 150}
    bad = run_cli("tabular", "synth", str(tmp_path / "missing.csv"), "-n", "5")
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    wrong = run_cli("tabular", "fit", str(data), "-o", str(model), "--synthesizer", "ctgan")
    assert wrong.returncode == 2 and "unknown synthesizer 'ctgan'" in wrong.stderr
