"""Decontamination against benchmark sets: a row goes when it shares an n-gram of `ngram` words
(13 by default) with a benchmark item, or a shorter `ratio_ngram`-gram plus a difflib match ratio
of at least `ratio` over the whole texts, or (optionally) when its embedding is this close to an
item's (paraphrases). Each removed row names the benchmark item it matched."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

import numpy as np

from synthloom.config.curation import Decontaminate
from synthloom.data.similarity import words
from synthloom.models.embeddings import embedder

Removed = dict[int, tuple[str, str | None]]


class NgramIndex:
    """n-gram (as a hash of the word tuple) -> the first benchmark item containing it."""

    def __init__(self, items: list[list[str]], n: int):
        self.n = n
        self.first: dict[int, int] = {}
        for k, toks in enumerate(items):
            for g in self._grams(toks):
                self.first.setdefault(g, k)

    def _grams(self, toks: list[str]) -> set[int]:
        n = self.n  # a text shorter than n words has no n-gram, so cannot match by this rule
        return {hash(tuple(toks[i:i + n])) for i in range(len(toks) - n + 1)}

    def match(self, toks: list[str]) -> int | None:
        for g in self._grams(toks):
            k = self.first.get(g)
            if k is not None:
                return k
        return None


def decontaminate(step: Decontaminate, texts: list[str], items: list[str], item_names: list[str],
                  rows: list[dict[str, Any]] | None = None) -> Removed:
    bench = [words(t) for t in items]
    long_index = NgramIndex(bench, step.ngram)
    short_index = NgramIndex(bench, step.ratio_ngram) if step.ratio_ngram else None
    removed: Removed = {}
    for i, t in enumerate(texts):
        toks = words(t)
        k = long_index.match(toks)
        if k is not None:
            removed[i] = (f"shares a {step.ngram}-gram with a benchmark item", item_names[k])
            continue
        if short_index is not None:
            k = short_index.match(toks)
            if k is not None:
                ratio = SequenceMatcher(None, toks, bench[k], autojunk=False).ratio()
                if ratio >= step.ratio:
                    removed[i] = (f"shares a {step.ratio_ngram}-gram and {ratio:.2f} of its words in order with a "
                                  "benchmark item", item_names[k])
    if step.embedding_threshold is not None and items:
        model = embedder(step.embedding, texts + items)
        zb = model.encode(items)
        rest = [i for i in range(len(texts)) if i not in removed]
        z = model.encode([texts[i] for i in rest])
        for s in range(0, len(rest), 2048):
            sim = z[s:s + 2048] @ zb.T
            best = sim.argmax(1)
            for r, (b, v) in enumerate(zip(best, sim[np.arange(len(best)), best])):
                if v >= step.embedding_threshold:
                    removed[rest[s + r]] = (f"embedding cosine {v:.2f} to a benchmark item", item_names[int(b)])
    return removed
