"""Early-warning signals of collapse for a text column: one generation's texts against the real
ones. Support first, since rare words go first: the share of the real word types, of the rare
ones (seen at most RARE_COUNT times in the real texts) and of the real word pairs that the
generation still uses; then its own diversity (distinct-1 and distinct-2: distinct words and
word pairs over all of them) and the spread of its lengths (log of the variance ratio of words
per text). A larger generation holds more types by size alone, so a generation is read up to as
many words as the real texts have. Perplexity both ways, with a bigram model (ngram.py) fitted on
one side and read on the other: the generated texts under a model of the real ones (do they read
like the real data?) and the real texts under a model of the generated ones (does the
generation still cover the real data? this one climbs as rare words go)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthloom.collapse.corpus import words
from synthloom.collapse.ngram import NGramModel
from synthloom.data.text.support import word_support

def _tokens(texts: list[str]) -> list[list[str]]:
    return [words(t) for t in texts]


def _budgeted(rows: list[list[str]], budget: int) -> list[list[str]]:
    """The first rows, up to `budget` words in all."""
    out, used = [], 0
    for row in rows:
        if used >= budget:
            break
        out.append(row)
        used += len(row)
    return out


def _pairs(rows: list[list[str]]) -> list[tuple[str, str]]:
    return [(a, b) for row in rows for a, b in zip(row, row[1:])]


def text_signals(real: list[str], generated: list[str]) -> dict[str, Any]:
    real_rows = _tokens(real)
    gen_rows = _budgeted(_tokens(generated), sum(len(r) for r in real_rows))
    gen_types = {w for row in gen_rows for w in row}
    gen_pairs = _pairs(gen_rows)
    gen_words = sum(len(r) for r in gen_rows)
    real_len = np.array([len(r) for r in real_rows], dtype=float)
    gen_len = np.array([len(r) for r in gen_rows], dtype=float)
    spread = (float(np.log(max(gen_len.var(), 1e-12) / real_len.var()))
              if len(real_len) > 1 and len(gen_len) > 1 and real_len.var() > 0 else None)
    kept = [" ".join(row) for row in gen_rows]
    vocabulary = len({w for row in real_rows for w in row} | gen_types) + 1
    return {
        **word_support(real_rows, gen_rows),
        "perplexity_real_model": NGramModel(real).perplexity(kept, vocabulary) if kept else None,
        "perplexity_generated_model": NGramModel(kept).perplexity(real, vocabulary) if kept else None,
        "distinct_1": len(gen_types) / max(gen_words, 1),
        "distinct_2": len(set(gen_pairs)) / max(len(gen_pairs), 1),
        "length_log_variance_ratio": spread,
        "words": gen_words,
    }
