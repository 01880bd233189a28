"""Near-duplicate search with MinHash-LSH, vectorised over the whole corpus.

Signatures use one-permutation hashing (Li, Owen & Zhang, 2012): each shingle hash falls into
one of `num_perm` bins by its low bits and every bin keeps its minimum, so a document costs one
pass over its shingles instead of one per permutation; empty bins borrow from the next filled bin
to the right with an offset per step (rotation densification, Shrivastava & Li, 2014), which
keeps P(bin agrees) = Jaccard. Bands of rows are hashed into buckets; documents sharing a bucket
in any band are candidates, and every candidate pair is verified with the exact Jaccard of the
two shingle sets before it counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthloom.curate.shingles import Shingled, mix

EMPTY = np.uint32(0xFFFFFFFF)
_BORROW_STEP = np.uint32(0x9E3779B1)  # offset per bin travelled, so borrowed values differ from native ones


def signatures(sh: Shingled, num_perm: int = 128) -> np.ndarray:
    """(documents, num_perm) uint32 signatures; a document without shingles is all EMPTY."""
    n_docs = len(sh.offsets) - 1
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), sh.counts())
    h = mix(sh.hashes ^ np.uint64(0x5851F42D4C957F2D))
    bins = (h % np.uint64(num_perm)).astype(np.int64)
    values = (h >> np.uint64(32)).astype(np.uint32)
    values[values == EMPTY] -= np.uint32(1)
    sig = np.full(n_docs * num_perm, EMPTY, dtype=np.uint32)
    np.minimum.at(sig, doc_of * num_perm + bins, values)
    return densify(sig.reshape(n_docs, num_perm))


def densify(sig: np.ndarray) -> np.ndarray:
    n, k = sig.shape
    filled = sig != EMPTY
    if filled.all():
        return sig
    cols = np.arange(2 * k, dtype=np.int16)
    idx = np.where(np.concatenate([filled, filled], axis=1), cols, np.int16(4 * k))
    nxt = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1][:, :k]  # next filled bin, circularly
    ok = nxt < 2 * k
    src = np.where(ok, nxt % k, 0).astype(np.intp)
    steps = (np.where(ok, nxt, 0) - cols[:k]).astype(np.uint32)
    with np.errstate(over="ignore"):
        out = np.take_along_axis(sig, src, axis=1) + steps * _BORROW_STEP
    out[~ok] = EMPTY
    return np.where(filled, sig, out)


def lsh_params(threshold: float, num_perm: int, recall_at_threshold: float = 0.995) -> tuple[int, int]:
    """(bands, rows): the fewest false candidates below the threshold (integrated over Jaccard)
    among the layouts that catch a pair exactly at the threshold with the given probability.
    Candidates are verified exactly, so a false candidate costs time, a missed pair costs recall."""
    grid = np.linspace(0, threshold, 200)
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands < recall_at_threshold:
            continue
        fp = float(np.trapezoid(1 - (1 - grid ** rows) ** bands, grid))
        if best is None or fp < best[0]:
            best = (fp, bands, rows)
    return (best[1], best[2]) if best else (num_perm, 1)


def candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(m, 2) int64 pairs i < j sharing a bucket in some band; a bucket of size s gives the s - 1
    pairs (first, other), which is enough to connect it."""
    n = len(sig)
    valid = sig[:, 0] != EMPTY
    found = []
    for b in range(bands):
        block = sig[:, b * rows:(b + 1) * rows].astype(np.uint64)
        key = np.full(n, np.uint64(b), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key = mix(key * np.uint64(0x100000001B3) + block[:, c])
        ids = np.flatnonzero(valid)
        order = ids[np.argsort(key[ids], kind="stable")]
        k = key[order]
        new_run = np.concatenate([[True], k[1:] != k[:-1]])
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(k)), 0))
        member = ~new_run
        found.append(np.stack([order[run_start[member]], order[member]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.unique(a), np.unique(b)
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


@dataclass
class NearPairs:
    pairs: np.ndarray  # (m, 2) int64, i < j
    similarity: np.ndarray  # exact Jaccard of each pair
    candidates: int  # pairs the LSH proposed before verification


def near_pairs(sh: Shingled, threshold: float = 0.8, num_perm: int = 128,
               bands: int | None = None, rows: int | None = None) -> NearPairs:
    """Every pair of documents whose shingle sets have Jaccard >= threshold, as far as LSH finds
    them (the chance to miss a pair at the threshold is 1 - recall_at_threshold of lsh_params)."""
    if bands is None or rows is None:
        bands, rows = lsh_params(threshold, num_perm)
    sig = signatures(sh, num_perm)
    cand = candidate_pairs(sig, bands, rows)
    uniq = [None] * (len(sh.offsets) - 1)

    def unique_of(i: int) -> np.ndarray:
        if uniq[i] is None:
            uniq[i] = np.unique(sh.of(i))
        return uniq[i]

    sims = np.empty(len(cand))
    for k, (i, j) in enumerate(cand):
        a, b = unique_of(i), unique_of(j)
        inter = len(np.intersect1d(a, b, assume_unique=True))
        sims[k] = inter / max(len(a) + len(b) - inter, 1)
    keep = sims >= threshold
    return NearPairs(cand[keep], sims[keep], len(cand))
