"""Tabular synthesizers: synthetic twins of a real table behind one fit / sample / save / load
API (`base.py`). This package owns the synthesizers (Gaussian copula; the Bayesian network and
marginal tree, which also learn under a differential-privacy budget), their parameters (each
one's constructor signature, checked against what a user writes, and the `supports_dp` flag),
what a fit learns (kept apart from the parameters, and holding training rows only for the copy
guard), the constraints every sampled row keeps, the privacy accounting and the public domains
it may read, and the guard that redraws rows copying a training row; reading the table and
its metadata is `data/`'s, evaluating the result `evaluate/`'s."""

from synthloom.tabular.base import Synthesizer
from synthloom.tabular.bayesnet import BayesianNetwork
from synthloom.tabular.copula import GaussianCopula
from synthloom.tabular.mst import MarginalTree

# The synthesizer used when none is named: on randhie, fair, anes96 and the mixed test table it
# keeps every strongly associated pair at 0.9 or more, where gaussian_copula scores 0.72 on the
# mixed table's plan ~ enrolled (benchmarks/tabular_vs_sdv.py, README "Tables").
DEFAULT_SYNTHESIZER = "marginal_tree"


def default_synthesizer(**params: object) -> Synthesizer:
    """The default synthesizer, with these parameters (checked as a named one's are)."""
    cls = Synthesizer.registry[DEFAULT_SYNTHESIZER]
    return cls(**cls.checked_params(params, "{name}"))


__all__ = ["DEFAULT_SYNTHESIZER", "BayesianNetwork", "GaussianCopula", "MarginalTree", "Synthesizer",
           "default_synthesizer"]
