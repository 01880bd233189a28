"""Text similarity shared by generation (the novelty pool) and curation (dedup, mixing).

ROUGE-L F1 on words (as Self-Instruct uses) is 2*LCS/(m+n). The multiset word overlap is an
upper bound of the LCS, so an inverted index finds the few pool texts that could reach the
threshold and only those pay for the exact LCS. MinHash (datasketch's LSH on word 3-grams)
is the option for large pools."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any


WORD = re.compile(r"\w+")
NUM_PERM = 128


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return 2 * lcs_length(wa, wb) / (len(wa) + len(wb))


class RougePool:
    def __init__(self, threshold: float):
        self.threshold = threshold
        self.texts: list[list[str]] = []
        self.labels: list[str] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)  # word -> (text id, count)

    def add(self, text: str, label: str) -> None:
        toks = words(text)
        i = len(self.texts)
        self.texts.append(toks)
        self.labels.append(label)
        for w, n in Counter(toks).items():
            self.postings[w].append((i, n))

    def most_similar(self, text: str) -> tuple[float, str | None]:
        toks = words(text)
        if not toks:
            return 0.0, None
        overlap: dict[int, int] = defaultdict(int)
        for w, n in Counter(toks).items():
            for i, m in self.postings.get(w, ()):
                overlap[i] += min(n, m)
        best, label = 0.0, None
        for i, ov in overlap.items():
            bound = 2 * ov / (len(toks) + len(self.texts[i]))
            if bound < self.threshold or bound <= best:
                continue
            score = 2 * lcs_length(toks, self.texts[i]) / (len(toks) + len(self.texts[i]))
            if score > best:
                best, label = score, self.labels[i]
        return best, label


def _shingles(text: str) -> set[str]:
    toks = words(text)
    if len(toks) < 3:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + 3]) for i in range(len(toks) - 2)}


class MinHashPool:
    def __init__(self, threshold: float):
        # datasketch pulls scipy, whose OpenBLAS start-up fails under tight memory limits: import
        # it only when a MinHash pool is used, so the CLI (`validate`) starts without it.
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.hashes: dict[str, Any] = {}

    def _hash(self, text: str) -> Any:
        from datasketch import MinHash

        m = MinHash(num_perm=NUM_PERM, seed=1)
        for s in _shingles(text):
            m.update(s.encode())
        return m

    def add(self, text: str, label: str) -> None:
        key = f"{len(self.hashes)}:{label}"
        m = self._hash(text)
        self.hashes[key] = m
        self.lsh.insert(key, m)

    def most_similar(self, text: str) -> tuple[float, str | None]:
        m = self._hash(text)
        best, label = 0.0, None
        for key in self.lsh.query(m):
            score = m.jaccard(self.hashes[key])
            if score > best:
                best, label = score, key.split(":", 1)[1]
        return best, label


def make_pool(method: str, threshold: float) -> RougePool | MinHashPool:
    return RougePool(threshold) if method == "rouge_l" else MinHashPool(threshold)
