"""A synthesizer's parameters from the spec's `synthesizer:` / `params:` and from `--param`
reach it (with an observable effect), an unknown one is one sentence naming the real ones, and
`epsilon` goes only where the class's `supports_dp` flag says."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthloom.config.errors import SynthloomError
from synthloom.tabular import Synthesizer
from synthloom.tabular.base import Epsilon, Seed
from synthloom.testing.tables import mixed_table

from .conftest import run_cli


def _one_error_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tab") / "mixed.csv"
    mixed_table(1_200, seed=3).to_pandas().to_csv(path, index=False)
    return path


def test_a_parameter_from_the_spec_and_from_param_reaches_the_synthesizer(tmp_path, table_csv):
    from synthloom.workflows.tabular_synth import build_synthesizer as _synthesizer, load_spec as _spec
    from synthloom.tabular import BayesianNetwork

    default = BayesianNetwork().fit(pd.read_csv(table_csv)).fitted_.model.parents
    assert max(len(p) for p in default.values()) == 2  # degree 2 by default
    spec = tmp_path / "spec.yaml"
    spec.write_text("synthesizer: bayesian_network\nparams:\n  degree: 1\n  bins: 4\n")
    from_spec = run_cli("tabular", "fit", str(table_csv), "-o", str(tmp_path / "spec.slm"), "--spec", str(spec))
    assert from_spec.returncode == 0, from_spec.stderr
    doc = json.loads(gzip.decompress((tmp_path / "spec.slm").read_bytes()))
    assert doc["params"]["degree"] == 1 and max(len(p) for p in doc["state"]["parents"].values()) == 1
    assert max(len(d["edges"]) for d in doc["state"]["disc"].values() if d["kind"] == "num") <= 5  # 4 bins
    from_param = run_cli("tabular", "fit", str(table_csv), "-o", str(tmp_path / "param.slm"), "-s", "bayesian_network",
                         "--param", "degree=1", "-p", "structure_share=0.5")
    assert from_param.returncode == 0, from_param.stderr
    doc = json.loads(gzip.decompress((tmp_path / "param.slm").read_bytes()))
    assert doc["params"]["structure_share"] == 0.5 and max(len(p) for p in doc["state"]["parents"].values()) == 1
    # tabular synth too: the copy guard is a parameter like any other
    synth = run_cli("tabular", "synth", str(table_csv), "-n", "50", "-o", str(tmp_path / "s.csv"),
                    "--param", "allow_copies=true")
    assert synth.returncode == 0 and "copy guard: allow_copies=True" in synth.stdout, synth.stderr
    # the command line wins over the file, a named option over --param
    chosen = _synthesizer(None, _spec(spec), spec, ["degree=2", "seed=4"], {"seed": 5, "epsilon": None})
    assert chosen.get_params() == {**BayesianNetwork().get_params(), "degree": 2, "bins": 4, "seed": 5}


def test_an_unknown_parameter_is_one_sentence_naming_the_real_ones(tmp_path, table_csv):
    from synthloom.workflows.tabular_synth import build_synthesizer as _synthesizer, load_spec as _spec

    real = "its parameters are seed, degree, bins, epsilon, structure_share, allow_copies, min_group"
    spec = tmp_path / "spec.yaml"
    spec.write_text("synthesizer: bayesian_network\nparams:\n  degree: 1\n  dgree: 3\n")
    line = _one_error_line(run_cli("tabular", "fit", str(table_csv), "-o", str(tmp_path / "m.slm"), "--spec", str(spec)))
    assert f"{spec}:4: params.dgree: bayesian_network has no parameter 'dgree'; {real}" in line
    line = _one_error_line(run_cli("tabular", "synth", str(table_csv), "-n", "5", "-s", "bayesian_network",
                                   "--param", "dgree=3"))
    assert f"--param dgree: bayesian_network has no parameter 'dgree'; {real}" in line
    assert not (tmp_path / "m.slm").exists()
    # a parameter of the spec's synthesizer that the command line's --synthesizer does not take
    spec.write_text("synthesizer: bayesian_network\nparams: {degree: 1}\n")
    with pytest.raises(SynthloomError, match="params.degree: gaussian_copula has no parameter 'degree'; its parameters "
                                             "are seed, families, calibrate, allow_copies, min_group$"):
        _synthesizer("gaussian_copula", _spec(spec), spec, None, {})
    spec.write_text("synthesizer: bayesian_network\nparams: {bins: many}\n")
    with pytest.raises(SynthloomError, match=":2: params.bins: Input should be a valid integer"):
        _spec(spec)
    spec.write_text("synthesizer: ctgan\n")
    with pytest.raises(SynthloomError, match="synthesizer: 'ctgan' is not a synthesizer; use one of bayesian_network"):
        _spec(spec)
    with pytest.raises(SynthloomError, match="--param 'degree' is not of the form NAME=VALUE"):
        _synthesizer("bayesian_network", _spec(None), None, ["degree"], {})


def test_epsilon_without_differential_privacy_is_refused_by_the_flag(tmp_path, table_csv):
    from synthloom.workflows.tabular_synth import load_spec as _spec

    line = _one_error_line(run_cli("tabular", "synth", str(table_csv), "-n", "5", "--epsilon", "1",
                                   "--synthesizer", "gaussian_copula"))
    assert ("--epsilon: gaussian_copula does not support differential privacy, so it takes no epsilon; use "
            "bayesian_network or marginal_tree") in line
    spec = tmp_path / "dp.yaml"
    spec.write_text("synthesizer: gaussian_copula\nparams:\n  epsilon: 1.0\n")
    with pytest.raises(SynthloomError, match=":3: params.epsilon: gaussian_copula does not support differential"):
        _spec(spec)


@pytest.fixture
def private_stub():
    """A synthesizer the CLI has never heard of, with supports_dp set: the CLI goes by the flag."""

    class PrivateStub(Synthesizer):
        name = "private_stub"
        supports_dp = True

        def __init__(self, seed: Seed = 0, epsilon: Epsilon = None):
            super().__init__(seed, allow_copies=True)
            self.epsilon = epsilon

    yield PrivateStub
    del Synthesizer.registry["private_stub"]


def test_the_cli_reads_supports_dp_not_a_list(private_stub, tmp_path):
    from synthloom.cli.tabular_cmd import app
    from synthloom.workflows.tabular_synth import build_synthesizer as _synthesizer, load_spec as _spec

    spec = tmp_path / "spec.yaml"
    spec.write_text("synthesizer: private_stub\nparams: {epsilon: 0.5}\n")
    stub = _synthesizer(None, _spec(spec), spec, ["seed=3"], {"epsilon": 1.5})
    assert isinstance(stub, private_stub) and stub.get_params() == {"seed": 3, "epsilon": 1.5}
    with pytest.raises(SynthloomError, match="use bayesian_network, marginal_tree or private_stub"):
        _synthesizer("gaussian_copula", _spec(None), None, None, {"epsilon": 1.0})
    listed = CliRunner().invoke(app, ["synthesizers"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "private_stub (differential privacy: takes epsilon)" in listed.output


def test_synthesizers_lists_every_parameter_with_its_default():
    result = run_cli("tabular", "synthesizers")
    assert result.returncode == 0, result.stderr
    for name, cls in Synthesizer.registry.items():
        dp = "differential privacy: takes epsilon" if cls.supports_dp else "no differential privacy"
        assert f"{name} ({dp})" in result.stdout
        for param, _, description in cls.param_docs():
            assert param in result.stdout and description.split()[0] in result.stdout


def test_the_default_synthesizer_is_marginal_tree_and_takes_epsilon(table_csv):
    from synthloom.tabular import DEFAULT_SYNTHESIZER, MarginalTree, default_synthesizer

    assert DEFAULT_SYNTHESIZER == "marginal_tree" and isinstance(default_synthesizer(seed=3), MarginalTree)
    with pytest.raises(SynthloomError, match="epsilon"):
        default_synthesizer(epsilon=-1)
    # epsilon is taken: what stops the run is the public bounds differential privacy needs
    line = _one_error_line(run_cli("tabular", "synth", str(table_csv), "-n", "5", "--epsilon", "1"))
    assert "under epsilon column" in line and "needs public bounds" in line
