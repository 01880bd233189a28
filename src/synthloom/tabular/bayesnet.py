"""Bayesian network synthesizer (PrivBayes-style).

Columns are discretised (numbers into quantile bins; missing values as their own code), a
greedy structure links each column to at most `degree` earlier columns by mutual
information, and each column's conditional table is learnt from counts. With `epsilon`,
structure choices use the exponential mechanism and the tables Laplace noise (Zhang et al.,
PrivBayes, 2017), and the budget spent is reported. Strong on categorical-heavy data."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import Field

from synthloom.config.tabular import TableMeta
from synthloom.tabular.base import AllowCopies, Columns, Epsilon, MinGroup, Seed, Synthesizer
from synthloom.tabular.privacy import Accountant, mi_sensitivity
from synthloom.tabular.public_domain import PUBLIC_FACTS, Domain

MAX_CELLS = 200_000  # largest conditional table considered
THETA = 4.0  # PrivBayes' theta-usefulness: noisy tables need about theta counts of signal per cell
BINS, DP_BINS = 20, 8  # numeric bins by default; fewer under DP, where every cell pays noise
WITHIN_BIN = 17  # quantiles kept per bin to sample values inside it (non-private mode)


def _mutual_information(x: np.ndarray, nx: int, p: np.ndarray, np_: int) -> float:
    joint = np.bincount(x * np_ + p, minlength=nx * np_).reshape(nx, np_).astype(float)
    joint /= joint.sum()
    px, pp = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / (px @ pp)[nz])))


class _Discretiser:
    """A column <-> integer codes; the last code is 'missing' when the column has gaps."""

    def __init__(self, kind: str, edges: np.ndarray | None, values: list[Any] | None, has_missing: bool,
                 inner: np.ndarray | None = None):
        self.kind, self.edges, self.values, self.has_missing, self.inner = kind, edges, values, has_missing, inner

    @property
    def size(self) -> int:
        base = len(self.edges) - 1 if self.kind == "num" else len(self.values)
        return base + int(self.has_missing)

    @classmethod
    def public(cls, domain: Domain, bins: int, integer: bool = False) -> "_Discretiser":
        """Codes from the public domain alone (DP mode): no value of the data is read, and
        'missing' is always a code, so its share is one more noisy count."""
        if domain.values is not None:
            return cls("cat", None, list(domain.values), True)
        lo, hi = float(domain.low), float(domain.high)
        if integer and hi - lo + 1 <= bins and np.floor(hi) >= np.ceil(lo):  # flags, small counts: a code per value
            u = np.arange(np.ceil(lo), np.floor(hi) + 1, dtype=float)
            edges = np.concatenate([u, [u[-1]]])
        else:
            edges = np.linspace(lo, hi, bins + 1)
        return cls("num", edges, None, True)

    @classmethod
    def fit(cls, x: np.ndarray, bins: int, bounds: tuple[float | None, float | None]) -> "_Discretiser":
        if x.dtype == object:
            present = [v for v in x if v is not None]
            values = sorted(set(present), key=lambda v: (type(v).__name__, str(v)))
            return cls("cat", None, values, len(present) < len(x))
        observed = x[~np.isnan(x)]
        lo = bounds[0] if bounds[0] is not None else float(observed.min())
        hi = bounds[1] if bounds[1] is not None else float(observed.max())
        if np.unique(observed).size > bins:
            edges = np.unique(np.quantile(observed, np.linspace(0, 1, bins + 1)))
        else:  # few distinct values: one bin each, exact
            u = np.unique(observed)
            edges = np.concatenate([u, [u[-1]]]).astype(float)
        if edges.size < 2:
            edges = np.array([lo, hi if hi > lo else lo + 1.0])
        codes = np.clip(np.searchsorted(edges, observed, side="right") - 1, 0, edges.size - 2)
        inner = np.array([np.quantile(observed[codes == b], np.linspace(0, 1, WITHIN_BIN))
                          if np.any(codes == b) else np.full(WITHIN_BIN, edges[b]) for b in range(edges.size - 1)])
        return cls("num", edges, None, bool(np.isnan(x).any()), inner)

    def encode(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "cat":
            index = {(type(v).__name__, v): i for i, v in enumerate(self.values)}
            miss = len(self.values)
            # a value outside a public category list counts as missing (DP mode); fitted lists hold every value
            return np.array([miss if v is None else index.get((type(v).__name__, v), miss) for v in x], dtype=np.int64)
        if self.edges[-1] == self.edges[-2]:  # one code per value: the value's own position
            codes = np.clip(np.searchsorted(self.edges[:-1], x, side="left"), 0, len(self.edges) - 2)
        else:
            codes = np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, len(self.edges) - 2)
        return np.where(np.isnan(x), len(self.edges) - 1, codes).astype(np.int64)

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "cat":
            vals = np.array(list(self.values) + [None], dtype=object)
            return vals[codes]
        nb = len(self.edges) - 1
        missing = codes >= nb
        c = np.minimum(codes, nb - 1)
        if self.edges[-1] == self.edges[-2]:
            x = self.edges[c].astype(float)
        elif self.inner is not None:
            u = rng.random(codes.size) * (WITHIN_BIN - 1)
            i = np.floor(u).astype(int)
            frac = u - i
            i2 = np.minimum(i + 1, WITHIN_BIN - 1)
            x = self.inner[c, i] * (1 - frac) + self.inner[c, i2] * frac
        else:
            x = self.edges[c] + rng.random(codes.size) * (self.edges[c + 1] - self.edges[c])
        return np.where(missing, np.nan, x)

    def to_state(self) -> dict[str, Any]:
        return {"kind": self.kind, "edges": None if self.edges is None else self.edges.tolist(),
                "values": self.values, "has_missing": self.has_missing,
                "inner": None if self.inner is None else self.inner.tolist()}

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "_Discretiser":
        return cls(s["kind"], None if s["edges"] is None else np.asarray(s["edges"]), s["values"], s["has_missing"],
                   None if s["inner"] is None else np.asarray(s["inner"]))


@dataclass
class NetworkModel:
    """Discretised columns sampled down a directed graph: the first column from its own table,
    each next one from its conditional table given its parents' codes."""

    names: list[str]
    disc: dict[str, _Discretiser]
    order: list[str] = field(default_factory=list)
    parents: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, np.ndarray] = field(default_factory=dict)
    # under epsilon, each released noisy count table and its Laplace scale (for the tests; not saved)
    measurements: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)

    def sample(self, n: int, rng: np.random.Generator) -> Columns:
        sizes = {name: self.disc[name].size for name in self.names}
        codes: dict[str, np.ndarray] = {}
        for name in self.order:
            ps = self.parents[name]
            pc = _combine([codes[p] for p in ps], [sizes[p] for p in ps], n)
            cum = np.cumsum(self.tables[name], axis=1)
            cum[:, -1] = 1.0
            u = rng.random(n)
            codes[name] = np.minimum((u[:, None] > cum[pc]).sum(1), sizes[name] - 1)
        return {name: self.disc[name].decode(codes[name], rng) for name in self.names}

    def known_values(self, column: str) -> set[Any] | None:
        d = self.disc.get(column)
        if d is None:
            return None
        if d.kind == "cat":
            return set(d.values)
        if d.edges[-1] == d.edges[-2] and np.all(d.edges == np.round(d.edges)):  # one code per whole number
            return {int(v) for v in d.edges[:-1]}
        return None

    def to_state(self) -> dict[str, Any]:
        return {"names": self.names, "order": self.order, "parents": self.parents,
                "disc": {k: d.to_state() for k, d in self.disc.items()},
                "tables": {k: t.tolist() for k, t in self.tables.items()}}

    @classmethod
    def from_state(cls, s: dict[str, Any]) -> "NetworkModel":
        return cls(s["names"], {k: _Discretiser.from_state(v) for k, v in s["disc"].items()}, s["order"],
                   s["parents"], {k: np.asarray(v) for k, v in s["tables"].items()})


