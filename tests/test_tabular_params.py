"""Synthesizer parameters come from the constructor's signature (round trips, checks, old model
files); a fitted model keeps what it learnt apart from its parameters, and no training table.
The spec's `params:` and `--param` are in test_tabular_cli_params.py."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest

from synthloom.config.errors import SynthloomError
from synthloom.tabular import Synthesizer
from synthloom.tabular.base import Epsilon, Seed
from synthloom.testing.tables import mixed_table

V1 = Path(__file__).parent / "data" / "tabular_v1"

# A value other than the default for every parameter of every synthesizer (a new synthesizer adds a row).
NON_DEFAULT = {
    "gaussian_copula": {"seed": 7, "families": ("norm", "gamma"), "calibrate": False, "allow_copies": True,
                        "min_group": 2},
    "bayesian_network": {"seed": 7, "degree": 3, "bins": 12, "epsilon": 2.0, "structure_share": 0.4,
                         "allow_copies": True, "min_group": 2},
    "marginal_tree": {"seed": 7, "bins": 12, "epsilon": 2.0, "shares": (0.1, 0.45, 0.45), "allow_copies": True,
                      "min_group": 2},
}
NAMES = sorted(NON_DEFAULT)


def test_every_synthesizer_has_a_row_of_non_default_values():
    assert sorted(Synthesizer.registry) == NAMES
    for name, cls in Synthesizer.registry.items():
        defaults = cls().get_params()
        assert set(NON_DEFAULT[name]) == set(defaults) == set(cls.param_names())
        assert all(NON_DEFAULT[name][k] != v for k, v in defaults.items()), name


@pytest.mark.parametrize("name", NAMES)
def test_get_params_round_trips(name, tmp_path):
    cls = Synthesizer.registry[name]
    for params in (cls().get_params(), NON_DEFAULT[name]):
        synth = cls(**params)
        assert synth.get_params() == params
        assert cls(**synth.get_params()).get_params() == params
        assert cls.check_params(params) == params  # what the spec and --param go through
    # fitting changes no parameter, and a model file gives them back
    fitted = cls(seed=4, allow_copies=True).fit(mixed_table(400, seed=1))
    assert fitted.get_params() == cls(seed=4, allow_copies=True).get_params()
    assert Synthesizer.load(fitted.save(tmp_path / "m.slm")).get_params() == fitted.get_params()


def test_fitted_state_is_apart_from_the_parameters():
    for cls in Synthesizer.registry.values():
        synth = cls()
        assert set(vars(synth)) == {*cls.param_names(), "fitted_", "report", "_calls"}
        assert synth.fitted_ is None
        synth.fit(mixed_table(300, seed=2))
        assert set(vars(synth)) == {*cls.param_names(), "fitted_", "report", "_calls"}
        assert synth.fitted_.input_kind == "arrow"


def _with_ids_and_notes(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["pain", "follow-up", "stable", "referred", "improving", "allergy", "dose", "review"])
    frame["patient_id"] = [f"PX{seed}-{i:07d}" for i in range(len(frame))]
    frame["notes"] = [f"note {i} " + " ".join(rng.choice(words, 8)) for i in range(len(frame))]
    return frame


@pytest.mark.parametrize("name", NAMES)
def test_a_fitted_model_keeps_no_training_table(name):
    """Only the copy guard holds training rows (the learnt columns' distinct rows), and only while
    it is on; the input table itself is not kept, only its kind."""
    cls = Synthesizer.registry[name]
    small, large = (_with_ids_and_notes(mixed_table(n, seed=1).to_pandas(), n) for n in (2_500, 10_000))
    sizes = [len(pickle.dumps(cls(allow_copies=True).fit(t))) for t in (small, large)]
    assert sizes[1] < 1.1 * sizes[0] and sizes[1] < len(pickle.dumps(large)) / 2, sizes  # 4x the rows, ~same bytes
    synth = cls().fit(large)  # the guard on: it keeps the learnt columns, never ids or free text
    assert synth.fitted_.guard is not None and synth.fitted_.input_kind == "pandas"
    blob = pickle.dumps(synth)
    assert not [v for v in [*large.patient_id[:200], *large.notes[:200]] if v.encode() in blob]
    out = synth.sample(20)
    assert isinstance(out, pd.DataFrame) and not set(out.patient_id) & set(large.patient_id)


def test_a_model_file_written_before_the_parameters_moved_loads_and_samples_the_same_rows():
    """tests/data/tabular_v1: saved by commit 8f6664c's code (hand-written params(), the input kept on
    the instance) from train.csv; sha256 of the CSV of a first sample(50) as that code drew it."""
    drawn = {"gaussian_copula": "845d662962cabc3f", "bayesian_network": "caed345e88172ad0",
             "marginal_tree": "20fc6aceb4414c8e"}
    for name, digest in drawn.items():
        synth = Synthesizer.load(V1 / f"{name}.slm")
        assert type(synth) is Synthesizer.registry[name]
        assert synth.get_params() == Synthesizer.registry[name]().get_params()
        buf = io.BytesIO()
        pacsv.write_csv(synth.sample(50), buf)
        assert hashlib.sha256(buf.getvalue()).hexdigest()[:16] == digest, name


def test_bad_values_are_one_sentence_from_python_and_from_a_model_file(tmp_path):
    from synthloom.tabular import BayesianNetwork, GaussianCopula, MarginalTree

    table = mixed_table(200)
    for synth, words in [(BayesianNetwork(degree=0), "BayesianNetwork parameter degree: Input should be greater"),
                         (GaussianCopula(families=("norm", "cauchy")), "families.1: Input should be 'norm'"),
                         (MarginalTree(shares=(0.5, 0.5, 0.5)), "shares of epsilon must add up to 1, not 1.5"),
                         (GaussianCopula(seed=-1), "seed: Input should be greater than or equal to 0")]:
        with pytest.raises(SynthloomError, match=words):
            synth.fit(table)
    doc = json.loads(gzip.decompress((V1 / "bayesian_network.slm").read_bytes()))
    doc["params"]["degree"] = "two"
    (tmp_path / "bad.slm").write_bytes(gzip.compress(json.dumps(doc).encode()))
    with pytest.raises(SynthloomError, match=r"bad.slm is damaged \(params.degree: Input should be a valid integer"):
        Synthesizer.load(tmp_path / "bad.slm")


def test_supports_dp_goes_with_epsilon():
    class Private(Synthesizer):
        supports_dp = True

        def __init__(self, seed: Seed = 0, epsilon: Epsilon = None):
            super().__init__(seed)
            self.epsilon = epsilon

    assert Private(epsilon=1.0).private and not Private().private
    assert [c.name for c in Synthesizer.registry.values() if c.supports_dp] == ["bayesian_network", "marginal_tree"]
    with pytest.raises(TypeError, match="supports_dp must be True exactly when __init__ takes epsilon"):
        type("NoFlag", (Synthesizer,), {"__init__": Private.__init__})
    with pytest.raises(TypeError, match="every parameter needs a name and a default"):
        type("NoDefault", (Synthesizer,), {"__init__": lambda self, seed: None})
