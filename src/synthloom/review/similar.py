"""More rows like this one: the rows sharing its most distinctive words (the store's full-text
index, fast at any size), re-ranked by sentence-embedding cosine when the `embed` extra is
installed (all-MiniLM-L6-v2 from its package). Only the candidates are embedded, on a worker
thread (the app goes on answering), and their vectors are kept for the next request."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from synthloom.data.review.events import searchable_text
from synthloom.data.review.store import ReviewStore
from synthloom.models.embeddings import MiniLM, minilm_available

CANDIDATES = 60
CACHED_VECTORS = 20_000  # ~30 MB of 384-dim float32


class MoreLikeThis:
    def __init__(self, store: ReviewStore):
        self.store = store
        self._vectors: dict[int, np.ndarray] = {}

    async def __call__(self, item: int, n: int = 50) -> dict[str, Any]:
        candidates = self.store.more_like(item, limit=CANDIDATES)
        if not candidates or not minilm_available():
            return {"ids": candidates[:n], "by": "shared distinctive words"}
        items = [item, *candidates]
        missing = [i for i in items if i not in self._vectors]
        if missing:
            texts = [searchable_text(self.store.current(i)) for i in missing]  # SQLite stays on this thread
            encoded = await asyncio.to_thread(MiniLM().encode, texts)
            if len(self._vectors) + len(missing) > CACHED_VECTORS:
                self._vectors.clear()
            self._vectors.update(zip(missing, encoded))
        vectors = np.stack([self._vectors[i] for i in items])
        scores = vectors[1:] @ vectors[0]
        ranked = sorted(zip(candidates, scores.tolist()), key=lambda pair: -pair[1])[:n]
        return {"ids": [i for i, _ in ranked], "scores": [round(s, 4) for _, s in ranked],
                "by": "all-MiniLM-L6-v2 cosine over the rows sharing its distinctive words"}
