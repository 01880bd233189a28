"""A word n-gram language model, small enough to refit every generation on these cores.

Sampling uses the maximum-likelihood estimate, as a model trained to convergence on its data
would: a word the training text never had cannot come back, which is the mechanism of rare
types vanishing (Shumailov et al. 2024). Perplexity on other text interpolates each order with
the next lower one and, at the bottom, an add-one unigram over a vocabulary the caller gives
(the real data's words plus one unknown), so that a word the model lost costs a finite, large
amount instead of infinity."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from synthloom.collapse.corpus import words

START, END = "<s>", "</s>"
INTERPOLATION = 0.7  # weight of an order against the lower ones, for perplexity only
MAX_WORDS = 60  # a sampled sentence ends here if no end came


class NGramModel:
    def __init__(self, sentences: list[str], order: int = 2):
        self.order = order
        self.counts: list[dict[tuple[str, ...], Counter[str]]] = [defaultdict(Counter) for _ in range(order)]
        for sentence in sentences:
            tokens = [START] * (order - 1) + words(sentence) + [END]
            for i in range(order - 1, len(tokens)):
                for k in range(order):  # k = context length
                    self.counts[k][tuple(tokens[i - k:i])][tokens[i]] += 1
        self.unigrams = self.counts[0][()]
        # per context, how many words followed it: read for every token perplexity scores
        self.totals = [{context: sum(following.values()) for context, following in level.items()}
                       for level in self.counts]
        self.vocabulary = {w for w in self.unigrams if w != END}
        self._tables: dict[tuple[str, ...], tuple[list[str], np.ndarray]] = {}

    def _table(self, context: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
        if context not in self._tables:
            following = self.counts[self.order - 1][context]
            tokens = list(following)
            cumulative = np.cumsum(np.fromiter(following.values(), dtype=float, count=len(tokens)))
            self._tables[context] = (tokens, cumulative / cumulative[-1])
        return self._tables[context]

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        out = []
        for _ in range(n):
            context = [START] * (self.order - 1)
            sentence: list[str] = []
            while len(sentence) < MAX_WORDS:
                tokens, cumulative = self._table(tuple(context[len(context) - self.order + 1:]) if self.order > 1 else ())
                word = tokens[min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(tokens) - 1)]
                if word == END:
                    break
                sentence.append(word)
                context.append(word)
            out.append(" ".join(sentence))
        return out

    def perplexity(self, sentences: list[str], vocabulary_size: int) -> float:
        """Per-token perplexity of `sentences`, ends of sentences included."""
        total_unigrams = self.totals[0].get((), 0)
        log_sum, count = 0.0, 0
        for sentence in sentences:
            tokens = [START] * (self.order - 1) + words(sentence) + [END]
            for i in range(self.order - 1, len(tokens)):
                word = tokens[i]
                p = (self.unigrams.get(word, 0) + 1) / (total_unigrams + vocabulary_size + 1)
                for k in range(1, self.order):
                    context = tuple(tokens[i - k:i])
                    following = self.counts[k].get(context)
                    if following:
                        p = INTERPOLATION * following.get(word, 0) / self.totals[k][context] + (1 - INTERPOLATION) * p
                log_sum -= math.log(p)
                count += 1
        return math.exp(log_sum / max(count, 1))
