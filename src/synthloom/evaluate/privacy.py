"""Privacy of a synthetic table against the real (training) rows, on the full data.

- dcr: distance to the closest real record (see distance.py), its distribution, exact
  copies (distance 0) and near copies (below `near` = 1% of the maximum distance);
- nndr: nearest / second-nearest real distance (close to 1: no single real row stands out);
- with a holdout (real rows the synthesizer never saw): the share of synthetic rows closer
  to the training rows than to the holdout rows (ties count half), with a Wilson interval.
  The two sides are compared at equal size (a seeded training sample as large as the holdout,
  averaged over a few draws), because a larger side is closer by its size alone: with training
  four times the holdout, unseen real rows score ~0.7-0.8 on the unbalanced share. At equal
  size 0.5 means no memorisation; the unbalanced share is kept beside it;
- baseline: the median DCR of uniformly random rows, the distance that carries no information."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthloom.evaluate.distance import Encoded, _ranges, encode, nearest
from synthloom.evaluate.fidelity import Column
from synthloom.evaluate.stats import wilson

NEAR = 0.01


def _random_rows(reference: Encoded, n: int, seed: int) -> Encoded:
    rng = np.random.default_rng([seed, 7])
    nums = reference.numbers
    lo = np.nanmin(nums, 0) if nums.shape[1] else np.zeros(0)
    hi = np.nanmax(nums, 0) if nums.shape[1] else np.zeros(0)
    numbers = lo + rng.random((n, nums.shape[1])) * (hi - lo)
    codes = np.column_stack([rng.integers(0, reference.codes[:, j].max() + 1, n) for j in range(reference.codes.shape[1])]) \
        if reference.codes.shape[1] else np.zeros((n, 0), dtype=np.int64)
    return Encoded(numbers, codes)


def _describe(d: np.ndarray) -> dict[str, float]:
    return {
        "median": float(np.median(d)),
        "mean": float(np.mean(d)),
        "p05": float(np.percentile(d, 5)),
        "p95": float(np.percentile(d, 95)),
    }


def privacy(columns: list[Column], holdout: list[Column] | None = None, *, seed: int = 0) -> dict[str, Any]:
    real, syn = encode(columns, "real"), encode(columns, "synthetic")
    d1, d2 = nearest(syn, real)
    n = len(d1)
    exact = int(np.sum(d1 == 0))
    near = int(np.sum(d1 < NEAR))
    with np.errstate(invalid="ignore", divide="ignore"):
        nndr = np.where(d2 > 0, d1 / d2, 1.0)
    baseline = nearest(_random_rows(real, min(n, 10_000), seed), real)[0]
    out: dict[str, Any] = {
        "dcr": {**_describe(d1), "histogram": np.histogram(d1, bins=20, range=(0, 1))[0].tolist()},
        "exact_copies": exact,
        "exact_copy_share": exact / n,
        "exact_copy_share_ci": wilson(exact, n),
        "near_copy_share": near / n,
        "nndr_median": float(np.median(nndr)),
        "baseline_dcr_median": float(np.median(baseline)),
        "dcr_baseline_ratio": float(min(1.0, np.median(d1) / np.median(baseline))) if np.median(baseline) > 0 else float("nan"),
    }
    if holdout is not None:
        hold = encode(holdout, "real")
        # both distances on the training data's scale, so neither side is favoured by its range
        dh, _ = nearest(syn, hold, ranges=_ranges(real))
        # at equal sizes the balanced share is the one of the two searches just made
        share = _closer_share(d1, dh) if len(real.codes) == len(hold.codes) else balanced_holdout_share(
            syn, real, hold, seed)
        out["dcr_holdout_share"] = share
        out["dcr_holdout_share_ci"] = wilson(share * n, n)
        out["dcr_holdout_share_unbalanced"] = _closer_share(d1, dh)
        out["dcr_holdout"] = {**_describe(dh), "histogram": np.histogram(dh, bins=20, range=(0, 1))[0].tolist()}
        out["membership"] = membership_inference(real, hold, syn, seed)
    return out


def _closer_share(d_train: np.ndarray, d_hold: np.ndarray) -> float:
    return float(np.sum(d_train < d_hold) + 0.5 * np.sum(d_train == d_hold)) / len(d_train)


def _rows(data: Encoded, idx: np.ndarray) -> Encoded:
    return Encoded(data.numbers[idx], data.codes[idx])


def balanced_holdout_share(syn: Encoded, train: Encoded, hold: Encoded, seed: int, draws: int = 5) -> float:
    """Share of synthetic rows closer to the training rows than to the holdout, with both sides
    cut to the smaller one's size by seeded draws (the mean over `draws`)."""
    m = min(len(train.codes), len(hold.codes))
    ranges = _ranges(train)
    if len(train.codes) == len(hold.codes):
        return _closer_share(nearest(syn, train, ranges=ranges)[0], nearest(syn, hold, ranges=ranges)[0])
    rng = np.random.default_rng([seed, 11])
    whole: dict[int, np.ndarray] = {}  # the smaller side is drawn whole every time: searched once

    def distances(side: Encoded) -> np.ndarray:
        pick = np.sort(rng.choice(len(side.codes), m, replace=False))
        if m == len(side.codes):
            if id(side) not in whole:
                whole[id(side)] = nearest(syn, side, ranges=ranges)[0]
            return whole[id(side)]
        return nearest(syn, _rows(side, pick), ranges=ranges)[0]

    shares = []
    for _ in range(draws):
        d_train = distances(train)
        shares.append(_closer_share(d_train, distances(hold)))
    return float(np.mean(shares))


def membership_inference(train: Encoded, holdout: Encoded, syn: Encoded, seed: int, size: int = 5_000) -> dict[str, Any]:
    """A distance attack: call a record a member when a synthetic row lies close to it. The ROC
    AUC of that call on training rows (members) against holdout rows (non-members) is 0.5 when
    the synthetic data gives membership away no better than a coin."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng([seed, 13])
    m = min(size, len(train.codes), len(holdout.codes))
    t_rows = rng.choice(len(train.codes), m, replace=False)
    h_rows = rng.choice(len(holdout.codes), m, replace=False)
    queries = Encoded(np.vstack([train.numbers[t_rows], holdout.numbers[h_rows]]),
                      np.vstack([train.codes[t_rows], holdout.codes[h_rows]]))
    d, _ = nearest(queries, syn, ranges=_ranges(train))
    labels = np.r_[np.ones(m), np.zeros(m)]
    auc = float(roc_auc_score(labels, -d))
    return {"attack": "distance to the closest synthetic row", "records": 2 * m, "auc": auc,
            "advantage": max(0.0, 2 * auc - 1)}
