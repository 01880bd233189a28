"""Runs in datasketch's venv (benchmarks/.venv-datasketch): near-duplicate pairs of a corpus with
datasketch's MinHash + MinHashLSH, the way its documentation shows (MinHash.bulk for the
signatures, an insertion session, then a query per document). Shingles are word 5-grams of the
lower-cased \\w+ tokens, the same as synthloom's. Writes the pairs (i < j) as .npy and prints one
JSON line: seconds, peak RSS, pair and candidate counts, the bands x rows used.

    python datasketch_dedup.py CORPUS.parquet PAIRS.npy THRESHOLD NUM_PERM [default|recall]

Two settings:

default  MinHashLSH(threshold, num_perm): datasketch picks bands x rows by weighing false
         positives and false negatives equally (9 x 13 at 0.8 and 128 permutations, which makes a
         pair at exactly 0.8 a candidate with probability 0.40); the pairs are its LSH
         candidates as its API returns them (it has no verification step).
recall   its best setting for this job: MinHashLSH(threshold, num_perm, params=(bands, rows))
         with the layout chosen for recall (below: 21 x 6 here, a pair at 0.8 is a candidate
         with probability 0.998; datasketch's own `weights=(0.1, 0.9)` picks 14 x 9, only 0.87),
         then every candidate pair is verified: the exact Jaccard of the two documents' shingle
         sets is computed and pairs below the threshold are dropped. The verification is timed.

The layout rule (ours, the same rule synthloom's near_dedup uses, with recall 0.99): among
rows r = 1..num_perm with bands b = num_perm // r, keep those catching a pair at the threshold t
with probability 1 - (1 - t^r)^b >= 0.99, and take the one with the fewest false candidates,
i.e. the smallest integral of that probability over Jaccard 0..t.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time

import numpy as np
import pyarrow.parquet as pq
from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 5) -> list[bytes]:
    words = WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)]


def recall_layout(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) catching a pair at the threshold with probability >= recall, with the fewest
    false candidates below it (see the module docstring)."""
    grid = np.linspace(0.0, threshold, 200)
    best = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands < recall:
            continue
        curve = 1 - (1 - grid ** rows) ** bands
        fp = float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(grid)))
        if best is None or fp < best[0]:
            best = (fp, bands, rows)
    return (best[1], best[2]) if best else (num_perm, 1)


def verified(texts: list[str], candidates: list[tuple[int, int]], threshold: float) -> list[tuple[int, int]]:
    """The candidate pairs whose exact Jaccard of word 5-gram shingle sets is >= threshold."""
    sets: dict[int, set[bytes]] = {}

    def shingle_set(i: int) -> set[bytes]:
        s = sets.get(i)
        if s is None:
            s = sets[i] = set(shingles(texts[i]))
        return s

    kept = []
    for i, j in candidates:
        a, b = shingle_set(i), shingle_set(j)
        union = len(a | b)
        if (len(a & b) / union if union else 1.0) >= threshold:
            kept.append((i, j))
    return kept


def main() -> None:
    corpus, out, threshold, num_perm = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    setting = sys.argv[5] if len(sys.argv) > 5 else "default"
    if setting not in ("default", "recall"):
        raise SystemExit(f"setting must be default or recall, not {setting!r}")
    texts = pq.read_table(corpus, columns=["text"]).column("text").to_pylist()
    params = recall_layout(threshold, num_perm) if setting == "recall" else None
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=params)
    hashes = MinHash.bulk((shingles(t) for t in texts), num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(hashes):
            session.insert(i, m)
    pairs = []
    for i, m in enumerate(hashes):
        pairs += [(i, j) for j in lsh.query(m) if j > i]
    candidates = len(pairs)
    t1 = time.perf_counter()
    if setting == "recall":
        pairs = verified(texts, pairs, threshold)
    seconds = time.perf_counter() - t0
    np.save(out, np.array(pairs, dtype=np.int64).reshape(-1, 2))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    at_threshold = 1 - (1 - threshold ** lsh.r) ** lsh.b
    print(json.dumps({"seconds": seconds, "verify_seconds": seconds - (t1 - t0), "peak_gib": peak,
                      "pairs": len(pairs), "candidates": candidates, "setting": setting, "bands": lsh.b,
                      "rows": lsh.r, "p_candidate_at_threshold": at_threshold}))


if __name__ == "__main__":
    main()
