"""The `text` setup of `synthloom collapse simulate`: a word n-gram model (ngram.py) trained on
real sentences of the Python documentation (corpus.py), each generation trained on what the
loop's mode gives and sampling the next generation's training text from itself.

Per generation: the model's perplexity on held-out real sentences (a fifth of the corpus, never
trained on), the diversity and support of a fresh sample of its own against the real training
sentences (text_signals.py), and the share of the real text's rare word types (seen at most
twice) the model can still produce."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from synthloom.collapse.corpus import python_docs_sentences, words
from synthloom.collapse.loop import Setup
from synthloom.collapse.ngram import NGramModel
from synthloom.collapse.text_signals import text_signals
from synthloom.data.text.support import RARE_COUNT

HELD_OUT = 0.2


class TextLoop(Setup):
    name = "text"

    def __init__(self, rows: int = 1000, order: int = 2):
        if order not in (1, 2, 3):
            raise ValueError("order is 1, 2 or 3")
        self.rows_per_generation, self.order = rows, order
        corpus = python_docs_sentences()
        self._vocabulary = len({w for s in corpus for w in words(s)})
        self._measures = 0

    def world(self, rng: np.random.Generator) -> tuple[list[str], list[str]]:
        """(sentences to train on, held-out sentences), split afresh for each seed."""
        corpus = python_docs_sentences()
        order = rng.permutation(len(corpus))
        cut = int(HELD_OUT * len(corpus))
        return [corpus[i] for i in order[cut:]], [corpus[i] for i in order[:cut]]

    def real(self, world: tuple[list[str], list[str]], rng: np.random.Generator) -> list[str]:
        pool = world[0]
        return [pool[i] for i in rng.choice(len(pool), size=min(self.rows_per_generation, len(pool)), replace=False)]

    def fit(self, rows: list[str]) -> NGramModel:
        return NGramModel(rows, self.order)

    def sample(self, world: object, model: NGramModel, n: int, rng: np.random.Generator) -> list[str]:
        return model.sample(n, rng)

    @staticmethod
    @lru_cache(maxsize=8)
    def _rare_words(real: tuple[str, ...]) -> frozenset[str]:
        """The real sentences' rare word types: the same for every generation of a seed."""
        counts = Counter(w for sentence in real for w in words(sentence))
        return frozenset(w for w, c in counts.items() if c <= RARE_COUNT)

    def measure(self, world: tuple[list[str], list[str]], model: NGramModel, real: list[str],
                trained_on: list[str]) -> dict[str, float]:
        self._measures += 1  # a fresh, reproducible draw for each measurement
        drawn = model.sample(self.rows_per_generation, np.random.default_rng(self._measures))
        signals = text_signals(real, drawn)
        rare = self._rare_words(tuple(real))
        return {
            "perplexity": model.perplexity(world[1], self._vocabulary),
            "distinct_1": signals["distinct_1"],
            "distinct_2": signals["distinct_2"],
            "type_coverage": signals["type_coverage"],
            "rare_types_retained": len(rare & model.vocabulary) / max(len(rare), 1),
            "vocabulary": float(len(model.vocabulary)),
        }
