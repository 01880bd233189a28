"""Tabular synthesizers behind one fit / sample / save / load API."""

from synthloom.tabular.base import Synthesizer
from synthloom.tabular.bayesnet import BayesianNetwork
from synthloom.tabular.copula import GaussianCopula
from synthloom.tabular.mst import MarginalTree

__all__ = ["BayesianNetwork", "GaussianCopula", "MarginalTree", "Synthesizer"]
