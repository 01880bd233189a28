"""Dedup steps: exact (normalised hash), near (MinHash-LSH with exact Jaccard verification) and
semantic (embedding cosine). Matching rows form groups (connected components); in each group
one row stays by the step's `keep` rule, and every row that matches a reference dataset goes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from synthloom.config.curation import ExactDedup, NearDedup, SemanticDedup
from synthloom.curate.fields import value_at
from synthloom.data.text.minhash import near_pairs
from synthloom.curate.references import References, load_references
from synthloom.curate.semantic import similar_pairs
from synthloom.curate.step import Batch, Removal, RowMatch, Step, StepContext, StepResult, registered
from synthloom.data.text.similarity import words
from synthloom.models.embeddings import embedder

Dedup = ExactDedup | NearDedup | SemanticDedup


def has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def groups_of(pairs: np.ndarray) -> list[list[int]]:
    """The connected components of the pairs' graph, each sorted, over the ids in some pair only
    (memory follows the pairs, not the corpus)."""
    if not len(pairs):
        return []
    ids, local = np.unique(pairs, return_inverse=True)
    local = local.reshape(-1, 2)
    m = len(ids)
    graph = coo_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(m, m))
    label = connected_components(graph, directed=False)[1]
    members: dict[int, list[int]] = {}
    for node, group in zip(ids.tolist(), label.tolist()):  # ids ascending: each group sorted
        members.setdefault(group, []).append(node)
    return list(members.values())


def survivor_key(step: Dedup, length: Callable[[int], int], score: Callable[[int], Any]) -> Callable[[int], Any]:
    """What the member a group keeps maximises: by `keep`, the first row, the longest text or the
    highest score (a missing or non-numeric score is lowest); ties go to the earlier row."""
    if step.keep == "longest":
        return lambda i: (length(i), -i)
    if step.keep == "highest":
        def by_score(i: int) -> tuple[float, int]:
            v = score(i)
            return (float(v) if isinstance(v, (int, float)) else float("-inf"), -i)
        return by_score
    return lambda i: -i


def removals_of_groups(pairs: np.ndarray, sims: np.ndarray, n_refs: int, ref_items: list[Any], step: Dedup,
                       what: str, keep: Callable[[int], Any], number: Callable[[int], int]) -> dict[int, Removal]:
    """Ids below n_refs are reference items (never removed; a group holding one loses every row of
    its own); the others are the dataset's rows, id - n_refs, which `number` names and `keep`
    ranks (the highest stays). Returns row (id - n_refs) -> why it goes."""
    best: dict[int, float] = {}
    for (i, j), s in zip(pairs.tolist(), sims.tolist()):
        best[i], best[j] = max(best.get(i, 0), s), max(best.get(j, 0), s)
    removed: dict[int, Removal] = {}
    for group in groups_of(pairs):
        in_refs = [i for i in group if i < n_refs]
        own = [i - n_refs for i in group if i >= n_refs]
        if in_refs:
            for i in own:
                removed[i] = Removal(step.label, f"{what} of a reference row ({best.get(i + n_refs, 1):.2f})",
                                     ref_items[in_refs[0]])
            continue
        stay = max(own, key=keep)
        survivor = RowMatch(number(stay))
        for i in own:
            if i != stay:
                removed[i] = Removal(step.label, f"{what} of {survivor} ({best.get(i + n_refs, 1):.2f})", survivor)
    return removed


def resolve(pairs: np.ndarray, sims: np.ndarray, texts: list[str], rows: list[dict[str, Any]],
            refs: References, step: Dedup, what: str, numbers: list[int] | None = None) -> dict[int, Removal]:
    """The first len(refs.texts) positions are reference rows (never removed); the rest are the
    dataset's, whose `numbers` (default: their positions) name the row a duplicate matched."""
    n_refs = len(refs.texts)
    own_texts = texts[n_refs:]
    keep = survivor_key(step, lambda i: len(own_texts[i]), lambda i: value_at(rows[i], step.score))
    return removals_of_groups(pairs, sims, n_refs, refs.items, step, what, keep,
                              (lambda i: numbers[i]) if numbers is not None else (lambda i: i))


def exact_key(text: str) -> bytes:
    """What exact copies share: a 128-bit hash of the text's lower-cased words."""
    return hashlib.blake2b(" ".join(words(text)).encode(), digest_size=16).digest()


def exact_dedup(step: ExactDedup, texts: list[str], rows: list[dict[str, Any]], refs: References,
                numbers: list[int] | None = None) -> dict[int, Removal]:
    keys = [exact_key(t) for t in refs.texts + texts]
    first: dict[bytes, int] = {}
    pairs = []
    for i, k in enumerate(keys):
        if k in first:
            pairs.append((first[k], i))
        else:
            first[k] = i
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return resolve(arr, np.ones(len(arr)), refs.texts + texts, rows, refs, step, "exact copy", numbers)


def near_dedup(step: NearDedup, texts: list[str], rows: list[dict[str, Any]], refs: References,
               numbers: list[int] | None = None) -> dict[int, Removal]:
    corpus = refs.texts + texts
    found = near_pairs(corpus, step.threshold, step.num_perm, step.shingle, step.ngram, step.bands, step.rows)
    return resolve(found.pairs, found.similarity, corpus, rows, refs, step, "near duplicate", numbers)


def semantic_dedup(step: SemanticDedup, texts: list[str], rows: list[dict[str, Any]], refs: References,
                   numbers: list[int] | None = None) -> dict[int, Removal]:
    corpus = refs.texts + texts
    if not any(map(has_words, corpus)):  # nothing to embed (TF-IDF would have no vocabulary)
        return {}
    z = embedder(step.embedding, corpus).encode(corpus)  # MiniLM loads once per process, here
    pairs, sims = similar_pairs(z, step.threshold, step.clusters, step.probes)
    return resolve(pairs, sims, corpus, rows, refs, step, "paraphrase", numbers)


class _DedupStep(Step):
    """A dedup step: the batch is the whole dataset (rows are compared with each other); its
    `against` datasets are read by prepare."""

    config: Dedup
    find: ClassVar[Callable[..., dict[int, Removal]]]

    def prepare(self, context: StepContext) -> None:
        super().prepare(context)
        self.references = load_references(self.config.against, context, self.label)

    def run(self, batch: Batch) -> StepResult:
        return StepResult(self.find(self.config, batch.texts, batch.rows, self.references, batch.numbers))


@registered(ExactDedup)
class ExactDedupStep(_DedupStep):
    find = staticmethod(exact_dedup)


@registered(NearDedup)
class NearDedupStep(_DedupStep):
    find = staticmethod(near_dedup)


@registered(SemanticDedup)
class SemanticDedupStep(_DedupStep):
    find = staticmethod(semantic_dedup)
