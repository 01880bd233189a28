"""Exact nearest neighbours of table rows under SDMetrics' mixed-type record distance, on the full data.

distance(a, b) = mean over columns of: numbers and datetimes min(|a - b| / range, 1) with the
range of the reference table (a zero range counts any difference as 1), 1 when exactly one
value is missing and 0 when both are; categories 0 if equal (missing equals missing), else 1.

Search: rows are grouped by their categorical signature. A query's distance to a reference
row is at least (categories that differ) / (columns), so reference rows are visited level by
level (0, 1, 2... differing categories) and the search stops once the second-best distance
found is within the next level's bound. Most queries only scan rows that share their
signature, and queries with the same signature are scanned together; the result is exact.
Searches of up to ALL_PAIRS_MAX pairs over small groups measure every pair instead
(all_pairs.py), which is faster there and gives the same distances."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthloom.data.table_analysis.all_pairs import two_nearest_all_pairs
from synthloom.data.table_analysis.unique_rows import unique_rows

BLOCK_CELLS = 4_000_000  # queries x candidates x numeric columns per numpy step
TREE_MIN = 2_000  # same-signature groups at least this large are searched with a KD-tree
PAIR_STEP = 2_000_000  # (query, reference row) pairs measured in one numpy pass
# Searches of at most this many (query, reference) pairs, with no group large enough for a
# KD-tree, measure every pair (all_pairs.py): about 30 ns a pair here, where the level search
# pays per signature group and per level.
ALL_PAIRS_MAX = 25_000_000
GROUP_TREE_MIN = 64  # nearest_in_signature: groups at least this large get a KD-tree, smaller ones pairs


@dataclass
class Encoded:
    numbers: np.ndarray  # (n, k_num) float, NaN for missing
    codes: np.ndarray  # (n, k_cat) int, missing has its own code


def _ranges(reference: Encoded) -> np.ndarray:
    if reference.numbers.shape[1] == 0:
        return np.zeros(0)
    with np.errstate(all="ignore"):
        return np.nanmax(reference.numbers, 0) - np.nanmin(reference.numbers, 0)


def _column_distance(a: np.ndarray, b: np.ndarray, column_range: float) -> np.ndarray:
    """One numeric column's distance, elementwise (a and b broadcast): |a - b| / range capped at
    1 (any difference is 1 on a zero range), 1 when exactly one is missing, 0 when both are."""
    with np.errstate(invalid="ignore"):
        diff = np.abs(a - b)
        d = (diff > 0).astype(float) if column_range == 0 else np.minimum(diff / column_range, 1.0)
    na, nb = np.isnan(a), np.isnan(b)
    return np.where(na ^ nb, 1.0, np.where(na & nb, 0.0, d))


def _numeric_part(q: np.ndarray, r: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Sum over numeric columns of the per-column distance, for every (query, reference) pair."""
    total = np.zeros((q.shape[0], r.shape[0]))
    for j in range(q.shape[1]):
        total += _column_distance(q[:, j][:, None], r[:, j][None, :], ranges[j])
    return total


