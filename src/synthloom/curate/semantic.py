"""Pairs of rows whose embeddings (unit vectors) are at least `threshold` cosine-similar.

Up to EXACT_LIMIT rows every pair is compared, a block of rows at a time. Above it the rows are
clustered with k-means, as SemDeDup does, and compared only within a cluster; each row joins its
`probes` nearest clusters, so a pair split by a cluster boundary is still found. Each cluster
holds ~2n/k rows, so the work is ~2n²/k dot products instead of n²/2."""

from __future__ import annotations

import numpy as np

EXACT_LIMIT = 50_000
BLOCK = 2048


def _pairs_within(z: np.ndarray, idx: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j, as row numbers of z) among the rows idx, by blocks of rows."""
    pairs, sims = [], []
    sub = z[idx]
    for s in range(0, len(idx), BLOCK):
        block = sub[s:s + BLOCK] @ sub.T
        i, j = np.nonzero(block >= threshold)
        i = i + s
        later = j > i
        pairs.append(np.stack([idx[i[later]], idx[j[later]]], axis=1))
        sims.append(block[i[later] - s, j[later]])
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    return np.concatenate(pairs), np.concatenate(sims)


def similar_pairs(z: np.ndarray, threshold: float, clusters: int | None = None,
                  probes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(pairs, similarities); clusters=None compares all pairs up to EXACT_LIMIT rows and uses
    √n clusters above it; clusters=0 always compares all pairs."""
    n = len(z)
    k = clusters if clusters is not None else (0 if n <= EXACT_LIMIT else int(np.sqrt(n)))
    if k <= 1 or n < 4 * k:
        return _pairs_within(z, np.arange(n), threshold)
    from sklearn.cluster import MiniBatchKMeans

    centroids = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=seed).fit(z).cluster_centers_
    nearest = np.empty((n, min(probes, k)), dtype=np.int64)
    for s in range(0, n, 65_536):  # each row's `probes` most similar centroids
        scores = z[s:s + 65_536] @ centroids.T
        nearest[s:s + 65_536] = np.argpartition(-scores, nearest.shape[1] - 1, axis=1)[:, :nearest.shape[1]]
    rows = np.repeat(np.arange(n), nearest.shape[1])
    order = np.argsort(nearest.ravel(), kind="stable")
    members = np.split(rows[order], np.flatnonzero(np.diff(nearest.ravel()[order])) + 1)
    found = [_pairs_within(z, m, threshold) for m in members if len(m) > 1]
    pairs = np.concatenate([p for p, _ in found]) if found else np.zeros((0, 2), dtype=np.int64)
    sims = np.concatenate([s for _, s in found]) if found else np.zeros(0)
    pairs = np.sort(pairs, axis=1)  # the same pair may come from two shared clusters
    _, first = np.unique(pairs, axis=0, return_index=True)
    return pairs[first], sims[first]
