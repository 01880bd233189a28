"""MST-style marginal synthesizer (McKenna et al., 2021, simplified to pure epsilon-DP).

Measure every column's 1-way marginal and the 2-way marginals on a maximum spanning tree of
mutual information (chosen privately with the exponential mechanism), make each 2-way table
agree with its two 1-way tables by iterative proportional fitting, and sample down the tree.
Measuring every 1-way marginal is what keeps column shapes accurate under a small epsilon,
where PrivBayes-style networks only see each column through a noisy conditional table."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, Field

from synthloom.tabular.base import AllowCopies, Epsilon, MinGroup, Seed
from synthloom.tabular.bayesnet import Bins, DiscreteNetwork, NetworkModel, _mutual_information
from synthloom.tabular.privacy import Accountant, mi_sensitivity

IPF_ROUNDS = 20
PositiveShare = Annotated[float, Field(gt=0, le=1)]


def _shares_sum_to_one(shares: tuple[float, float, float]) -> tuple[float, float, float]:
    if abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"the three shares of epsilon must add up to 1, not {sum(shares):.6g}")
    return shares


Shares = Annotated[tuple[PositiveShare, PositiveShare, PositiveShare], AfterValidator(_shares_sum_to_one), Field(
    description="shares of epsilon for the tree, the one-way and the two-way marginals (adding up to 1)")]


class MarginalTree(DiscreteNetwork):
    name = "marginal_tree"
    stream = 2

    def __init__(self, seed: Seed = 0, bins: Bins = None, epsilon: Epsilon = None, shares: Shares = (0.2, 0.4, 0.4),
                 allow_copies: AllowCopies = False, min_group: MinGroup = 1):
        super().__init__(seed, bins, epsilon, allow_copies, min_group)
        self.shares = tuple(shares)

    def _learn(self, model: NetworkModel, codes: dict[str, np.ndarray], sizes: dict[str, int], n: int,
               rng: np.random.Generator, acct: Accountant | None) -> None:
        d = len(model.names)
        eps_tree, eps_one, eps_two = ((self.epsilon or 0.0) * s for s in self.shares)
        # 1-way marginals of every column
        ones = {}
        for name in model.names:
            counts = np.bincount(codes[name], minlength=sizes[name]).astype(float)
            if acct is not None:
                e = acct.spend("one-way: Laplace", eps_one / d)
                counts = counts + rng.laplace(0.0, 2.0 / e, counts.shape)
                model.measurements[f"one-way:{name}"] = (counts.copy(), 2.0 / e)
                counts = np.clip(counts, 0.0, None)
            ones[name] = counts / max(counts.sum(), 1e-12)
        model.order, model.parents = self._tree(model.names, codes, sizes, n, rng, acct, eps_tree)
        model.tables = {model.order[0]: ones[model.order[0]][None, :]}
        edges = model.order[1:]
        for i, child in enumerate(edges):
            parent = model.parents[child][0]
            joint = np.bincount(codes[parent] * sizes[child] + codes[child],
                                minlength=sizes[parent] * sizes[child]).reshape(sizes[parent], sizes[child]).astype(float)
            if acct is not None:
                last = i == len(edges) - 1
                e = acct.spend_rest("two-way: Laplace") if last else acct.spend("two-way: Laplace", eps_two / len(edges))
                joint = joint + rng.laplace(0.0, 2.0 / e, joint.shape)
                model.measurements[f"two-way:{parent}>{child}"] = (joint.copy(), 2.0 / e)
                joint = np.clip(joint, 0.0, None)
            joint = _ipf(joint, ones[parent], ones[child])
            rows = joint.sum(1, keepdims=True)
            model.tables[child] = np.where(rows > 0, joint / np.where(rows > 0, rows, 1), ones[child][None, :])
        if acct is not None and not edges:  # a single column: the tree budget is unused, give it to the marginal
            acct.spend_rest("one-way: Laplace (unused tree budget)")

    def _tree(self, names: list[str], codes: dict[str, np.ndarray], sizes: dict[str, int], n: int,
              rng: np.random.Generator, acct: Accountant | None, eps_tree: float) -> tuple[list[str], dict[str, list[str]]]:
        """Prim's algorithm on mutual information; each step picks an edge privately."""
        weights: dict[tuple[str, str], float] = {}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                w = _mutual_information(codes[a], sizes[a], codes[b], sizes[b])
                weights[(a, b)] = weights[(b, a)] = w
        root = names[int(rng.integers(len(names)))]
        order, parents = [root], {root: []}
        steps = len(names) - 1
        while len(order) < len(names):
            candidates = [(p, c) for p in order for c in names if c not in parents]
            scores = np.array([weights[e] for e in candidates])
            if acct is not None:
                e = acct.spend("tree: exponential mechanism", eps_tree / steps)
                logits = e * scores / (2 * mi_sensitivity(n))
                prob = np.exp(logits - logits.max())
                pick = int(rng.choice(len(candidates), p=prob / prob.sum()))
            else:
                pick = int(np.argmax(scores))
            p, c = candidates[pick]
            order.append(c)
            parents[c] = [p]
        return order, parents


def _ipf(joint: np.ndarray, row_target: np.ndarray, col_target: np.ndarray) -> np.ndarray:
    """Scale a 2-way table until its margins match the 1-way tables (as probabilities)."""
    t = joint + 1e-9
    t /= t.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(IPF_ROUNDS):
            rows = t.sum(1, keepdims=True)
            t *= np.where(rows > 0, row_target[:, None] / rows, 0.0)
            cols = t.sum(0, keepdims=True)
            t *= np.where(cols > 0, col_target[None, :] / cols, 0.0)
    return np.nan_to_num(t)


__all__ = ["MarginalTree"]
