"""Anonymeter-style privacy attacks (Giomi et al., 2023): singling out, linkability and
attribute inference, each run against the training rows and against control rows the
synthesizer never saw. Risk = (attack rate - control rate) / (1 - control rate): the success
the synthetic data adds beyond what any data from the same population gives. Every rate has a
Wilson interval; the risk interval is propagated from the two rate intervals, as Anonymeter does.

Nearest neighbours here use the same mixed record distance as DCR (distance.py), by blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthloom.config.errors import SynthloomError
from synthloom.evaluate.distance import Encoded, _numeric_part, _ranges, encode, nearest_with_index
from synthloom.evaluate.fidelity import Column
from synthloom.evaluate.stats import wilson

BLOCK = 2_000_000
NUMERIC_TOLERANCE = 0.05  # an inferred number counts as right within 5% of the true value


@dataclass
class Rates:
    successes: int
    trials: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")

    def ci(self) -> tuple[float, float]:
        return wilson(self.successes, self.trials)


def risk(main: Rates, control: Rates, baseline: Rates) -> dict[str, Any]:
    def r(m: float, c: float) -> float:
        return (m - c) / (1 - c) if c < 1 else 0.0

    (m_lo, m_hi), (c_lo, c_hi) = main.ci(), control.ci()
    return {
        "attack_rate": main.rate, "attack_rate_ci": main.ci(),
        "control_rate": control.rate, "control_rate_ci": control.ci(),
        "baseline_rate": baseline.rate, "baseline_rate_ci": baseline.ci(),
        "risk": max(0.0, r(main.rate, control.rate)),
        "risk_ci": (max(0.0, r(m_lo, c_hi)), max(0.0, min(1.0, r(m_hi, c_lo)))),
        "attack_weaker_than_baseline": main.rate <= baseline.rate,
        "trials": main.trials,
    }


def _subset(e: Encoded, numeric: list[int], categorical: list[int]) -> Encoded:
    return Encoded(e.numbers[:, numeric], e.codes[:, categorical])


def _knn(q: Encoded, ref: Encoded, ranges: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k nearest reference rows for every query row: the pruned exact search
    for k = 1, brute force by blocks otherwise."""
    if k == 1:
        return nearest_with_index(q, ref, ranges=ranges)[1][:, None]
    n_cols = q.numbers.shape[1] + q.codes.shape[1]
    width = max(1, n_cols)
    step = max(1, BLOCK // (len(ref.codes) * width))
    out = np.empty((len(q.codes), k), dtype=np.int64)
    for s in range(0, len(q.codes), step):
        nums = q.numbers[s:s + step]
        d = _numeric_part(nums, ref.numbers, ranges) if q.numbers.shape[1] else np.zeros((len(nums), len(ref.codes)))
        if q.codes.shape[1]:
            d = d + (q.codes[s:s + step, None, :] != ref.codes[None, :, :]).sum(2)
        part = np.argpartition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else np.argsort(d, axis=1)[:, :k]
        rows = np.arange(len(nums))[:, None]
        out[s:s + step] = part[rows, np.argsort(d[rows, part], axis=1)]
    return out


class Attacks:
    def __init__(self, columns: list[Column], holdout: list[Column], n_attacks: int, seed: int):
        if holdout is None:
            raise SynthloomError("privacy attacks need control rows the synthesizer never saw: give a holdout")
        self.columns = columns
        self.names = [c.name for c in columns]
        self.train, self.syn = encode(columns, "real"), encode(columns, "synthetic")
        self.control = encode(holdout, "real")
        self.rng = np.random.default_rng([seed, 5])
        self.n = min(n_attacks, len(self.train.codes), len(self.control.codes))
        self.targets = self.rng.choice(len(self.train.codes), self.n, replace=False)
        self.controls = self.rng.choice(len(self.control.codes), self.n, replace=False)
        self.num_idx = {c.name: i for i, c in enumerate([c for c in columns if c.kind == "numerical"])}
        self.cat_idx = {c.name: i for i, c in enumerate([c for c in columns if c.kind == "categorical"])}
        self.ranges = _ranges(self.train)

    def _cols(self, names: list[str]) -> tuple[list[int], list[int]]:
        unknown = [n for n in names if n not in self.num_idx and n not in self.cat_idx]
        if unknown:
            raise SynthloomError(f"attack column(s) {', '.join(unknown)} are not in the table")
        return [self.num_idx[n] for n in names if n in self.num_idx], [self.cat_idx[n] for n in names if n in self.cat_idx]

    def _value(self, e: Encoded, rows: np.ndarray, name: str) -> np.ndarray:
        return e.numbers[rows, self.num_idx[name]] if name in self.num_idx else e.codes[rows, self.cat_idx[name]]

    def _correct(self, guess: np.ndarray, truth: np.ndarray, name: str) -> np.ndarray:
        if name in self.num_idx:
            return np.abs(guess - truth) <= NUMERIC_TOLERANCE * np.abs(truth)
        return guess == truth

    def inference(self, aux: list[str], secret: str) -> dict[str, Any]:
        """Knowing `aux` of a target, guess its `secret` from the closest synthetic row."""
        num, cat = self._cols(aux)
        syn_aux = _subset(self.syn, num, cat)
        ranges = self.ranges[num]
        out = {}
        for label, data, rows in (("main", self.train, self.targets), ("control", self.control, self.controls)):
            q = _subset(Encoded(data.numbers[rows], data.codes[rows]), num, cat)
            nearest = _knn(q, syn_aux, ranges, 1)[:, 0]
            guess = self._value(self.syn, nearest, secret)
            out[label] = Rates(int(self._correct(guess, self._value(data, rows, secret), secret).sum()), self.n)
        random_rows = self.rng.integers(0, len(self.syn.codes), self.n)
        base_guess = self._value(self.syn, random_rows, secret)
        baseline = Rates(int(self._correct(base_guess, self._value(self.train, self.targets, secret), secret).sum()), self.n)
        return {"aux": aux, "secret": secret, **risk(out["main"], out["control"], baseline)}

    def linkability(self, left: list[str], right: list[str], k: int = 1) -> dict[str, Any]:
        """Knowing two disjoint column sets of a target (say from two datasets), link them: a
        success when the k nearest synthetic rows found from each side share a row."""
        if set(left) & set(right):
            raise SynthloomError("linkability needs two disjoint column sets")
        ln, lc = self._cols(left)
        rn, rc = self._cols(right)
        out = {}
        for label, data, rows in (("main", self.train, self.targets), ("control", self.control, self.controls)):
            base = Encoded(data.numbers[rows], data.codes[rows])
            a = _knn(_subset(base, ln, lc), _subset(self.syn, ln, lc), self.ranges[ln], k)
            b = _knn(_subset(base, rn, rc), _subset(self.syn, rn, rc), self.ranges[rn], k)
            linked = np.array([bool(set(x) & set(y)) for x, y in zip(a, b)])
            out[label] = Rates(int(linked.sum()), self.n)
        m = len(self.syn.codes)
        ra, rb = self.rng.integers(0, m, (self.n, k)), self.rng.integers(0, m, (self.n, k))
        baseline = Rates(int(sum(bool(set(x) & set(y)) for x, y in zip(ra, rb))), self.n)
        return {"left": left, "right": right, "k": k, **risk(out["main"], out["control"], baseline)}

    def singling_out(self) -> dict[str, Any]:
        """Univariate predicates an attacker reads off the synthetic data, as Anonymeter's
        univariate mode does: `column == value` for every value seen exactly once in the
        synthetic data, plus each numerical column's extremes; up to n_attacks of them, drawn at
        random. A success is a predicate matching exactly one row of the attacked set; the
        training and control sets are compared at the same size."""
        size = min(len(self.train.codes), len(self.control.codes))
        t_rows = self.rng.choice(len(self.train.codes), size, replace=False)
        c_rows = self.rng.choice(len(self.control.codes), size, replace=False)
        train = Encoded(self.train.numbers[t_rows], self.train.codes[t_rows])
        control = Encoded(self.control.numbers[c_rows], self.control.codes[c_rows])
        preds: list[tuple[str, int, Any]] = []
        for j in self.cat_idx.values():
            values, counts = np.unique(self.syn.codes[:, j], return_counts=True)
            preds += [("cat", j, v) for v in values[counts == 1]]
        for j in self.num_idx.values():
            x = self.syn.numbers[:, j]
            x = x[~np.isnan(x)]
            if x.size:
                values, counts = np.unique(x, return_counts=True)
                preds += [("eq", j, float(v)) for v in values[counts == 1]]
                preds += [("le", j, float(x.min())), ("ge", j, float(x.max()))]
        if not preds:
            raise SynthloomError("singling out needs at least one rare value in the synthetic data")
        if len(preds) > self.n:
            preds = [preds[i] for i in sorted(self.rng.choice(len(preds), self.n, replace=False))]

        def singles(e: Encoded) -> int:
            hits = 0
            for kind, j, v in preds:
                if kind == "cat":
                    m = e.codes[:, j] == v
                elif kind == "eq":
                    m = e.numbers[:, j] == v
                elif kind == "le":
                    m = e.numbers[:, j] <= v
                else:
                    m = e.numbers[:, j] >= v
                hits += int(m.sum() == 1)
            return hits

        main, control = Rates(singles(train), len(preds)), Rates(singles(control), len(preds))
        # baseline: the same kinds of predicates with values drawn at random from each column's range
        base_preds = 0
        for kind, j, _ in preds:
            if kind == "cat":
                guess = self.rng.integers(0, max(1, self.syn.codes[:, j].max() + 1))
                base_preds += int((train.codes[:, j] == guess).sum() == 1)
            else:
                col = self.train.numbers[:, j]
                lo, hi = np.nanmin(col), np.nanmax(col)
                guess = lo + self.rng.random() * (hi - lo)
                if kind == "eq":  # a random value from the column's range, as a naive attacker would
                    guess = float(self.rng.choice(col[~np.isnan(col)]))
                    m = train.numbers[:, j] == guess
                else:
                    m = train.numbers[:, j] <= guess if kind == "le" else train.numbers[:, j] >= guess
                base_preds += int(m.sum() == 1)
        return {"predicates": len(preds), **risk(main, control, Rates(base_preds, len(preds)))}
