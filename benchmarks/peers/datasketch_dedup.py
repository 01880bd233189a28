"""Runs in datasketch's venv (benchmarks/.venv-datasketch): near-duplicate pairs of a corpus with
datasketch's MinHash + MinHashLSH, the way its documentation shows (MinHash.bulk for the
signatures, an insertion session, then a query per document). Shingles are word 5-grams of the
lower-cased \\w+ tokens, the same as synthloom's. Writes the candidate pairs (i < j) as .npy and
prints one JSON line: seconds, peak RSS, pair count.

    python datasketch_dedup.py CORPUS.parquet PAIRS.npy THRESHOLD NUM_PERM
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


def main() -> None:
    corpus, out, threshold, num_perm = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    texts = pq.read_table(corpus, columns=["text"]).column("text").to_pylist()
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = MinHash.bulk((shingles(t) for t in texts), num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(hashes):
            session.insert(i, m)
    pairs = []
    for i, m in enumerate(hashes):
        pairs += [(i, j) for j in lsh.query(m) if j > i]
    seconds = time.perf_counter() - t0
    np.save(out, np.array(pairs, dtype=np.int64).reshape(-1, 2))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "pairs": len(pairs)}))


if __name__ == "__main__":
    main()