Bins = Annotated[int | None, Field(ge=2, le=1_000, description=f"bins of each numerical column (null: {BINS}, or "
                                                                 f"{DP_BINS} under epsilon)")]


class DiscreteNetwork(Synthesizer):
    """What the Bayesian network and the marginal tree share: the columns as codes (bins from
    the data, or under epsilon from the public domains alone), a graph and conditional tables
    learnt from the codes by the subclass (`_learn`), and the model that samples down it."""

    supports_dp = True
    model_class = NetworkModel
    stream: ClassVar[int] = 1  # the fit's random stream, [seed, stream]

    def __init__(self, seed: Seed = 0, bins: Bins = None, epsilon: Epsilon = None, allow_copies: AllowCopies = False,
                 min_group: MinGroup = 1):
        super().__init__(seed, allow_copies, min_group)
        self.bins, self.epsilon = bins, epsilon

    def _fit(self, cols: Columns, n: int, meta: TableMeta, domains: dict[str, Domain] | None) -> NetworkModel:
        rng = np.random.default_rng([self.seed, self.stream])
        acct = Accountant(self.epsilon) if self.epsilon is not None else None
        bins = self.bins or (DP_BINS if acct else BINS)
        disc = {}
        for name, x in cols.items():
            cm = meta.columns.get(name)
            if domains is not None:
                disc[name] = _Discretiser.public(domains[name], bins, bool(cm and cm.integer))
            else:
                disc[name] = _Discretiser.fit(x, bins, (cm.min, cm.max) if cm else (None, None))
        model = NetworkModel(list(cols), disc)
        codes = {name: disc[name].encode(x) for name, x in cols.items()}
        sizes = {name: disc[name].size for name in model.names}
        self._learn(model, codes, sizes, n, rng, acct)
        self.report["fit"] = {
            "order": model.order,
            "parents": model.parents,
            **({"privacy": acct.summary(),
                "public": PUBLIC_FACTS} if acct else {}),
        }
        return model

    def _learn(self, model: NetworkModel, codes: dict[str, np.ndarray], sizes: dict[str, int], n: int,
               rng: np.random.Generator, acct: Accountant | None) -> None:
        """Set the model's order, parents and tables (and, under epsilon, its measurements)."""
        raise NotImplementedError


