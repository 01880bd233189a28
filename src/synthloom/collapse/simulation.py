"""`synthloom collapse simulate SETUP`: every mode of the loop on a setup, over several seeds,
each metric per generation with its mean and a 95% interval across seeds (the 2.5th and 97.5th
percentiles), written as JSON."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np

from synthloom.collapse.gmm import Gaussian, Mixture
from synthloom.collapse.linear import Linear
from synthloom.collapse.loop import MODES, Mix, Setup, simulate
from synthloom.collapse.text_setup import TextLoop

SETUPS: dict[str, Any] = {"linear": Linear, "gaussian": Gaussian, "gmm": Mixture, "text": TextLoop}
DEFAULTS = {"linear": (20, 200), "gaussian": (200, 50), "gmm": (50, 10), "text": (10, 5)}  # generations, seeds


def setup_named(name: str, **options: Any) -> Setup:
    """A setup by name; `options` go to its constructor (the tabular setup's table, say)."""
    if name not in SETUPS:
        raise ValueError(f"setup is one of {', '.join(SETUPS)}, not {name!r}")
    takes = inspect.signature(SETUPS[name]).parameters
    unknown = sorted(set(options) - set(takes))
    if unknown:
        raise ValueError(f"the {name} setup takes no {', '.join('--' + o for o in unknown)}")
    return SETUPS[name](**options)


def summary(values: np.ndarray) -> dict[str, list[float]]:
    """[seed, generation] -> mean, low and high per generation."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric a generation could not measure is NaN
        return {"mean": _listed(np.nanmean(values, axis=0)),
                "low": _listed(np.nanpercentile(values, 2.5, axis=0)),
                "high": _listed(np.nanpercentile(values, 97.5, axis=0))}


def _listed(values: np.ndarray) -> list[float | None]:
    """JSON has no NaN: a generation no seed could measure is null."""
    return [None if not np.isfinite(v) else round(float(v), 6) for v in values]


def simulate_setup(name: str, *, generations: int | None = None, seeds: int | None = None,
                   modes: tuple[str, ...] = MODES, real_share: float = 0.1,
                   options: dict[str, Any] | None = None) -> dict[str, Any]:
    setup = setup_named(name, **(options or {}))
    default_g, default_s = DEFAULTS[name]
    generations, seeds = generations or default_g, seeds or default_s
    report: dict[str, Any] = {"setup": name, "options": options or {}, "generations": generations,
                              "seeds": seeds, "real_share": real_share, "modes": {}}
    for mode in modes:
        results = simulate(setup, Mix(mode, real_share), generations, seeds)
        report["modes"][mode] = {metric: summary(values) for metric, values in results.items()}
    if isinstance(setup, Linear):
        report["theory"] = {mode: [setup.expected(mode, g) for g in range(1, generations + 1)]
                            for mode in ("replace", "accumulate") if mode in modes}
    return report