def nearest(queries: Encoded, reference: Encoded, *, ranges: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distances to the nearest and second-nearest reference rows, for every query row.
    `ranges` scale the numeric columns (default: the reference's own, as SDMetrics does)."""
    (d1, d2), _ = nearest_with_index(queries, reference, ranges=ranges)
    return d1, d2


def nearest_with_index(queries: Encoded, reference: Encoded, *, ranges: np.ndarray | None = None
                       ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """As nearest(), plus the index of each query's nearest reference row."""
    best, best_i = two_nearest(queries, reference, ranges=ranges)
    return (best[:, 0], best[:, 1]), best_i[:, 0]


def two_nearest(queries: Encoded, reference: Encoded, *, ranges: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) distances to the nearest and second-nearest reference rows, and their indices.
    Equal rows are searched once, on either side (a discrete table such as randhie is half
    repeats): a reference row held twice is its own second nearest. Distinct queries are
    searched in chunks of QUERY_CHUNK, each alone, so the result is the same whoever searches
    each chunk: the chunk runner in SEARCH_CHUNKS (default: this process; the evaluation's
    `--executor ray` sets one that sends the chunks to Ray workers)."""
    ranges = _ranges(reference) if ranges is None else ranges
    ref = _Distinct.of(reference)
    asked = _Distinct.of(queries)
    prepared = PreparedReference.of(ref.rows, ranges)
    rows = asked.rows
    chunks = [Encoded(rows.numbers[s:s + QUERY_CHUNK], rows.codes[s:s + QUERY_CHUNK])
              for s in range(0, len(rows.codes), QUERY_CHUNK)]
    runner = SEARCH_CHUNKS.get()
    parts = runner(prepared, chunks) if runner is not None and len(chunks) > 1 else [prepared.search(c) for c in chunks]
    if not parts:
        return np.full((0, 2), np.inf), np.full((0, 2), -1, dtype=np.int64)
    best, best_i = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    best, best_i = ref.as_all_rows(best, best_i)
    return best[asked.inverse], best_i[asked.inverse]


@dataclass
class _Distinct:
    """A table's distinct rows (missing equals missing), where each first and second occurs,
    and which distinct row each row is."""

    rows: Encoded
    first: np.ndarray
    second: np.ndarray  # -1 for a row held once
    inverse: np.ndarray

    @classmethod
    def of(cls, data: Encoded) -> "_Distinct":
        n = len(data.codes)
        missing = np.isnan(data.numbers)
        key = np.hstack([np.where(missing, 0.0, data.numbers), missing, data.codes])
        _, first, inverse, counts = unique_rows(key)
        second = np.full(len(first), -1, dtype=np.int64)
        if (counts > 1).any():  # the second occurrence: the first row of its kind that is not the first
            later = np.ones(n, dtype=bool)
            later[first] = False
            rows = np.flatnonzero(later)
            kinds = inverse[rows]
            _, at = np.unique(kinds, return_index=True)
            second[kinds[at]] = rows[at]
        return cls(Encoded(data.numbers[first], data.codes[first]), first, second, inverse)

    def as_all_rows(self, best: np.ndarray, best_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two nearest distinct rows -> two nearest rows: a nearest row held twice is also the
        second nearest."""
        i1, i2 = best_i[:, 0], best_i[:, 1]
        twice = (i1 >= 0) & (self.second[np.maximum(i1, 0)] >= 0)
        d = best.copy()
        d[twice, 1] = best[twice, 0]
        index = np.full_like(best_i, -1)
        index[i1 >= 0, 0] = self.first[i1[i1 >= 0]]
        index[twice, 1] = self.second[i1[twice]]
        once = ~twice & (i2 >= 0)
        index[once, 1] = self.first[i2[once]]
        return d, index


QUERY_CHUNK = 50_000  # queries searched at once: the unit a worker searches
# (prepared reference, query chunks) -> each chunk's (distances, indices), in order
SEARCH_CHUNKS: contextvars.ContextVar[Callable[["PreparedReference", list[Encoded]], list[tuple[np.ndarray, np.ndarray]]]
                                      | None] = contextvars.ContextVar("synthloom_search_chunks", default=None)


@dataclass
class PreparedReference:
    """The reference rows grouped by signature, once for every chunk of queries; it pickles
    (KD-trees are built where they are used, and kept there)."""

    reference: Encoded
    ranges: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sig_ref: np.ndarray  # each distinct signature
    order: np.ndarray  # reference rows by signature
    starts: np.ndarray  # where each signature's rows start in `order`
    _trees: dict[int, Any] = field(default_factory=dict, repr=False)  # KD-trees built here, per group

    @classmethod
    def of(cls, reference: Encoded, ranges: np.ndarray | None = None) -> "PreparedReference":
        ranges = _ranges(reference) if ranges is None else ranges
        lo = np.nanmin(reference.numbers, 0) if reference.numbers.shape[1] else np.zeros(0)
        # A signature is the categorical codes plus which numbers are missing: rows whose
        # signatures differ in m places are at least m / n_cols apart.
        ref_sig = np.hstack([reference.codes, np.isnan(reference.numbers)]).astype(np.int64)
        sig_ref, _, group_of, _ = unique_rows(ref_sig)
        order = np.argsort(group_of, kind="stable")
        starts = np.searchsorted(group_of[order], np.arange(len(sig_ref) + 1))
        return cls(reference, ranges, lo, lo + ranges, sig_ref, order, starts)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_trees": {}}  # a tree is rebuilt where it is needed, not shipped

    def search(self, queries: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """(n, 2) distances to the two nearest reference rows of each query, and their indices."""
        if self._all_pairs_pays(len(queries.codes)):
            return two_nearest_all_pairs(queries.numbers, queries.codes, self.reference.numbers, self.reference.codes,
                                         self.ranges)
        reference, ranges, sig_ref, order, starts = self.reference, self.ranges, self.sig_ref, self.order, self.starts
        n_cols = queries.numbers.shape[1] + queries.codes.shape[1]
        best = np.full((len(queries.codes), 2), np.inf)
        best_i = np.full((len(queries.codes), 2), -1, dtype=np.int64)
        q_sig = np.hstack([queries.codes, np.isnan(queries.numbers)]).astype(np.int64)
        if not len(q_sig):
            return best, best_i
        sig_q, _, q_group, _ = unique_rows(q_sig)
        q_order = np.argsort(q_group, kind="stable")
        q_starts = np.searchsorted(q_group[q_order], np.arange(len(sig_q) + 1))
        n_num = max(1, queries.numbers.shape[1])
        k_cat = queries.codes.shape[1]
        trees = self._trees
        for g in range(len(sig_q)):
            rows = q_order[q_starts[g]:q_starts[g + 1]]
            mismatches = (sig_ref != sig_q[g]).sum(1) if sig_ref.shape[1] else np.zeros(len(sig_ref), dtype=int)
            # _numeric_part counts missing-vs-present itself; only categories are added to it
            cat_mismatches = (sig_ref[:, :k_cat] != sig_q[g][:k_cat]).sum(1)
            local = np.full((len(rows), 2), np.inf)
            local_i = np.full((len(rows), 2), -1, dtype=np.int64)
            for m in np.unique(mismatches):  # levels in increasing m
                open_ = np.flatnonzero(local[:, 1] > m / n_cols)  # queries a row at this level could still improve
                if open_.size == 0:
                    break
                q = rows[open_]
                found, found_i = local[open_], local_i[open_]
                small, small_cat = [], []
                for h in np.flatnonzero(mismatches == m):
                    members = order[starts[h]:starts[h + 1]]
                    if len(members) >= TREE_MIN and m == 0:
                        td, ti = _tree_distances(trees, h, members, queries.numbers[q], reference.numbers, ranges,
                                                 self.lo, self.hi, n_cols)
                        found, found_i = _merge_two_smallest(found, td, found_i, ti)
                    else:
                        small.append(members)
                        small_cat.append(np.full(len(members), cat_mismatches[h]))
                if small:
                    cand, cand_cat = np.concatenate(small), np.concatenate(small_cat)
                    step = max(1, BLOCK_CELLS // (len(q) * n_num))
                    for c0 in range(0, len(cand), step):
                        c = cand[c0:c0 + step]
                        d = (_numeric_part(queries.numbers[q], reference.numbers[c], ranges) + cand_cat[c0:c0 + step]) / n_cols
                        found, found_i = _merge_two_smallest(found, d, found_i, np.broadcast_to(c, d.shape))
                local[open_], local_i[open_] = found, found_i
            best[rows], best_i[rows] = local, local_i
        return best, best_i

    def _all_pairs_pays(self, n_queries: int) -> bool:
        """Whether measuring every pair beats the level search: a small search, and no group
        large enough for a KD-tree (one finds a numeric table's neighbours far faster)."""
        largest = int(np.diff(self.starts).max()) if len(self.starts) > 1 else 0
        return n_queries * len(self.reference.codes) <= ALL_PAIRS_MAX and largest < TREE_MIN

    def closer_than(self, queries: Encoded, radius: float) -> np.ndarray:
        """Whether each query has a reference row at a distance below `radius`, or at 0 (a copy).
        A row of another signature is at least 1 / n_cols away, so for a radius up to that (the
        copy guard's) only the query's own signature group is searched."""
        n_cols = queries.numbers.shape[1] + queries.codes.shape[1]
        if radius * n_cols > 1:
            d = self.search(queries)[0][:, 0]
            return (d < radius) | (d <= 0)
        hit = np.zeros(len(queries.codes), dtype=bool)
        if not len(queries.codes) or not len(self.sig_ref):
            return hit
        group, size = self._own_groups(queries)
        for h in np.unique(group[size >= GROUP_TREE_MIN]):
            rows = np.flatnonzero(group == h)
            hit[rows] = self._within_by_tree(h, queries.numbers[rows], radius * n_cols)
        small = np.flatnonzero((size > 0) & (size < GROUP_TREE_MIN))
        if small.size:
            d = self._two_nearest_small(queries.numbers, small, group, size, n_cols)[:, 0]
            hit[small] = (d < radius) | (d <= 0)
        return hit

    def _within_by_tree(self, h: int, numbers: np.ndarray, radius_sum: float) -> np.ndarray:
        """Whether each query (of group h's signature) has a member whose summed per-column
        distance is below radius_sum (at most 1), or 0. No column of such a member differs by
        the whole range, so the cap at 1 never binds and plain L1 on the scaled numbers decides
        exactly; a column constant in the reference must hold the constant."""
        members = self.order[self.starts[h]:self.starts[h + 1]]
        first = self.reference.numbers[members[0]]
        present = ~np.isnan(first)
        live, flat = present & (self.ranges > 0), present & (self.ranges == 0)
        key = ("within", h)
        if key not in self._trees:
            from scipy.spatial import cKDTree

            self._trees[key] = cKDTree(self.reference.numbers[members][:, live] / self.ranges[live])
        ok = np.all(numbers[:, flat] == first[flat], axis=1)
        out = np.zeros(len(numbers), dtype=bool)
        if ok.any():
            # the nearest member, looked for only up to the radius: the bound prunes most of the tree
            bound = max(radius_sum, np.finfo(float).tiny)
            d, _ = self._trees[key].query(numbers[ok][:, live] / self.ranges[live], k=1, p=1, distance_upper_bound=bound)
            out[ok] = (d < radius_sum) | (d <= 0)
        return out

    def nearest_in_signature(self, queries: Encoded) -> np.ndarray:
        """(n, 2) distances to the two nearest reference rows that share the query's signature
        (inf where there are fewer). Every other row is at least 1 / n_cols away, so a distance
        below that is the exact nearest. Groups of a few rows are measured pair by pair in one
        numpy pass over all queries, larger ones with a KD-tree each (kept for the next call)."""
        n_cols = queries.numbers.shape[1] + queries.codes.shape[1]
        out = np.full((len(queries.codes), 2), np.inf)
        if not len(queries.codes) or not len(self.sig_ref):
            return out
        group, size = self._own_groups(queries)
        for h in np.unique(group[size >= GROUP_TREE_MIN]):
            rows = np.flatnonzero(group == h)
            members = self.order[self.starts[h]:self.starts[h + 1]]
            out[rows], _ = _tree_distances(self._trees, h, members, queries.numbers[rows], self.reference.numbers,
                                           self.ranges, self.lo, self.hi, n_cols)
        small = np.flatnonzero((size > 0) & (size < GROUP_TREE_MIN))
        if small.size:
            out[small] = self._two_nearest_small(queries.numbers, small, group, size, n_cols)
        return out

    def _own_groups(self, queries: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Each query's reference group (its own signature's; -1 for none) and that group's size."""
        group = _group_of(np.hstack([queries.codes, np.isnan(queries.numbers)]).astype(np.int64), self.sig_ref)
        return group, np.where(group >= 0, self.starts[group + 1] - self.starts[group], 0)

    def _two_nearest_small(self, numbers: np.ndarray, small: np.ndarray, group: np.ndarray, size: np.ndarray,
                           n_cols: int) -> np.ndarray:
        """nearest_in_signature for queries whose groups are small, PAIR_STEP pairs at a time."""
        out = np.full((len(small), 2), np.inf)
        bounds = np.searchsorted(np.cumsum(size[small]), np.arange(PAIR_STEP, size[small].sum() + PAIR_STEP,
                                                                    PAIR_STEP), side="right")
        for lo, hi in zip(np.concatenate([[0], bounds[:-1]]), bounds):
            rows = small[lo:hi]
            if rows.size:
                out[lo:hi] = self._two_nearest_pairwise(numbers, rows, group[rows], size[rows], n_cols)
        return out

    def _two_nearest_pairwise(self, numbers: np.ndarray, rows: np.ndarray, groups: np.ndarray, sizes: np.ndarray,
                              n_cols: int) -> np.ndarray:
        """The two nearest members of each query's own (small) group: every (query, member)
        pair at once, then the two smallest per query."""
        q = np.repeat(np.arange(len(rows)), sizes)
        first = np.repeat(self.starts[groups], sizes)
        offset = np.arange(len(q)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        members = self.order[first + offset]
        d = _paired_numeric_part(numbers[rows[q]], self.reference.numbers[members], self.ranges) / n_cols
        order = np.lexsort((d, q))  # by query, nearest first
        d, q = d[order], q[order]
        starts = np.searchsorted(q, np.arange(len(rows)))
        out = np.full((len(rows), 2), np.inf)
        out[:, 0] = d[starts]
        second = starts + 1
        has_second = sizes > 1
        out[has_second, 1] = d[second[has_second]]
        return out


def _group_of(q_sig: np.ndarray, sig_ref: np.ndarray) -> np.ndarray:
    """The index in sig_ref (rows in unique_rows' order) of each query signature, -1
    where the reference has none."""
    both, _, inverse, _ = unique_rows(np.vstack([sig_ref, q_sig]))
    ref_index = np.full(len(both), -1)
    ref_index[inverse[:len(sig_ref)]] = np.arange(len(sig_ref))
    return ref_index[inverse[len(sig_ref):]]


def _paired_numeric_part(a: np.ndarray, b: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """As _numeric_part, for row i of `a` against row i of `b` only."""
    return sum((_column_distance(a[:, j], b[:, j], ranges[j]) for j in range(a.shape[1])), np.zeros(len(a)))


def _tree_distances(trees: dict[int, Any], h: int, members: np.ndarray, q: np.ndarray, ref: np.ndarray,
                    ranges: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Two nearest rows of one large same-signature group, by a KD-tree (scipy's) in L1 on the scaled
    present numbers (both rows miss the same numbers here, which then contribute 0). The
    per-column cap at 1 only binds for values outside the reference range: those queries
    are measured by brute force instead, so the result stays exact."""
    present = ~np.isnan(ref[members[0]])
    out_i = np.full((len(q), 2), -1, dtype=np.int64)
    scale = np.where(ranges[present] > 0, ranges[present], 1.0)
    if h not in trees:
        from scipy.spatial import cKDTree

        trees[h] = cKDTree(ref[members][:, present] / scale)
    out = np.full((len(q), 2), np.inf)
    qp = q[:, present]
    inside = np.all((qp >= lo[present]) & (qp <= hi[present]), axis=1) & np.all(ranges[present] > 0)
    if inside.any():
        k = min(2, len(members))
        d, i = trees[h].query(qp[inside] / scale, k=list(range(1, k + 1)), p=1)  # (n, k) even for k=1
        out[inside, :k] = d / n_cols
        out_i[inside, :k] = members[i]
    if (~inside).any():
        d = _numeric_part(q[~inside], ref[members], ranges) / n_cols
        out[~inside], out_i[~inside] = _merge_two_smallest(out[~inside], d, out_i[~inside],
                                                           np.broadcast_to(members, d.shape))
    return out, out_i


def _merge_two_smallest(current: np.ndarray, d: np.ndarray, current_i: np.ndarray, d_i: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The two smallest distances per row (and their reference indices) of current and d."""
    if d.shape[1] > 2:
        pick = np.argpartition(d, 1, axis=1)[:, :2]
        rows = np.arange(d.shape[0])[:, None]
        d, d_i = d[rows, pick], d_i[rows, pick]
    both = np.concatenate([current, d], axis=1)
    both_i = np.concatenate([current_i, d_i], axis=1)
    order = np.argsort(both, axis=1, kind="stable")[:, :2]
    rows = np.arange(both.shape[0])[:, None]
    return both[rows, order], both_i[rows, order]
