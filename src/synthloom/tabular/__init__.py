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

__all__ = ["BayesianNetwork", "GaussianCopula", "MarginalTree", "Synthesizer"]
