"""The longest run of words a text shares verbatim with any of some reference texts: how much of
a seed or a training text a generated one copies. Evaluation reports it over a run; the review
ranks rows by it."""

from __future__ import annotations

import hashlib

from synthloom.data.text.similarity import words


def _grams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def _h(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest(), "big")


def longest_shared_span(text: str, reference: list[str], cache: dict[int, set[int]], max_n: int = 64) -> int:
    """Longest run of words this text shares verbatim with any reference text (binary search:
    sharing an n-gram implies sharing every shorter one). `cache` keeps the reference's hashed
    n-grams per length across calls with the same reference."""
    toks = words(text)
    lo, hi = 0, min(max_n, len(toks))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid not in cache:
            cache[mid] = {_h(g) for r in reference for g in _grams(words(r), mid)}
        if any(_h(g) in cache[mid] for g in _grams(toks, mid)):
            lo = mid
        else:
            hi = mid - 1
    return lo
