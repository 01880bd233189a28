"""Text evaluation: diversity of a generated corpus, its fidelity to a reference set (seeds,
taxonomy or real data), and what it reveals of that reference. Embeddings come from MiniLM when
the `embed` extra is installed and from TF-IDF + SVD otherwise (the report names which)."""

from __future__ import annotations

import lzma
import math
from collections import Counter
from typing import Any

import numpy as np

from synthloom.data.text.pii import pii_counts
from synthloom.data.text.shared_span import longest_shared_span
from synthloom.data.text.similarity import MinHashPool, words
from synthloom.data.vectors.knn_balls import precision_recall_coverage
from synthloom.evaluate.collapse_risk import text_collapse_risk
from synthloom.evaluate.stats import jackknife
from synthloom.models.embeddings import Embedder, EmbeddingKind, embedder

SAMPLE = 500  # texts in the seeded samples for self-BLEU, Vendi and embeddings
NEAR = 0.8  # MinHash Jaccard at or above which two texts are near-duplicates


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(token_lists: list[list[str]], n: int) -> float:
    grams = [g for t in token_lists for g in _ngrams(t, n)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def compression_ratio(texts: list[str]) -> float:
    """Compressed / raw size of the whole corpus with xz (an 8 MiB dictionary at preset 6), so a
    phrase repeated anywhere in the corpus is found, not only within a 32 KiB window as with gzip."""
    raw = "\n".join(texts).encode()
    return len(lzma.compress(raw, preset=6)) / len(raw) if raw else float("nan")


def bleu4(candidate: list[str], references: list[list[str]]) -> float:
    """Sentence BLEU-4 with add-one smoothing (Lin & Och, 2004) against several references."""
    if not candidate:
        return 0.0
    log_p = 0.0
    for n in range(1, 5):
        cand = Counter(_ngrams(candidate, n))
        best: Counter[tuple[str, ...]] = Counter()
        for ref in references:
            for g, c in Counter(_ngrams(ref, n)).items():
                best[g] = max(best[g], c)
        overlap = sum(min(c, best[g]) for g, c in cand.items())
        total = sum(cand.values())
        log_p += math.log((overlap + 1) / (total + 1)) / 4
    ref_len = min((abs(len(r) - len(candidate)), len(r)) for r in references)[1] if references else 0
    bp = 1.0 if len(candidate) > ref_len else math.exp(1 - ref_len / max(len(candidate), 1))
    return bp * math.exp(log_p)


def self_bleu(token_lists: list[list[str]]) -> float:
    if len(token_lists) < 2:
        return float("nan")
    return float(np.mean([bleu4(t, token_lists[:i] + token_lists[i + 1:]) for i, t in enumerate(token_lists)]))


def vendi(z: np.ndarray) -> float:
    """Vendi score (Friedman & Dieng, 2023): exp of the entropy of the eigenvalues of K/n,
    K the cosine similarity matrix; the effective number of distinct items."""
    if len(z) == 0:
        return float("nan")
    k = np.clip(z @ z.T, 0, None)
    w = np.linalg.eigvalsh(k / len(z))
    w = w[w > 1e-12]
    return float(np.exp(-np.sum(w * np.log(w))))


def near_duplicate_rate(texts: list[str]) -> float:
    pool = MinHashPool(NEAR)
    dup = 0
    for i, t in enumerate(texts):
        score, _ = pool.most_similar(t)
        if score >= NEAR:
            dup += 1
        pool.add(t, str(i))
    return dup / len(texts) if texts else float("nan")


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision / recall (Kynkaanniemi et al., 2019), data/vectors/knn_balls.py."""
    found = precision_recall_coverage(real, fake, k)
    return (float("nan"), float("nan")) if found is None else (found["precision"], found["recall"])


def _norm(text: str) -> str:
    return " ".join(words(text))


def text_report(texts: list[str], reference: list[str] | None = None, *, seed: int = 0,
                leaves: list[str] | None = None, all_leaves: list[str] | None = None,
                embedding: EmbeddingKind = "auto") -> dict[str, Any]:
    rng = np.random.default_rng([seed, 3])
    texts = [t for t in texts if t and t.strip()]
    reference = [r for r in reference or [] if r and r.strip()]
    model = embedder(embedding, texts + reference) if texts else None
    tokens = [words(t) for t in texts]
    sample = sorted(rng.choice(len(texts), min(SAMPLE, len(texts)), replace=False).tolist()) if texts else []
    div: dict[str, Any] = {}
    for n in (1, 2, 3):
        div[f"distinct_{n}"] = distinct_n(tokens, n)
        div[f"distinct_{n}_ci"] = jackknife(len(texts), lambda s, n=n: distinct_n([tokens[i] for i in s], n), seed + n)
    div["compression_ratio"] = compression_ratio(texts)
    sample_tokens = [tokens[i] for i in sample]
    div["self_bleu"] = self_bleu(sample_tokens[:200])
    if len(sample) >= 2:
        z = model.encode([texts[i] for i in sample])
        div["vendi"] = vendi(z)
        div["vendi_ci"] = jackknife(len(z), lambda s: vendi(z[s]), seed + 9)
    div["near_duplicate_rate"] = near_duplicate_rate(texts)
    if all_leaves:
        covered = set(leaves or [])
        div["leaf_coverage"] = len(covered & set(all_leaves)) / len(all_leaves)
        div["leaves_missing"] = sorted(set(all_leaves) - covered)
    out: dict[str, Any] = {"texts": len(texts), "diversity": div}
    if model is not None:
        div["embedding"] = model.name
    if reference and model is not None:
        out["fidelity"] = _fidelity(texts, tokens, reference, sample, rng, model)
        out["collapse_risk"] = text_collapse_risk(tokens, [words(r) for r in reference], out["fidelity"].get("recall"))
        out["privacy"] = _privacy(texts, reference)
    else:
        out["privacy"] = {"pii": pii_counts(texts)}
    return out


def _fidelity(texts: list[str], tokens: list[list[str]], reference: list[str], sample: list[int],
              rng: np.random.Generator, model: Embedder) -> dict[str, Any]:
    from scipy import stats

    ref_tokens = [words(r) for r in reference]
    lens, ref_lens = np.array([len(t) for t in tokens]), np.array([len(t) for t in ref_tokens])
    vocab, ref_vocab = Counter(w for t in tokens for w in t), Counter(w for t in ref_tokens for w in t)
    keys = sorted(set(vocab) | set(ref_vocab))
    p = np.array([vocab[k] for k in keys], dtype=float)
    q = np.array([ref_vocab[k] for k in keys], dtype=float)
    js = float(_js(p / p.sum(), q / q.sum()))
    ref_sample = sorted(rng.choice(len(reference), min(SAMPLE, len(reference)), replace=False).tolist())
    z_fake = model.encode([texts[i] for i in sample])
    z_real = model.encode([reference[i] for i in ref_sample])
    out = {
        "length_mean": float(lens.mean()), "reference_length_mean": float(ref_lens.mean()),
        "length_ks_complement": float(1 - stats.ks_2samp(lens, ref_lens).statistic),
        "vocabulary_js_divergence": js,
        "embedding": model.name,
    }
    if len(z_fake) > 2 and len(z_real) > 2:
        out["frechet_distance"] = frechet(z_real, z_fake)
        out["precision"], out["recall"] = precision_recall(z_real, z_fake)
    return out


def _js(p: np.ndarray, q: np.ndarray) -> float:
    m = (p + q) / 2
    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))
    return (kl(p, m) + kl(q, m)) / 2


def _privacy(texts: list[str], reference: list[str]) -> dict[str, Any]:
    ref_norm = {_norm(r) for r in reference}
    exact = sum(_norm(t) in ref_norm for t in texts)
    pool = MinHashPool(NEAR)
    for i, r in enumerate(reference):
        pool.add(r, str(i))
    near = sum(pool.most_similar(t)[0] >= NEAR for t in texts)
    cache: dict[int, set[int]] = {}  # hashed reference n-grams, built per length as the search needs them
    spans = [longest_shared_span(t, reference, cache) for t in texts]
    return {
        "exact_copies": int(exact),
        "near_copies": int(near),
        "near_copy_share": near / len(texts) if texts else float("nan"),
        "longest_shared_span_max": int(max(spans, default=0)),
        "longest_shared_span_median": float(np.median(spans)) if spans else 0.0,
        "pii": pii_counts(texts),
    }
