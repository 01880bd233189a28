"""Decontamination against benchmark sets: a row goes when it shares an n-gram of `ngram` words
(13 by default) with a benchmark item, or a shorter `ratio_ngram`-gram plus a difflib match ratio
of at least `ratio` over the whole texts, or (optionally) when its embedding is this close to an
item's (paraphrases). A text shorter than n words matches only a benchmark text of the same words.
Each removed row names the benchmark item it matched.

The n-gram stage runs on hashes in numpy (data/text/shingles.py), a chunk of documents at a time; only
the few rows that share a `ratio_ngram`-gram are compared word by word in Python."""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from synthloom.config.curation import Decontaminate
from synthloom.curate.dedup import has_words
from synthloom.curate.references import References, load_references
from synthloom.data.text.shingles import Shingled, word_ngrams_of_sizes
from synthloom.curate.step import Batch, Step, StepContext, StepResult, registered
from synthloom.data.text.similarity import words
from synthloom.models.embeddings import embedder
CHUNK = 100_000  # documents shingled at once: bounds memory on large sets


class NgramIndex:
    """The benchmark's n-gram hashes, sorted, each with the first item that contains it (and,
    for the ratio rule, every item that does). A bit table on the hashes' top bits (at most 1 in
    64 bits set, 8 bytes per n-gram) turns away almost every document n-gram with one memory
    read, so the binary search runs only on the few that might match."""

    def __init__(self, items: Shingled):
        item_of = np.repeat(np.arange(len(items.offsets) - 1), items.counts())
        self.hashes, first = np.unique(items.hashes, return_index=True)  # first occurrence = lowest item
        self.items = item_of[first]
        order = np.lexsort((item_of, items.hashes))  # by hash (unsigned), then item
        h, it = items.hashes[order], item_of[order]
        new = np.r_[True, (h[1:] != h[:-1]) | (it[1:] != it[:-1])] if len(h) else np.zeros(0, bool)
        self.pair_hashes, self.pair_items = h[new], it[new]  # each (hash, item) once
        bits = int(np.clip(np.ceil(np.log2(max(len(self.hashes), 1) * 64)), 16, 33))
        self.shift = np.uint64(64 - bits)
        self.table = np.zeros(1 << (bits - 3), dtype=np.uint8)
        slots = self.hashes >> self.shift
        np.bitwise_or.at(self.table, (slots >> np.uint64(3)).astype(np.intp),
                         (np.uint8(1) << (slots & np.uint64(7)).astype(np.uint8)))

    def _maybe(self, hashes: np.ndarray) -> np.ndarray:
        slots = hashes >> self.shift
        bits = self.table[(slots >> np.uint64(3)).astype(np.intp)] >> (slots & np.uint64(7)).astype(np.uint8)
        return np.flatnonzero(bits & 1)

    def first_match(self, docs: Shingled) -> np.ndarray:
        """For each document, the benchmark item its first matching n-gram belongs to, or -1."""
        n_docs = len(docs.offsets) - 1
        out = np.full(n_docs, -1, dtype=np.int64)
        if not len(self.hashes) or not len(docs.hashes):
            return out
        maybe = self._maybe(docs.hashes)
        pos = np.searchsorted(self.hashes, docs.hashes[maybe]).clip(max=len(self.hashes) - 1)
        found = self.hashes[pos] == docs.hashes[maybe]
        hit, pos = maybe[found], pos[found]
        doc = np.searchsorted(docs.offsets, hit, side="right") - 1
        out[doc[::-1]] = self.items[pos][::-1]  # written in reverse so each doc's first hit wins
        return out

    def sharing(self, hashes: np.ndarray, most: int = 8) -> list[int]:
        """The items that share the most of these n-grams with a document (at most `most`)."""
        h = hashes[self._maybe(hashes)]
        lo = np.searchsorted(self.pair_hashes, h, side="left")
        hi = np.searchsorted(self.pair_hashes, h, side="right")
        found = np.concatenate([self.pair_items[a:b] for a, b in zip(lo, hi)]) if len(h) else np.zeros(0, int)
        ids, counts = np.unique(found, return_counts=True)
        return ids[np.argsort(-counts, kind="stable")][:most].tolist()


def ngram_matches(step: Decontaminate, texts: list[str], items: list[str]) -> dict[int, tuple[str, int]]:
    """The n-gram rules, by position in `texts` -> (reason, index of the benchmark item)."""
    sizes = [step.ngram] + ([step.ratio_ngram] if step.ratio_ngram else [])
    bench, _ = word_ngrams_of_sizes(items, sizes)
    long_index = NgramIndex(bench[step.ngram])
    short_index = NgramIndex(bench[step.ratio_ngram]) if step.ratio_ngram else None
    found: dict[int, tuple[str, int]] = {}
    bench_words: dict[int, list[str]] = {}
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        grams, lengths = word_ngrams_of_sizes(chunk, sizes)
        long_hit = long_index.first_match(grams[step.ngram])
        for i in np.flatnonzero(long_hit >= 0).tolist():
            found[start + i] = (f"shares a {step.ngram}-gram with a benchmark item" if lengths[i] >= step.ngram
                                else "has the same words as a short benchmark item", int(long_hit[i]))
        if short_index is None:
            continue
        short_hit = short_index.first_match(grams[step.ratio_ngram])
        short_grams = grams[step.ratio_ngram]
        for i in np.flatnonzero((short_hit >= 0) & (long_hit < 0)).tolist():
            toks = words(chunk[i])  # the closest of the items sharing a short n-gram, not the first
            ratio, k = max(((SequenceMatcher(None, toks, bench_words.setdefault(k, words(items[k])),
                                             autojunk=False).ratio(), k)
                            for k in short_index.sharing(short_grams.of(i))), default=(0.0, -1))
            if ratio >= step.ratio:
                found[start + i] = (f"shares a {step.ratio_ngram}-gram and {ratio:.2f} of its words in order "
                                    "with a benchmark item", k)
    return found


def decontaminate(step: Decontaminate, texts: list[str], items: list[str]) -> dict[int, tuple[str, int]]:
    """By position in `texts` -> (reason, index of the benchmark item it matched)."""
    found = ngram_matches(step, texts, items)
    rest = [i for i in range(len(texts)) if i not in found]
    if step.embedding_threshold is not None and rest and any(map(has_words, items + [texts[i] for i in rest])):
        model = embedder(step.embedding, texts + items)
        zb = model.encode(items)
        z = model.encode([texts[i] for i in rest])
        for s in range(0, len(rest), 2048):
            sim = z[s:s + 2048] @ zb.T
            best = sim.argmax(1)
            for r, (b, v) in enumerate(zip(best, sim[np.arange(len(best)), best])):
                if v >= step.embedding_threshold:
                    found[rest[s + r]] = (f"embedding cosine {v:.2f} to a benchmark item", int(b))
    return found


@registered(Decontaminate)
class DecontaminateStep(Step):
    """The benchmarks are read by prepare; each row is compared with them, not with the other rows."""

    config: Decontaminate

    def prepare(self, context: StepContext) -> None:
        super().prepare(context)
        self.benchmarks: References = load_references(self.config.benchmarks, context, self.label)

    def run(self, batch: Batch) -> StepResult:
        found = decontaminate(self.config, batch.texts, self.benchmarks.texts)
        return StepResult({i: self.removal(reason, self.benchmarks.items[k]) for i, (reason, k) in found.items()})
