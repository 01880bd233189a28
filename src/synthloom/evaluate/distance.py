"""Exact nearest neighbours under SDMetrics' mixed-type record distance, on the full data.

distance(a, b) = mean over columns of: numbers and datetimes min(|a - b| / range, 1) with the
range of the reference table (a zero range counts any difference as 1), 1 when exactly one
value is missing and 0 when both are; categories 0 if equal (missing equals missing), else 1.

Search: rows are grouped by their categorical signature. A query's distance to a reference
row is at least (categories that differ) / (columns), so reference rows are visited level by
level (0, 1, 2... differing categories) and the search stops once the second-best distance
found is within the next level's bound. Most queries only scan rows that share their
signature, and queries with the same signature are scanned together; the result is exact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthloom.evaluate.fidelity import Column

BLOCK_CELLS = 4_000_000  # queries x candidates x numeric columns per numpy step


@dataclass
class Encoded:
    numbers: np.ndarray  # (n, k_num) float, NaN for missing
    codes: np.ndarray  # (n, k_cat) int, missing has its own code


def encode(columns: list[Column], which: str) -> Encoded:
    nums = [getattr(c, which) for c in columns if c.kind == "numerical"]
    cats = [getattr(c, which) for c in columns if c.kind == "categorical"]
    n = len(getattr(columns[0], which))
    return Encoded(
        np.column_stack(nums).astype(float) if nums else np.zeros((n, 0)),
        np.column_stack(cats).astype(np.int64) if cats else np.zeros((n, 0), dtype=np.int64),
    )


def _ranges(reference: Encoded) -> np.ndarray:
    if reference.numbers.shape[1] == 0:
        return np.zeros(0)
    with np.errstate(all="ignore"):
        return np.nanmax(reference.numbers, 0) - np.nanmin(reference.numbers, 0)


def _numeric_part(q: np.ndarray, r: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Sum over numeric columns of the per-column distance, for every (query, reference) pair."""
    total = np.zeros((q.shape[0], r.shape[0]))
    for j in range(q.shape[1]):
        a, b = q[:, j][:, None], r[:, j][None, :]
        with np.errstate(invalid="ignore"):
            diff = np.abs(a - b)
            d = (diff > 0).astype(float) if ranges[j] == 0 else np.minimum(diff / ranges[j], 1.0)
        na, nb = np.isnan(a), np.isnan(b)
        d = np.where(na ^ nb, 1.0, np.where(na & nb, 0.0, d))
        total += d
    return total


def nearest(queries: Encoded, reference: Encoded, *, exclude_self: bool = False,
            ranges: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances to the nearest and second-nearest reference rows, for every query row.
    `ranges` scale the numeric columns (default: the reference's own, as SDMetrics does).
    With exclude_self (queries == reference), a row is not its own neighbour."""
    n_cols = queries.numbers.shape[1] + queries.codes.shape[1]
    ranges = _ranges(reference) if ranges is None else ranges
    best = np.full((len(queries.codes), 2), np.inf)
    # group the reference by categorical signature
    sig_ref, group_of = np.unique(reference.codes, axis=0, return_inverse=True)
    group_of = group_of.ravel()
    order = np.argsort(group_of, kind="stable")
    starts = np.searchsorted(group_of[order], np.arange(len(sig_ref) + 1))
    sig_q, q_group = np.unique(queries.codes, axis=0, return_inverse=True)
    q_group = q_group.ravel()
    q_order = np.argsort(q_group, kind="stable")
    q_starts = np.searchsorted(q_group[q_order], np.arange(len(sig_q) + 1))
    n_num = max(1, queries.numbers.shape[1])
    for g in range(len(sig_q)):
        rows = q_order[q_starts[g]:q_starts[g + 1]]
        mismatches = (sig_ref != sig_q[g]).sum(1) if sig_ref.shape[1] else np.zeros(len(sig_ref), dtype=int)
        local = np.full((len(rows), 2), np.inf)
        # all groups that differ in m categories form one level; levels in increasing m
        for m in np.unique(mismatches):
            open_ = np.flatnonzero(local[:, 1] > m / n_cols)  # queries a row at this level could still improve
            if open_.size == 0:
                break
            q = rows[open_]
            cand = np.concatenate([order[starts[h]:starts[h + 1]] for h in np.flatnonzero(mismatches == m)])
            step = max(1, BLOCK_CELLS // (len(q) * n_num))
            found = local[open_]
            for c0 in range(0, len(cand), step):
                c = cand[c0:c0 + step]
                d = (_numeric_part(queries.numbers[q], reference.numbers[c], ranges) + m) / n_cols
                if exclude_self:
                    d[q[:, None] == c[None, :]] = np.inf
                found = _merge_two_smallest(found, d)
            local[open_] = found
        best[rows] = local
    return best[:, 0], best[:, 1]


def _merge_two_smallest(current: np.ndarray, d: np.ndarray) -> np.ndarray:
    if d.shape[1] >= 2:
        two = np.partition(d, 1, axis=1)[:, :2]
    else:
        two = np.concatenate([d, np.full((d.shape[0], 1), np.inf)], axis=1)
    both = np.concatenate([current, two], axis=1)
    both.sort(axis=1)
    return both[:, :2]