Degree = Annotated[int, Field(ge=1, le=4, description="most parents a column may have (candidate parent sets "
                                                      "grow as columns ** degree)")]
StructureShare = Annotated[float, Field(gt=0, lt=1, description="share of epsilon spent choosing the structure; "
                                                                "the rest goes to the tables")]


class BayesianNetwork(DiscreteNetwork):
    name = "bayesian_network"

    def __init__(self, seed: Seed = 0, degree: Degree = 2, bins: Bins = None, epsilon: Epsilon = None,
                 structure_share: StructureShare = 0.3, allow_copies: AllowCopies = False, min_group: MinGroup = 1):
        super().__init__(seed, bins, epsilon, allow_copies, min_group)
        self.degree, self.structure_share = degree, structure_share

    def _learn(self, model: NetworkModel, codes: dict[str, np.ndarray], sizes: dict[str, int], n: int,
               rng: np.random.Generator, acct: Accountant | None) -> None:
        model.order, model.parents = self._structure(model.names, codes, sizes, n, rng, acct)
        for i, name in enumerate(model.order):
            model.tables[name] = self._table(model, name, codes, sizes, rng, acct, last=i == len(model.order) - 1)

    def _structure(self, names: list[str], codes: dict[str, np.ndarray], sizes: dict[str, int], n: int,
                   rng: np.random.Generator, acct: Accountant | None) -> tuple[list[str], dict[str, list[str]]]:
        remaining = list(names)
        first = remaining.pop(int(rng.integers(len(remaining))))
        order, parents = [first], {first: []}
        cache: dict[tuple[str, tuple[str, ...]], float] = {}
        steps = len(remaining)
        eps_each = self.epsilon * self.structure_share / steps if acct and steps else 0.0
        max_cells = MAX_CELLS
        if acct is not None:  # keep tables small enough that Laplace noise does not drown them
            eps_tables = self.epsilon * (1 - self.structure_share)
            max_cells = max(int(n * eps_tables / (len(names) * THETA)), 1)
        while remaining:
            k = min(self.degree, len(order))
            candidates = []
            parent_sets = [ps for size in range(1, k + 1) for ps in itertools.combinations(order, size)]
            for x in remaining:
                for ps in parent_sets:
                    cells = sizes[x] * math.prod(sizes[p] for p in ps)
                    if cells > max_cells and ps:
                        continue
                    key = (x, ps)
                    if key not in cache:
                        pc = _combine([codes[p] for p in ps], [sizes[p] for p in ps], n)
                        np_ = math.prod(sizes[p] for p in ps) if ps else 1
                        cache[key] = _mutual_information(codes[x], sizes[x], pc, np_)
                    candidates.append((x, ps, cache[key]))
            if not candidates:  # tables too large: the next column gets no parents
                candidates = [(x, (), 0.0) for x in remaining]
            scores = np.array([c[2] for c in candidates])
            if acct is not None:
                acct.spend("structure: exponential mechanism", eps_each)
                logits = eps_each * scores / (2 * mi_sensitivity(n))
                p = np.exp(logits - logits.max())
                pick = int(rng.choice(len(candidates), p=p / p.sum()))
            else:
                pick = int(np.argmax(scores))
            x, ps, _ = candidates[pick]
            order.append(x)
            parents[x] = list(ps)
            remaining.remove(x)
        return order, parents

    def _table(self, model: NetworkModel, name: str, codes: dict[str, np.ndarray], sizes: dict[str, int],
               rng: np.random.Generator, acct: Accountant | None, last: bool = False) -> np.ndarray:
        ps = model.parents[name]
        np_ = math.prod(sizes[p] for p in ps) if ps else 1
        pc = _combine([codes[p] for p in ps], [sizes[p] for p in ps], len(codes[name]))
        counts = np.bincount(pc * sizes[name] + codes[name], minlength=np_ * sizes[name]).reshape(np_, sizes[name])
        counts = counts.astype(float)
        if acct is not None:
            eps = self.epsilon * (1 - self.structure_share) / len(model.names)
            eps = acct.spend_rest("tables: Laplace") if last else acct.spend("tables: Laplace", eps)
            counts = counts + rng.laplace(0.0, 2.0 / eps, counts.shape)  # substitution: L1 = 2
            model.measurements[f"table:{name}"] = (counts.copy(), 2.0 / eps)  # the released noisy counts, Laplace scale
            counts = np.clip(counts, 0.0, None)
        marginal = counts.sum(0) + 1e-12
        totals = counts.sum(1, keepdims=True)
        # an unseen parent configuration falls back to the column's overall distribution
        probs = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), marginal / marginal.sum())
        return probs


def _combine(parts: list[np.ndarray], sizes: list[int], n: int) -> np.ndarray:
    """Mixed-radix index of several code columns (all zeros when there are none)."""
    out = np.zeros(n, dtype=np.int64)
    for codes, size in zip(parts, sizes):
        out = out * size + codes
    return out
