"""Shingles of many documents at once, as 64-bit hashes in one flat array with per-document
offsets: words are split and hashed by polars (Rust, all cores), word n-grams are combined in
numpy, so no Python code runs per word. Character shingles hash the normalised UTF-8 bytes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Odd 64-bit multipliers (from splitmix64): each position of an n-gram gets its own, so "a b"
# and "b a" hash apart.
_MULT = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
                  0xCA5A826395121157, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3,
                  0x589965CC75374CC3, 0x1D8E4E27C47D124F, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                  0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53],
                 dtype=np.uint64)


@dataclass
class Shingled:
    """hashes[offsets[i]:offsets[i + 1]] are the shingle hashes of document i (with repeats)."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(docs) + 1

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i]:self.offsets[i + 1]]

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole word."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the lower-cased words (runs of \\w) of every text, flat, and each text's word
    count. Splitting on one space after turning every run of non-word characters into one space is
    twice as fast in polars as extracting the words with a regex. polars runs string kernels on
    one thread, so the texts go in one part per polars thread, collected together."""
    import polars as pl

    words = (pl.col("t").fill_null("").str.to_lowercase().str.replace_all(r"\W+", " ").str.split(" ")
             .list.eval(pl.element().filter(pl.element().str.len_bytes() > 0).hash(seed=7)))
    parts = max(1, min(pl.thread_pool_size(), len(texts) // 5000))
    size = -(-len(texts) // parts) or 1
    frames = [pl.LazyFrame({"t": pl.Series(texts[s:s + size], dtype=pl.String)}).select(words.alias("h"))
              for s in range(0, max(len(texts), 1), size)]
    hashes = pl.concat(pl.collect_all(frames))["h"]
    lengths = hashes.list.len().to_numpy().astype(np.int64)
    flat = hashes.explode().drop_nulls()  # an empty list explodes into one null
    return flat.to_numpy().astype(np.uint64, copy=False), lengths


def _ngrams(units: np.ndarray, lengths: np.ndarray, n: int) -> Shingled:
    """Combine each run of n consecutive units of a document into one hash; a document shorter
    than n gives one shingle of all its units."""
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    total = int(starts[-1])
    padded = np.concatenate([units, np.zeros(n, dtype=np.uint64)])
    combined = np.zeros(total, dtype=np.uint64)
    term = np.empty(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(n):  # contiguous slices: the n-gram starting at every position at once
            np.multiply(padded[i:i + total], _MULT[i % len(_MULT)], out=term)
            np.add(combined, term, out=combined)
    keep = np.ones(total, dtype=bool)
    tails = (starts[1:, None] - np.arange(1, n)[None, :])  # the last n - 1 starts of each document
    tails = tails[tails >= np.repeat(starts[:-1], n - 1).reshape(-1, n - 1)] if n > 1 else tails[:0]
    keep[tails] = False
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):  # these documents' windows ran into the next document: recompute them alone
        first = starts[short]
        keep[first] = True
        for d, f in zip(short, first):
            ln = int(lengths[d])
            with np.errstate(over="ignore"):
                combined[f] = np.sum(units[f:f + ln] * _MULT[np.arange(ln) % len(_MULT)], dtype=np.uint64)
    counts = np.where(lengths < n, np.minimum(lengths, 1), lengths - n + 1)
    return Shingled(mix(combined[keep]), np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


def word_shingles(texts: list[str], n: int = 5) -> Shingled:
    units, lengths = word_hashes(texts)
    return _ngrams(mix(units), lengths, n)


def word_ngrams_of_sizes(texts: list[str], sizes: list[int]) -> tuple[dict[int, Shingled], np.ndarray]:
    """Word n-grams of several sizes from one pass of splitting and hashing the words, and each
    text's word count."""
    units, lengths = word_hashes(texts)
    units = mix(units)
    return {n: _ngrams(units, lengths, n) for n in dict.fromkeys(sizes)}, lengths


def char_shingles(texts: list[str], n: int = 5) -> Shingled:
    """n-byte shingles of each text lower-cased with runs of whitespace made one space."""
    import polars as pl

    norm = pl.Series("t", texts, dtype=pl.String).fill_null("").str.to_lowercase().str.replace_all(r"\s+", " ")
    norm = norm.str.strip_chars()
    lengths = norm.str.len_bytes().to_numpy().astype(np.int64)
    raw = np.frombuffer("".join(norm.to_list()).encode(), dtype=np.uint8).astype(np.uint64)
    return _ngrams(raw + np.uint64(1), lengths, n)


def shingles(texts: list[str], unit: str = "word", n: int = 5) -> Shingled:
    return word_shingles(texts, n) if unit == "word" else char_shingles(texts, n)
