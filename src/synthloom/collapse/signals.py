"""Early-warning signals of collapse: one generation's rows against the real reference.

For each numeric column: the log of the variance ratio (the generation's / the real one) and the
tail mass ratio (its share beyond 2 real standard deviations from the real mean / the real
share), each with a 95% bootstrap interval that resamples both sides. For each categorical column: the share of the real categories still present, and the
real categories that are gone. For each text column (strings, mostly distinct, of TEXT_WORDS
words or more on average): word types, rare types and word pairs still present, and distinct-n
(text_signals.py). A generation's summary is the median over columns (numbers) or the mean
(support, texts), as the papers plot a single curve; the columns' own figures are kept beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthloom.collapse.text_signals import text_signals

TAIL_SD = 2.0
TEXT_WORDS = 3.0
BOOTSTRAP = 200  # resamples for the numeric signals' intervals  # mean words per value from which a string column is text, not categories
MAX_CATEGORIES = 200  # a column with more distinct values is text or an identifier, not a category


@dataclass
class GenerationSignals:
    log_variance_ratio: float | None  # median over numeric columns
    tail_mass_ratio: float | None
    support_coverage: float | None  # mean over categorical columns
    lost: dict[str, list[str]] = field(default_factory=dict)  # column -> real categories absent
    columns: dict[str, dict[str, float]] = field(default_factory=dict)
    # column -> lost category -> rows it would hold in this generation at its real share: an
    # absence is evidence only where chance alone would rarely empty it
    expected: dict[str, dict[str, float]] = field(default_factory=dict)
    texts: dict[str, dict[str, Any]] = field(default_factory=dict)  # text column -> text_signals

    def text_mean(self, key: str) -> float | None:
        values = [t[key] for t in self.texts.values() if t.get(key) is not None]
        return float(np.mean(values)) if values else None

    def interval(self, key: str) -> list[float] | None:
        """The median over numeric columns of their intervals' ends (as the figure is their median)."""
        ends = [(c[f"{key}_low"], c[f"{key}_high"]) for c in self.columns.values() if f"{key}_low" in c]
        return [float(np.median([e[0] for e in ends])), float(np.median([e[1] for e in ends]))] if ends else None

    def to_json(self) -> dict[str, Any]:
        return {"log_variance_ratio": self.log_variance_ratio, "tail_mass_ratio": self.tail_mass_ratio,
                "intervals": {k: self.interval(k) for k in ("log_variance_ratio", "tail_mass_ratio")},
                "support_coverage": self.support_coverage,
                **{key: self.text_mean(key) for key in SUMMARY_TEXT},
                "lost": self.lost, "expected_rows_of_lost": self.expected, "columns": self.columns,
                "texts": self.texts}


SUMMARY_TEXT = ("type_coverage", "rare_type_coverage", "pair_coverage", "distinct_2", "perplexity_real_model",
                "perplexity_generated_model")


def _is_text(values: pd.Series) -> bool:
    strings = values.dropna()
    strings = strings[strings.map(lambda v: isinstance(v, str))]
    if len(strings) < 2:
        return False
    return strings.nunique() > 0.5 * len(strings) and strings.str.split().str.len().mean() >= TEXT_WORDS


def _numeric(real: pd.Series, gen: pd.Series, intervals: bool = True) -> dict[str, float] | None:
    r = pd.to_numeric(real, errors="coerce").dropna().to_numpy(float)
    g = pd.to_numeric(gen, errors="coerce").dropna().to_numpy(float)
    if len(r) < 2 or len(g) < 2 or r.var(ddof=1) <= 0:
        return None
    mean, sd = r.mean(), r.std(ddof=1)
    lo, hi = mean - TAIL_SD * sd, mean + TAIL_SD * sd

    def figures(r: np.ndarray, g: np.ndarray) -> tuple[float, float]:
        real_tail = max(float(((r < lo) | (r > hi)).mean()), 1 / len(r))
        return (float(np.log(max(g.var(ddof=1), 1e-300) / max(r.var(ddof=1), 1e-300))),
                float(((g < lo) | (g > hi)).mean()) / real_tail)

    variance, tails = figures(r, g)
    if not intervals:
        return {"log_variance_ratio": variance, "tail_mass_ratio": tails}
    # a bootstrap of both sides (the real reference is a sample too): 95% percentile intervals
    rng = np.random.default_rng(0)
    drawn = np.array([figures(r[rng.integers(len(r), size=len(r))], g[rng.integers(len(g), size=len(g))])
                      for _ in range(BOOTSTRAP)])
    low, high = np.percentile(drawn, [2.5, 97.5], axis=0)
    return {"log_variance_ratio": variance, "tail_mass_ratio": tails,
            "log_variance_ratio_low": float(low[0]), "log_variance_ratio_high": float(high[0]),
            "tail_mass_ratio_low": float(low[1]), "tail_mass_ratio_high": float(high[1])}


@dataclass
class ColumnKinds:
    """How the real data's columns are read: numbers, categories (with the real ones), texts."""

    numeric: list[str]
    categorical: dict[str, list[str]]
    text: list[str]


def column_kinds(real: pd.DataFrame) -> ColumnKinds:
    kinds = ColumnKinds([], {}, [])
    for name in real.columns:
        if str(name).startswith("_"):  # synthloom's own bookkeeping (row ids, lineage)
            continue
        r = real[name]
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            kinds.numeric.append(name)
        elif _is_text(r):
            kinds.text.append(name)
        else:
            categories = sorted(set(r.dropna().astype(str)))
            if 0 < len(categories) <= MAX_CATEGORIES:
                kinds.categorical[name] = categories
    return kinds


def generation_signals(real: pd.DataFrame, gen: pd.DataFrame, kinds: ColumnKinds | None = None,
                       intervals: bool = True) -> GenerationSignals:
    """`kinds`: the real data's column kinds, when the caller reads many generations against it;
    `intervals`: bootstrap the numeric signals (a simulation, which has its seeds, skips it)."""
    kinds = kinds or column_kinds(real)
    columns: dict[str, dict[str, float]] = {}
    lost: dict[str, list[str]] = {}
    expected: dict[str, dict[str, float]] = {}
    coverage: list[float] = []
    texts: dict[str, dict[str, Any]] = {}
    for name in kinds.numeric:
        if name in gen.columns and (found := _numeric(real[name], gen[name], intervals)) is not None:
            columns[str(name)] = found
    for name in kinds.text:
        if name in gen.columns:
            texts[str(name)] = text_signals([v for v in real[name].dropna() if isinstance(v, str)],
                                            [v for v in gen[name].dropna() if isinstance(v, str)])
    for name, categories in kinds.categorical.items():
        if name not in gen.columns:
            continue
        gone = sorted(set(categories) - set(gen[name].dropna().astype(str)))
        coverage.append(1 - len(gone) / len(categories))
        columns[str(name)] = {"support_coverage": coverage[-1]}
        if gone:
            lost[str(name)] = gone
            shares = real[name].dropna().astype(str).value_counts(normalize=True)
            expected[str(name)] = {c: round(float(shares[c]) * len(gen), 3) for c in gone}
    numeric = [c for c in columns.values() if "log_variance_ratio" in c]
    return GenerationSignals(
        float(np.median([c["log_variance_ratio"] for c in numeric])) if numeric else None,
        float(np.median([c["tail_mass_ratio"] for c in numeric])) if numeric else None,
        float(np.mean(coverage)) if coverage else None, lost, columns, expected, texts)
