"""Near-duplicate search with MinHash-LSH, vectorised over the whole corpus.

Signatures use one-permutation hashing (Li, Owen & Zhang, 2012): each shingle hash falls into
one of `num_perm` bins by its low bits and every bin keeps its minimum, so a document costs one
pass over its shingles instead of one per permutation; empty bins borrow from the next filled bin
to the right with an offset per step (rotation densification, Shrivastava & Li, 2014), which
keeps P(bin agrees) = Jaccard. Bands of rows are hashed into buckets; documents sharing a bucket
in any band are candidates, and every candidate pair is verified with the exact Jaccard of the
two shingle sets before it counts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from synthloom.data.text.shingles import _MULT, Shingled, mix, shingles
from synthloom.workers import WorkerPool

EMPTY = np.uint32(0xFFFFFFFF)
PARALLEL_FROM = 200_000  # below this many documents, starting worker processes costs more than it saves
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
    """Fill each empty bin from the next filled bin to its right (circularly), plus an offset per
    bin travelled. One sweep over the bins from the right, twice round, vectorised over documents;
    a filled bin is its own nearest, at distance 0, so it keeps its value."""
    n, k = sig.shape
    if (sig != EMPTY).all():
        return sig
    cols = np.ascontiguousarray(sig.T)
    out = np.empty_like(cols)
    value = np.full(n, EMPTY, dtype=np.uint32)
    dist = np.zeros(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for p in range(2 * k - 1, -1, -1):
            j = p % k
            filled = cols[j] != EMPTY
            dist += np.uint32(1)
            np.copyto(value, cols[j], where=filled)
            np.copyto(dist, np.uint32(0), where=filled)
            if p < k:
                np.add(value, dist * _BORROW_STEP, out=out[j])
    out[:, (sig == EMPTY).all(axis=1)] = EMPTY  # nothing to borrow from
    return np.ascontiguousarray(out.T)


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


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(documents, bands) uint64: each band's rows of the signature hashed into one bucket key,
    the band's index mixed in so that bands never share buckets."""
    keys = np.empty((len(sig), bands), dtype=np.uint64)
    for b in range(bands):
        block = sig[:, b * rows:(b + 1) * rows].astype(np.uint64)
        key = np.full(len(sig), np.uint64(b), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key += block[:, c] * _MULT[c % len(_MULT)]
        keys[:, b] = mix(key)
    return keys


def has_signature(sig: np.ndarray) -> np.ndarray:
    """Documents with at least one shingle (the others are in no bucket)."""
    return sig[:, 0] != EMPTY if len(sig) else np.zeros(0, dtype=bool)


def bucket_pairs(ids: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """(m, 2) int64 pairs (the lowest id of a bucket, another id of it) over documents `ids`, a
    bucket being the documents equal in every one of `keys` (say a band's index and its key): a
    bucket of size s gives its s - 1 pairs, which is enough to connect it. Pairs repeat across
    bands; the caller unites them."""
    if not len(ids):
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((ids, *keys[::-1]))
    members = ids[order]
    new_run = np.zeros(len(ids), dtype=bool)
    new_run[0] = True
    for k in keys:
        ks = k[order]
        new_run[1:] |= ks[1:] != ks[:-1]
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(ids)), 0))
    member = ~new_run
    return np.stack([members[run_start[member]], members[member]], axis=1).astype(np.int64)


def candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(m, 2) int64 pairs i < j sharing a bucket in some band, each once."""
    ids = np.flatnonzero(has_signature(sig))
    keys = band_keys(sig[ids], bands, rows)
    found = [bucket_pairs(ids, keys[:, b]) for b in range(bands)]
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0)


@dataclass
class NearPairs:
    pairs: np.ndarray  # (m, 2) int64, i < j
    similarity: np.ndarray  # exact Jaccard of each pair
    candidates: int  # pairs the LSH proposed before verification


def _chunk_signatures(texts: list[str], num_perm: int, unit: str, n: int) -> np.ndarray:
    return signatures(shingles(texts, unit, n), num_perm)


def corpus_signatures(texts: list[str], num_perm: int = 128, unit: str = "word", n: int = 5,
                      chunk: int = 50_000, workers: int | None = None) -> np.ndarray:
    """Signatures by chunks of documents, so memory holds one chunk's shingles at a time; large
    corpora are spread over one worker process per core."""
    starts = range(0, len(texts), chunk)
    workers = workers if workers is not None else (os.cpu_count() or 1) if len(texts) >= PARALLEL_FROM else 1
    if workers > 1 and len(starts) > 1:
        # each worker process keeps to its own core
        with WorkerPool(workers, name="minhash", env={"POLARS_MAX_THREADS": "1"}) as pool:
            parts = pool.map(_chunk_signatures, (texts[s:s + chunk] for s in starts),
                             repeat(num_perm), repeat(unit), repeat(n))
    else:
        parts = [_chunk_signatures(texts[s:s + chunk], num_perm, unit, n) for s in starts]
    return np.concatenate(parts) if parts else np.zeros((0, num_perm), dtype=np.uint32)


def verify(texts: list[str], cand: np.ndarray, unit: str = "word", n: int = 5) -> np.ndarray:
    """Exact Jaccard of every candidate pair, from the shingles of just the documents involved."""
    if not len(cand):
        return np.zeros(0)
    docs = np.unique(cand)
    sh = shingles([texts[i] for i in docs], unit, n)
    sets = {int(d): np.unique(sh.of(k)) for k, d in enumerate(docs)}
    sims = np.empty(len(cand))
    for k, (i, j) in enumerate(cand):
        a, b = sets[int(i)], sets[int(j)]
        inter = len(np.intersect1d(a, b, assume_unique=True))
        sims[k] = inter / max(len(a) + len(b) - inter, 1)
    return sims


def near_pairs(texts: list[str], threshold: float = 0.8, num_perm: int = 128, unit: str = "word", n: int = 5,
               bands: int | None = None, rows: int | None = None) -> NearPairs:
    """Every pair of texts whose shingle sets have Jaccard >= threshold, as far as LSH finds them
    (a pair exactly at the threshold is missed with probability 1 - recall_at_threshold)."""
    if bands is None or rows is None:
        bands, rows = lsh_params(threshold, num_perm)
    cand = candidate_pairs(corpus_signatures(texts, num_perm, unit, n), bands, rows)
    sims = verify(texts, cand, unit, n)
    keep = sims >= threshold
    return NearPairs(cand[keep], sims[keep], len(cand))
