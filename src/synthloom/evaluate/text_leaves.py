"""A text run's diversity and fidelity per taxonomy leaf, so a leaf the corpus averages hide
(the teacher repeating itself on one skill, drifting off one document) is named.

Per leaf: its rows, distinct word bigrams, the near-duplicate rate, and, where the leaf has
seed texts, fidelity: the mean cosine similarity of its texts' embeddings to the centroid of
its own seeds' embeddings. A leaf is flagged when its distinct bigrams or its fidelity fall
more than FLAG_SHARE (relative) below the median leaf's, or its near-duplicate rate is more
than FLAG_SHARE above the median leaf's."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthloom.data.text.similarity import words
from synthloom.evaluate.text import distinct_n, near_duplicate_rate

FLAG_SHARE = 0.25  # a leaf this far below the median leaf (relative) is flagged
MIN_ROWS = 2  # leaves with fewer rows get their figures but are neither ranked nor flagged


def leaf_report(texts: list[str], leaves: list[str | None], seeds_by_leaf: dict[str, list[str]],
                model: Any | None) -> dict[str, Any] | None:
    """Per-leaf figures of `texts` (leaves[i] made texts[i]); None when no text has a leaf."""
    by_leaf: dict[str, list[str]] = {}
    for text, leaf in zip(texts, leaves):
        if leaf is not None and text and text.strip():
            by_leaf.setdefault(leaf, []).append(text)
    if not by_leaf:
        return None
    out: dict[str, dict[str, Any]] = {}
    for leaf, group in sorted(by_leaf.items()):
        row: dict[str, Any] = {"rows": len(group), "distinct_2": distinct_n([words(t) for t in group], 2),
                               "near_duplicate_rate": near_duplicate_rate(group)}
        seeds = [s for s in seeds_by_leaf.get(leaf, []) if s and s.strip()]
        if model is not None and seeds:
            row["fidelity"] = _centroid_similarity(model.encode(group), model.encode(seeds))
        out[leaf] = row
    flags = _flags(out)
    for leaf, why in flags.items():
        out[leaf]["flagged"] = why
    ranked = {k: v for k, v in out.items() if v["rows"] >= MIN_ROWS}
    return {
        "leaves": out,
        "distinct_2_min": min((v["distinct_2"] for v in ranked.values()), default=None),
        "fidelity_min": min((v["fidelity"] for v in ranked.values() if "fidelity" in v), default=None),
        "flagged": sorted(flags),
    }


def _centroid_similarity(texts: np.ndarray, seeds: np.ndarray) -> float:
    centroid = seeds.mean(0)
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return 0.0
    rows = texts / np.maximum(np.linalg.norm(texts, axis=1, keepdims=True), 1e-12)
    return float(np.mean(rows @ (centroid / norm)))


def _flags(leaves: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Per flagged leaf, why: the measures on which it falls far below the median leaf."""
    ranked = {k: v for k, v in leaves.items() if v["rows"] >= MIN_ROWS}
    flags: dict[str, list[str]] = {}
    for measure, higher_is_better in (("distinct_2", True), ("fidelity", True), ("near_duplicate_rate", False)):
        values = {k: v[measure] for k, v in ranked.items() if measure in v}
        if len(values) < 3:  # a median of two says nothing about which one is off
            continue
        median = float(np.median(list(values.values())))
        for leaf, value in values.items():
            if higher_is_better and value < median * (1 - FLAG_SHARE):
                flags.setdefault(leaf, []).append(f"{measure} {value:.3f}, the median leaf {median:.3f}")
            if not higher_is_better and value > median + FLAG_SHARE:
                flags.setdefault(leaf, []).append(f"{measure} {value:.3f}, the median leaf {median:.3f}")
    return flags
