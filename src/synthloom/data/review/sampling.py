"""What a review of a sample says about the whole: the acceptance rate's Wilson interval, how many
rows to review for an interval of a given width, and the samples review queues are made of
(uniform, stratified by a group, riskiest first). Every sample is seeded, so two reviewers given
the same queue see the same rows."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from statistics import NormalDist
from typing import TypeVar

T = TypeVar("T")


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(accepted: int, reviewed: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of an acceptance rate; None before any row is reviewed."""
    if reviewed <= 0:
        return None
    z = _z(confidence)
    p = accepted / reviewed
    denominator = 1 + z * z / reviewed
    centre = (p + z * z / (2 * reviewed)) / denominator
    half = z * math.sqrt(p * (1 - p) / reviewed + z * z / (4 * reviewed * reviewed)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def sample_size(population: int, margin: float = 0.05, confidence: float = 0.95, expected: float = 0.5) -> int:
    """Rows to review so the acceptance rate is known within ±margin (normal approximation, with
    the finite-population correction); `expected` 0.5 is the cautious guess."""
    if population <= 0:
        return 0
    z = _z(confidence)
    infinite = z * z * expected * (1 - expected) / (margin * margin)
    return min(population, math.ceil(infinite / (1 + (infinite - 1) / population)))


def uniform(items: Sequence[T], n: int, seed: int = 0) -> list[T]:
    """n items drawn without replacement, in a seeded random order."""
    return random.Random(seed).sample(list(items), min(n, len(items)))


def stratified(items: Sequence[T], n: int, group: Callable[[T], Hashable], seed: int = 0) -> list[T]:
    """n items with every group represented in proportion to its size (at least one each while n
    allows; the largest remainders get the rest), interleaved so a queue cut short stays mixed."""
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        groups[group(item)].append(item)
    n = min(n, len(items))
    if n == 0:
        return []
    keys = sorted(groups, key=str)
    total = len(items)
    shares = {k: n * len(groups[k]) / total for k in keys}
    quota = {k: min(len(groups[k]), max(1, math.floor(shares[k]))) for k in keys}
    while sum(quota.values()) > n:  # more groups than rows: the smallest shares give way
        k = min((k for k in keys if quota[k] > 0), key=lambda k: (shares[k], str(k)))
        quota[k] -= 1
    for k in sorted(keys, key=lambda k: (-(shares[k] - math.floor(shares[k])), str(k))):
        if sum(quota.values()) >= n:
            break
        if quota[k] < len(groups[k]):
            quota[k] += 1
    rng = random.Random(seed)
    picked = {k: rng.sample(groups[k], quota[k]) for k in keys}
    out: list[T] = []
    for round_ in range(max(quota.values(), default=0)):
        out.extend(picked[k][round_] for k in keys if round_ < len(picked[k]))
    return out


def riskiest_first(items: Sequence[T], risk: Callable[[T], float], n: int | None = None) -> list[T]:
    """Items by falling risk (ties keep their order); risk 0 items come last."""
    ranked = sorted(enumerate(items), key=lambda pair: (-risk(pair[1]), pair[0]))
    out = [item for _, item in ranked]
    return out if n is None else out[:n]


def assigned(row_id: str, reviewers: Sequence[str], k: int) -> list[str]:
    """The k reviewers a row goes to (rendezvous hashing: each reviewer's hash with the row id,
    highest first), so every row is seen by k people, the load is even, and adding a reviewer
    moves only the rows that now go to them."""
    import hashlib

    def score(who: str) -> bytes:
        return hashlib.sha256(f"{who}\0{row_id}".encode()).digest()

    return sorted(reviewers, key=score, reverse=True)[:k]
