"""The two nearest reference rows of each query by measuring every (query, reference) pair, for
searches small enough that this beats nearest_rows' level-by-level search (which pays Python
work per signature group: a mixed table of a few thousand rows has about a thousand groups,
and random rows, such as the privacy baseline's, open many levels).

The distance is nearest_rows' record distance, summed in the same order (numeric columns
first to last, then the categories that differ, then divided by the column count), so a pair
measured here and there gives the same float. Two rewrites make a column a few numpy passes:
a missing number becomes a value far outside every row's range (so missing against present
is capped at 1 and missing against missing is 0), and the categories that match are a dot
product of one-hot codes."""

from __future__ import annotations

from typing import Any

import numpy as np

BLOCK_CELLS = 2_000_000  # (query, reference) pairs per numpy step


def _with_missing_far(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sides with each column's NaN replaced by a value more than the column's whole span
    away from every present value (of either side)."""
    q, r = q.copy(), r.copy()
    for j in range(q.shape[1]):
        present = np.concatenate([q[:, j], r[:, j]])
        present = present[~np.isnan(present)]
        lo, hi = (present.min(), present.max()) if present.size else (0.0, 0.0)
        far = lo - 2.0 * (hi - lo) - 1.0
        q[np.isnan(q[:, j]), j] = far
        r[np.isnan(r[:, j]), j] = far
    return q, r


def _one_hot(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    parts_q, parts_r = [], []
    for j in range(q.shape[1]):
        values = np.unique(np.concatenate([q[:, j], r[:, j]]))
        parts_q.append((q[:, j][:, None] == values[None, :]).astype(np.float64))
        parts_r.append((r[:, j][:, None] == values[None, :]).astype(np.float64))
    if not parts_q:
        return np.zeros((len(q), 0)), np.zeros((len(r), 0))
    return np.hstack(parts_q), np.hstack(parts_r)


def two_nearest_all_pairs(q_numbers: np.ndarray, q_codes: np.ndarray, r_numbers: np.ndarray, r_codes: np.ndarray,
                          ranges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) distances to the two nearest reference rows of each query (inf past the
    reference's size), and their indices (-1 there)."""
    n, m = len(q_codes), len(r_codes)
    best = np.full((n, 2), np.inf)
    best_i = np.full((n, 2), -1, dtype=np.int64)
    if not n or not m:
        return best, best_i
    qn, rn = _with_missing_far(q_numbers.astype(float), r_numbers.astype(float))
    # A zero range counts any difference as 1: a tiny divisor sends any difference past the cap.
    divisor = np.where(ranges > 0, ranges, np.finfo(float).tiny)
    oq, orf = _one_hot(q_codes, r_codes)
    k_cat, n_cols = q_codes.shape[1], q_numbers.shape[1] + q_codes.shape[1]
    step = max(1, BLOCK_CELLS // m)
    work = np.empty((min(step, n), m))
    k = min(2, m)
    for s in range(0, n, step):
        b = min(step, n - s)
        total, w = np.zeros((b, m)), work[:b]
        for j in range(qn.shape[1]):
            np.subtract(qn[s:s + b, j][:, None], rn[None, :, j], out=w)
            np.abs(w, out=w)
            with np.errstate(over="ignore"):  # past the cap either way
                np.divide(w, divisor[j], out=w)
            np.minimum(w, 1.0, out=w)
            total += w
        if k_cat:
            total += k_cat - oq[s:s + b] @ orf.T  # whole numbers, exact
        total /= n_cols
        _two_smallest_into(total, best[s:s + b], best_i[s:s + b], k)
    return best, best_i


def _two_smallest_into(d: np.ndarray, best: Any, best_i: Any, k: int) -> None:
    rows = np.arange(len(d))[:, None]
    pick = np.argpartition(d, 1, axis=1)[:, :2] if d.shape[1] > 2 else np.broadcast_to(np.arange(k), (len(d), k))
    chosen = d[rows, pick]
    order = np.lexsort((pick, chosen))  # by distance, then the lower index: ties resolve the same way every time
    best[:, :k] = chosen[rows, order]
    best_i[:, :k] = pick[rows, order]
