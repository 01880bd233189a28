"""Grounding of a text in its source by word overlap: checks an answer can pass only by
resting on its passage, whatever model wrote it (no judge needed)."""

from __future__ import annotations

import math
from collections import Counter

from synthloom.data.text.similarity import words

# Words this short are mostly function words in the languages we see; the rest carry content.
_MIN_LETTERS = 4
# Comparing word starts lets inflections match ("eruptions" ~ "eruption", "imprentas" ~ "imprenta").
_STEM = 6


def content_words(text: str) -> list[str]:
    return [w[:_STEM] for w in words(text) if len(w) >= _MIN_LETTERS and not w.isdigit()]


def lexical_support(text: str, source: str) -> float:
    """Share of the text's content words (by their first letters) that appear in the source; 0 for
    a text with no content words, so an empty answer is never grounded."""
    words = content_words(text)
    if not words:
        return 0.0
    known = set(content_words(source))
    return sum(w in known for w in words) / len(words)


def word_cosine(a: str, b: str) -> float:
    """Cosine similarity of the two texts' content-word counts: the torch-free `semantic`."""
    ca, cb = Counter(content_words(a)), Counter(content_words(b))
    dot = sum(n * cb[w] for w, n in ca.items())
    norm = math.sqrt(sum(n * n for n in ca.values()) * sum(n * n for n in cb.values()))
    return dot / norm if norm else 0.0
